import { probit } from 'simple-statistics'
import { compileSlo, runObjectivesMissed } from '../metrics/slo.js'
import type { EndpointSizing, Estimate } from '../io/schema/sizing.js'
import type { RunSummary } from '../io/schema/summary.js'
import type { ImpliedCapacity } from '../sim/engine/implied-capacity.js'
import { UserError } from '../util/errors.js'

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

export function scaleEstimate(estimate: Estimate, factor: number): Estimate {
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
