import { describe, expect, it } from 'vitest'
import { PERCENTILES, StreamingDistribution, describeValues } from '../../src/metrics/distribution.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * The pooled (histogram) distribution against the exact statistics of the same values kept and
 * sorted: percentiles within the buckets' ±0.05% (or the nearest value seen, at a jump between two
 * values), mean and count exact, whichever order the values come in (the bucket window widens
 * both ways) and however far apart they lie.
 */
function expectClose(streamed: StreamingDistribution, values: number[]): void {
  const exact = describeValues(values)
  const pooled = streamed.describe()
  expect(pooled.count).toBe(exact.count)
  expect(pooled.min).toBe(exact.min)
  expect(pooled.max).toBe(exact.max)
  expect(pooled.mean as number).toBeCloseTo(exact.mean as number, 6)
  const sorted = [...values].sort((a, b) => a - b)
  for (const [key, percentile] of PERCENTILES) {
    // The histogram reports the value at rank ⌈p·n⌉ (no interpolation between two values): either neighbour of numpy's rank.
    const rank = (percentile / 100) * (sorted.length - 1)
    const candidates = [sorted[Math.floor(rank)] as number, sorted[Math.ceil(rank)] as number]
    const within = candidates.some((value) => Math.abs((pooled[key] as number) - value) <= value * 6e-4 + 1e-9)
    expect(within, `${key}: ${pooled[key]} against ${candidates.join(' / ')}`).toBe(true)
  }
}

describe('StreamingDistribution', () => {
  it('matches the exact statistics of values spread over many decades, in any order, with zeros', () => {
    const random = seededRandom(17)
    for (let trial = 0; trial < 200; trial++) {
      const streamed = new StreamingDistribution()
      const values: number[] = []
      const scale = 10 ** (random.next() * 12 - 4)
      const spread = random.next() * 10
      const n = 1 + Math.floor(random.next() * 500)
      for (let i = 0; i < n; i++) {
        const value = random.next() < 0.03 ? 0 : scale * Math.exp((random.next() - 0.5) * spread)
        streamed.add(value)
        values.push(value)
      }
      expectClose(streamed, values)
    }
  })

  it('counts a value added `times` times as that many values', () => {
    const streamed = new StreamingDistribution()
    const values: number[] = []
    for (const [value, times] of [
      [5, 3],
      [0.001, 2],
      [4000, 1],
      [12, 4],
    ] as const) {
      streamed.add(value, times)
      for (let i = 0; i < times; i++) values.push(value)
    }
    expectClose(streamed, values)
  })

  it('has no percentiles before a value and ignores negative or non-numbers', () => {
    const streamed = new StreamingDistribution()
    expect(streamed.describe().p50).toBeNull()
    streamed.add(-1)
    streamed.add(Number.NaN)
    expect(streamed.describe().count).toBe(0)
  })
})
