import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadComplianceData } from '../../src/tco/compliance-tax.js'
import { DrawSink, sampleDrivers, simulateCosts } from '../../src/tco/monte-carlo.js'
import { emitOption, prepareDraw } from '../../src/tco/evaluate.js'
import { MonthlySink, PresentValueSink } from '../../src/tco/sinks.js'
import { applySizing } from '../../src/tco/from-sizing.js'
import { runTcoModel } from '../../src/app/tco.js'
import { formatTco, money } from '../../src/cli/render/tco-table.js'
import type { ModelPlan } from '../../src/tco/model-plan.js'
import { type PriceSource, compileModel } from '../../src/tco/compile.js'
import { driverVariables } from '../../src/tco/drivers.js'
import { makeDistribution } from '../../src/tco/distributions.js'
import { runTco } from '../../src/tco/engine.js'
import { parseWithSchema } from '../../src/io/schema/load-file.js'
import type { SizingResult } from '../../src/io/schema/sizing.js'
import { type TcoModel, tcoModelSchema } from '../../src/io/schema/tco-model.js'
import { UserError } from '../../src/util/errors.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { sizingFixture } from '../helpers/sizing-fixture.js'
import { IN_FINLAND, IN_GERMANY, REFERENCE_SERVER, US_OWNED_IN_SWEDEN, eurRental } from '../helpers/tco-model.js'

/**
 * Shared drivers, rank correlations and the basis of the headline figures (issue 17, scope 3).
 * Every expected figure is recomputed here from the draws or the distributions, not read from the
 * code's own summaries.
 */

const compliance = loadComplianceData()
const prices: PriceSource = {
  row: () => undefined,
  rate: (from, to, context) => {
    if (from === 'USD' && to === 'EUR') return 1 / 1.175
    throw new UserError(`${context}: no exchange rate from ${from} to ${to}`)
  },
  discount: () => undefined,
}

function compile(model: unknown): ModelPlan {
  return compileModel(parseWithSchema('model.yaml', tcoModelSchema, model), 'model.yaml', compliance, prices)
}

/** A sizing.json with one endpoint whose GPU range is 8–24, mode 16 (or the range given), under each label. */
function sizing(gpus = { low: 8, total: 16, high: 24 }, labels = ['eu']): SizingResult {
  return sizingFixture(gpus, { labels })
}

/** Two rental offers identical in everything but the price per GPU-hour (the second +10%), both sized from the same endpoint. */
function priceTwin(): TcoModel {
  const offer = (id: string, perGpuHour: number) => ({
    id,
    kind: 'rental',
    price: { perGpuHour, currency: 'EUR' },
    seal: 'SEAL-3',
    jurisdiction: { region: 'FI', parent: 'FI' },
    compliance: [],
    gpusFromSizing: 'eu',
  })
  const model = parseWithSchema('twin.yaml', tcoModelSchema, {
    name: 'twin',
    currency: 'EUR',
    startMonth: '2026-10',
    horizonYears: 4,
    wacc: { triangular: [0.06, 0.08, 0.1] },
    demand: { gpus: 16, growthPerYear: { triangular: [0.1, 0.25, 0.4] } },
    options: [offer('cheap', 2.5), { ...offer('dear', 2.75), migration: { startMonth: 0, dualRunningMonths: 0, revalidationCost: 0 } }],
  })
  return applySizing(model, 'twin.yaml', { file: 'sizing.json', sizing: sizing() }).model
}

/** Spearman's ρ: Pearson's correlation of the ranks (no ties in continuous draws). */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ranks = (values: ArrayLike<number>): Float64Array => {
    const order = Array.from({ length: values.length }, (_, i) => i).sort((x, y) => (values[x] as number) - (values[y] as number))
    const out = new Float64Array(values.length)
    order.forEach((index, rank) => {
      out[index] = rank
    })
    return out
  }
  const ra = ranks(a)
  const rb = ranks(b)
  const n = ra.length
  const mean = (n - 1) / 2
  let cov = 0
  let va = 0
  let vb = 0
  for (let i = 0; i < n; i++) {
    const da = (ra[i] as number) - mean
    const db = (rb[i] as number) - mean
    cov += da * db
    va += da * da
    vb += db * db
  }
  return cov / Math.sqrt(va * vb)
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort()
  const middle = (sorted.length - 1) / 2
  return ((sorted[Math.floor(middle)] as number) + (sorted[Math.ceil(middle)] as number)) / 2
}

describe('shared drivers', () => {
  it('two offers sized from the same sizing draw one GPU count: the one 10% dearer saves in ≤ 1% of draws', () => {
    const model = priceTwin()
    const plan = compileModel(model, 'twin.yaml', compliance, prices)
    const { result } = runTco(plan, compliance, { draws: 10_000, seed: 3 })
    const dear = result.options.find((option) => option.id === 'dear')
    expect(dear?.monteCarlo?.savings?.probabilityPositive).toBeLessThanOrEqual(0.01)

    // Recomputed from the draws: the dearer one costs 10% more in every draw (same fleet, same growth, same WACC).
    const draws = 10_000
    const { costs } = simulateCosts(plan, draws, 3)
    for (let draw = 0; draw < draws; draw += 97) {
      expect((costs[draws + draw] as number) / (costs[draw] as number)).toBeCloseTo(1.1, 9)
    }

    // Drawn independently (each option its own GPU count, as before), the dearer one looked cheaper in a large share of draws.
    const unshared = {
      ...model,
      options: model.options.map((option) => {
        if (option.kind === 'token-api' || option.gpus === undefined || typeof option.gpus !== 'object' || !('triangular' in option.gpus)) return option
        return { ...option, gpus: { triangular: option.gpus.triangular } }
      }),
    }
    const independent = runTco(compileModel(unshared, 'twin.yaml', compliance, prices), compliance, { draws: 10_000, seed: 3 }).result
    expect(independent.options.find((option) => option.id === 'dear')?.monteCarlo?.savings?.probabilityPositive).toBeGreaterThan(0.1)
  })

  it('members of one key take the same value when their distributions agree, and the same quantile when they differ', () => {
    const plan = compile({
      name: 'shared',
      currency: 'EUR',
      startMonth: '2026-10',
      horizonYears: 3,
      wacc: 0.08,
      demand: { gpus: 16 },
      options: [
        {
          id: 'a',
          kind: 'rental',
          price: { perGpuHour: { triangular: [2, 2.5, 3], shared: 'price.h100' }, currency: 'EUR' },
          seal: 'SEAL-3',
          jurisdiction: { region: 'FI', parent: 'FI' },
        },
        {
          id: 'b',
          kind: 'rental',
          price: { perGpuHour: { triangular: [2, 2.5, 3], shared: 'price.h100' }, currency: 'EUR' },
          seal: 'SEAL-3',
          jurisdiction: { region: 'FI', parent: 'FI' },
        },
        {
          id: 'c',
          kind: 'rental',
          price: { perGpuHour: { pert: [1, 4, 5], shared: 'price.h100' }, currency: 'EUR' },
          seal: 'SEAL-3',
          jurisdiction: { region: 'FI', parent: 'FI' },
        },
      ],
    })
    const slot = (name: string): number => plan.drivers.findIndex((driver) => driver.name === name)
    const [a, b, c] = ['options.a.pricePerGpuHour', 'options.b.pricePerGpuHour', 'options.c.pricePerGpuHour'].map(slot) as [number, number, number]
    expect(plan.variables.filter((variable) => variable.name === 'price.h100')).toHaveLength(1)
    const draws = 5_000
    const values = sampleDrivers(plan, draws, 11)
    const count = plan.drivers.length
    const column = (s: number): Float64Array => Float64Array.from({ length: draws }, (_, d) => values[d * count + s] as number)
    expect(column(a)).toEqual(column(b))
    expect(spearman(column(a), column(c))).toBeCloseTo(1, 12)
    // The tornado moves the key as one bar, not one bar per option.
    const { result } = runTco(plan, compliance, { draws: 10_000, seed: 1 })
    const bars = result.tornado.flatMap((entry) => entry.bars.map((bar) => bar.driver))
    expect(bars.filter((name) => name.startsWith('options.') && name.endsWith('pricePerGpuHour'))).toEqual([])
    expect(bars).toContain('price.h100')
  })
})

describe('rank correlations (Iman–Conover)', () => {
  const correlated = (pairs: Array<{ between: [string, string]; rank: number }>) => ({
    name: 'corr',
    currency: 'EUR',
    startMonth: '2026-10',
    horizonYears: 3,
    wacc: { triangular: [0.06, 0.08, 0.1] },
    demand: { gpus: { lognormal: { p10: 12, p90: 20 } }, growthPerYear: { pert: [0, 0.2, 0.6] } },
    options: [
      {
        id: 'a',
        kind: 'rental',
        price: { perGpuHour: { triangular: [2, 2.5, 4] }, currency: 'EUR' },
        seal: 'SEAL-3',
        jurisdiction: { region: 'FI', parent: 'FI' },
      },
      { id: 'b', kind: 'rental', price: { perGpuHour: 3, currency: 'EUR' }, seal: 'SEAL-3', jurisdiction: { region: 'FI', parent: 'FI' } },
    ],
    correlations: pairs,
  })

  it("the sample's Spearman correlations come back within sampling error of the asked ones; the marginals are unchanged", () => {
    const asked: Array<{ between: [string, string]; rank: number }> = [
      { between: ['demand.gpus', 'demand.growthPerYear'], rank: 0.6 },
      { between: ['demand.growthPerYear', 'options.a.pricePerGpuHour'], rank: -0.4 },
      { between: ['wacc', 'options.a.pricePerGpuHour'], rank: 0.3 },
    ]
    const plan = compile(correlated(asked))
    const draws = 20_000
    const values = sampleDrivers(plan, draws, 5)
    const count = plan.drivers.length
    const column = (name: string): Float64Array => {
      const s = plan.drivers.findIndex((driver) => driver.name === name)
      return Float64Array.from({ length: draws }, (_, d) => values[d * count + s] as number)
    }
    // Standard error of Spearman's ρ near ρ: about (1 − ρ²)/√(N) × 1.06 (Fieller, Hartley & Pearson 1957); 4 of them.
    for (const { between, rank } of asked) {
      const tolerance = (4 * 1.06 * (1 - rank * rank)) / Math.sqrt(draws)
      expect(Math.abs(spearman(column(between[0]), column(between[1])) - rank)).toBeLessThan(tolerance)
    }
    // Pairs not listed stay near 0.
    expect(Math.abs(spearman(column('demand.gpus'), column('wacc')))).toBeLessThan(0.15)

    // Marginals: the same draws as without the correlation (rank 0 reorders the same uniforms), only paired differently.
    const unpaired = sampleDrivers(compile(correlated(asked.map((pair) => ({ ...pair, rank: 0 })))), draws, 5)
    for (const name of ['demand.gpus', 'demand.growthPerYear', 'options.a.pricePerGpuHour', 'wacc']) {
      const s = plan.drivers.findIndex((driver) => driver.name === name)
      const before = Float64Array.from({ length: draws }, (_, d) => unpaired[d * count + s] as number).sort()
      expect(column(name).sort()).toEqual(before)
      // …and they follow the distribution: its P10, P50 and P90 within 2% of the sample's.
      const distribution = plan.drivers[s]?.distribution
      const sorted = column(name).sort()
      for (const p of [0.1, 0.5, 0.9]) {
        const expected = distribution?.quantile(p) as number
        expect(Math.abs((sorted[Math.round(p * (draws - 1))] as number) - expected)).toBeLessThan(0.02 * Math.abs(expected) + 1e-3)
      }
    }
  })

  it('a matrix that no set of inputs can have, an unknown name or a rank outside [−1, 1] is one line naming the file, field and rule', () => {
    expect(() =>
      compile(
        correlated([
          { between: ['demand.gpus', 'demand.growthPerYear'], rank: 0.9 },
          { between: ['demand.growthPerYear', 'wacc'], rank: 0.9 },
          { between: ['demand.gpus', 'wacc'], rank: -0.9 },
        ]),
      ),
    ).toThrow(/^model\.yaml: correlations: the rank correlations among .* are not positive definite/)
    expect(() => compile(correlated([{ between: ['demand.gpus', 'demand.growth'], rank: 0.5 }]))).toThrow(
      /^model\.yaml: correlations\.0\.between\.1: no uncertain driver or shared key demand\.growth \(known: /,
    )
    expect(() => compile(correlated([{ between: ['demand.gpus', 'options.b.pricePerGpuHour'], rank: 0.5 }]))).toThrow(
      /^model\.yaml: correlations\.0\.between\.1: options\.b\.pricePerGpuHour is a fixed number/,
    )
    expect(() =>
      compile(
        correlated([
          { between: ['demand.gpus', 'wacc'], rank: 0.5 },
          { between: ['wacc', 'demand.gpus'], rank: 0.2 },
        ]),
      ),
    ).toThrow(/^model\.yaml: correlations\.1: the pair wacc – demand\.gpus is given twice/)
    for (const thrown of [() => compile(correlated([{ between: ['demand.gpus', 'wacc'], rank: 1.5 }]))]) {
      expect(thrown).toThrow(UserError)
      expect(thrown).toThrow(/correlations\.0\.rank: must be a rank correlation from -1 to 1/)
    }
  })
})

describe('rank correlations on the command line', () => {
  it('geopat tco with an impossible correlation matrix exits 2 with one line naming the file, field and rule', async () => {
    const work = mkdtempSync(join(tmpdir(), 'geopat-tco-corr-'))
    const file = join(work, 'model.yaml')
    const text = readFileSync('scenarios/tco-eu-exit.yaml', 'utf8')
    // The example model names its inventory (compliance.inventory) relative to its own folder.
    copyFileSync('scenarios/eu-exit-inventory.yaml', join(work, 'eu-exit-inventory.yaml'))
    writeFileSync(
      file,
      `${text}\ncorrelations:\n  - { between: [demand.growthPerYear, wacc], rank: 0.9 }\n  - { between: [wacc, compliance.dpfReserveRatePerYear], rank: 0.9 }\n  - { between: [demand.growthPerYear, compliance.dpfReserveRatePerYear], rank: -0.9 }\n`,
    )
    const run = await runCli(['tco', file, '--out', join(work, 'out')])
    expect(run.exitCode).toBe(2)
    expect(expectOneLineError(run)).toMatch(/^Error: .*model\.yaml: correlations: the rank correlations among .* are not positive definite/)
    writeFileSync(file, `${text}\ncorrelations:\n  - { between: [demand.growthPerYear, wacc], rank: 1.2 }\n`)
    const rank = await runCli(['tco', file, '--out', join(work, 'out-2')])
    expect(rank.exitCode).toBe(2)
    expect(expectOneLineError(rank)).toMatch(/^Error: .*model\.yaml: correlations\.0\.rank: must be a rank correlation from -1 to 1/)
  }, 60_000)
})

describe('headline figures on one basis', () => {
  it('a P50 saving is the median of the per-draw differences (option vs baseline in the same draw), recomputed from the draws', () => {
    const plan = compileModel(priceTwin(), 'twin.yaml', compliance, prices)
    const draws = 10_000
    const { result } = runTco(plan, compliance, { draws, seed: 8 })
    const { costs } = simulateCosts(plan, draws, 8)
    const saved = Float64Array.from({ length: draws }, (_, d) => (costs[d] as number) - (costs[draws + d] as number))
    const dear = result.options.find((option) => option.id === 'dear')
    expect(dear?.monteCarlo?.savings?.p50).toBeCloseTo(median(saved), 6)
  })
})

/** Every kind of option, fixed inputs, a fractional dual-running window: the sinks and paybacks must agree month by month. */
const fixedModel = {
  name: 'fixed',
  currency: 'EUR',
  startMonth: '2026-10',
  horizonYears: 4,
  wacc: 0.08,
  demand: { gpus: 16, tokensPerMonth: { input: 3e10, output: 1e10 }, growthPerYear: 0.2 },
  options: [
    eurRental('stay', 6, US_OWNED_IN_SWEDEN, { egress: { gbPerMonth: 1000, perGB: 0.08 } }),
    eurRental('eu', 2.5, IN_FINLAND, { migration: { startMonth: 1, dualRunningMonths: 2.5, revalidationCost: 10_000 } }),
    { id: 'owned', kind: 'owned', ...IN_GERMANY, ...REFERENCE_SERVER, depreciationYears: 3, migration: { startMonth: 2, dualRunningMonths: 3.25 } },
    {
      id: 'api',
      kind: 'token-api',
      price: { inputPerMtok: 0.49, outputPerMtok: 0.71, currency: 'EUR' },
      ...IN_GERMANY,
      migration: { startMonth: 1, dualRunningMonths: 1.5 },
    },
  ],
}

describe("the Monte Carlo's per-draw sink", () => {
  it('books every month as the deterministic run does: the same monthly totals, NPV and payback', () => {
    const plan = compile(fixedModel)
    const values = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
    prepareDraw(plan, values)
    const months = new Float64Array(plan.months)
    for (const option of plan.options) {
      const monthly = new MonthlySink(plan.months)
      const present = new PresentValueSink(plan)
      const draw = new DrawSink(plan)
      emitOption(plan, option, values, monthly)
      emitOption(plan, option, values, present)
      emitOption(plan, option, values, draw)
      const pv = draw.finish(months)
      const totals = monthly.totals()
      for (let month = 0; month < plan.months; month++) expect(months[month]).toBeCloseTo(totals[month] as number, 6)
      expect(pv).toBeCloseTo(present.total, 4)
    }
    // Every input fixed at its mode (the compliance defaults are uncertain): each draw is the deterministic case, its payback the deterministic payback.
    for (const driver of plan.drivers) driver.distribution = makeDistribution(driver.distribution.central)
    plan.variables = driverVariables(plan.drivers)
    expect(plan.variables).toEqual([])
    const { result } = runTco(plan, compliance, { draws: 1_000, seed: 1 })
    const { paybacks, costs } = simulateCosts(plan, 3, 1)
    plan.options.forEach((option, index) => {
      const described = result.options[index]
      expect(costs[index * 3]).toBeCloseTo(described?.deterministic?.npvCost as number, 4)
      if (option.isBaseline) return
      const expected = described?.savings?.paybackMonth
      expect(paybacks[index * 3]).toBe(expected === null ? Number.POSITIVE_INFINITY : expected)
      expect(described?.monteCarlo?.paybackMonth?.p50).toBe(expected)
    })
  })
})

describe('eu-exit: the headline basis', () => {
  it("each option's headline NPV is its Monte Carlo P50 and lies inside its P10–P90; the deterministic case has its own labelled table", () => {
    const work = mkdtempSync(join(tmpdir(), 'geopat-tco-basis-'))
    // A sizing whose mode sits at the low end of its range: the deterministic case lies outside the P10–P90 of skewed costs.
    mkdirSync(join(work, 'size'), { recursive: true })
    writeFileSync(join(work, 'size', 'sizing.json'), JSON.stringify(sizing({ low: 8, total: 8, high: 16 }, ['us-hyperscaler', 'eu-regional'])))
    const { result } = runTcoModel({ modelFile: 'scenarios/tco-eu-exit.yaml', catalogFiles: [], fxFiles: [], seed: 1, from: work, outDir: join(work, 'tco') })
    const table = formatTco(result).split('\n')
    const evaluated = result.options.filter((option) => option.monteCarlo !== null)
    expect(evaluated.length).toBeGreaterThanOrEqual(4)
    for (const option of evaluated) {
      const cost = option.monteCarlo?.npvCost
      if (!cost) continue
      expect(cost.p10).toBeLessThanOrEqual(cost.p50)
      expect(cost.p50).toBeLessThanOrEqual(cost.p90)
      // The table's headline cell is that P50 with its P10–P90.
      const row = table.find((line) => line.startsWith(option.id))
      expect(row).toContain(`${money(cost.p50)} [${money(cost.p10)} – ${money(cost.p90)}]`)
      const saving = option.monteCarlo?.savings
      if (saving) {
        expect(saving.p10).toBeLessThanOrEqual(saving.p50)
        expect(saving.p50).toBeLessThanOrEqual(saving.p90)
        expect(row).toContain(`${money(saving.p50)} [${money(saving.p10)} – ${money(saving.p90)}]`)
      }
    }
    // The deterministic figures appear only under their own label.
    const label = table.findIndex((line) => line.startsWith('deterministic (inputs at their modes)'))
    expect(label).toBeGreaterThan(0)
    const stay = result.options.find((option) => option.id === 'stay-aws')
    expect(table.slice(0, label).join('\n')).not.toContain(money(stay?.deterministic?.npvCost as number))
    expect(result.basis?.headline).toMatch(/P50 with P10-P90/)
    expect(result.basis?.deterministic).toMatch(/^deterministic \(inputs at their modes/)
    // The two offers sized from us-hyperscaler share one draw of its GPUs.
    expect(result.monteCarlo.sharedDrivers?.find((shared) => shared.key === 'sizing.us-hyperscaler.gpus')?.drivers).toEqual([
      'options.stay-aws.gpus',
      'options.hyperscaler-sovereign.gpus',
    ])
  }, 60_000)
})
