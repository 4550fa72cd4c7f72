import { describe, expect, it } from 'vitest'
import { paybackQuantiles, quantiles } from '../../src/tco/monte-carlo.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * The Monte Carlo's summaries place their order statistics by selection instead of sorting; checked
 * here against a full sort and the textbook definitions (numpy's linear type 7; nearest rank), on
 * samples with ties, infinities and sizes at the edges.
 */

function linear(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p
  const lower = Math.floor(h)
  const upper = Math.min(sorted.length - 1, lower + 1)
  return (sorted[lower] as number) + (h - lower) * ((sorted[upper] as number) - (sorted[lower] as number))
}

function samples(): Float64Array[] {
  const random = seededRandom(7)
  const out: Float64Array[] = []
  for (const n of [1, 2, 3, 9, 10, 11, 101, 5_000]) {
    out.push(Float64Array.from({ length: n }, () => (random.next() - 0.3) * 1e6))
    // Heavy ties: a handful of distinct values.
    out.push(Float64Array.from({ length: n }, () => Math.floor(random.next() * 4) * 12))
  }
  return out
}

describe('Monte Carlo summaries', () => {
  it('P10/P50/P90 are the linearly interpolated order statistics of the sorted sample, the mean its average', () => {
    for (const sample of samples()) {
      const sorted = Array.from(sample).sort((a, b) => a - b)
      const result = quantiles(sample)
      expect(result.p10).toBe(linear(sorted, 0.1))
      expect(result.p50).toBe(linear(sorted, 0.5))
      expect(result.p90).toBe(linear(sorted, 0.9))
      const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length
      expect(Math.abs(result.mean - mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(mean)))
    }
  })

  it('payback quantiles are nearest-rank months of the sorted draws, null where that rank never pays back', () => {
    const random = seededRandom(11)
    for (const n of [1, 2, 3, 10, 11, 999]) {
      for (const never of [0, 0.05, 0.3, 0.6, 1]) {
        const months = Float64Array.from({ length: n }, () => (random.next() < never ? Number.POSITIVE_INFINITY : Math.floor(random.next() * 30)))
        const sorted = Array.from(months).sort((a, b) => a - b)
        const rank = (p: number): number | null => {
          const value = sorted[Math.max(0, Math.ceil(p * n) - 1)] as number
          return Number.isFinite(value) ? value : null
        }
        const result = paybackQuantiles(months)
        expect([result.p10, result.p50, result.p90]).toEqual([rank(0.1), rank(0.5), rank(0.9)])
        expect(result.probabilityWithinHorizon).toBe(sorted.filter(Number.isFinite).length / n)
      }
    }
  })
})
