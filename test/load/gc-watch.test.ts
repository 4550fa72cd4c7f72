import { describe, expect, it } from 'vitest'
import { judgeClient } from '../../src/load/client-check.js'
import { sumGcPauses, watchGcPauses } from '../../src/load/gc-watch.js'
import { describeValues } from '../../src/metrics/distribution.js'
import { quietClientCheck } from '../helpers/client-check.js'

const quiet = quietClientCheck({ eventLoopUtilization: 0.3, dispatchWaitMs: describeValues([0.01]), dispatchWaitShare: 0, cpuCores: 0.3 })

describe('garbage-collection pauses (client self-check)', () => {
  it('sees the collections that a stream of surviving allocations causes', async () => {
    const stop = watchGcPauses()
    // Objects that live a while, as open streams' state does: young collections must copy them.
    let kept: Array<{ arrivals: number[]; text: string }> = []
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 20_000; i++) kept.push({ arrivals: [i, round], text: `token ${i} of round ${round}` })
      if (kept.length > 200_000) kept = kept.slice(100_000)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const pauses = stop()
    expect(kept.length).toBeGreaterThan(0)
    expect(pauses.count).toBeGreaterThan(0)
    expect(pauses.totalMs).toBeGreaterThan(0)
    expect(pauses.maxMs).toBeLessThanOrEqual(pauses.totalMs)
    expect(pauses.readDelayMeanMs).toBeGreaterThan(0)
  })

  it('averages over the time it watched, not over the life of the thread before it', async () => {
    // A thread that has lived a while (model discovery, earlier steps) before the watch starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const watchedFrom = performance.now()
    const stop = watchGcPauses()
    let kept: Array<{ arrivals: number[] }> = []
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20_000; i++) kept.push({ arrivals: [i, round] })
      if (kept.length > 100_000) kept = kept.slice(50_000)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const pauses = stop()
    const watchedMs = performance.now() - watchedFrom
    expect(kept.length).toBeGreaterThan(0)
    expect(pauses.count).toBeGreaterThan(0)
    // readDelayMeanMs × 2 × window = Σ pause², which lies between total² / count and longest × total.
    const sumOfSquares = pauses.readDelayMeanMs * 2 * watchedMs
    expect(sumOfSquares).toBeGreaterThanOrEqual(((pauses.totalMs * pauses.totalMs) / pauses.count) * 0.9)
    expect(sumOfSquares).toBeLessThanOrEqual(pauses.maxMs * pauses.totalMs * 1.1)
  })

  it('leaves out the collections before the statistics start', () => {
    const stop = watchGcPauses(performance.now() + 60_000)
    const garbage: number[][] = []
    for (let i = 0; i < 300_000; i++) garbage.push([i])
    expect(garbage.length).toBe(300_000)
    expect(stop().count).toBe(0)
  })

  it('weighs long pauses by how many reads they catch: Σ pause² / (2 × window)', () => {
    const pausesMs = [2, 4, 10]
    const windowMs = 1_000
    const summed = sumGcPauses(pausesMs, windowMs)
    expect(summed.count).toBe(pausesMs.length)
    expect(summed.totalMs).toBeCloseTo(pausesMs.reduce((a, b) => a + b, 0))
    expect(summed.maxMs).toBe(Math.max(...pausesMs))
    expect(summed.readDelayMeanMs).toBeCloseTo(pausesMs.reduce((a, b) => a + b * b, 0) / (2 * windowMs))
    // The same total in one long pause delays the reads it catches far more than in many short ones.
    expect(sumGcPauses([16], windowMs).readDelayMeanMs).toBeGreaterThan(sumGcPauses(Array(16).fill(1), windowMs).readDelayMeanMs)
  })

  it('marks a run client-bound, with the reason, when pauses delay reads past the threshold', () => {
    const short = judgeClient({ ...quiet, gcPauses: sumGcPauses(Array(20).fill(0.5), 10_000) })
    expect(short.verdict).toBe('ok')
    const long = judgeClient({ ...quiet, gcPauses: sumGcPauses(Array(60).fill(12), 10_000) })
    expect(long.verdict).toBe('client-bound')
    expect(long.reasons.join(' ')).toMatch(/garbage collection stopped the client 60 times/)
  })
})
