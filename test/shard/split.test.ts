import { describe, expect, it } from 'vitest'
import type { StreamingClient } from '../../src/client/stream-request.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { loadSchema } from '../../src/io/schema/scenario.js'
import { type ArrivalProcess, createArrivalSchedule } from '../../src/load/arrivals.js'
import { type LoadStep, StopSignal, requestedLoad, runLoadStep } from '../../src/load/runner.js'
import { checkShardable, globalRequestId, ownedRequestCount, shardSchedule, shardStep, shareOf } from '../../src/load/shard.js'

/** A client that answers every request at once and remembers what it was asked to send. */
function instantClient(): { client: StreamingClient; sent: Array<{ id: number; intendedSendMs: number }> } {
  const sent: Array<{ id: number; intendedSendMs: number }> = []
  const client = {
    send: async (_request: unknown, context: { id: number; intendedSendMs: number }) => {
      sent.push({ id: context.id, intendedSendMs: context.intendedSendMs })
      return { id: context.id, newConnection: true, sendMs: 0, dispatchWaitMs: 0, endToEndLatencyMs: 0 } as unknown as RequestRecord
    },
    stop: () => undefined,
    preconnect: async () => undefined, // no connections to open ahead
  } as unknown as StreamingClient
  return { client, sent }
}

/** Runs a step through the real sending loops with an instant client: the ids and intended send times sent. */
async function sendsOf(step: LoadStep) {
  const { client, sent } = instantClient()
  const result = await runLoadStep(step, {
    client,
    prepare: () => ({ request: {} as never, requestedInputTokens: null, requestedOutputTokens: null }),
    onRecord: () => undefined,
    stop: new StopSignal(),
  })
  return { sent, result }
}

const byId = <T extends { id: number }>(items: T[]): T[] => [...items].sort((a, b) => a.id - b.id)

describe('an open loop split over N shards is the unsharded schedule', () => {
  const processes: Array<{ arrival: ArrivalProcess; burstiness: number }> = [
    { arrival: 'poisson', burstiness: 1 },
    { arrival: 'gamma', burstiness: 0.4 },
    { arrival: 'constant', burstiness: 1 },
  ]

  it('through the sending loops: the union of the shards sends the same ids at the same offsets, for several N', async () => {
    for (const { arrival, burstiness } of processes) {
      // A high rate keeps the real waits short; only ids and intended offsets are compared.
      const step: LoadStep = { step: 0, label: 'rate', mode: 'open', ratePerS: 200_000, arrival, burstiness, seed: 9, maxRequests: 37 }
      const whole = await sendsOf(step)
      const expected = createArrivalSchedule({ process: arrival, ratePerSecond: 200_000, burstiness, seed: 9, count: 37 })
      const offsets = Array.from({ length: 37 }, (_, id) => ({ id, intendedSendMs: expected.nextOffsetMs() as number }))
      expect(byId(whole.sent)).toEqual(offsets)
      for (const count of [2, 3, 4, 7]) {
        const union: Array<{ id: number; intendedSendMs: number }> = []
        for (let index = 0; index < count; index++) {
          const { sent } = await sendsOf(shardStep(step, { index, count }))
          expect(sent.every((s) => s.id % count === index)).toBe(true)
          union.push(...sent)
        }
        expect(byId(union)).toEqual(offsets)
      }
    }
  })

  it('an unbounded schedule (a duration): each shard takes every Nth arrival of the same draws', () => {
    for (const { arrival, burstiness } of processes) {
      const make = () => createArrivalSchedule({ process: arrival, ratePerSecond: 50, burstiness, seed: 4 })
      const whole = make()
      const first = Array.from({ length: 60 }, () => whole.nextOffsetMs() as number)
      for (const count of [1, 3, 5]) {
        for (let index = 0; index < count; index++) {
          const shard = shardSchedule(make(), { index, count })
          const own = first.filter((_, id) => id % count === index)
          expect(own.map(() => shard.nextOffsetMs())).toEqual(own)
        }
      }
    }
  })

  it("a shard's concurrency cap is its share; the rate and request count stay the whole run's, and the summary reports the shard's part", () => {
    const step: LoadStep = {
      step: 0,
      label: 'rate',
      mode: 'open',
      ratePerS: 40,
      arrival: 'poisson',
      burstiness: 1,
      seed: 1,
      maxRequests: 10,
      maxConcurrency: 7,
    }
    const caps = [0, 1, 2].map((index) => shardStep(step, { index, count: 3 }).maxConcurrency)
    expect(caps).toEqual([3, 2, 2])
    const asked = [0, 1, 2].map((index) => requestedLoad(shardStep(step, { index, count: 3 }), 0, 0))
    expect(asked.map((a) => a.requests)).toEqual([4, 3, 3]) // ids 0,3,6,9 · 1,4,7 · 2,5,8
    expect(asked.reduce((sum, a) => sum + (a.ratePerS ?? 0), 0)).toBeCloseTo(40, 9)
  })
})

describe('a closed loop split over N shards', () => {
  it('users: shard k gets floor(c/N) + (k < c mod N), the shares add up to c', () => {
    for (const c of [1, 4, 7, 10, 64, 101]) {
      for (const count of [1, 2, 3, 4, 7]) {
        if (c < count) continue
        const shares = Array.from({ length: count }, (_, index) => shareOf(c, { index, count }))
        expect(shares.reduce((a, b) => a + b, 0)).toBe(c)
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1)
        // The larger shares come first.
        expect([...shares].sort((a, b) => b - a)).toEqual(shares)
      }
    }
  })

  it('requests: shard k sends ids k, k+N, … below R, and the shards together send each id below R once', () => {
    for (const total of [0, 1, 5, 30, 31]) {
      for (const count of [1, 2, 4, 7]) {
        const all: number[] = []
        for (let index = 0; index < count; index++) {
          const owned = Array.from({ length: ownedRequestCount(total, { index, count }) }, (_, j) => globalRequestId(j, { index, count }))
          const expected = Array.from({ length: total }, (_, id) => id).filter((id) => id % count === index)
          expect(owned).toEqual(expected)
          all.push(...owned)
        }
        expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, id) => id))
      }
    }
  })

  it('through the sending loop: each shard runs its share of users and sends its own ids', async () => {
    const step: LoadStep = { step: 0, label: 'c', mode: 'closed', concurrency: 6, arrival: 'poisson', burstiness: 1, seed: 1, maxRequests: 25 }
    const union: number[] = []
    for (let index = 0; index < 4; index++) {
      const { sent, result } = await sendsOf(shardStep(step, { index, count: 4 }))
      // All users send at once before any answer is taken: the peak in flight is the share.
      expect(result.achieved.concurrencyMax).toBe(index < 2 ? 2 : 1)
      union.push(...sent.map((s) => s.id))
    }
    expect(union.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, id) => id))
  })
})

describe('what cannot be sharded is refused in one line', () => {
  const refusal = (load: Record<string, unknown>, count: number): string => {
    try {
      checkShardable(loadSchema.parse(load), { index: 0, count })
    } catch (error) {
      return (error as Error).message
    }
    return ''
  }
  it('a sweep, fewer users than shards, a concurrency cap below the shard count', () => {
    const cases = [
      { load: { profile: 'sweep', duration: 10 }, says: /sweep cannot be sharded/ },
      { load: { concurrency: 3, requests: 10 }, says: /concurrency 3 is fewer users than the 4 shards/ },
      { load: { rate: 5, maxConcurrency: 2, requests: 10 }, says: /max-concurrency 2 is split over 4 shards/ },
    ]
    for (const { load, says } of cases) {
      const message = refusal(load, 4)
      expect(message).toMatch(says)
      expect(message).not.toContain('\n')
    }
    expect(refusal({ concurrency: 4, requests: 10 }, 4)).toBe('')
    expect(refusal({ rate: 5, requests: 10 }, 4)).toBe('')
  })
})
