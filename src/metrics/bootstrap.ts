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

/**
 * Resamples of one sample as counts over its sorted order: a resample draws the same indexes as
 * resampleInto would (same random numbers, same order), but counts each draw at the drawn value's
 * place in the sorted sample instead of copying it; a percentile of the resample is then read off
 * the cumulative counts: the same two order statistics (equal values are interchangeable) that
 * computeStatistic selects, with no selection per resample (which was two thirds of a
 * bootstrap's time). Means are summed in draw order, so they keep resampleInto.
 */
class SortedResample {
  private readonly sorted: Float64Array
  /** Place in `sorted` of each value of the sample. */
  private readonly placeOf: Int32Array
  private readonly counts: Int32Array

  constructor(values: ArrayLike<number>) {
    const n = values.length
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => (values[x] as number) - (values[y] as number))
    this.sorted = Float64Array.from(order, (i) => values[i] as number)
    this.placeOf = new Int32Array(n)
    order.forEach((index, place) => {
      this.placeOf[index] = place
    })
    this.counts = new Int32Array(n)
  }

  /** Forgets the last resample. */
  clear(): void {
    this.counts.fill(0)
  }

  /** Counts one draw of the sample's value at `index`. */
  draw(index: number): void {
    const place = this.placeOf[index] as number
    this.counts[place] = (this.counts[place] as number) + 1
  }

  /** The percentile of the resample drawn since the last clear (as many draws as values), as computeStatistic takes it. */
  percentile(percentile: number): number {
    const n = this.sorted.length
    const rank = (percentile / 100) * (n - 1)
    const lower = Math.floor(rank)
    let seen = 0
    let place = 0
    while (seen + (this.counts[place] as number) <= lower) seen += this.counts[place++] as number
    const lowerValue = this.sorted[place] as number
    let upperValue = lowerValue
    if (lower + 1 < n) {
      // The next order statistic: the same value again if it was drawn more than once up to there, else the next one drawn.
      if (seen + (this.counts[place] as number) <= lower + 1) {
        seen += this.counts[place++] as number
        while ((this.counts[place] as number) === 0) place++
      }
      upperValue = this.sorted[place] as number
    }
    return lowerValue + (upperValue - lowerValue) * (rank - lower)
  }

  /** The sample holds no NaN (which sorts apart from how a selection places it). */
  static suits(values: ArrayLike<number>): boolean {
    for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return false
    return true
  }
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
  const draws = new Float64Array(resamples)
  if (statistic !== 'mean' && SortedResample.suits(values)) {
    const resample = new SortedResample(values)
    for (let b = 0; b < resamples; b++) {
      resample.clear()
      for (let i = 0; i < n; i++) resample.draw(Math.floor(random.next() * n))
      draws[b] = resample.percentile(PERCENTILE_OF[statistic])
    }
  } else {
    const scratch = new Float64Array(n)
    for (let b = 0; b < resamples; b++) {
      resampleInto(values, scratch, random)
      draws[b] = computeStatistic(scratch, statistic)
    }
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
  const draws = new Float64Array(resamples)
  if (statistic !== 'mean' && SortedResample.suits(a) && SortedResample.suits(b))
    percentileContrastDraws(a, b, PERCENTILE_OF[statistic], paired, random, combine, draws)
  else copiedContrastDraws(a, b, statistic, paired, random, combine, draws)
  const estimate = combine(computeStatistic(Float64Array.from(a), statistic), computeStatistic(Float64Array.from(b), statistic))
  return percentileInterval(estimate, draws, options.confidence ?? 0.95)
}

/** bootstrapContrast's resampled contrasts of a percentile, from counts over each arm's sorted order (SortedResample). */
function percentileContrastDraws(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  percentile: number,
  paired: boolean,
  random: Random,
  combine: (x: number, y: number) => number,
  draws: Float64Array,
): void {
  const resampleA = new SortedResample(a)
  const resampleB = new SortedResample(b)
  for (let r = 0; r < draws.length; r++) {
    resampleA.clear()
    resampleB.clear()
    if (paired) {
      for (let i = 0; i < a.length; i++) {
        const k = Math.floor(random.next() * a.length)
        resampleA.draw(k)
        resampleB.draw(k)
      }
    } else {
      for (let i = 0; i < a.length; i++) resampleA.draw(Math.floor(random.next() * a.length))
      for (let i = 0; i < b.length; i++) resampleB.draw(Math.floor(random.next() * b.length))
    }
    draws[r] = combine(resampleA.percentile(percentile), resampleB.percentile(percentile))
  }
}

/** bootstrapContrast's resampled contrasts, each arm's resample copied out and its statistic computed (means: summed in draw order). */
function copiedContrastDraws(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  statistic: Statistic,
  paired: boolean,
  random: Random,
  combine: (x: number, y: number) => number,
  draws: Float64Array,
): void {
  const scratchA = new Float64Array(a.length)
  const scratchB = new Float64Array(b.length)
  for (let r = 0; r < draws.length; r++) {
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
