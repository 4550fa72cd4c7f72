import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { CASHFLOW_COLUMNS } from '../../src/tco/cashflow-csv.js'
import { FOCUS_COLUMNS } from '../../src/tco/focus.js'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { userCatalogRow } from '../helpers/catalog.js'
import { cells } from '../helpers/csv-cells.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-tco-'))
const EXAMPLE = 'scenarios/tco-eu-exit.yaml'
// The example names its inventory (compliance.inventory) relative to its own folder: copies made here need it beside them.
copyFileSync('scenarios/eu-exit-inventory.yaml', join(work, 'eu-exit-inventory.yaml'))
/** The columns FOCUS 1.2 makes mandatory, from the specification (not from src/tco/focus.ts): test/fixtures/focus. */
const FOCUS_MANDATORY_COLUMNS = (JSON.parse(readFileSync('test/fixtures/focus/focus-1.2-mandatory-columns.json', 'utf8')) as { mandatoryColumns: string[] })
  .mandatoryColumns

describe('geopat tco', () => {
  it('runs the example scenario: a table, tco.json, cashflows.csv and a FOCUS CSV marked as a projection', async () => {
    const out = join(work, 'example')
    const result = await runCli(['tco', EXAMPLE, '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/baseline stay-aws · Monte Carlo 10,000 draws, seed 1/)
    expect(result.stdout).toMatch(/us-token-api ✗ +token-api +SEAL-0 +excluded/)
    expect(result.stdout).toMatch(
      /✗ us-token-api: C11 sovereignty gate: SEAL-0 is below the level required by data classes customer-chats \(SEAL-2\), internal-docs \(SEAL-1\)/,
    )
    expect(result.stdout).toMatch(/top drivers of .*'s savings NPV/)
    expect(result.stdout).toMatch(/tco: .*tco\.json · cash flows: .*cashflows\.csv · FOCUS: .*focus\.csv/)

    const json = tcoResultSchema.parse(JSON.parse(readFileSync(join(out, 'tco.json'), 'utf8')))
    expect(json.monteCarlo).toMatchObject({ draws: 10_000, seed: 1 })
    expect(json.options.map((option) => option.id)).toEqual(['stay-aws', 'hyperscaler-sovereign', 'eu-gpu-cloud', 'own-dc', 'eu-token-api', 'us-token-api'])
    const owned = json.options.find((option) => option.id === 'own-dc')
    expect(owned?.perGpuHour?.beforeStaff).toBeGreaterThan(0)
    expect(json.options.find((option) => option.id === 'hyperscaler-sovereign')?.switching?.charged).toBe(true)
    expect(json.options.find((option) => option.id === 'eu-gpu-cloud')?.switching?.charged).toBe(false)

    const cashflows = readFileSync(join(out, 'cashflows.csv'), 'utf8').trim().split('\n')
    expect(cells(cashflows[0] as string)).toEqual([...CASHFLOW_COLUMNS])
    expect(cashflows.length).toBeGreaterThan(100)
    // The deterministic NPV is the NPV of these very cash flows.
    const wacc = 0.08
    const stay = cashflows
      .slice(1)
      .map(cells)
      .filter((row) => row[0] === 'stay-aws')
    const npv = stay.reduce((sum, row) => sum + Number(row[5]) / (1 + wacc) ** (Number(row[2]) / 12), 0)
    expect(npv).toBeCloseTo(json.options[0]?.deterministic?.npvCost as number, -1)

    const focus = readFileSync(join(out, 'focus.csv'), 'utf8').trim().split('\n')
    const header = cells(focus[0] as string)
    expect(header).toEqual([...FOCUS_COLUMNS])
    for (const column of FOCUS_MANDATORY_COLUMNS) {
      expect(header).toContain(column)
    }
    const at = (name: string) => header.indexOf(name)
    for (const line of focus.slice(1)) {
      const row = cells(line)
      expect(row[at('x_Projected')]).toBe('true')
      expect(row[at('ChargeDescription')]).toMatch(/^Projected: /)
      expect(row[at('BillingCurrency')]).toBe('EUR')
      expect(['Usage', 'Purchase', 'Credit', 'Adjustment']).toContain(row[at('ChargeCategory')])
      if (['Usage', 'Purchase'].includes(row[at('ChargeCategory')] as string)) expect(row[at('PricingUnit')]).not.toBe('')
      expect(row[at('ChargePeriodStart')]).toMatch(/^\d{4}-\d{2}-01T00:00:00Z$/)
    }
    // Committed GPUs: the list cost is the on-demand price before the 35% default discount.
    const rental = focus
      .slice(1)
      .map(cells)
      .find((row) => row[at('x_Option')] === 'stay-aws' && row[at('x_CostCategory')] === 'compute-rental')
    expect(Number(rental?.[at('ListCost')])).toBeCloseTo(Number(rental?.[at('BilledCost')]) / 0.65, 2)
  }, 60_000)

  it('--json prints the same result, reproducible for a seed', async () => {
    const first = await runCli(['tco', EXAMPLE, '--out', join(work, 'json-1'), '--seed', '3', '--json'])
    const second = await runCli(['tco', EXAMPLE, '--out', join(work, 'json-2'), '--seed', '3', '--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    const a = tcoResultSchema.parse(JSON.parse(first.stdout))
    const b = tcoResultSchema.parse(JSON.parse(second.stdout))
    expect(a.options.map((option) => option.monteCarlo)).toEqual(b.options.map((option) => option.monteCarlo))
    expect(a.tornado).toEqual(b.tornado)
  }, 60_000)

  it('a model with a wrong field fails with one line naming the file, the path and the rule (exit 2)', async () => {
    const text = readFileSync(EXAMPLE, 'utf8')
    const badHorizon = join(work, 'bad-horizon.yaml')
    writeFileSync(badHorizon, text.replace('horizonYears: 4', 'horizonYears: 7'))
    const horizon = await runCli(['tco', badHorizon, '--out', join(work, 'bad-1')])
    expect(horizon.exitCode).toBe(2)
    expect(expectOneLineError(horizon)).toBe(`Error: ${badHorizon}: horizonYears: must be 3 to 5 years`)

    const badPrice = join(work, 'bad-price.yaml')
    writeFileSync(
      badPrice,
      text.replace('serverCapexPerNode: { triangular: [270000, 300000, 317000] }', 'serverCapexPerNode: { triangular: [300000, 270000, 317000] }'),
    )
    const price = await runCli(['tco', badPrice, '--out', join(work, 'bad-2')])
    expect(price.exitCode).toBe(2)
    expect(expectOneLineError(price)).toBe(`Error: ${badPrice}: options.3.serverCapexPerNode: triangular: needs min ≤ mode ≤ max with min < max`)

    const badRow = join(work, 'bad-row.yaml')
    writeFileSync(badRow, text.replace('catalogRow: verda-h100-fi', 'catalogRow: verda-h100-nowhere'))
    const row = await runCli(['tco', badRow, '--out', join(work, 'bad-3')])
    expect(row.exitCode).toBe(2)
    expect(expectOneLineError(row)).toMatch(
      new RegExp(`^Error: ${badRow.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: options\\.2\\.catalogRow: no catalog row verda-h100-nowhere`),
    )
  }, 60_000)

  it('refuses a catalog row not yet in force (dated after today) with one line (issue 15.10)', async () => {
    const nextYear = new Date().getUTCFullYear() + 1
    const catalog = join(work, 'announced.yaml')
    writeFileSync(catalog, YAML.stringify({ rows: [userCatalogRow({ id: 'announced-h100', effectiveDate: `${nextYear}-01-01` })] }))
    const model = join(work, 'announced-model.yaml')
    writeFileSync(model, readFileSync(EXAMPLE, 'utf8').replace('catalogRow: verda-h100-fi', 'catalogRow: announced-h100'))
    const out = join(work, 'announced-out')
    const result = await runCli(['tco', model, '--catalog', catalog, '--draws', '10000', '--out', out])
    expect(expectOneLineError(result)).toMatch(
      new RegExp(
        `^Error: ${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: catalog row announced-h100 \\(.*announced\\.yaml\\) has effectiveDate ${nextYear}-01-01, after \\d{4}-\\d{2}-\\d{2}: a price not yet in force cannot be used$`,
      ),
    )
    expect(existsSync(out)).toBe(false)
  }, 60_000)

  it('refuses fewer than 10,000 draws', async () => {
    const result = await runCli(['tco', EXAMPLE, '--draws', '500', '--out', join(work, 'few')])
    expect(result.exitCode).toBe(2)
    expect(expectOneLineError(result)).toBe('Error: --draws: must be an integer from 10000 to 1000000')
  })
})
