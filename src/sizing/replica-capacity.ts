import { mean, probit, sampleStandardDeviation } from 'simple-statistics'
import type { LengthSpec } from '../io/schema/length-spec.js'
import { createLengthSampler } from '../input/distributions.js'
import type { LoadStep } from '../load/runner.js'
import type { SloConfig } from '../io/schema/scenario.js'
import { compileSlo, hasObjectives, requestObjectiveMax, runObjectivesMissed } from '../metrics/slo.js'
import type { EndpointSizing, Estimate } from '../io/schema/sizing.js'
import type { RunSummary } from '../io/schema/summary.js'
import { type ImpliedCapacity, type LengthMoments, impliedCapacity } from '../sim/engine/implied-capacity.js'
import type { SimProfile } from '../io/schema/sim-profile.js'
import type { NetworkPath } from '../sim/network.js'
import { runVirtual } from '../sim/virtual.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { type StopCheck, yieldAndCheck } from '../util/interrupt.js'
import { deriveSeed, seededRandom } from '../util/rng.js'

type Capacity = EndpointSizing['capacityPerReplica']
type Evaluation = EndpointSizing['evaluations'][number]

export interface ReplicaCapacity {
  capacity: Capacity
  evaluations: Evaluation[]
  firstCut: ImpliedCapacity | null
  inputTokensMean: number | null
  outputTokensMean: number | null
  warnings: string[]
}

/** Wilson score interval of a proportion (successes of n) at the two-sided level `confidence`. */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): [number, number] {
  if (n === 0) return [0, 1]
  const z = probit(1 - (1 - confidence) / 2)
  const p = successes / n
  const denominator = 1 + (z * z) / n
  const centre = (p + (z * z) / (2 * n)) / denominator
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

/**
 * The first rate at which attainment falls below `target`, interpolated linearly between the last
 * level that met it and the first that did not. `undefined` when no level fell below (the true
 * crossing lies beyond the highest rate tried); 0 when the lowest level already missed.
 */
function crossing(points: Array<{ ratePerS: number; attainment: number }>, target: number): number | undefined {
  let previous: { ratePerS: number; attainment: number } | undefined
  for (const point of points) {
    if (point.attainment < target) {
      if (!previous) return 0
      const share = (previous.attainment - target) / (previous.attainment - point.attainment)
      return previous.ratePerS + share * (point.ratePerS - previous.ratePerS)
    }
    previous = point
  }
  return undefined
}

/**
 * Capacity per replica from a measured sweep of one endpoint: each step's served request rate
 * (throughput) against its SLO attainment. The estimate interpolates the attainment curve; the
 * interval does the same with each step's Wilson 95% bounds on its attainment.
 */
export function capacityFromSweep(runs: RunSummary[], attainmentTarget: number): ReplicaCapacity {
  const warnings: string[] = []
  const points = runs
    .filter((run) => run.goodput !== null && run.requests.inWindow > 0)
    .map((run) => {
      const n = run.requests.inWindow
      // A level whose distribution (ttft.p99<=…) or run objectives miss does not meet the SLO at any attainment.
      const missed = run.goodput ? runObjectivesMissed(run, compileSlo(run.goodput.slo)).length > 0 : false
      const fraction = missed ? 0 : (run.goodput?.fractionOfRequests ?? 0)
      const good = Math.round(fraction * n)
      const [low, high] = wilsonInterval(good, n)
      return { run, ratePerS: run.throughput.requestsPerS, attainment: fraction, low, high, n }
    })
    .sort((a, b) => a.ratePerS - b.ratePerS)
  const label = runs[0]?.endpoint.label ?? 'endpoint'
  if (points.length === 0) throw new UserError(`${label}: no run has goodput: run geopat bench with --slo (or a scenario's slo:) to size from measurements`)
  if (points.length === 1)
    warnings.push(`${label}: one load level only: run a sweep (load.profile: sweep) so that the SLO's breaking point is measured, not assumed`)
  const estimate = crossing(
    points.map((p) => ({ ratePerS: p.ratePerS, attainment: p.attainment })),
    attainmentTarget,
  )
  const highest = points[points.length - 1] as (typeof points)[number]
  const lowerBoundOnly = estimate === undefined
  if (lowerBoundOnly)
    warnings.push(
      `${label}: no level tried missed the SLO: capacity per replica is at least ` +
        `${highest.ratePerS.toFixed(2)} req/s; sweep to higher rates for the real figure`,
    )
  const rate = estimate ?? highest.ratePerS
  if (!(rate > 0))
    throw new UserError(
      `${label}: the lowest load level tried already misses the SLO at ${(attainmentTarget * 100).toFixed(0)}% attainment: nothing to size from`,
    )
  const low =
    crossing(
      points.map((p) => ({ ratePerS: p.ratePerS, attainment: p.low })),
      attainmentTarget,
    ) ?? highest.ratePerS
  const high = lowerBoundOnly
    ? rate
    : (crossing(
        points.map((p) => ({ ratePerS: p.ratePerS, attainment: p.high })),
        attainmentTarget,
      ) ?? highest.ratePerS)
  // Tokens per request where the curve crosses: the nearest level's means.
  const nearest = points.reduce((best, p) => (Math.abs(p.ratePerS - rate) < Math.abs(best.ratePerS - rate) ? p : best))
  const inputMean = nearest.run.tokens.inputServerMean ?? nearest.run.tokens.inputRequestedMean
  const outputMean = nearest.run.tokens.outputMean
  const method = "attainment curve of the sweep, interpolated; interval from each step's Wilson 95% bounds"
  const ratePerS: Estimate = { estimate: rate, low: Math.min(low, rate), high: Math.max(high, rate), method }
  return {
    capacity: {
      ratePerS,
      inputTokensPerS: scaleEstimate(ratePerS, (inputMean ?? 0) * attainmentTarget),
      outputTokensPerS: scaleEstimate(ratePerS, (outputMean ?? 0) * attainmentTarget),
      lowerBoundOnly,
    },
    evaluations: points.map((p) => ({ ratePerS: p.ratePerS, attainment: p.attainment, requests: p.n, seed: null })),
    firstCut: null,
    inputTokensMean: inputMean,
    outputTokensMean: outputMean,
    warnings,
  }
}

function scaleEstimate(estimate: Estimate, factor: number): Estimate {
  return {
    estimate: estimate.estimate * factor,
    low: estimate.low * factor,
    high: estimate.high === null ? null : estimate.high * factor,
    method: estimate.method,
  }
}

/** Two-sided 97.5% quantiles of Student's t for 1–30 degrees of freedom (standard tables). */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
]
export const tQuantile975 = (degreesOfFreedom: number): number => T_975[degreesOfFreedom - 1] ?? 1.96

export interface SimulatedCapacityOptions {
  profile: SimProfile
  confidential: boolean
  network?: NetworkPath
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  slo: SloConfig
  attainment: number
  /** Independent searches (engine noise, arrivals and lengths differ), for the interval. */
  searches: number
  seed: number
  /** Simulated seconds per rate tried (warm-up and cool-down included). */
  durationS: number
  /** Stop bisecting when the bracket is narrower than this fraction of the rate. */
  tolerance?: number
  /** Looked at before each rate tried and inside each simulation: once stopped, the search throws Interrupted. */
  stop?: StopCheck
}

/** Mean lengths and E[O²] of a request shape, from draws of its samplers. */
export function lengthMoments(input: LengthSpec, output: LengthSpec, seed: number): LengthMoments {
  const drawInput = createLengthSampler(input, seededRandom(deriveSeed(seed, 101)))
  const drawOutput = createLengthSampler(output, seededRandom(deriveSeed(seed, 102)))
  const draws = 20_000
  let inputSum = 0
  let outputSum = 0
  let outputSquareSum = 0
  for (let i = 0; i < draws; i++) {
    const o = drawOutput()
    inputSum += drawInput()
    outputSum += o
    outputSquareSum += o * o
  }
  return { inputTokensMean: inputSum / draws, outputTokensMean: outputSum / draws, outputTokensSquareMean: outputSquareSum / draws }
}

/**
 * Capacity per replica found in the simulator's virtual time: for each of `searches` seeds, a
 * bracket around the profile's mean-value first cut, then bisection on the Poisson arrival rate for
 * the highest rate whose SLO attainment (steady-state window) meets the target. The same seed at
 * every rate of one search (common random numbers) keeps the attainment curve smooth; the interval
 * is a t-interval over the searches.
 */
export async function capacityFromSimulator(options: SimulatedCapacityOptions): Promise<ReplicaCapacity> {
  const slo = compileSlo(options.slo)
  if (!hasObjectives(slo)) throw new OptionMessageError('{slo}: sizing needs at least one objective (ttft, tpot or e2e): without one, every rate "meets" it')
  const moments = lengthMoments(options.inputTokens, options.outputTokens, options.seed)
  const firstCut = impliedCapacity(options.profile, options.confidential, moments, requestObjectiveMax(slo, 'tpot'))
  if (!(firstCut.ratePerS > 0))
    throw new UserError(`${options.profile.name}: the TPOT objective is below the profile's fastest step (${firstCut.stepMs.toFixed(2)} ms): no rate meets it`)
  const tolerance = options.tolerance ?? 0.01
  const evaluations: Evaluation[] = []
  const warmupS = Math.min(30, options.durationS * 0.2)
  const cooldownS = Math.min(10, options.durationS * 0.1)

  const attainmentAt = async (ratePerS: number, seed: number): Promise<{ attainment: number; outputMean: number | null; inputMean: number | null }> => {
    await yieldAndCheck(options.stop)
    const load: LoadStep = {
      step: 0,
      label: `rate ${ratePerS.toFixed(3)}/s`,
      mode: 'open',
      ratePerS,
      durationMs: options.durationS * 1000,
      arrival: 'poisson',
      burstiness: 1,
      seed,
    }
    const { summary } = await runVirtual({
      ...(options.stop ? { stop: options.stop } : {}),
      profile: options.profile,
      confidential: options.confidential,
      ...(options.network ? { network: options.network } : {}),
      load,
      inputTokens: options.inputTokens,
      outputTokens: options.outputTokens,
      seed,
      slo: options.slo,
      warmupS,
      cooldownS,
    })
    const attainment = runObjectivesMissed(summary, slo).length > 0 ? 0 : (summary.goodput?.fractionOfRequests ?? 0)
    evaluations.push({ ratePerS, attainment, requests: summary.requests.inWindow, seed })
    return { attainment, outputMean: summary.tokens.outputMean, inputMean: summary.tokens.inputServerMean }
  }

  const found: number[] = []
  for (let search = 0; search < options.searches; search++) {
    const seed = deriveSeed(options.seed, 1000 + search)
    const meets = async (rate: number): Promise<boolean> => (await attainmentAt(rate, seed)).attainment >= options.attainment
    let high = firstCut.ratePerS * 1.1
    for (let i = 0; i < 6 && (await meets(high)); i++) high *= 1.5
    let low = firstCut.ratePerS * 0.5
    let lowHolds = await meets(low)
    for (let i = 0; i < 8 && !lowHolds; i++) {
      high = low
      low /= 2
      lowHolds = await meets(low)
    }
    if (!lowHolds)
      throw new UserError(`${options.profile.name}: even ${low.toFixed(3)} req/s misses the SLO at ${(options.attainment * 100).toFixed(0)}% attainment`)
    while ((high - low) / low > tolerance) {
      const middle = (low + high) / 2
      if (await meets(middle)) low = middle
      else high = middle
    }
    found.push(low)
  }
  const estimate = mean(found)
  const half = found.length > 1 ? (tQuantile975(found.length - 1) * sampleStandardDeviation(found)) / Math.sqrt(found.length) : 0
  const ratePerS: Estimate = {
    estimate,
    low: Math.max(0, estimate - half),
    high: estimate + half,
    method: found.length > 1 ? `95% t-interval over ${found.length} independent simulated searches` : 'one simulated search (no interval: use more searches)',
  }
  return {
    capacity: {
      ratePerS,
      inputTokensPerS: scaleEstimate(ratePerS, moments.inputTokensMean * options.attainment),
      outputTokensPerS: scaleEstimate(ratePerS, moments.outputTokensMean * options.attainment),
      lowerBoundOnly: false,
    },
    evaluations,
    firstCut,
    inputTokensMean: moments.inputTokensMean,
    outputTokensMean: moments.outputTokensMean,
    warnings: [],
  }
}
