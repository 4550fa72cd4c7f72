import { describe, expect, it } from 'vitest'
import { bootstrapContrast, bootstrapStatistic, requestsForTargetWidth } from '../../src/metrics/bootstrap.js'
import { describeValuesWithIntervals, minimumSampleForPercentileInterval } from '../../src/metrics/distribution.js'
import { seededRandom } from '../../src/util/rng.js'

/** Exponential samples with mean 1: its p-th quantile is −ln(1 − p). */
function exponentialSample(n: number, seed: number): number[] {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => -Math.log(1 - random.next()))
}

describe('within-run intervals', () => {
  it('cover the true mean and percentiles about 95% of the time', () => {
    const truth = { mean: 1, p50: Math.log(2), p90: -Math.log(0.1), p99: -Math.log(0.01) }
    const covered = { mean: 0, p50: 0, p90: 0, p99: 0 }
    const trials = 300
    for (let trial = 0; trial < trials; trial++) {
      const { intervals } = describeValuesWithIntervals(exponentialSample(1000, trial + 1))
      for (const key of ['mean', 'p50', 'p90', 'p99'] as const) {
        const range = intervals[key]
        if (range && range[0] <= truth[key] && truth[key] <= range[1]) covered[key]++
      }
    }
    for (const key of ['mean', 'p50', 'p90', 'p99'] as const) {
      expect(covered[key] / trials).toBeGreaterThan(0.9)
      expect(covered[key] / trials).toBeLessThanOrEqual(1)
    }
  })

  it('give no p99 interval below the sample size that supports one', () => {
    const needed = minimumSampleForPercentileInterval(0.99)
    expect(describeValuesWithIntervals(exponentialSample(needed - 1, 1)).intervals.p99).toBeNull()
    expect(describeValuesWithIntervals(exponentialSample(needed, 1)).intervals.p99).not.toBeNull()
  })
})

describe('bootstrap', () => {
  it('is reproducible under a seed and narrows with more data', () => {
    const values = exponentialSample(400, 3)
    const a = bootstrapStatistic(values, 'p90', { seed: 9 })
    expect(bootstrapStatistic(values, 'p90', { seed: 9 })).toEqual(a)
    const wide = bootstrapStatistic(values.slice(0, 100), 'mean', { seed: 9 })
    const narrow = bootstrapStatistic(values, 'mean', { seed: 9 })
    if (!wide || !narrow) throw new Error('no interval')
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low)
  })

  it('a paired ratio interval covers the true ratio about 95% of the time', () => {
    let covered = 0
    const trials = 60
    for (let trial = 0; trial < trials; trial++) {
      const random = seededRandom(1000 + trial)
      // Shared per-prompt variation, and B is 20% slower than A plus noise.
      const base = Array.from({ length: 200 }, () => 50 + 100 * random.next())
      const a = base.map((x) => x + random.next() * 4)
      const b = base.map((x) => 1.2 * x + random.next() * 4)
      const interval = bootstrapContrast(a, b, 'mean', 'ratio', { paired: true, seed: trial, resamples: 1000 })
      const trueRatio = (1.2 * 100 + 2) / (100 + 2) // means: base 100, noise mean 2
      if (interval && interval.low <= trueRatio && trueRatio <= interval.high) covered++
    }
    expect(covered / trials).toBeGreaterThan(0.85)
  })

  it('says how many requests a target width needs', () => {
    const interval = { estimate: 100, low: 90, high: 110, confidence: 0.95, resamples: 2000 }
    // ±10% now with 100 requests; ±5% needs four times as many.
    expect(requestsForTargetWidth(interval, 100, 0.05)).toBe(400)
    expect(requestsForTargetWidth(interval, 100, 0.2)).toBe(100)
  })
})
