import { quantile, quickselect } from 'simple-statistics'
import { type Random, deriveSeed, seededRandom } from '../util/rng.js'
import { imanConover } from './correlation.js'
import type { Distribution } from './distributions.js'
import { emitOption, prepareDraw } from './evaluate.js'
import { DiscountingSink } from './sinks.js'
import type { ModelPlan } from './model-plan.js'

/**
 * Seeded Monte Carlo over the uncertain drivers of a compiled TCO model. Each uncertain driver
 * draws from its own stream, seeded from the run's seed and the driver's name, so a driver's draws
 * depend on nothing else (adding a driver to the model leaves the others' draws as they were), and
 * the same seed gives the same result bit for bit. Drivers that share a key (`shared: KEY`: a
 * sizing's GPU count, an FX rate, a price trend) are one quantity: one stream, seeded from the key,
 * gives one uniform per draw and every member takes its own quantile at it. The model's rank
 * correlations are induced by Iman–Conover (correlation.ts) on the uniforms of the quantities
 * they name; every other quantity is independent.
 * Per draw nothing is allocated: one Float64Array of values is overwritten, the compiled model's
 * scratch arrays are refilled, and present values are summed by a reused sink.
 */

export interface Quantiles {
  p10: number
  p50: number
  p90: number
  mean: number
}

export interface MonteCarloResult {
  draws: number
  seed: number
  uncertainDrivers: number
  /** Per option (index as in the plan): quantiles of the NPV of its costs; null when not evaluated (excluded by the gate). */
  npvCost: Array<Quantiles | null>
  /** Per option: savings against the baseline (baseline cost − option cost) and P(savings > 0); null for the baseline and excluded options. */
  savings: Array<(Quantiles & { probabilityPositive: number }) | null>
  /** Per option: the payback month of the move per draw, as quantiles; null for the baseline and excluded options. */
  payback: Array<PaybackQuantiles | null>
}

/** Payback months by the nearest rank (whole months); null: that quantile does not pay back within the horizon. */
export interface PaybackQuantiles {
  p10: number | null
  p50: number | null
  p90: number | null
  /** Share of draws that pay back within the horizon. */
  probabilityWithinHorizon: number
}

/** Options the Monte Carlo evaluates: the feasible ones, and the baseline always (it is what savings are measured against). */
export function evaluatedOptions(plan: ModelPlan): boolean[] {
  return plan.options.map((option) => option.isBaseline || option.gate.feasible)
}

/** 32-bit FNV-1a of a driver's name: its stream number. */
function streamOf(name: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** How the uncertain quantities of a plan are drawn, set up once per run (streams, correlated columns). */
interface Sampler {
  /** Drivers on their own, uncorrelated: the distribution's own sampler on the driver's stream (as before shared drivers existed). */
  loneSlots: number[]
  loneDistributions: Distribution[]
  loneStreams: Random[]
  /** Shared keys, uncorrelated: one uniform per draw from the key's stream; each member at its quantile. */
  sharedStreams: Random[]
  sharedSlots: number[][]
  sharedDistributions: Distribution[][]
  /** Correlated quantities: their uniforms for every draw, reordered by Iman–Conover; each member at its quantile. */
  correlatedColumns: Float64Array[]
  correlatedSlots: number[][]
  correlatedDistributions: Distribution[][]
}

/** The smallest uniform used for a quantile: a lognormal's quantile at 0 would be 0. */
const TINY = 2 ** -54

function makeSampler(plan: ModelPlan, draws: number, seed: number): Sampler {
  const sampler: Sampler = {
    loneSlots: [],
    loneDistributions: [],
    loneStreams: [],
    sharedStreams: [],
    sharedSlots: [],
    sharedDistributions: [],
    correlatedColumns: [],
    correlatedSlots: [],
    correlatedDistributions: [],
  }
  const correlated = new Set(plan.correlations.variables)
  const streamFor = (name: string): Random => seededRandom(deriveSeed(seed, streamOf(name)))
  plan.variables.forEach((variable, index) => {
    const distributions = variable.slots.map((slot) => (plan.drivers[slot] as (typeof plan.drivers)[number]).distribution)
    if (correlated.has(index)) return
    if (!variable.shared) {
      sampler.loneSlots.push(variable.slots[0] as number)
      sampler.loneDistributions.push(distributions[0] as Distribution)
      sampler.loneStreams.push(streamFor(variable.name))
      return
    }
    sampler.sharedStreams.push(streamFor(variable.name))
    sampler.sharedSlots.push(variable.slots)
    sampler.sharedDistributions.push(distributions)
  })
  if (plan.correlations.variables.length > 0) {
    const ranks: Random[] = []
    for (const index of plan.correlations.variables) {
      const variable = plan.variables[index] as (typeof plan.variables)[number]
      const stream = streamFor(variable.name)
      const column = new Float64Array(draws)
      for (let draw = 0; draw < draws; draw++) column[draw] = stream.next()
      sampler.correlatedColumns.push(column)
      sampler.correlatedSlots.push(variable.slots)
      sampler.correlatedDistributions.push(variable.slots.map((slot) => (plan.drivers[slot] as (typeof plan.drivers)[number]).distribution))
      ranks.push(streamFor(`${variable.name}#ranks`))
    }
    imanConover(sampler.correlatedColumns, plan.correlations.matrix, ranks)
  }
  return sampler
}

/** Overwrites the uncertain slots of `values` with draw number `draw`. */
function drawValues(sampler: Sampler, draw: number, values: Float64Array): void {
  const { loneSlots, loneDistributions, loneStreams } = sampler
  for (let k = 0; k < loneSlots.length; k++) values[loneSlots[k] as number] = (loneDistributions[k] as Distribution).sample(loneStreams[k] as Random)
  for (let g = 0; g < sampler.sharedStreams.length; g++) {
    const u = (sampler.sharedStreams[g] as Random).next() || TINY
    const slots = sampler.sharedSlots[g] as number[]
    const distributions = sampler.sharedDistributions[g] as Distribution[]
    for (let m = 0; m < slots.length; m++) values[slots[m] as number] = (distributions[m] as Distribution).quantile(u)
  }
  for (let c = 0; c < sampler.correlatedColumns.length; c++) {
    const u = ((sampler.correlatedColumns[c] as Float64Array)[draw] as number) || TINY
    const slots = sampler.correlatedSlots[c] as number[]
    const distributions = sampler.correlatedDistributions[c] as Distribution[]
    for (let m = 0; m < slots.length; m++) values[slots[m] as number] = (distributions[m] as Distribution).quantile(u)
  }
}

/**
 * The driver values of every draw, draw-major: values[draw × drivers + slot]. For tests and
 * diagnostics (the Monte Carlo itself never keeps them): the same draws simulateCosts prices.
 */
export function sampleDrivers(plan: ModelPlan, draws: number, seed: number): Float64Array {
  const sampler = makeSampler(plan, draws, seed)
  const count = plan.drivers.length
  const values = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const out = new Float64Array(draws * count)
  for (let draw = 0; draw < draws; draw++) {
    drawValues(sampler, draw, values)
    out.set(values, draw * count)
  }
  return out
}

/**
 * The Monte Carlo's sink: each option's month-by-month totals in one draw, kept as a difference
 * array (a range adds at its first and last month and one step between; fractional ends pro rata,
 * as MonthlySink books them), so a range costs the same whatever its length. `finish` sums the
 * months once: their totals (for the payback of the draw) and their present value, Σ total(m) ×
 * (1 + r)^−m, the NPV that PresentValueSink computes from running sums.
 */
export class DrawSink extends DiscountingSink {
  private readonly step: Float64Array
  private readonly part: Float64Array
  constructor(plan: ModelPlan) {
    super(plan)
    this.step = new Float64Array(plan.months + 1)
    this.part = new Float64Array(plan.months)
  }
  range(_category: number, _phase: number, from: number, to: number, monthlyAmount: number): void {
    const end = to < this.months ? to : this.months
    if (end <= from || monthlyAmount === 0) return
    const first = Math.floor(from)
    const last = Math.floor(end)
    if (first === last) {
      this.part[first] = (this.part[first] as number) + monthlyAmount * (end - from)
      return
    }
    this.part[first] = (this.part[first] as number) + monthlyAmount * (first + 1 - from)
    this.step[first + 1] = (this.step[first + 1] as number) + monthlyAmount
    this.step[last] = (this.step[last] as number) - monthlyAmount
    if (end > last) this.part[last] = (this.part[last] as number) + monthlyAmount * (end - last)
  }
  once(_category: number, _phase: number, month: number, amount: number): void {
    this.part[month] = (this.part[month] as number) + amount
  }
  /** Writes each month's total into `out`, returns their present value, and clears the sink for the next option. */
  finish(out: Float64Array): number {
    const { step, part, discount } = this
    let running = 0
    let presentValue = 0
    for (let month = 0; month < this.months; month++) {
      running += step[month] as number
      const total = running + (part[month] as number)
      out[month] = total
      presentValue += total * (discount[month] as number)
      step[month] = 0
      part[month] = 0
    }
    step[this.months] = 0
    return presentValue
  }
  /**
   * As finish, for an option against the baseline's months of the same draw: returns the present
   * value and leaves in `payback` the month after the last whose cumulative saving (baseline −
   * option) is negative, as paybackMonth (finance.ts) counts it; Infinity when it ends negative.
   */
  finishAgainst(baseline: Float64Array): number {
    const { step, part, discount } = this
    let running = 0
    let presentValue = 0
    let cumulative = 0
    let lastNegative = -1
    for (let month = 0; month < this.months; month++) {
      running += step[month] as number
      const total = running + (part[month] as number)
      presentValue += total * (discount[month] as number)
      cumulative += (baseline[month] as number) - total
      if (cumulative < -1e-6) lastNegative = month
      step[month] = 0
      part[month] = 0
    }
    step[this.months] = 0
    this.payback = cumulative < -1e-6 ? Number.POSITIVE_INFINITY : lastNegative + 1
    return presentValue
  }
  /** Set by finishAgainst. */
  payback = Number.NaN
}

export interface SimulatedCosts {
  /** NPV of each option's costs per draw, option-major: costs[option × draws + draw]. */
  costs: Float64Array
  /** Payback month of the move per draw (as paybackMonth counts it), option-major; Infinity: not within the horizon; NaN: the baseline or not evaluated. */
  paybacks: Float64Array
  evaluated: boolean[]
  uncertainDrivers: number
}

/** Runs `draws` draws: per draw, every evaluated option's NPV of costs and its payback against the baseline in the same draw. */
export function simulateCosts(plan: ModelPlan, draws: number, seed: number): SimulatedCosts {
  const values = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const sampler = makeSampler(plan, draws, seed)
  const evaluated = evaluatedOptions(plan)
  const costs = new Float64Array(plan.options.length * draws)
  const paybacks = new Float64Array(plan.options.length * draws).fill(Number.NaN)
  const sink = new DrawSink(plan)
  const baselineMonths = new Float64Array(plan.months)
  // The baseline first: each option's payback compares its months with the baseline's of the same draw.
  const order = [plan.baseline, ...plan.options.map((_, index) => index).filter((index) => index !== plan.baseline && evaluated[index])]
  for (let draw = 0; draw < draws; draw++) {
    drawValues(sampler, draw, values)
    prepareDraw(plan, values)
    for (let k = 0; k < order.length; k++) {
      const index = order[k] as number
      emitOption(plan, plan.options[index] as (typeof plan.options)[number], values, sink)
      if (index === plan.baseline) {
        costs[index * draws + draw] = sink.finish(baselineMonths)
        continue
      }
      costs[index * draws + draw] = sink.finishAgainst(baselineMonths)
      paybacks[index * draws + draw] = sink.payback
    }
  }
  return { costs, paybacks, evaluated, uncertainDrivers: plan.drivers.filter((driver) => driver.distribution.uncertain).length }
}

export function runMonteCarlo(plan: ModelPlan, options: { draws: number; seed: number }): MonteCarloResult {
  const { draws, seed } = options
  const { costs, paybacks, evaluated, uncertainDrivers } = simulateCosts(plan, draws, seed)
  const baselineCosts = costs.subarray(plan.baseline * draws, (plan.baseline + 1) * draws)
  const npvCost: MonteCarloResult['npvCost'] = []
  const savings: MonteCarloResult['savings'] = []
  const payback: MonteCarloResult['payback'] = []
  plan.options.forEach((option, index) => {
    if (!evaluated[index]) {
      npvCost.push(null)
      savings.push(null)
      payback.push(null)
      return
    }
    const own = costs.subarray(index * draws, (index + 1) * draws)
    npvCost.push(quantiles(own))
    if (option.isBaseline) {
      savings.push(null)
      payback.push(null)
      return
    }
    payback.push(paybackQuantiles(paybacks.subarray(index * draws, (index + 1) * draws)))
    const saved = new Float64Array(draws)
    let positive = 0
    for (let draw = 0; draw < draws; draw++) {
      const value = (baselineCosts[draw] as number) - (own[draw] as number)
      saved[draw] = value
      if (value > 0) positive++
    }
    savings.push({ ...quantiles(saved), probabilityPositive: positive / draws })
  })
  return { draws, seed, uncertainDrivers, npvCost, savings, payback }
}

/**
 * Nearest-rank P10/P50/P90 of payback months (Infinity: never), and the share that pays back. The
 * three ranks are placed by selection (quickselect) rather than a full sort: the same order
 * statistics, in linear rather than n log n time.
 */
export function paybackQuantiles(months: Float64Array): PaybackQuantiles {
  const n = months.length
  const ranked = Float64Array.from(months)
  const rank = (p: number): number => Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))
  const [low, middle, high] = [rank(0.1), rank(0.5), rank(0.9)]
  const select = (k: number, left: number, right: number): void => {
    if (left < right) quickselect(ranked as unknown as number[], k, left, right)
  }
  select(middle, 0, n - 1)
  if (low < middle) select(low, 0, middle - 1)
  if (high > middle) select(high, middle + 1, n - 1)
  const at = (k: number): number | null => {
    const value = ranked[k] as number
    return Number.isFinite(value) ? value : null
  }
  let within = 0
  for (let i = 0; i < n; i++) if (Number.isFinite(months[i] as number)) within++
  return { p10: at(low), p50: at(middle), p90: at(high), probabilityWithinHorizon: within / n }
}

/**
 * P10/P50/P90 (linear interpolation, numpy's default, as simple-statistics computes them) and the
 * mean. simple-statistics' quantile places the order statistics the interpolation reads by
 * selection instead of sorting the whole sample (the same values; 13 sorts of 100,000 draws were
 * about a tenth of a Monte Carlo run).
 */
export function quantiles(sample: Float64Array): Quantiles {
  let sum = 0
  for (let i = 0; i < sample.length; i++) sum += sample[i] as number
  const [p10, p50, p90] = quantile(sample as unknown as number[], [0.1, 0.5, 0.9]) as [number, number, number]
  return { p10, p50, p90, mean: sum / sample.length }
}
