import { quickselect } from 'simple-statistics'
import { type Random, seededRandom } from '../util/rng.js'
import { percentileOfSorted } from './distribution.js'

/** A statistic of a sample: the mean, or a percentile (linear interpolation, as everywhere else). */
export type Statistic = 'mean' | 'p50' | 'p90' | 'p95' | 'p99'

export interface Interval {
  estimate: number
  low: number
  high: number
  confidence: number
  resamples: number
}

const PERCENTILE_OF: Record<Exclude<Statistic, 'mean'>, number> = { p50: 50, p90: 90, p95: 95, p99: 99 }

/**
 * The statistic of `values[0..length)` (reorders `values` in place for percentiles). A percentile
 * is percentileOfSorted's, from the two order statistics it interpolates between, selected
 * (simple-statistics' Floyd–Rivest quickselect) rather than sorted: the same value in linear time,
 * once per resample.
 */
export function computeStatistic(values: Float64Array, statistic: Statistic): number {
  const n = values.length
  if (statistic === 'mean') {
    let sum = 0
    for (let i = 0; i < n; i++) sum += values[i] as number
    return sum / n
  }
  if (n < 2) return percentileOfSorted(values, PERCENTILE_OF[statistic]) as number
  const rank = (PERCENTILE_OF[statistic] / 100) * (n - 1)
  const lower = Math.floor(rank)
  // After the selection values[lower] is the (lower + 1)-th smallest and everything after it is no smaller.
  quickselect(values as unknown as number[], lower)
  const lowerValue = values[lower] as number
  let upperValue = lowerValue
  if (lower + 1 < n) {
    upperValue = values[lower + 1] as number
    for (let i = lower + 2; i < n; i++) if ((values[i] as number) < upperValue) upperValue = values[i] as number
  }
  return lowerValue + (upperValue - lowerValue) * (rank - lower)
}

function resampleInto(source: ArrayLike<number>, target: Float64Array, random: Random): void {
  const n = source.length
  for (let i = 0; i < target.length; i++) target[i] = source[Math.floor(random.next() * n)] as number
}

function percentileInterval(estimate: number, draws: Float64Array, confidence: number): Interval {
  draws.sort()
  const alpha = (1 - confidence) / 2
  return {
    estimate,
    low: percentileOfSorted(draws, alpha * 100) as number,
    high: percentileOfSorted(draws, (1 - alpha) * 100) as number,
    confidence,
    resamples: draws.length,
  }
}

export interface BootstrapOptions {
  resamples?: number
  confidence?: number
  seed?: number
}

/**
 * Percentile-bootstrap confidence interval of one statistic of one sample (Efron): resample with
 * replacement `resamples` times (default 2,000), seeded so that a run reproduces exactly.
 */
export function bootstrapStatistic(values: ArrayLike<number>, statistic: Statistic, options: BootstrapOptions = {}): Interval | null {
  const n = values.length
  if (n < 2) return null
  const resamples = options.resamples ?? 2000
  const random = seededRandom(options.seed ?? 1)
  const scratch = new Float64Array(n)
  const draws = new Float64Array(resamples)
  for (let b = 0; b < resamples; b++) {
    resampleInto(values, scratch, random)
    draws[b] = computeStatistic(scratch, statistic)
  }
  return percentileInterval(computeStatistic(Float64Array.from(values), statistic), draws, options.confidence ?? 0.95)
}

export type Contrast = 'ratio' | 'difference'

/**
 * Interval of B's statistic against A's (B/A or B − A). Paired when both arms measured the same
 * requests in the same order (same prompt, interleaved): pairs are resampled together, which
 * removes the prompt-to-prompt variance both arms share. Unpaired otherwise: each arm is
 * resampled on its own.
 */
export function bootstrapContrast(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  statistic: Statistic,
  contrast: Contrast,
  options: BootstrapOptions & { paired?: boolean } = {},
): Interval | null {
  if (a.length < 2 || b.length < 2) return null
  const paired = options.paired === true && a.length === b.length
  const resamples = options.resamples ?? 2000
  const random = seededRandom(options.seed ?? 1)
  const combine = (x: number, y: number): number => (contrast === 'ratio' ? y / x : y - x)
  const scratchA = new Float64Array(a.length)
  const scratchB = new Float64Array(b.length)
  const draws = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    if (paired) {
      for (let i = 0; i < scratchA.length; i++) {
        const k = Math.floor(random.next() * a.length)
        scratchA[i] = a[k] as number
        scratchB[i] = b[k] as number
      }
    } else {
      resampleInto(a, scratchA, random)
      resampleInto(b, scratchB, random)
    }
    draws[r] = combine(computeStatistic(scratchA, statistic), computeStatistic(scratchB, statistic))
  }
  const estimate = combine(computeStatistic(Float64Array.from(a), statistic), computeStatistic(Float64Array.from(b), statistic))
  return percentileInterval(estimate, draws, options.confidence ?? 0.95)
}

/**
 * Requests needed for an interval of relative half-width `target` (e.g. 0.02 = ±2%), from the
 * half-width now: a bootstrap interval narrows as 1/√n.
 */
export function requestsForTargetWidth(interval: Interval, n: number, target: number): number | null {
  const halfWidth = (interval.high - interval.low) / 2
  const scale = Math.abs(interval.estimate)
  if (scale === 0 || n === 0) return null
  const relative = halfWidth / scale
  if (relative <= target) return n
  return Math.ceil(n * (relative / target) ** 2)
}
