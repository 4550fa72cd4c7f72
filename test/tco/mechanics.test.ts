import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadComplianceData } from '../../src/tco/compliance-tax.js'
import { type FinanceMechanics, loadFinanceMechanics } from '../../src/tco/finance-mechanics.js'
import { simulateCosts } from '../../src/tco/monte-carlo.js'
import { emitOption, prepareDraw } from '../../src/tco/evaluate.js'
import { MonthlySink } from '../../src/tco/sinks.js'
import { CATEGORY, COST_CATEGORIES, PHASE } from '../../src/tco/cost-categories.js'
import type { ModelPlan } from '../../src/tco/model-plan.js'
import { compileModel } from '../../src/tco/compile.js'
import { runTco } from '../../src/tco/engine.js'
import type { CatalogRow } from '../../src/io/schema/catalog.js'
import { financeMechanicsFileSchema } from '../../src/io/schema/finance.js'
import { tcoModelSchema } from '../../src/io/schema/tco-model.js'
import { UserError } from '../../src/util/errors.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { stubPrices } from '../helpers/tco-prices.js'
import { IN_FINLAND, eurRental, hyperGpuRow, presentValuesTwoWays } from '../helpers/tco-model.js'

/**
 * The finance mechanics, each on a tiny model whose monthly cash flows the test recomputes by hand
 * (to the cent) from the mechanic's rule, not from the code under test. The finance file is the
 * test's own (round numbers), so the rules are checked apart from the data's defaults.
 */

const compliance = loadComplianceData()
const HOURS = 730

const rows: CatalogRow[] = [hyperGpuRow('h100-usd', 'SEAL-3', { region: 'SE', parent: 'SE' }, { gpuCount: 1, unit: 'gpu-hour', price: 4, currency: 'USD' })]

const EUR_PER_USD = 1 / 1.25
const prices = stubPrices({ rows, eurPerUsd: EUR_PER_USD, discounts: { '1-yr': 0.3, '3-yr': 0.5 } })

const provenance = { source: 'test', date: '2026-01', confidence: 'assumption' as const }
const finance: FinanceMechanics = {
  file: 'test-finance.yaml',
  data: financeMechanicsFileSchema.parse({
    priceTrends: [
      { id: 'hopper', appliesTo: 'gpu-rental', gpus: ['H100'], perYear: -0.1, ...provenance },
      { id: 'token-api', appliesTo: 'token-api', perYear: -0.2, ...provenance },
    ],
    inflation: { staff: { perYear: 0.03, ...provenance }, energy: { perYear: 0.05, ...provenance } },
    fx: { volatilities: [{ base: 'EUR', quote: 'USD', perYear: 0.09, ...provenance }] },
    resale: {
      curve: [
        { ageYears: 0, fraction: 1 },
        { ageYears: 1, fraction: 0.6 },
        { ageYears: 2, fraction: 0.4 },
      ],
      ...provenance,
    },
    rentedFleetStaff: { gpusPerFte: 8, minimumFte: 1, loadedCostPerYear: 120_000, currency: 'EUR', ...provenance },
    ramp: { months: 0, ...provenance },
    taxShield: { rate: 0.25, ...provenance },
  }),
}

/** Everything off except what a test turns on, so each mechanic is seen alone. */
const quiet = {
  fxUncertainty: false,
  rentedFleetStaff: false,
  commitments: false,
  rampMonths: 0,
  inflation: { staff: 0, energy: 0 },
  priceTrends: { hopper: 0, 'token-api': 0 },
}

const eu = { ...IN_FINLAND, compliance: [] }
/** The EU token API at 0.5 / 1.5 per million input / output tokens in `currency`, with the option's other fields. */
const tokenApi = (currency: 'EUR' | 'USD', more: Record<string, unknown> = {}) => ({
  id: 'api',
  kind: 'token-api',
  price: { inputPerMtok: 0.5, outputPerMtok: 1.5, currency },
  ...eu,
  ...more,
})

function model(options: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'mechanics',
    currency: 'EUR',
    startMonth: '2027-01',
    horizonYears: 3,
    wacc: 0.08,
    demand: { gpus: 16, tokensPerMonth: { input: 1e9, output: 5e8 }, growthPerYear: 0 },
    compliance: { parameters: { revalidationCost: 0 } },
    options,
    ...extra,
  }
}

function compile(raw: Record<string, unknown>): ModelPlan {
  return compileModel(tcoModelSchema.parse(raw), 'model.yaml', compliance, prices, finance)
}

function central(plan: ModelPlan): Float64Array {
  return new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
}

/** The deterministic monthly flows of option `id`. */
function flows(plan: ModelPlan, id: string, values = central(plan)): MonthlySink {
  prepareDraw(plan, values)
  const sink = new MonthlySink(plan.months)
  const option = plan.options.find((entry) => entry.id === id)
  if (!option) throw new Error(`no option ${id}`)
  emitOption(plan, option, values, sink)
  return sink
}

const months = (count: number): number[] => Array.from({ length: count }, (_, month) => month)

describe('price trends per GPU generation', () => {
  it('an on-demand H100 rental follows the hopper trend by model year; a 3-yr commitment keeps its first year price; a token API its own trend', () => {
    const plan = compile(
      model(
        [
          { id: 'on-demand', kind: 'rental', catalogRow: 'h100-usd', compliance: [] },
          { id: 'three-year', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '3-yr', compliance: [] },
          { id: 'one-year', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', compliance: [] },
          { id: 'late', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', compliance: [], migration: { startMonth: 2, dualRunningMonths: 0 } },
          tokenApi('EUR'),
        ],
        { finance: { ...quiet, commitments: true, priceTrends: { hopper: -0.1, 'token-api': -0.2 } } },
      ),
    )
    const onDemand = flows(plan, 'on-demand')
    const threeYear = flows(plan, 'three-year')
    const oneYear = flows(plan, 'one-year')
    const api = flows(plan, 'api')
    const late = flows(plan, 'late')
    for (const month of months(36)) {
      const year = Math.floor(month / 12)
      const base = 16 * HOURS * 4 * EUR_PER_USD
      // Terms from month 2 renew at 14 and 26: a model year is priced at the term running at its start
      // (year 1 at the year-0 price of the term begun in month 2, year 2 at the renewal of month 14).
      expect(late.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(month < 2 ? 0 : base * 0.7 * (month < 24 ? 1 : 0.9), 2)
      expect(onDemand.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(base * 0.9 ** year, 2)
      expect(threeYear.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(base * 0.5, 2)
      expect(oneYear.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(base * 0.7 * 0.9 ** year, 2)
      expect(api.amount(PHASE.own, CATEGORY.tokenApi, month)).toBeCloseTo((1e3 * 0.5 + 5e2 * 1.5) * 0.8 ** year, 2)
    }
  })

  it('a price trend is one driver per generation, shared by every option on it', () => {
    const plan = compile(
      model(
        [
          { id: 'a', kind: 'rental', catalogRow: 'h100-usd', compliance: [] },
          { id: 'b', kind: 'rental', catalogRow: 'h100-usd', compliance: [] },
        ],
        { finance: { ...quiet, priceTrends: { hopper: { triangular: [-0.3, -0.1, 0.1] } } } },
      ),
    )
    expect(plan.drivers.filter((driver) => driver.name.startsWith('finance.priceTrends.')).map((driver) => driver.name)).toEqual(['finance.priceTrends.hopper'])
    expect(plan.options[0]?.trend).toBe(plan.options[1]?.trend)
  })
})

describe('inflation on staff and energy', () => {
  it('owned servers: staff × (1 + 3%)^year and energy × (1 + 5%)^year', () => {
    const plan = compile(
      model(
        [
          eurRental('stay', 3, eu),
          {
            id: 'owned',
            kind: 'owned',
            ...eu,
            serverCapexPerNode: 200_000,
            gpusPerNode: 8,
            networkStorageShare: 0.2,
            depreciationYears: 5,
            supportPerYear: 0,
            powerKwPerGpu: 1,
            powerUtilization: 0.5,
            pue: 1.5,
            energyPerKWh: 0.2,
            staff: { fte: 2, loadedCostPerYear: 120_000 },
            residualValue: false,
            migration: { startMonth: 0, dualRunningMonths: 0 },
          },
        ],
        { finance: { ...quiet, inflation: { staff: 0.03, energy: 0.05 } } },
      ),
    )
    const owned = flows(plan, 'owned')
    for (const month of months(36)) {
      const year = Math.floor(month / 12)
      expect(owned.amount(PHASE.own, CATEGORY.staff, month)).toBeCloseTo(((2 * 120_000) / 12) * 1.03 ** year, 2)
      expect(owned.amount(PHASE.own, CATEGORY.power, month)).toBeCloseTo(16 * 1 * 0.5 * 1.5 * HOURS * 0.2 * 1.05 ** year, 2)
    }
  })

  it('own compliance staff time inflates like operations staff: C7 FTE × loaded cost and hours × rate (C1 yearly, C3 once at the move) × (1 + 3%)^year', () => {
    // Before: C7 and the compliance hours stayed at year-0 cost while operations staff rose 3% a year.
    const parameters = {
      revalidationCost: 0,
      complianceFte: 0.5,
      complianceLoadedCostPerYear: 120_000,
      hourlyRate: 100,
      transferFlows: 2,
      tiaHoursPerTransfer: 24,
      contractingHoursNewVendor: 16,
      contractingHoursPerVendorYear: 0,
    }
    const plan = compile(
      model(
        [
          eurRental('stay', 3, { seal: 'SEAL-1', jurisdiction: { region: 'US', parent: 'US' } }, { compliance: ['C1', 'C7'] }),
          eurRental('move', 2, IN_FINLAND, { compliance: ['C3'], migration: { startMonth: 14, dualRunningMonths: 0 } }),
        ],
        { compliance: { parameters }, finance: { ...quiet, inflation: { staff: 0.03, energy: 0 } } },
      ),
    )
    const stay = flows(plan, 'stay')
    const move = flows(plan, 'move')
    for (const month of months(36)) {
      const index = 1.03 ** Math.floor(month / 12)
      expect(stay.amount(PHASE.own, CATEGORY.c7, month)).toBeCloseTo(((0.5 * 120_000) / 12) * index, 2)
      expect(stay.amount(PHASE.own, CATEGORY.c1, month)).toBeCloseTo(((2 * 24 * 100) / 12) * index, 2)
      // The new vendor's contracting, 16 h at the rate of the move's year (month 14: year 1).
      expect(move.amount(PHASE.own, CATEGORY.c3, month)).toBeCloseTo(month === 14 ? 16 * 100 * 1.03 : 0, 2)
    }
  })
})

describe('FX distribution', () => {
  const twoInUsd = () =>
    compile(
      model(
        [{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', compliance: [] }, tokenApi('USD', { egress: { gbPerMonth: 100, perGB: 0.1, currency: 'EUR' } })],
        { finance: { ...quiet, fxUncertainty: true } },
      ),
    )

  it('one driver per foreign currency, lognormal around the dated rate with sigma = yearly volatility × sqrt(H/3)', () => {
    const plan = twoInUsd()
    const fx = plan.drivers.filter((driver) => driver.name.startsWith('fx.'))
    expect(fx.map((driver) => driver.name)).toEqual(['fx.USD/EUR'])
    const driver = fx[0]
    if (!driver) throw new Error('no FX driver')
    expect(driver.distribution.central).toBeCloseTo(1, 12)
    // ln(P90) = 1.2816 × sigma for a lognormal with median 1.
    expect(Math.log(driver.distribution.quantile(0.9)) / 1.2815515655446004).toBeCloseTo(0.09 * Math.sqrt(3 / 3), 9)
  })

  it('every amount in USD moves with the same FX draw; amounts in EUR do not', () => {
    const plan = twoInUsd()
    const fxSlot = plan.drivers.findIndex((driver) => driver.name === 'fx.USD/EUR')
    const values = central(plan)
    values[fxSlot] = 1.1
    const stay = flows(plan, 'stay', Float64Array.from(values))
    const api = flows(plan, 'api', Float64Array.from(values))
    expect(stay.amount(PHASE.own, CATEGORY.computeRental, 5)).toBeCloseTo(16 * HOURS * 4 * EUR_PER_USD * 1.1, 2)
    expect(api.amount(PHASE.own, CATEGORY.tokenApi, 5)).toBeCloseTo((1e3 * 0.5 + 5e2 * 1.5) * EUR_PER_USD * 1.1, 2)
    expect(api.amount(PHASE.own, CATEGORY.egress, 5)).toBeCloseTo(100 * 0.1, 6)
  })

  it("tco.json lists the FX driver and each converted amount once, not the amount at the drawn rate as a fixed driver (before: 'NAME@fx' with P10 = P90)", () => {
    const plan = twoInUsd()
    const { result } = runTco(plan, compliance, { draws: 10_000, seed: 1 })
    const names = result.drivers.map((driver) => driver.name)
    expect(names.filter((name) => name.includes('@fx'))).toEqual([])
    expect(names.filter((name) => name === 'fx.USD/EUR')).toHaveLength(1)
    const price = result.drivers.find((driver) => driver.name === 'options.stay.pricePerGpuHour')
    // USD 4 at 1.25 USD per EUR: listed at the dated rate, and said to move with the FX draw.
    expect(price?.central).toBeCloseTo(4 / 1.25, 9)
    expect(price?.origin).toMatch(/converted at the dated rate, × fx\.USD\/EUR in each draw$/)
  })

  it('in the Monte Carlo both USD options draw the same FX: their costs move in lockstep', () => {
    const plan = compile(
      model([{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', compliance: [] }, tokenApi('USD', { migration: { startMonth: 0, dualRunningMonths: 0 } })], {
        finance: { ...quiet, fxUncertainty: true },
      }),
    )
    const draws = 2000
    const { costs } = simulateCosts(plan, draws, 7)
    const stay = costs.subarray(0, draws)
    const api = costs.subarray(draws, 2 * draws)
    const ratio = (stay[0] as number) / (api[0] as number)
    let spread = 0
    for (let draw = 0; draw < draws; draw++) spread = Math.max(spread, Math.abs((stay[draw] as number) / (api[draw] as number) - ratio))
    expect(spread).toBeLessThan(1e-9 * ratio)
    expect(Math.max(...stay) / Math.min(...stay)).toBeGreaterThan(1.1)
  })
})

describe('commitments with stranding', () => {
  it('after the exit, a 1-yr commitment keeps billing until its term ends (stranded, its own line in dual running)', () => {
    // The baseline's term began 4 months before the start: it renews at months 8, 20, 32. The move
    // starts in month 1 and cuts over in month 3: months 3–7 bill the whole committed fleet as stranded.
    const plan = compile(
      model(
        [
          { id: 'stay', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', commitmentStartMonth: -4, compliance: [] },
          eurRental('move', 2, eu, { migration: { startMonth: 1, dualRunningMonths: 2 } }),
        ],
        { finance: { ...quiet, commitments: true } },
      ),
    )
    const move = flows(plan, 'move')
    const committedMonth = 16 * HOURS * 4 * EUR_PER_USD * 0.7
    for (const month of months(36)) {
      const stranded = month >= 3 && month < 8 ? committedMonth : 0
      expect(move.amount(PHASE.dualRunning, CATEGORY.commitmentStranded, month)).toBeCloseTo(stranded, 2)
      expect(move.amount(PHASE.dualRunning, CATEGORY.computeRental, month) + move.amount(PHASE.beforeMove, CATEGORY.computeRental, month)).toBeCloseTo(
        month < 3 ? committedMonth : 0,
        2,
      )
      expect(move.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(month >= 1 ? 16 * HOURS * 2 : 0, 2)
    }
    expect(COST_CATEGORIES[CATEGORY.commitmentStranded]?.id).toBe('commitment-stranded')
  })

  it('a shrinking fleet keeps paying the GPUs it committed until the term renews', () => {
    // Terms [−6, 6), [6, 18), [18, 30), [30, 42); demand halves at each anniversary: 16, 8, 4 GPUs.
    // Month 12–17: 16 committed, 8 needed; months 24–29: 8 committed, 4 needed.
    const plan = compile(
      model(
        [{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', commitmentStartMonth: -6, compliance: [] }, eurRental('other', 1, eu)],
        {
          demand: { gpus: 16, growthPerYear: -0.5 },
          finance: { ...quiet, commitments: true },
        },
      ),
    )
    const stay = flows(plan, 'stay')
    const perGpuMonth = HOURS * 4 * EUR_PER_USD * 0.7
    for (const month of months(36)) {
      const needed = [16, 8, 4][Math.floor(month / 12)] as number
      const stranded = month >= 12 && month < 18 ? 8 : month >= 24 && month < 30 ? 4 : 0
      expect(stay.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(needed * perGpuMonth, 2)
      expect(stay.amount(PHASE.own, CATEGORY.commitmentStranded, month)).toBeCloseTo(stranded * perGpuMonth, 2)
    }
  })

  it('a commitment start outside the running term, on a new option or an unknown trend id is one line naming the field and the rule', () => {
    const bad = () =>
      compile(
        model(
          [{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', commitmentStartMonth: -12, compliance: [] }, eurRental('other', 1, eu)],
          { finance: quiet },
        ),
      )
    expect(bad).toThrow(UserError)
    expect(bad).toThrow("model.yaml: options.0.commitmentStartMonth: must lie in the running term: from -11 to 0 (months from the model's start)")
    const onDemand = () =>
      compile(
        model([{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', commitmentStartMonth: 0, compliance: [] }, eurRental('other', 1, eu)], { finance: quiet }),
      )
    expect(onDemand).toThrow('model.yaml: options.0.commitmentStartMonth: applies to a 1-yr or 3-yr commitment; this option buys on-demand')
    const newOption = () =>
      compile(
        model(
          [
            { id: 'stay', kind: 'rental', catalogRow: 'h100-usd', compliance: [] },
            { id: 'other', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', commitmentStartMonth: 0, ...eu },
          ],
          { finance: quiet },
        ),
      )
    expect(newOption).toThrow('model.yaml: options.1.commitmentStartMonth: applies to the baseline (a new option commits when its move starts)')
    const unknownTrend = () =>
      compile(
        model([{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', compliance: [] }, eurRental('other', 1, eu)], {
          finance: { priceTrends: { hoper: -0.1 } },
        }),
      )
    expect(unknownTrend).toThrow('model.yaml: finance.priceTrends.hoper: no price trend hoper in test-finance.yaml (known: hopper, token-api)')
  })
})

describe('residual value at resale and the tax shield', () => {
  const owned = (extra: Record<string, unknown> = {}) => ({
    id: 'owned',
    kind: 'owned',
    ...eu,
    serverCapexPerNode: 100_000,
    gpusPerNode: 8,
    networkStorageShare: 0.2,
    depreciationYears: 2,
    supportPerYear: 0,
    powerKwPerGpu: 1,
    powerUtilization: 0.5,
    pue: 1.5,
    energyPerKWh: 0,
    migration: { startMonth: 2, dualRunningMonths: 0 },
    ...extra,
  })

  it('servers replaced inside the horizon are sold at the resale share for their age, and those left at the horizon credited at it', () => {
    // 2 nodes bought in month 2, replaced in month 26 (age 2: 40% of the server price), the new ones
    // are 10 months old at the horizon (36): 1 − (10/12) × 0.4 = 2/3 of the server price, credited in month 35.
    const plan = compile(model([eurRental('stay', 3, eu), owned()], { finance: quiet }))
    const sink = flows(plan, 'owned')
    for (const month of months(36)) {
      expect(sink.amount(PHASE.own, CATEGORY.capexServer, month)).toBeCloseTo(month === 2 || month === 26 ? 200_000 : 0, 2)
      expect(sink.amount(PHASE.own, CATEGORY.resaleProceeds, month)).toBeCloseTo(month === 26 ? -200_000 * 0.4 : 0, 2)
      expect(sink.amount(PHASE.own, CATEGORY.residualValue, month)).toBeCloseTo(month === 35 ? (-200_000 * 2) / 3 : 0, 2)
    }
  })

  it('book value stays available (residualBasis: book), and is the default without a finance block', () => {
    const book = compile(model([eurRental('stay', 3, eu), owned({ residualBasis: 'book' })], { finance: quiet }))
    const none = compile(model([eurRental('stay', 3, eu), owned()]))
    for (const plan of [book, none]) {
      const sink = flows(plan, 'owned')
      // Bought in month 26, 10 of its 24 months used: 14/24 of server + network book value left.
      expect(sink.amount(PHASE.own, CATEGORY.residualValue, 35)).toBeCloseTo((-240_000 * 14) / 24, 2)
      expect(sink.amount(PHASE.own, CATEGORY.resaleProceeds, 26)).toBe(0)
    }
  })

  it('tax shield: straight-line depreciation of server and network capex × the rate, monthly over the life; off unless asked', () => {
    const plan = compile(
      model([eurRental('stay', 3, eu), owned({ residualBasis: 'book' })], {
        finance: { ...quiet, taxShield: {} },
      }),
    )
    const sink = flows(plan, 'owned')
    const monthly = (-0.25 * 2 * 120_000) / 24
    for (const month of months(36)) expect(sink.amount(PHASE.own, CATEGORY.taxShield, month)).toBeCloseTo(month >= 2 ? monthly : 0, 2)
    const off = flows(compile(model([eurRental('stay', 3, eu), owned()], { finance: quiet })), 'owned')
    for (const month of months(36)) expect(off.amount(PHASE.own, CATEGORY.taxShield, month)).toBe(0)
  })
})

describe('staff for rented fleets', () => {
  it('FTE = max(minimum, GPUs / GPUs per FTE) each year, at the loaded cost with staff inflation; an option may give its own', () => {
    const plan = compile(
      model(
        [eurRental('stay', 3, eu), eurRental('small', 3, eu, { gpus: 4 }), eurRental('own-staff', 3, eu, { staff: { fte: 0.5, loadedCostPerYear: 100_000 } })],
        { demand: { gpus: 16, growthPerYear: 0.5 }, finance: { ...quiet, rentedFleetStaff: {}, inflation: { staff: 0.03, energy: 0 } } },
      ),
    )
    const stay = flows(plan, 'stay')
    const small = flows(plan, 'small')
    const ownStaff = flows(plan, 'own-staff')
    for (const month of months(36)) {
      const year = Math.floor(month / 12)
      const gpus = [16, 24, 36][year] as number
      const smallGpus = [4, 6, 9][year] as number
      expect(stay.amount(PHASE.own, CATEGORY.staff, month)).toBeCloseTo(((Math.max(1, gpus / 8) * 120_000) / 12) * 1.03 ** year, 2)
      expect(small.amount(PHASE.own, CATEGORY.staff, month)).toBeCloseTo(((Math.max(1, smallGpus / 8) * 120_000) / 12) * 1.03 ** year, 2)
      expect(ownStaff.amount(PHASE.own, CATEGORY.staff, month)).toBeCloseTo(((0.5 * 100_000) / 12) * 1.03 ** year, 2)
    }
  })
})

describe('utilization ramp', () => {
  it('a new fleet bills (k + ½)/ramp of its usage in month k of its ramp, then in full; the baseline bills in full', () => {
    const plan = compile(
      model(
        [
          eurRental('stay', 5, eu),
          eurRental('move', 2, eu, { rampMonths: 4, migration: { startMonth: 1, dualRunningMonths: 5 } }),
          tokenApi('EUR', { migration: { startMonth: 0, dualRunningMonths: 2 } }),
        ],
        { finance: { ...quiet, rampMonths: 2 } },
      ),
    )
    const move = flows(plan, 'move')
    const api = flows(plan, 'api')
    const full = 16 * HOURS * 2
    const ramp = [0, 1 / 8, 3 / 8, 5 / 8, 7 / 8]
    const tokens = 1e3 * 0.5 + 5e2 * 1.5
    for (const month of months(36)) {
      expect(move.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(month < 5 ? full * (ramp[month] as number) : full, 2)
      expect(move.amount(PHASE.dualRunning, CATEGORY.computeRental, month)).toBeCloseTo(month >= 1 && month < 6 ? 16 * HOURS * 5 : 0, 2)
      expect(api.amount(PHASE.own, CATEGORY.tokenApi, month)).toBeCloseTo(month === 0 ? tokens / 4 : month === 1 ? (tokens * 3) / 4 : tokens, 2)
    }
  })

  it('a ramp across a model year scales each year’s usage (GPU-hours and their quantity, egress, energy) by its month’s share; support and staff bill in full', () => {
    const plan = compile(
      model(
        [
          eurRental('stay', 5, eu),
          eurRental('move', 2, eu, { egress: { gbPerMonth: 100, perGB: 0.05 }, rampMonths: 4, migration: { startMonth: 10, dualRunningMonths: 1 } }),
          {
            id: 'owned',
            kind: 'owned',
            ...eu,
            serverCapexPerNode: 240_000,
            gpusPerNode: 8,
            networkStorageShare: 0,
            depreciationYears: 5,
            supportPerYear: 0.1,
            powerKwPerGpu: 1,
            powerUtilization: 0.5,
            pue: 1.5,
            energyPerKWh: 0.2,
            staff: { fte: 1, loadedCostPerYear: 120_000 },
            rampMonths: 4,
            migration: { startMonth: 10, dualRunningMonths: 1 },
          },
        ],
        { demand: { gpus: 16, tokensPerMonth: { input: 1e9, output: 5e8 }, growthPerYear: 0.5 }, finance: quiet },
      ),
    )
    const move = flows(plan, 'move')
    const owned = flows(plan, 'owned')
    // Months 10–13 of the ramp carry 1/8, 3/8, 5/8, 7/8; months 12 and 13 are in year 1, where demand is 16 × 1.5 = 24 GPUs.
    const share = (month: number): number => (month < 10 ? 0 : month < 14 ? (2 * (month - 10) + 1) / 8 : 1)
    const gpus = (month: number): number => (month < 12 ? 16 : month < 24 ? 24 : 36)
    for (const month of months(36)) {
      const hours = gpus(month) * HOURS * share(month)
      expect(move.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(hours * 2, 2)
      expect(move.quantity(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(hours, 6)
      const gb = (100 * gpus(month) * share(month)) / 16
      expect(move.amount(PHASE.own, CATEGORY.egress, month)).toBeCloseTo(gb * 0.05, 6)
      expect(move.quantity(PHASE.own, CATEGORY.egress, month)).toBeCloseTo(gb, 6)
      // Owned: nodes of 8 GPUs (2, then 3, then 5 nodes), energy at 1 kW × 0.5 × PUE 1.5 per GPU ramped; support 10 %/yr of the capex and 1 FTE not.
      const nodes = month < 10 ? 0 : Math.ceil(gpus(month) / 8)
      const kwh = nodes * 8 * 1 * 0.5 * 1.5 * HOURS * share(month)
      expect(owned.amount(PHASE.own, CATEGORY.power, month)).toBeCloseTo(kwh * 0.2, 4)
      expect(owned.quantity(PHASE.own, CATEGORY.power, month)).toBeCloseTo(kwh, 6)
      expect(owned.amount(PHASE.own, CATEGORY.support, month)).toBeCloseTo((nodes * 240_000 * 0.1) / 12, 4)
      expect(owned.amount(PHASE.own, CATEGORY.staff, month)).toBeCloseTo(month < 10 ? 0 : 120_000 / 12, 4)
    }
  })

  it('a committed new fleet bills its committed GPUs in full during its ramp: the idle share as commitment-stranded (unused)', () => {
    // Before: a 1-yr commitment from the move's start billed only (k + ½)/ramp of its GPUs in the ramp's months.
    const plan = compile(
      model(
        [
          eurRental('stay', 5, eu),
          { id: 'move', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', ...eu, migration: { startMonth: 2, dualRunningMonths: 3 } },
        ],
        { finance: { ...quiet, commitments: true, rampMonths: 3 } },
      ),
    )
    const move = flows(plan, 'move')
    // 16 GPUs × 730 h × USD 4 at 1.25 USD/EUR, 30% off for 1 year: the committed fleet's month.
    const committedMonth = 16 * HOURS * (4 / 1.25) * 0.7
    for (const month of months(36)) {
      const used = month < 2 ? 0 : month < 5 ? committedMonth * ((month - 2 + 0.5) / 3) : committedMonth
      expect(move.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(used, 2)
      expect(move.amount(PHASE.own, CATEGORY.commitmentStranded, month)).toBeCloseTo(month >= 2 && month < 5 ? committedMonth - used : 0, 2)
    }
    expect(plan.options.find((option) => option.id === 'move')?.notes.join(' ')).toMatch(/committed GPUs bill in full/)
  })
})

describe('the mechanics together', () => {
  it('the Monte Carlo sink gives the NPV numpy-financial gives on the monthly totals, every mechanic on', () => {
    const plan = compile(
      model(
        [
          { id: 'stay', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', commitmentStartMonth: -5, compliance: [] },
          eurRental('move', 2, eu, { pricingModel: 'on-demand', migration: { startMonth: 2, dualRunningMonths: 2.5 } }),
          {
            id: 'owned',
            kind: 'owned',
            ...eu,
            currency: 'USD',
            serverCapexPerNode: 250_000,
            gpusPerNode: 8,
            networkStorageShare: 0.2,
            depreciationYears: 2,
            supportPerYear: 0.1,
            powerKwPerGpu: 1.2,
            powerUtilization: 0.7,
            pue: 1.4,
            energyPerKWh: 0.15,
            staff: { fte: 1, loadedCostPerYear: 150_000 },
            migration: { startMonth: 3, dualRunningMonths: 3 },
          },
          tokenApi('USD', { migration: { startMonth: 1, dualRunningMonths: 1 } }),
        ],
        { demand: { gpus: 16, tokensPerMonth: { input: 1e9, output: 5e8 }, growthPerYear: 0.3 }, finance: { rampMonths: 3, taxShield: {} } },
      ),
    )
    const values = central(plan)
    values[plan.drivers.findIndex((driver) => driver.name === 'fx.USD/EUR')] = 0.93
    prepareDraw(plan, values)
    for (const { fast, reference } of presentValuesTwoWays(plan, values, 0.08)) expect(Math.abs(fast - reference) / Math.abs(reference)).toBeLessThan(1e-12)
  })

  it('without a finance block no mechanic applies: no finance or FX drivers, constant prices', () => {
    const plan = compile(model([{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', pricingModel: '1-yr', compliance: [] }, tokenApi('USD')]))
    expect(plan.drivers.filter((driver) => /^(finance|fx)\./.test(driver.name))).toEqual([])
    const stay = flows(plan, 'stay')
    for (const month of months(36)) {
      expect(stay.amount(PHASE.own, CATEGORY.computeRental, month)).toBeCloseTo(16 * HOURS * 4 * EUR_PER_USD * 0.7, 2)
      expect(stay.amount(PHASE.own, CATEGORY.staff, month)).toBe(0)
    }
  })

  it('the built-in finance file loads; every entry has a source, a date and a confidence', () => {
    const builtIn = loadFinanceMechanics()
    const entries = [
      ...builtIn.data.priceTrends,
      builtIn.data.inflation.staff,
      builtIn.data.inflation.energy,
      ...builtIn.data.fx.volatilities,
      builtIn.data.resale,
      builtIn.data.rentedFleetStaff,
      builtIn.data.ramp,
      builtIn.data.taxShield,
    ]
    for (const entry of entries) {
      expect(entry.source.length).toBeGreaterThan(10)
      expect(entry.date).toMatch(/^\d{4}-\d{2}/)
      expect(['high', 'medium', 'low', 'assumption']).toContain(entry.confidence)
    }
  })

  it('a wrong finance file is one line naming the file, the field and the rule', () => {
    const bad = () =>
      compileModel(
        tcoModelSchema.parse(
          model([{ id: 'stay', kind: 'rental', catalogRow: 'h100-usd', compliance: [] }, eurRental('b', 1, eu)], {
            finance: { file: 'test/fixtures/no-such-finance.yaml' },
          }),
        ),
        'model.yaml',
        compliance,
        prices,
      )
    expect(bad).toThrow(UserError)
    expect(bad).toThrow(/^test\/fixtures\/no-such-finance\.yaml: cannot read the file/)
  })
})

describe('geopat tco with finance mechanics', () => {
  const work = mkdtempSync(join(tmpdir(), 'geopat-mechanics-'))
  const example = readFileSync('scenarios/tco-eu-exit.yaml', 'utf8')
  // The example model names its inventory (compliance.inventory) relative to its own folder.
  copyFileSync('scenarios/eu-exit-inventory.yaml', join(work, 'eu-exit-inventory.yaml'))

  it('bad finance input is one line naming the file, the field and the rule (exit 2)', async () => {
    const badModel = join(work, 'bad-inflation.yaml')
    writeFileSync(badModel, example.replace('finance: {}', 'finance: { inflation: { staff: 3 } }'))
    const model = await runCli(['tco', badModel, '--out', join(work, 'bad-1')])
    expect(model.exitCode).toBe(2)
    expect(expectOneLineError(model)).toBe(
      `Error: ${badModel}: finance.inflation.staff: must be a yearly rate from -0.9 to 1 (-0.08 = -8%/yr), every value of the distribution`,
    )

    const badFile = join(work, 'finance.yaml')
    writeFileSync(
      badFile,
      readFileSync('data/finance/mechanics.yaml', 'utf8').replace('{ ageYears: 2, fraction: 0.425 }', '{ ageYears: 0.5, fraction: 0.425 }'),
    )
    const withFile = join(work, 'with-file.yaml')
    writeFileSync(withFile, example.replace('finance: {}', `finance: { file: '${badFile}' }`))
    const file = await runCli(['tco', withFile, '--out', join(work, 'bad-2')])
    expect(file.exitCode).toBe(2)
    expect(expectOneLineError(file)).toBe(`Error: ${badFile}: resale.curve: ages must increase from one point to the next`)
  }, 60_000)
})
