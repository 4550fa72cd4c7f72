import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { runCli } from '../helpers/cli.js'

/**
 * The example with the tax shield on and 3-year servers (replaced inside the horizon, so resale
 * proceeds appear): every valuation credit (residual value, resale proceeds, tax shield) stays out
 * of FOCUS and of the billed total, sits in byBasis.valuation, and the printed split names them all
 * (before: the whole valuation was printed as "residual value").
 */

const work = mkdtempSync(join(tmpdir(), 'geopat-credits-'))
copyFileSync('scenarios/eu-exit-inventory.yaml', join(work, 'eu-exit-inventory.yaml'))
const model = readFileSync('scenarios/tco-eu-exit.yaml', 'utf8')
  .replace(/^finance: \{\}$/m, 'finance: { taxShield: {} }')
  .replace('depreciationYears: 5', 'depreciationYears: 3')
writeFileSync(join(work, 'model.yaml'), model)

const CREDITS = new Set(['residual-value', 'resale-proceeds', 'tax-shield'])

function csv(file: string): Array<Record<string, string>> {
  // The columns read here (option, category, amount; x_Option, x_CostCategory, BilledCost) hold no commas.
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const names = (head as string).split(',')
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((cell) => cell.replace(/,$/, '')) ?? []
    return Object.fromEntries(names.map((name, index) => [name, cells[index] ?? '']))
  })
}

describe('valuation credits of owned servers', () => {
  let stdout = ''
  beforeAll(async () => {
    expect(model).toContain('finance: { taxShield: {} }')
    const result = await runCli(['tco', join(work, 'model.yaml'), '--out', join(work, 'out'), '--draws', '10000'])
    expect(result.exitCode, result.stderr).toBe(0)
    stdout = result.stdout
  }, 90_000)

  it('are never billed, add up to byBasis.valuation, and the printed split calls them credits', () => {
    const flows = csv(join(work, 'out', 'cashflows.csv')).filter((row) => row.option === 'own-dc')
    const focus = csv(join(work, 'out', 'focus.csv')).filter((row) => row.x_Option === 'own-dc')
    const json = tcoResultSchema.parse(JSON.parse(readFileSync(join(work, 'out', 'tco.json'), 'utf8')))
    const basis = json.options.find((option) => option.id === 'own-dc')?.deterministic?.byBasis
    const sum = (rows: Array<Record<string, string>>, keep: (row: Record<string, string>) => boolean, column: string) =>
      rows.filter(keep).reduce((total, row) => total + Number(row[column]), 0)
    // Each kind of credit is there, negative.
    for (const id of CREDITS)
      expect(
        sum(flows, (row) => row.category === id, 'amount'),
        id,
      ).toBeLessThan(0)
    expect(basis?.valuation).toBeCloseTo(
      sum(flows, (row) => CREDITS.has(row.category as string), 'amount'),
      2,
    )
    expect(focus.some((row) => CREDITS.has(row.x_CostCategory as string))).toBe(false)
    const billed = sum(flows, (row) => !CREDITS.has(row.category as string) && !/^C(5|9|10)-/.test(row.category as string), 'amount')
    expect(Math.abs(sum(focus, () => true, 'BilledCost') - billed) / billed).toBeLessThan(0.001)
    expect(stdout).toContain('− credits (residual value, resale proceeds, tax shield: valuations, never billed)')
    expect(stdout).toMatch(/own-dc [\d.]+[kM] billed \+ [\d.]+[kM] risk − [\d.]+[kM] credits/)
    expect(stdout).not.toMatch(/residual value;/)
  })
})
