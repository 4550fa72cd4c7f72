import { quantileSorted } from 'simple-statistics'
import { type Random, deriveSeed, seededRandom } from '../util/rng.js'
import { type Distribution } from './distributions.js'
import { PresentValueSink, emitOption, prepareDraw } from './tco-evaluate.js'
import type { ModelPlan } from './tco-plan.js'

/**
 * Seeded Monte Carlo over the uncertain drivers of a compiled TCO model. Each uncertain driver
 * draws from its own stream, seeded from the run's seed and the driver's name, so a driver's draws
 * depend on nothing else (adding a driver to the model leaves the others' draws as they were), and
 * the same seed gives the same result bit for bit. Drivers are independent (no correlations).
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
}

/** Options the Monte Carlo evaluates: the feasible ones, and the baseline always (it is what savings are measured against). */
export function evaluatedOptions(plan: ModelPlan): boolean[] {
  return plan.options.map((option) => option.isBaseline || option.gate.feasible)
}

/** 32-bit FNV-1a of a driver's name: its stream number. */
export function streamOf(name: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Runs `draws` draws and returns the raw NPVs of costs, option-major: costs[option × draws + draw]. */
export function simulateCosts(plan: ModelPlan, draws: number, seed: number): { costs: Float64Array; evaluated: boolean[]; uncertainDrivers: number } {
  const values = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const uncertainSlots: number[] = []
  const distributions: Distribution[] = []
  const streams: Random[] = []
  plan.drivers.forEach((driver, slot) => {
    if (!driver.distribution.uncertain) return
    uncertainSlots.push(slot)
    distributions.push(driver.distribution)
    streams.push(seededRandom(deriveSeed(seed, streamOf(driver.name))))
  })
  const evaluated = evaluatedOptions(plan)
  const costs = new Float64Array(plan.options.length * draws)
  const sink = new PresentValueSink(plan)
  const slotCount = uncertainSlots.length
  for (let draw = 0; draw < draws; draw++) {
    for (let k = 0; k < slotCount; k++) values[uncertainSlots[k] as number] = (distributions[k] as Distribution).sample(streams[k] as Random)
    prepareDraw(plan, values)
    for (let index = 0; index < plan.options.length; index++) {
      if (!evaluated[index]) continue
      sink.total = 0
      emitOption(plan, plan.options[index] as (typeof plan.options)[number], values, sink)
      costs[index * draws + draw] = sink.total
    }
  }
  return { costs, evaluated, uncertainDrivers: slotCount }
}

export function runMonteCarlo(plan: ModelPlan, options: { draws: number; seed: number }): MonteCarloResult {
  const { draws, seed } = options
  const { costs, evaluated, uncertainDrivers } = simulateCosts(plan, draws, seed)
  const baselineCosts = costs.subarray(plan.baseline * draws, (plan.baseline + 1) * draws)
  const npvCost: MonteCarloResult['npvCost'] = []
  const savings: MonteCarloResult['savings'] = []
  plan.options.forEach((option, index) => {
    if (!evaluated[index]) {
      npvCost.push(null)
      savings.push(null)
      return
    }
    const own = costs.subarray(index * draws, (index + 1) * draws)
    npvCost.push(quantiles(own))
    if (option.isBaseline) {
      savings.push(null)
      return
    }
    const saved = new Float64Array(draws)
    let positive = 0
    for (let draw = 0; draw < draws; draw++) {
      const value = (baselineCosts[draw] as number) - (own[draw] as number)
      saved[draw] = value
      if (value > 0) positive++
    }
    savings.push({ ...quantiles(saved), probabilityPositive: positive / draws })
  })
  return { draws, seed, uncertainDrivers, npvCost, savings }
}

/** P10/P50/P90 (linear interpolation, numpy's default, as simple-statistics computes them) and the mean. */
export function quantiles(sample: Float64Array): Quantiles {
  const sorted = Float64Array.from(sample).sort()
  let sum = 0
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number
  const asArray = sorted as unknown as number[]
  return { p10: quantileSorted(asArray, 0.1), p50: quantileSorted(asArray, 0.5), p90: quantileSorted(asArray, 0.9), mean: sum / sorted.length }
}
