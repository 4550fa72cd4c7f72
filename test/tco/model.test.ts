import { describe, expect, it } from 'vitest'
import { expectedRegulatoryLoss, fineCap, loadComplianceData, sealGate } from '../../src/tco/compliance-tax.js'
import { runMonteCarlo, simulateCosts } from '../../src/tco/monte-carlo.js'
import { emitOption, prepareDraw } from '../../src/tco/evaluate.js'
import { MonthlySink } from '../../src/tco/sinks.js'
import type { ModelPlan } from '../../src/tco/model-plan.js'
import { compileModel } from '../../src/tco/compile.js'
import { runTco } from '../../src/tco/engine.js'
import type { CatalogRow } from '../../src/io/schema/catalog.js'
import { tcoModelSchema } from '../../src/io/schema/tco-model.js'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { stubPrices } from '../helpers/tco-prices.js'
import { IN_FINLAND, IN_GERMANY, REFERENCE_SERVER, US_OWNED_IN_SWEDEN, eurRental, hyperGpuRow, presentValuesTwoWays } from '../helpers/tco-model.js'

const compliance = loadComplianceData()

const rows: CatalogRow[] = [
  hyperGpuRow('hyper-eu', 'SEAL-1', { region: 'SE', parent: 'US' }, { gpuCount: 8, unit: 'instance-hour', price: 64, currency: 'USD', egressPerGB: 0.09 }),
]

/** Catalog stub: one row, EUR/USD 1.175, 1-yr 35% off on-demand. */
const prices = stubPrices({ rows, eurPerUsd: 1 / 1.175, discounts: { '1-yr': 0.35 } })

/** A small model: a hyperscaler baseline, an EU cloud at an inline price, owned servers and a token API. */
function baseModel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test',
    currency: 'EUR',
    startMonth: '2026-10',
    horizonYears: 3,
    wacc: 0.08,
    demand: { gpus: 16, tokensPerMonth: { input: 3e10, output: 1e10 }, growthPerYear: 0 },
    options: [
      { id: 'stay', kind: 'rental', catalogRow: 'hyper-eu', egress: { gbPerMonth: 1000 } },
      eurRental('eu-cloud', 2.5, IN_FINLAND, { migration: { startMonth: 1, dualRunningMonths: 2, revalidationCost: 10_000 } }),
      {
        id: 'owned',
        kind: 'owned',
        ...IN_GERMANY,
        currency: 'USD',
        ...REFERENCE_SERVER,
        depreciationYears: 4,
        migration: { startMonth: 2, dualRunningMonths: 3 },
      },
      {
        id: 'api',
        kind: 'token-api',
        price: { inputPerMtok: 0.49, outputPerMtok: 0.71, currency: 'USD' },
        ...IN_GERMANY,
      },
    ],
    ...overrides,
  }
}

function compile(model: Record<string, unknown>): ModelPlan {
  return compileModel(tcoModelSchema.parse(model), 'model.yaml', compliance, prices)
}

function centralValues(plan: ModelPlan): Float64Array {
  return new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
}

describe('TCO cash flows', () => {
  it('rental: GPUs × 730 h × price per GPU-hour (instance price / GPUs, converted), less the commitment discount', () => {
    const plan = compile(
      baseModel({
        options: [{ id: 'stay', kind: 'rental', catalogRow: 'hyper-eu', pricingModel: '1-yr', compliance: [] }, (baseModel().options as unknown[])[1]],
      }),
    )
    const values = centralValues(plan)
    prepareDraw(plan, values)
    const sink = new MonthlySink(plan.months)
    emitOption(plan, plan.options[0] as ModelPlan['options'][number], values, sink)
    // 16 GPUs × 730 h × (64 / 8) USD / 1.175 × (1 − 0.35)
    const monthly = (16 * 730 * 8 * 0.65) / 1.175
    const totals = sink.totals()
    expect(totals[0]).toBeCloseTo(monthly, 6)
    expect(totals[35]).toBeCloseTo(monthly, 6)
  })

  it('the Monte Carlo sink (sums of discount factors) gives the NPV numpy-financial gives on the monthly totals', () => {
    const plan = compile(baseModel({ wacc: 0.09, demand: { gpus: 11, tokensPerMonth: { input: 3e10, output: 1e10 }, growthPerYear: 0.3 } }))
    const values = centralValues(plan)
    prepareDraw(plan, values)
    for (const { fast, reference } of presentValuesTwoWays(plan, values, 0.09)) {
      expect(fast).toBeCloseTo(reference, 6)
      expect(Math.abs(fast - reference) / reference).toBeLessThan(1e-12)
    }
  })

  it('a migration pays the baseline until cutover (fractional months pro rata), then its own costs', () => {
    const plan = compile(
      baseModel({
        options: [
          eurRental('stay', 10, US_OWNED_IN_SWEDEN, { compliance: [] }),
          eurRental('move', 2, IN_FINLAND, { compliance: [], migration: { startMonth: 1, dualRunningMonths: 1.5 } }),
        ],
      }),
    )
    const values = centralValues(plan)
    prepareDraw(plan, values)
    const sink = new MonthlySink(plan.months)
    emitOption(plan, plan.options[1] as ModelPlan['options'][number], values, sink)
    const gpuHours = 16 * 730
    const totals = sink.totals()
    expect(totals[0]).toBeCloseTo(gpuHours * 10, 6) // still on the baseline
    expect(totals[1]).toBeCloseTo(gpuHours * (10 + 2), 6) // both run
    expect(totals[2]).toBeCloseTo(gpuHours * (5 + 2), 6) // half a month of the baseline
    expect(totals[3]).toBeCloseTo(gpuHours * 2, 6)
  })

  it('owned: capex when the move starts, support, power; book value credited at the horizon', () => {
    const plan = compile(baseModel())
    const run = runTco(plan, compliance, { draws: 10_000, seed: 1 })
    const owned = run.result.options.find((option) => option.id === 'owned')
    const byCategory = owned?.deterministic?.presentValueByCategory ?? {}
    const usd = 1 / 1.175
    // 2 nodes bought in month 2 (16 GPUs / 8), discounted 2 months.
    expect(byCategory['capex-server']).toBeCloseTo((2 * 300_000 * usd) / 1.08 ** (2 / 12), 3)
    expect(byCategory['capex-network-storage']).toBeCloseTo((2 * 60_000 * usd) / 1.08 ** (2 / 12), 3)
    // 4-year life, 36 − 2 = 34 months used at the horizon: (1 − 34/48) of 720,000 USD credited in the last month.
    expect(byCategory['residual-value']).toBeCloseTo((-720_000 * usd * (1 - 34 / 48)) / 1.08 ** (35 / 12), 3)
    // Its $/GPU-hour is the reference's formula over the depreciation life at WACC, in EUR.
    expect(owned?.perGpuHour?.beforeStaff).toBeCloseTo(2.252 * usd, 3)
  })

  it('EU Data Act: switching charges are paid before 12 Jan 2027 and are zero from that date, with a note', () => {
    const move = (id: string, startMonth: number, dualRunningMonths: number, date?: string) =>
      eurRental(id, 2, IN_FINLAND, {
        compliance: [],
        migration: { startMonth, dualRunningMonths, switching: { exitFee: 5000, dataGB: 10_000, ...(date ? { date } : {}) } },
      })
    const plan = compile(
      baseModel({
        options: [
          { id: 'stay', kind: 'rental', catalogRow: 'hyper-eu', compliance: [] },
          move('before', 0, 2), // cutover 2026-12-01
          move('after', 3, 1), // cutover 2027-02-01
          move('day-before', 0, 1, '2027-01-11'),
          move('on-the-day', 0, 1, '2027-01-12'),
        ],
      }),
    )
    const { result } = runTco(plan, compliance, { draws: 10_000, seed: 1 })
    const option = (id: string) => result.options.find((entry) => entry.id === id)
    // 5,000 EUR exit fee + 10,000 GB × 0.09 USD (the baseline's egress price) in the cutover month.
    const charge = 5000 + (10_000 * 0.09) / 1.175
    expect(option('before')?.switching).toMatchObject({ date: '2026-12-01', charged: true })
    expect(option('before')?.deterministic?.presentValueByCategory['dual-running:switching']).toBeCloseTo(charge / 1.08 ** (2 / 12), 6)
    expect(option('after')?.switching).toMatchObject({ date: '2027-02-01', charged: false })
    expect(option('after')?.switching?.note).toMatch(/prohibited \(EU Data Act Art\. 29\)/)
    expect(option('after')?.deterministic?.presentValueByCategory['dual-running:switching']).toBeUndefined()
    expect(option('day-before')?.switching?.charged).toBe(true)
    expect(option('on-the-day')?.switching?.charged).toBe(false)
    expect(option('on-the-day')?.notes.join(' ')).toMatch(/switching on 2027-01-12 is on or after 2027-01-12/)
  })
})

describe('C11 sovereignty gate', () => {
  const gated = () =>
    compile(
      baseModel({
        sovereignty: {
          dataClasses: [
            { name: 'health', requiredSeal: 'SEAL-3' },
            { name: 'public', requiredSeal: 'SEAL-0' },
          ],
        },
        options: [
          ...(baseModel().options as Array<Record<string, unknown>>).slice(0, 2),
          eurRental('hyper-sovereign', 1, { seal: 'SEAL-2', jurisdiction: { region: 'DE', parent: 'US' } }),
          eurRental('public-only', 1, { seal: 'SEAL-1', jurisdiction: { region: 'DE', parent: 'US' } }, { dataClasses: ['public'] }),
        ],
      }),
    )

  it('excludes an option below the SEAL level a data class requires, with the reason, however cheap it is', () => {
    const { result } = runTco(gated(), compliance, { draws: 10_000, seed: 1 })
    const excluded = result.options.find((option) => option.id === 'hyper-sovereign')
    expect(excluded?.feasible).toBe(false)
    expect(excluded?.excludedReason).toBe('C11 sovereignty gate: SEAL-2 is below the level required by data class health (SEAL-3)')
    expect(excluded?.deterministic).toBeNull()
    expect(excluded?.monteCarlo).toBeNull()
    expect(result.tornado.map((entry) => entry.option)).not.toContain('hyper-sovereign')
    // An option carrying only the public class passes; the baseline (SEAL-1) fails but stays the reference.
    expect(result.options.find((option) => option.id === 'public-only')?.feasible).toBe(true)
    const baseline = result.options.find((option) => option.baseline)
    expect(baseline?.feasible).toBe(false)
    expect(baseline?.deterministic).not.toBeNull()
    expect(baseline?.notes.join(' ')).toMatch(/savings are still measured against its costs/)
    expect(result.options.find((option) => option.id === 'eu-cloud')?.savings).not.toBeNull()
  })

  it('sealGate names every failing class', () => {
    expect(
      sealGate('SEAL-0', [
        { name: 'a', requiredSeal: 'SEAL-2' },
        { name: 'b', requiredSeal: 'SEAL-1' },
      ]).reason,
    ).toBe('C11 sovereignty gate: SEAL-0 is below the level required by data classes a (SEAL-2), b (SEAL-1)')
    expect(sealGate('SEAL-2', [{ name: 'a', requiredSeal: 'SEAL-2' }]).feasible).toBe(true)
    expect(sealGate('SEAL-0', []).feasible).toBe(true)
  })
})

describe('compliance tax', () => {
  it('C9: Σ p × min(cap, severity × turnover), the cap the higher of fixed and share of turnover (the lower for SMEs under the AI Act)', () => {
    const gdpr = compliance.fines.fines.find((fine) => fine.id === 'gdpr-art83-5')
    const aiAct = compliance.fines.fines.find((fine) => fine.id === 'ai-act-art99-4')
    if (!gdpr || !aiAct) throw new Error('fine ceilings missing')
    expect(fineCap(gdpr, 1e9, false)).toBe(40e6) // 4% of 1bn > 20M
    expect(fineCap(gdpr, 100e6, false)).toBe(20e6) // 4% of 100M = 4M < 20M
    expect(fineCap(aiAct, 100e6, true)).toBe(3e6) // SME: the lower of 15M and 3%
    expect(fineCap(aiAct, 100e6, false)).toBe(15e6)
    // 1% × min(20M, 5% × 500M = 25M) + 10% × min(15M, 0.1% × 500M = 0.5M) = 200k + 50k
    expect(
      expectedRegulatoryLoss(
        [
          { probabilityPerYear: 0.01, severity: 0.05, fine: gdpr },
          { probabilityPerYear: 0.1, severity: 0.001, fine: aiAct },
        ],
        500e6,
        false,
      ),
    ).toBeCloseTo(250_000, 6)
  })

  it('C9 in the cash flows: the same formula per month, the fine converted from EUR', () => {
    const plan = compileModel(
      tcoModelSchema.parse(
        baseModel({
          currency: 'USD',
          company: { annualTurnover: 500e6 },
          options: [
            {
              id: 'stay',
              kind: 'rental',
              catalogRow: 'hyper-eu',
              compliance: [],
              regulatoryRisks: [{ fine: 'gdpr-art83-5', probabilityPerYear: 0.01, severity: 0.05 }],
            },
            (baseModel().options as unknown[])[1],
          ],
        }),
      ),
      'model.yaml',
      compliance,
      prices,
    )
    const values = centralValues(plan)
    prepareDraw(plan, values)
    const sink = new MonthlySink(plan.months)
    emitOption(plan, plan.options[0] as ModelPlan['options'][number], values, sink)
    // cap = max(20M EUR × 1.175, 4% × 500M USD = 20M) = 23.5M USD; 5% × 500M = 25M → 23.5M; × 1% / 12
    expect(sink.amount(0, 21, 0)).toBeCloseTo((0.01 * 23.5e6) / 12, 6)
  })

  it('defaults apply by the provider parent: C1, C7, C10 for a US parent, not for an EU one', () => {
    const plan = compile(baseModel())
    expect([...(plan.options[0]?.components ?? [])].sort()).toEqual(['C1', 'C10', 'C2', 'C3', 'C7', 'C8'])
    expect([...(plan.options[1]?.components ?? [])].sort()).toEqual(['C2', 'C3', 'C8'])
    // Not-costed defaults are said, not hidden.
    expect(plan.warnings.join(' ')).toMatch(/C8 applies to .* but is not costed/)
  })

  it('a wrong model is one line naming the file, the path and the rule', () => {
    expect(() => compile(baseModel({ compliance: { parameters: { hourlyRat: 90 } } }))).toThrow(
      /^model\.yaml: compliance\.parameters\.hourlyRat: unknown parameter \(known: hourlyRate/,
    )
    expect(() => compile(baseModel({ options: [{ id: 'stay', kind: 'rental', catalogRow: 'nope' }, (baseModel().options as unknown[])[1]] }))).toThrow(
      /^model\.yaml: options\.0\.catalogRow: no catalog row nope/,
    )
    expect(() => compile(baseModel({ currency: 'CHF' }))).toThrow(/^model\.yaml: compliance parameter hourlyRate: no exchange rate from EUR to CHF/)
    const inlineRental = eurRental('stay', 2, US_OWNED_IN_SWEDEN, { pricingModel: '3-yr' })
    expect(() => compile(baseModel({ options: [inlineRental, (baseModel().options as unknown[])[1]] }))).toThrow(
      /^model\.yaml: options\.0\.discount: is required: no default 3-yr discount/,
    )
  })
})

describe('Monte Carlo', () => {
  const uncertain = () =>
    baseModel({
      wacc: 0.08,
      demand: { gpus: 16, tokensPerMonth: { input: { triangular: [2e10, 3e10, 4e10] }, output: 1e10 }, growthPerYear: 0 },
      options: [
        eurRental('stay', { triangular: [5, 6, 7] }, US_OWNED_IN_SWEDEN, { egress: { gbPerMonth: { pert: [500, 1000, 1500] }, perGB: 0.08 } }),
        eurRental('eu-cloud', { pert: [2, 2.5, 3] }, IN_FINLAND, {
          migration: { startMonth: 1, dualRunningMonths: { triangular: [2, 4, 6] }, revalidationCost: { triangular: [10_000, 30_000, 50_000] } },
        }),
        {
          id: 'api',
          kind: 'token-api',
          price: { inputPerMtok: { triangular: [0.4, 0.5, 0.6] }, outputPerMtok: 0.7, currency: 'EUR' },
          ...IN_GERMANY,
        },
      ],
      compliance: {
        parameters: {
          complianceFte: { triangular: [0.1, 0.3, 0.5] },
          complianceLoadedCostPerYear: 150_000,
          dpfReserveRatePerYear: { triangular: [0.05, 0.1, 0.15] },
        },
      },
    })

  it('the same seed reproduces every draw bit for bit; another seed does not', () => {
    const plan = compile(uncertain())
    const first = simulateCosts(plan, 10_000, 42).costs
    const again = simulateCosts(plan, 10_000, 42).costs
    expect(Buffer.from(first.buffer).equals(Buffer.from(again.buffer))).toBe(true)
    expect(Buffer.from(simulateCosts(plan, 10_000, 43).costs.buffer).equals(Buffer.from(first.buffer))).toBe(false)
    expect(runMonteCarlo(plan, { draws: 10_000, seed: 42 })).toEqual(runMonteCarlo(plan, { draws: 10_000, seed: 42 }))
  })

  it('with symmetric inputs the P50 lies near the deterministic NPV', () => {
    const { result } = runTco(compile(uncertain()), compliance, { draws: 20_000, seed: 7 })
    for (const option of result.options) {
      const deterministic = option.deterministic?.npvCost as number
      const p50 = option.monteCarlo?.npvCost.p50 as number
      expect(Math.abs(p50 - deterministic) / deterministic).toBeLessThan(0.005)
      expect(option.monteCarlo?.npvCost.p10).toBeLessThan(p50)
      expect(option.monteCarlo?.npvCost.p90).toBeGreaterThan(p50)
    }
    const move = result.options.find((option) => option.id === 'eu-cloud')
    expect(Math.abs((move?.monteCarlo?.savings?.p50 as number) - (move?.savings?.npv as number)) / (move?.savings?.npv as number)).toBeLessThan(0.01)
    expect(move?.monteCarlo?.savings?.probabilityPositive).toBe(1)
    expect(tcoResultSchema.safeParse(result).success).toBe(true)
  })

  it('tornado: drivers sorted by the swing of savings between their P10 and P90', () => {
    const { result } = runTco(compile(uncertain()), compliance, { draws: 10_000, seed: 7 })
    const bars = result.tornado.find((entry) => entry.option === 'eu-cloud')?.bars ?? []
    expect(bars.length).toBeGreaterThan(3)
    for (let i = 1; i < bars.length; i++) expect((bars[i - 1]?.swing as number) >= (bars[i]?.swing as number)).toBe(true)
    // The baseline's price drives the savings most; a higher EU price lowers them.
    expect(bars[0]?.driver).toBe('options.stay.pricePerGpuHour')
    const euPrice = bars.find((bar) => bar.driver === 'options.eu-cloud.pricePerGpuHour')
    expect(euPrice?.savingsAtHigh).toBeLessThan(euPrice?.savingsAtLow as number)
    // The token API's price does not move the EU cloud's savings: it is not listed.
    expect(bars.some((bar) => bar.driver.startsWith('options.api.'))).toBe(false)
  })
})
