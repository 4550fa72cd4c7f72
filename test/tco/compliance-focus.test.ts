import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { beforeAll, describe, expect, it } from 'vitest'
import { entityScope, loadComplianceData } from '../../src/tco/compliance-tax.js'
import { emitOption, prepareDraw } from '../../src/tco/evaluate.js'
import { MonthlySink } from '../../src/tco/sinks.js'
import { CATEGORY } from '../../src/tco/cost-categories.js'
import { type PriceSource, compileModel } from '../../src/tco/compile.js'
import { tcoModelSchema } from '../../src/io/schema/tco-model.js'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { userCatalogRow } from '../helpers/catalog.js'
import { hyperGpuRow } from '../helpers/tco-model.js'
import { cells } from '../helpers/csv-cells.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'

/**
 * Issue #17 scope 5 and 6: the compliance tax follows the company and its inventory; risk estimates
 * are never billed; every option's FOCUS total reconciles with its TCO; nonsense input gets one line.
 */

const work = mkdtempSync(join(tmpdir(), 'geopat-compliance-'))
const EXAMPLE = 'scenarios/tco-eu-exit.yaml'
const INVENTORY = 'scenarios/eu-exit-inventory.yaml'
copyFileSync(INVENTORY, join(work, 'eu-exit-inventory.yaml'))

function readCsv(file: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const header = cells(head as string)
  return lines.map((line) => {
    const row = cells(line)
    return Object.fromEntries(header.map((name, index) => [name, row[index] ?? '']))
  })
}

/** The costs nobody invoices, named here independently of the code: expected losses (C9, C10), the C5 business-cost estimate, the residual-value valuation. */
const NOT_BILLED = new Set(['C5-redaction-quality', 'C9-expected-regulatory-loss', 'C10-dpf-reserve', 'residual-value'])

describe('geopat tco on the example: FOCUS reconciles with the TCO, risk is never billed', () => {
  const out = join(work, 'example')
  let focus: Array<Record<string, string>>
  let cashflows: Array<Record<string, string>>
  let risks: Array<Record<string, string>>
  let json: ReturnType<typeof tcoResultSchema.parse>

  beforeAll(async () => {
    const result = await runCli(['tco', EXAMPLE, '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/NPV cost = billed cash \(focus\.csv\) \+ cost of risk/)
    focus = readCsv(join(out, 'focus.csv'))
    cashflows = readCsv(join(out, 'cashflows.csv'))
    risks = readCsv(join(out, 'risk-estimates.csv'))
    json = tcoResultSchema.parse(JSON.parse(readFileSync(join(out, 'tco.json'), 'utf8')))
  }, 90_000)

  it("every option's FOCUS BilledCost sums to its billed cash flows within 0.1% (own-dc included), and no risk estimate is billed", () => {
    const options = json.options.filter((option) => option.deterministic !== null).map((option) => option.id)
    expect(options).toContain('own-dc')
    for (const id of options) {
      const billedInFocus = focus.filter((row) => row.x_Option === id).reduce((sum, row) => sum + Number(row.BilledCost), 0)
      const billedFlows = cashflows
        .filter((row) => row.option === id && !NOT_BILLED.has(row.category as string))
        .reduce((sum, row) => sum + Number(row.amount), 0)
      expect(billedFlows).toBeGreaterThan(0)
      expect(Math.abs(billedInFocus - billedFlows) / billedFlows, id).toBeLessThan(0.001)
      // tco.json's split adds up to its total: billed + cost of risk + valuation.
      const option = json.options.find((entry) => entry.id === id)
      const basis = option?.deterministic?.byBasis
      expect(Math.abs((basis?.billed as number) - billedFlows) / billedFlows).toBeLessThan(0.001)
      const riskFlows = cashflows
        .filter((row) => row.option === id && NOT_BILLED.has(row.category as string) && row.category !== 'residual-value')
        .reduce((sum, row) => sum + Number(row.amount), 0)
      const residual = cashflows.filter((row) => row.option === id && row.category === 'residual-value').reduce((sum, row) => sum + Number(row.amount), 0)
      expect(basis?.costOfRisk).toBeCloseTo(riskFlows, 2)
      expect(basis?.valuation).toBeCloseTo(residual, 2)
      expect(option?.deterministic?.totalCost).toBeCloseTo(billedFlows + riskFlows + residual, 2)
      // The expected losses are listed apart, month by month, marked as not billed.
      const listed = risks.filter((row) => row.option === id).reduce((sum, row) => sum + Number(row.expectedLoss), 0)
      expect(listed).toBeCloseTo(riskFlows, 2)
    }
    expect(focus.some((row) => NOT_BILLED.has(row.x_CostCategory as string))).toBe(false)
    expect(focus.every((row) => row.x_CostBasis === 'provider' || row.x_CostBasis === 'internal')).toBe(true)
    expect(risks.length).toBeGreaterThan(0)
    expect(risks.every((row) => row.billed === 'false' && NOT_BILLED.has(row.category as string))).toBe(true)
    // The example's baseline carries both kinds of expected loss.
    expect(new Set(risks.filter((row) => row.option === 'stay-aws').map((row) => row.category))).toEqual(
      new Set(['C9-expected-regulatory-loss', 'C10-dpf-reserve']),
    )
  })

  it('fills the FOCUS conditional columns that apply: pricing category, commitment, consumed quantity, unit prices, pricing currency, region, SKU', () => {
    for (const row of focus) {
      expect(['Usage', 'Purchase']).toContain(row.ChargeCategory)
      expect(row.ChargeClass).toBe('')
      expect(['Standard', 'Committed', 'Dynamic', 'Other']).toContain(row.PricingCategory)
      expect(row.PricingCurrency).toMatch(/^[A-Z]{3}$/)
      // FOCUS: ConsumedQuantity is null outside Usage and on a Usage row of an unused commitment.
      if (row.ChargeCategory === 'Usage' && row.CommitmentDiscountStatus !== 'Unused') expect(row.ConsumedUnit).not.toBe('')
      else expect(row.ConsumedQuantity).toBe('')
      // A commitment status only beside a commitment id (FOCUS nullability).
      expect(row.CommitmentDiscountStatus === '').toBe(row.CommitmentDiscountId === '')
      if (row.RegionId !== '') expect(row.RegionId).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      const quantity = Number(row.PricingQuantity)
      if (quantity > 0) {
        // Unit prices and quantities are written to 4 decimals: compare relatively.
        expect(Math.abs(Number(row.ListUnitPrice) * quantity - Number(row.ListCost)) / Number(row.ListCost)).toBeLessThan(1e-3)
        expect(Math.abs(Number(row.ContractedUnitPrice) * quantity - Number(row.ContractedCost)) / Number(row.ContractedCost)).toBeLessThan(1e-3)
      }
      if (row.x_CostBasis === 'internal') expect(row.PricingCategory).toBe('Other')
    }
    // The baseline rents on a 1-yr commitment off an on-demand USD catalog price.
    const rental = focus.find((row) => row.x_Option === 'stay-aws' && row.x_CostCategory === 'compute-rental') as Record<string, string>
    expect(rental.PricingCategory).toBe('Committed')
    expect(rental.CommitmentDiscountId).not.toBe('')
    expect(rental.CommitmentDiscountCategory).toBe('Usage')
    expect(rental.CommitmentDiscountStatus).toBe('Used')
    expect(rental.SkuId).toBe('aws-p5.48xlarge-eu-north-1')
    expect(rental.RegionId).toBe('eu-north-1')
    expect(rental.PricingCurrency).toBe('USD')
    // FOCUS: the contracted price excludes commitment discounts; the billed cost includes them (35% off).
    expect(Number(rental.ContractedCost)).toBeCloseTo(Number(rental.BilledCost) / 0.65, 2)
    // The baseline's 1-yr commitment billed after an exit is the same commitment, unused: Committed, Status
    // Unused, no consumed quantity, priced by the same SKU (before: PricingCategory Standard, no commitment columns).
    const stranded = focus.filter((row) => row.x_CostCategory === 'commitment-stranded')
    expect(stranded.length).toBeGreaterThan(0)
    for (const row of stranded) {
      expect(row.ChargeCategory).toBe('Usage')
      expect(row.PricingCategory).toBe('Committed')
      expect(row.CommitmentDiscountStatus).toBe('Unused')
      expect(row.CommitmentDiscountCategory).toBe('Usage')
      expect(row.ConsumedQuantity).toBe('')
      expect(row.ConsumedUnit).toBe('')
      expect(Number(row.BilledCost)).toBeGreaterThan(0)
    }
    const strandedBaseline = stranded.find((row) => row.x_Option === 'eu-gpu-cloud' && row.x_Phase === 'dual-running') as Record<string, string>
    expect(strandedBaseline.CommitmentDiscountId).toBe(rental.CommitmentDiscountId)
    expect(strandedBaseline.SkuId).toBe('aws-p5.48xlarge-eu-north-1')
    expect(strandedBaseline.PricingCurrency).toBe('USD')
    // The same price per GPU-hour as the used commitment: 35% off USD 7.36.
    expect(Number(strandedBaseline.PricingCurrencyEffectiveCost) / Number(strandedBaseline.PricingQuantity)).toBeCloseTo(7.36 * 0.65, 3)
    // The reference's p5 eu-north-1 price, USD 7.36 per GPU-hour, in the pricing currency.
    expect(Number(rental.PricingCurrencyListUnitPrice)).toBeCloseTo(7.36, 2)
    // Egress at the catalog row's USD 0.09 per GB (the reference's AWS first tier), billed in EUR.
    const egress = focus.find((row) => row.x_Option === 'stay-aws' && row.x_CostCategory === 'egress') as Record<string, string>
    expect(egress.PricingCurrency).toBe('USD')
    expect(Number(egress.PricingCurrencyListUnitPrice)).toBeCloseTo(0.09, 4)
    // Owned servers have no provider region id, only a name.
    const power = focus.find((row) => row.x_Option === 'own-dc' && row.x_CostCategory === 'power') as Record<string, string>
    expect(power.RegionId).toBe('')
    expect(power.RegionName).toBe('DE')
  })

  it('costs the AI Act for the inventory high-risk systems, one TIA per flow to a non-EU parent, DPIAs per personal-data workload, DORA for the insurer, no NIS2', () => {
    const inventory = YAML.parse(readFileSync(INVENTORY, 'utf8')) as {
      workloads: Array<{ name: string; aiActRisk: string; retire?: boolean; dataClasses: string[]; current: { jurisdiction: { parent: string } } }>
    }
    const eu = new Set([
      'AT',
      'BE',
      'BG',
      'HR',
      'CY',
      'CZ',
      'DK',
      'EE',
      'FI',
      'FR',
      'DE',
      'GR',
      'HU',
      'IE',
      'IT',
      'LV',
      'LT',
      'LU',
      'MT',
      'NL',
      'PL',
      'PT',
      'RO',
      'SK',
      'SI',
      'ES',
      'SE',
      'IS',
      'LI',
      'NO',
    ])
    const live = inventory.workloads.filter((w) => w.retire !== true)
    const highRisk = live.filter((w) => w.aiActRisk === 'high').map((w) => w.name)
    const flows = live.filter((w) => !eu.has(w.current.jurisdiction.parent) && w.dataClasses.some((c) => c !== 'public')).map((w) => w.name)
    expect(highRisk).toHaveLength(3)
    expect(json.compliance.estate?.highRiskSystems).toEqual(highRisk)
    expect(json.compliance.estate?.transferFlows).toEqual(flows)

    const data = YAML.parse(readFileSync('data/compliance/components.yaml', 'utf8')) as {
      parameters: Record<string, { value: number | { triangular: number[] } }>
    }
    const value = (name: string): number => {
      const v = data.parameters[name]?.value
      return typeof v === 'number' ? v : (v?.triangular[1] as number)
    }
    // C15 over 4 years, the same for every option: QMS set-up + 4 × (systems × per-system + QMS upkeep).
    const c15 = value('aiActQmsSetupCost') + 4 * (highRisk.length * value('highRiskCostPerSystemPerYear') + value('aiActQmsCostPerYear'))
    for (const id of ['stay-aws', 'eu-gpu-cloud', 'own-dc', 'eu-token-api']) {
      const total = cashflows.filter((row) => row.option === id && row.category === 'C15-ai-act-high-risk').reduce((sum, row) => sum + Number(row.amount), 0)
      expect(total, id).toBeCloseTo(c15, 0)
    }
    // C1 on the baseline (US parent): flows × 24 h × EUR 87 per year, a twelfth a month.
    const c1 = cashflows.find((row) => row.option === 'stay-aws' && row.category === 'C1-transfer-impact-assessment' && row.monthIndex === '0')
    expect(Number(c1?.amount)).toBeCloseTo((flows.length * value('tiaHoursPerTransfer') * value('hourlyRate')) / 12, 2)
    // DORA (an insurance undertaking): register + exit plan per provider a year; no NIS2 (DORA instead).
    const dora = cashflows.find((row) => row.option === 'stay-aws' && row.category === 'C16-dora-ict-third-party' && row.monthIndex === '0')
    expect(Number(dora?.amount)).toBeCloseTo(
      ((value('doraRegisterHoursPerProviderYear') + value('doraExitPlanHoursPerProviderYear')) * value('hourlyRate')) / 12,
      2,
    )
    expect(cashflows.some((row) => row.category === 'C17-nis2')).toBe(false)
    expect(json.compliance.scope?.join(' ')).toMatch(/NIS2: not costed: DORA applies instead/)
    // Which figures are sourced, counted from the data file itself.
    const figures = json.compliance.figures
    expect(figures?.fromInventory).toBe(3)
    expect((figures?.sourced ?? 0) + (figures?.fromInventory ?? 0) + (figures?.fromModel ?? 0) + (figures?.assumption ?? 0)).toBe(figures?.total)
  })
})

describe('entity scope: DORA, NIS2, AI Act', () => {
  it('DORA for a financial entity replaces NIS2; NIS2 by annex and size otherwise', () => {
    const insurer = entityScope({ financialEntity: 'insurance-undertaking', nis2Annex: 'I', employees: 5000 }, 5e8, 0)
    expect([insurer.dora, insurer.nis2, insurer.aiActHighRisk]).toEqual([true, null, false])
    expect(entityScope({ nis2Annex: 'I', employees: 300 }, 1e6, 2).nis2).toBe('essential')
    expect(entityScope({ nis2Annex: 'I' }, 60e6, 0).nis2).toBe('essential')
    expect(entityScope({ nis2Annex: 'I', employees: 60 }, 20e6, 0).nis2).toBe('important')
    expect(entityScope({ nis2Annex: 'II', employees: 5000 }, 5e9, 0).nis2).toBe('important')
    expect(entityScope({ nis2Annex: 'I', employees: 10 }, 5e6, 0).nis2).toBeNull()
    expect(entityScope({ nis2Annex: 'none', employees: 5000 }, 5e9, 0).nis2).toBeNull()
    expect(entityScope(undefined, undefined, 1).aiActHighRisk).toBe(true)
  })

  it('entity components apply to every option, also one that lists its own components, and cost once per option (never twice in dual running)', () => {
    const row = hyperGpuRow('hyper', 'SEAL-1', { region: 'SE', parent: 'US' }, { sku: 'gpu', gpuCount: 1, unit: 'gpu-hour', price: 6, currency: 'EUR' })
    const prices: PriceSource = { row: (id) => (id === 'hyper' ? row : undefined), rate: () => 1, discount: () => undefined }
    const model = tcoModelSchema.parse({
      name: 't',
      currency: row.currency,
      startMonth: '2026-10',
      horizonYears: 3,
      wacc: 0.08,
      demand: { gpus: 8 },
      company: { annualTurnover: 1e8, financialEntity: 'credit-institution' },
      compliance: { parameters: { highRiskSystems: 2 } },
      options: [
        { id: 'stay', kind: 'rental', catalogRow: 'hyper' },
        {
          id: 'eu',
          kind: 'rental',
          price: { perGpuHour: 2, currency: row.currency },
          seal: 'SEAL-3',
          jurisdiction: { region: 'FI', parent: 'FI' },
          compliance: ['C3'],
          migration: { startMonth: 0, dualRunningMonths: 6 },
        },
      ],
    })
    const plan = compileModel(model, 'm.yaml', loadComplianceData(), prices)
    // The EU option's inline price is backed by no catalog row: a warning names it.
    expect(plan.warnings).toContain(
      'm.yaml: options.1.price: option eu is priced inline, not backed by a catalog row (no source, date or staleness check); put the quote in a --catalog file and name it with catalogRow',
    )
    const values = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
    prepareDraw(plan, values)
    const data = YAML.parse(readFileSync('data/compliance/components.yaml', 'utf8')) as {
      parameters: Record<string, { value: number | { triangular: number[] } }>
    }
    const value = (name: string): number => {
      const v = data.parameters[name]?.value
      return typeof v === 'number' ? v : (v?.triangular[1] as number)
    }
    const c15 = value('aiActQmsSetupCost') + 3 * (2 * value('highRiskCostPerSystemPerYear') + value('aiActQmsCostPerYear'))
    for (const option of plan.options) {
      expect(option.components.has('C15')).toBe(true)
      expect(option.components.has('C16')).toBe(true)
      expect(option.components.has('C17')).toBe(false)
      const sink = new MonthlySink(plan.months)
      emitOption(plan, option, values, sink)
      let total = 0
      for (let phase = 0; phase < 3; phase++) for (let month = 0; month < plan.months; month++) total += sink.amount(phase, CATEGORY.c15, month)
      expect(total, option.id).toBeCloseTo(c15, 2)
    }
  })
})

describe('checks that catch nonsense: one line naming file, field and rule', () => {
  const text = readFileSync(EXAMPLE, 'utf8')
  const run = (args: string[]) => runCli(['tco', ...args, '--out', join(work, `bad-${Math.random().toString(36).slice(2)}`)])

  it('a catalog price of 0', async () => {
    const catalog = join(work, 'free.yaml')
    writeFileSync(catalog, YAML.stringify({ rows: [userCatalogRow({ id: 'free-h100', price: 0 })] }))
    const model = join(work, 'free-model.yaml')
    writeFileSync(model, text.replace('catalogRow: verda-h100-fi', 'catalogRow: free-h100'))
    const line = expectOneLineError(await run([model, '--catalog', catalog]))
    expect(line).toMatch(/free\.yaml: rows\.0\.price: must be greater than 0/)
  }, 60_000)

  it('a catalog price dated after today, today injected with --as-of', async () => {
    const catalog = join(work, 'later.yaml')
    writeFileSync(catalog, YAML.stringify({ rows: [userCatalogRow({ id: 'later-h100', effectiveDate: '2026-06-01' })] }))
    const model = join(work, 'later-model.yaml')
    writeFileSync(model, text.replace('catalogRow: verda-h100-fi', 'catalogRow: later-h100'))
    const line = expectOneLineError(await run([model, '--catalog', catalog, '--as-of', '2026-05-31']))
    expect(line).toMatch(
      /later-model\.yaml: catalog row later-h100 \(.*later\.yaml\) has effectiveDate 2026-06-01, after 2026-05-31: a price not yet in force cannot be used$/,
    )
    expect(expectOneLineError(await run([model, '--as-of', '31-05-2026']))).toBe('Error: --as-of: "31-05-2026" must be a date written YYYY-MM-DD')
  }, 60_000)

  it('a workload of the inventory depending on itself', async () => {
    const inventory = YAML.parse(readFileSync(INVENTORY, 'utf8')) as { workloads: Array<{ name: string; dependsOn?: string[] }> }
    const first = inventory.workloads[0] as { name: string; dependsOn?: string[] }
    first.dependsOn = [first.name]
    const dir = mkdtempSync(join(work, 'self-'))
    writeFileSync(join(dir, 'eu-exit-inventory.yaml'), YAML.stringify(inventory))
    writeFileSync(join(dir, 'model.yaml'), text)
    const line = expectOneLineError(await run([join(dir, 'model.yaml')]))
    expect(line).toMatch(new RegExp(`eu-exit-inventory\\.yaml: workloads\\.0\\.dependsOn\\.0: workload "${first.name}" depends on itself`))
  }, 60_000)

  it('an option that no catalog row backs, and an inventory that is not there', async () => {
    const model = join(work, 'unbacked.yaml')
    writeFileSync(model, text.replace('catalogRow: stackit-llama-3.3-70b', 'catalogRow: stackit-llama-9'))
    expect(expectOneLineError(await run([model]))).toMatch(/unbacked\.yaml: options\.4\.catalogRow: no catalog row stackit-llama-9 \(/)
    const dir = mkdtempSync(join(work, 'noinv-'))
    writeFileSync(join(dir, 'model.yaml'), text)
    expect(expectOneLineError(await run([join(dir, 'model.yaml')]))).toMatch(/model\.yaml: compliance\.inventory: no file .*eu-exit-inventory\.yaml/)
  }, 60_000)

  it('a company field out of its rule', async () => {
    const model = join(work, 'bad-entity.yaml')
    writeFileSync(model, text.replace('financialEntity: insurance-undertaking', 'financialEntity: bakery'))
    expect(expectOneLineError(await run([model]))).toMatch(/bad-entity\.yaml: company\.financialEntity: /)
  }, 60_000)
})
