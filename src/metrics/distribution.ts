/** The statistics geopat reports for every distribution. */
export interface Distribution {
  count: number
  mean: number | null
  std: number | null
  min: number | null
  p50: number | null
  p90: number | null
  p95: number | null
  p99: number | null
  p999: number | null
  max: number | null
}

export const PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p95', 95],
  ['p99', 99],
  ['p999', 99.9],
] as const

/**
 * Percentile by linear interpolation between closest ranks (numpy's default, the one vLLM's bench
 * uses), on an ascending-sorted array.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, percentile: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  if (n === 1) return sorted[0] as number
  const rank = (percentile / 100) * (n - 1)
  const lower = Math.floor(rank)
  const upper = Math.min(lower + 1, n - 1)
  const fraction = rank - lower
  return (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * fraction
}

/** Exact statistics of a set of values (sample standard deviation, n − 1). */
export function describeValues(values: ArrayLike<number>): Distribution {
  const n = values.length
  if (n === 0) return emptyDistribution()
  const sorted = Float64Array.from(values as ArrayLike<number>).sort()
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i] as number
  const mean = sum / n
  let squares = 0
  for (let i = 0; i < n; i++) squares += ((sorted[i] as number) - mean) ** 2
  const result: Distribution = {
    count: n,
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: sorted[0] as number,
    p50: null,
    p90: null,
    p95: null,
    p99: null,
    p999: null,
    max: sorted[n - 1] as number,
  }
  for (const [key, percentile] of PERCENTILES) result[key] = percentileOfSorted(sorted, percentile)
  return result
}

/** The arithmetic mean, summed in order; null for no values. */
export function meanOrNull(values: readonly number[]): number | null {
  if (values.length === 0) return null
  let sum = 0
  for (const value of values) sum += value
  return sum / values.length
}

export function emptyDistribution(): Distribution {
  return { count: 0, mean: null, std: null, min: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null }
}

/** Relative width of a histogram bucket: values are kept to ±0.05%. */
const BUCKET_GROWTH = 1.001
const BUCKETS_PER_LOG_UNIT = 1 / Math.log(BUCKET_GROWTH)
/** Smallest value told apart from zero: 1 ns, in ms. */
const SMALLEST_MS = 1e-6
/** Buckets from 1 ns to about 100 days. */
const BUCKET_COUNT = Math.ceil(Math.log(1e10 / SMALLEST_MS) * BUCKETS_PER_LOG_UNIT) + 1

/** Buckets a distribution's first window holds; it doubles its span to take a value outside it. */
const FIRST_WINDOW_BUCKETS = 512

/**
 * A distribution of millisecond values too many to keep (per-chunk and per-token gaps pooled over a
 * whole run): a log-bucketed histogram (each bucket 0.1% wide, so percentiles are within ±0.05%)
 * with running sums for an exact mean and standard deviation. Adding a value is one logarithm: fast
 * enough for millions of tokens. The buckets are kept over the span of values seen only (a window
 * that grows as values fall outside it; at most ~0.3 MB over 1 ns to 100 days): a run's gaps span a
 * few thousand buckets, and the virtual-time searches summarize thousands of runs, each of which
 * allocated and scanned all ~37,000 buckets before.
 */
export class StreamingDistribution {
  /** Counts of buckets firstBucket, firstBucket + 1, … */
  private counts = new Float64Array(0)
  private firstBucket = 0
  private zeros = 0
  private count = 0
  private sum = 0
  private sumOfSquares = 0
  private min = Number.POSITIVE_INFINITY
  private max = Number.NEGATIVE_INFINITY
  private lastValueMs = Number.NaN
  private lastIndex = 0

  add(valueMs: number, times = 1): void {
    if (!(valueMs >= 0) || times <= 0) return
    this.count += times
    this.sum += valueMs * times
    this.sumOfSquares += valueMs * valueMs * times
    if (valueMs < this.min) this.min = valueMs
    if (valueMs > this.max) this.max = valueMs
    if (valueMs < SMALLEST_MS) {
      this.zeros += times
      return
    }
    // Runs of equal values (steady streams, simulated ones) skip the logarithm.
    if (valueMs !== this.lastValueMs) {
      this.lastValueMs = valueMs
      const bucket = Math.min(BUCKET_COUNT - 1, Math.floor(Math.log(valueMs / SMALLEST_MS) * BUCKETS_PER_LOG_UNIT))
      const index = bucket - this.firstBucket
      this.lastIndex = index >= 0 && index < this.counts.length ? index : this.widenTo(bucket)
    }
    this.counts[this.lastIndex] = (this.counts[this.lastIndex] as number) + times
  }

  /** An independent copy, in the same state (the same adds seen). */
  copy(): StreamingDistribution {
    const copy = new StreamingDistribution()
    Object.assign(copy, this)
    copy.counts = this.counts.slice()
    return copy
  }

  /** Adds the gaps between successive `timesMs`, each once: add(timesMs[i] − timesMs[i − 1]) for i = 1, 2, … */
  addGaps(timesMs: readonly number[]): void {
    for (let i = 1; i < timesMs.length; i++) this.add((timesMs[i] as number) - (timesMs[i - 1] as number))
  }

  /** Widens the window to take `bucket` (twice the span needed, within the bucket range); returns its index there. */
  private widenTo(bucket: number): number {
    const oldFirst = this.firstBucket
    const old = this.counts
    const low = old.length === 0 ? bucket : Math.min(oldFirst, bucket)
    const high = old.length === 0 ? bucket + 1 : Math.max(oldFirst + old.length, bucket + 1)
    const span = Math.max(FIRST_WINDOW_BUCKETS, 2 * (high - low))
    // Room on the side the value came from (both sides for the first).
    const first = old.length === 0 ? bucket - span / 2 : bucket < oldFirst ? high - span : low
    this.firstBucket = Math.max(0, Math.min(first, BUCKET_COUNT - span))
    this.counts = new Float64Array(Math.min(span, BUCKET_COUNT))
    if (old.length > 0) this.counts.set(old, oldFirst - this.firstBucket)
    return bucket - this.firstBucket
  }

  describe(): Distribution {
    if (this.count === 0) return emptyDistribution()
    const mean = this.sum / this.count
    const variance = this.count > 1 ? Math.max(0, (this.sumOfSquares - this.count * mean * mean) / (this.count - 1)) : 0
    const result: Distribution = {
      count: this.count,
      mean,
      std: Math.sqrt(variance),
      min: this.min,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      p999: null,
      max: this.max,
    }
    // One walk over the buckets for every percentile (they ascend).
    let seen = this.zeros
    let index = 0
    for (const [key, percentile] of PERCENTILES) {
      const rank = (percentile / 100) * this.count
      if (this.zeros > 0 && this.zeros >= rank) {
        result[key] = 0
        continue
      }
      result[key] = this.max
      for (; index < this.counts.length; index++) {
        const inBucket = this.counts[index] as number
        if (inBucket === 0) continue
        if (seen + inBucket >= rank) {
          // The bucket's geometric middle, kept inside the values actually seen.
          const middle = SMALLEST_MS * BUCKET_GROWTH ** (this.firstBucket + index + 0.5)
          result[key] = Math.min(this.max, Math.max(this.min, middle))
          break
        }
        seen += inBucket
      }
    }
    return result
  }
}

/** 95% confidence intervals of a per-request distribution's mean and percentiles. */
export interface DistributionIntervals {
  confidence: number
  mean: [number, number] | null
  p50: [number, number] | null
  p90: [number, number] | null
  p99: [number, number] | null
}

const Z_95 = 1.959964

/**
 * Within-run 95% intervals, cheap at any sample size: for the mean, the normal (CLT) interval
 * mean ± 1.96·s/√n; for a percentile p, the distribution-free order-statistic interval: the values
 * at ranks n·p ± 1.96·√(n·p·(1−p)) (binomial), so no bootstrap is needed and no shape is assumed.
 * Null where the sample is too small for that percentile (its interval would touch the extremes).
 */
export function intervalsOfSorted(sorted: ArrayLike<number>, mean: number | null, std: number | null): DistributionIntervals {
  const n = sorted.length
  const meanInterval: [number, number] | null =
    n >= 2 && mean !== null && std !== null ? [mean - (Z_95 * std) / Math.sqrt(n), mean + (Z_95 * std) / Math.sqrt(n)] : null
  const percentileInterval = (p: number): [number, number] | null => {
    const spread = Z_95 * Math.sqrt(n * p * (1 - p))
    const lowRank = Math.floor(n * p - spread)
    const highRank = Math.ceil(n * p + spread)
    if (lowRank < 0 || highRank > n - 1) return null
    return [sorted[lowRank] as number, sorted[highRank] as number]
  }
  return { confidence: 0.95, mean: meanInterval, p50: percentileInterval(0.5), p90: percentileInterval(0.9), p99: percentileInterval(0.99) }
}

/** describeValues plus its intervals (one sort for both). */
export function describeValuesWithIntervals(values: ArrayLike<number>): { distribution: Distribution; intervals: DistributionIntervals } {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort()
  const distribution = describeValues(sorted)
  return { distribution, intervals: intervalsOfSorted(sorted, distribution.mean, distribution.std) }
}

/** Smallest sample whose p-th quantile has a distribution-free 95% interval inside the sample. */
export function minimumSampleForPercentileInterval(p: number): number {
  for (let n = 2; n < 1_000_000; n++) {
    const spread = Z_95 * Math.sqrt(n * p * (1 - p))
    if (Math.floor(n * p - spread) >= 0 && Math.ceil(n * p + spread) <= n - 1) return n
  }
  return Number.POSITIVE_INFINITY
}
