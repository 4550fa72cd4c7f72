import { runUntilIdle } from '../helpers/engine-steps.js'
import { describe, expect, it } from 'vitest'
import { EngineModel, type EngineRequest } from '../../src/sim/engine/engine.js'
import { PrefixCacheIndex, promptBlockHashes, traceBlockHashes } from '../../src/sim/engine/prefix-cache.js'
import { type SimProfile, loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { seededRandom } from '../../src/util/rng.js'
import { runVirtual } from '../../src/sim/virtual.js'

/**
 * Prefix caching in the engine model (#21 scope 4), in the engine's own virtual time: hits counted
 * as vLLM counts them, checked against the reuse recomputed here by comparing token ids (no hashing),
 * and the TTFT a hit saves checked against the step formula worked out by hand.
 */
const BASE = loadProfile('h100-sxm-llama-3.1-8b-bf16')

/** A quiet vLLM V1 profile: chunked prefill, one step per prompt up to 8192 tokens, no noise, no scheduler cost. */
function quietProfile(prefixCaching: boolean): SimProfile {
  return simProfileSchema.parse({
    ...BASE,
    engine: { ...BASE.engine, version: 'vllm-v1', numSchedulerSteps: 1, chunkedPrefill: true, maxNumBatchedTokens: 8192, prefixCaching },
    timing: { ...BASE.timing, stepJitterMs: 0, schedulerPerStepMs: 0, schedulerPerSequenceUs: 0 },
    calibration: undefined,
  })
}

/** Token ids 0..n-1 shifted by `seed` so that different seeds share nothing. */
function tokens(seed: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => seed * 100_000 + i)
}

/** Runs requests one after the other; returns each one's time to first token (ms from when it was added). */
function runSequentially(engine: EngineModel, prompts: number[][], blockSize: number): number[] {
  const ttfts: number[] = []
  let t = 0
  prompts.forEach((ids, id) => {
    const request: EngineRequest = { id, promptTokens: ids.length, outputTokens: 2, blockHashes: promptBlockHashes(ids, blockSize) }
    const { ttftMs, endMs } = runUntilIdle(engine, request, t)
    t = endMs
    ttfts.push(ttftMs)
  })
  return ttfts
}

/** Longest common prefix (tokens) of two prompts. */
function commonPrefix(a: number[], b: number[]): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

describe('prefix caching: hit tokens as vLLM counts them', () => {
  const blockSize = BASE.engine.blockSize
  // Three "system prompts" of different lengths, each reused by several requests with their own questions.
  const systems = [tokens(1, 700), tokens(2, 333), tokens(3, 1200)]
  const prompts: number[][] = []
  for (let i = 0; i < 12; i++) prompts.push([...(systems[i % 3] as number[]), ...tokens(10 + i, 50 + 17 * i)])
  // A multi-turn conversation: each turn carries the previous prompt plus the new text.
  let history = tokens(40, 90)
  for (let turn = 0; turn < 4; turn++) {
    prompts.push(history)
    history = [...history, ...tokens(50 + turn, 120)]
  }

  it('the hit fraction equals the reuse of earlier prompts, rounded down to whole blocks', () => {
    const engine = new EngineModel(quietProfile(true), false, seededRandom(1))
    runSequentially(engine, prompts, blockSize)
    let expectedHits = 0
    let rawReuse = 0
    prompts.forEach((ids, i) => {
      const reuse = Math.max(0, ...prompts.slice(0, i).map((earlier) => commonPrefix(ids, earlier)))
      rawReuse += reuse
      // Whole blocks only, and at least one token left to compute.
      expectedHits += Math.floor(Math.min(reuse, ids.length - 1) / blockSize) * blockSize
    })
    const total = prompts.reduce((sum, ids) => sum + ids.length, 0)
    expect(engine.counters.prefixQueryTokens).toBe(total)
    expect(engine.counters.prefixHitTokens).toBe(expectedHits)
    // Block rounding loses less than one block per request.
    expect(rawReuse - engine.counters.prefixHitTokens).toBeLessThan(prompts.length * blockSize)
    expect(engine.counters.prefixHitTokens / total).toBeGreaterThan(0.4)
  })

  it('with prefix caching off: no queries, no hits', () => {
    const engine = new EngineModel(quietProfile(false), false, seededRandom(1))
    runSequentially(engine, prompts, blockSize)
    expect(engine.counters.prefixHitTokens).toBe(0)
    expect(engine.counters.prefixQueryTokens).toBe(0)
  })

  it('a prompt seen whole hits all but its last block (one token is always computed)', () => {
    const engine = new EngineModel(quietProfile(true), false, seededRandom(1))
    const ids = tokens(7, 10 * blockSize)
    runSequentially(engine, [ids, ids], blockSize)
    expect(engine.counters.prefixHitTokens).toBe(9 * blockSize)
  })
})

describe('prefix caching: TTFT falls by the prefill compute of the cached tokens', () => {
  it('same prompt after a shared 2,000-token prefix: the cached run saves exactly its prefill FLOPs', () => {
    const blockSize = BASE.engine.blockSize
    const shared = tokens(5, 2000)
    const first = [...shared, ...tokens(6, 100)]
    const second = [...shared, ...tokens(8, 48)]
    const ttft = (caching: boolean): number =>
      runSequentially(new EngineModel(quietProfile(caching), false, seededRandom(1)), [first, second], blockSize)[1] as number
    const cached = ttft(true)
    const uncached = ttft(false)
    // By hand: prefill compute 2·P·tokens / (peak·MFU·TP), against the weight read it overlaps (max).
    const { gpu, model, timing } = BASE
    const flopsPerMs = (gpu.denseTflops * 1e12 * timing.prefillMfu * model.tensorParallel) / 1000
    // Each GPU reads its share of the weights at η of its bandwidth.
    const weightReadMs = (model.weightsGB * 1e9) / model.tensorParallel / ((gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency) / 1000)
    const prefillMs = (n: number): number => Math.max(weightReadMs, (2 * model.parametersB * 1e9 * n) / flopsPerMs)
    const hit = Math.floor(2000 / blockSize) * blockSize
    // The KV read is the same (the cached tokens are attended either way): only the forward pass differs.
    expect(uncached - cached).toBeCloseTo(prefillMs(second.length) - prefillMs(second.length - hit), 6)
    expect(cached).toBeLessThan(uncached)
  })
})

describe('the prefix cache index: bounded, least recently freed evicted first', () => {
  it('evicts free blocks in the order they were freed, never held ones', () => {
    const index = new PrefixCacheIndex()
    for (const hash of ['a', 'b', 'c']) index.register(hash)
    index.release(['a'])
    index.release(['c'])
    expect(index.evictableBlocks).toBe(2)
    index.evict(1)
    expect(index.longestCachedPrefix(['a'], 1)).toBe(0)
    expect(index.longestCachedPrefix(['c'], 1)).toBe(1)
    expect(index.longestCachedPrefix(['b'], 1)).toBe(1)
    // Taking a free cached block back removes it from the free pool.
    expect(index.acquire(['c', 'b'])).toBe(1)
    expect(index.evictableBlocks).toBe(0)
  })

  it('chained hashes: equal blocks after different prefixes hash differently', () => {
    const tail = tokens(9, 16)
    const a = promptBlockHashes([...tokens(1, 16), ...tail], 16)
    const b = promptBlockHashes([...tokens(2, 16), ...tail], 16)
    expect(a).toHaveLength(2)
    expect(a[1]).not.toBe(b[1])
    expect(promptBlockHashes([...tokens(1, 16), ...tail, 5], 16)).toEqual(a)
  })
})

describe('multi-turn sessions in virtual time: TTFT falls after turn 1 with caching on, not with it off', () => {
  it('20 sessions of 4 turns, each turn re-sending the history: the fall is the prefill of the cached history', async () => {
    const blockSize = BASE.engine.blockSize
    const requests: Array<{ atMs: number; turn: number; ids: number[] }> = []
    for (let session = 0; session < 20; session++) {
      let history: number[] = []
      for (let turn = 0; turn < 4; turn++) {
        // Each turn adds the previous answer (100 tokens) and a new question (200 tokens) to the history.
        history = [
          ...history,
          ...(turn > 0 ? tokens(1000 + session * 10 + turn, 100) : tokens(500 + session, 1000)),
          ...tokens(2000 + session * 10 + turn, 200),
        ]
        requests.push({ atMs: session * 8000 + turn * 1800, turn, ids: history })
      }
    }
    requests.sort((a, b) => a.atMs - b.atMs)
    const meanTtftByTurn = async (caching: boolean): Promise<number[]> => {
      const result = await runVirtual({
        profile: quietProfile(caching),
        confidential: false,
        load: { step: 0, label: 'sessions', mode: 'open', ratePerS: 1, arrival: 'poisson', burstiness: 1, seed: 1, maxRequests: requests.length },
        inputTokens: 1,
        outputTokens: 1,
        seed: 1,
        keepRecords: true,
        replay: {
          lengths: requests.map((r) => ({ inputTokens: r.ids.length, outputTokens: 100, blockHashes: promptBlockHashes(r.ids, blockSize) })),
          sendTimesMs: requests.map((r) => r.atMs),
        },
      })
      return [0, 1, 2, 3].map((turn) => {
        const ofTurn = result.records.filter((record) => requests[record.id]?.turn === turn)
        expect(ofTurn).toHaveLength(20)
        return ofTurn.reduce((sum, record) => sum + (record.timeToFirstTokenMs as number), 0) / ofTurn.length
      })
    }
    const on = await meanTtftByTurn(true)
    const off = await meanTtftByTurn(false)
    // Off: every turn prefills its whole, longer history.
    expect(off[3] as number).toBeGreaterThan(off[0] as number)
    // On: every later turn is faster than the first.
    for (const turn of [1, 2, 3]) expect(on[turn] as number).toBeLessThan(on[0] as number)
    // Turns 1.8 s apart and sessions 8 s apart: one request in the engine at a time, so the first turns agree
    // (nothing cached yet) and later the gap is exactly the prefill compute of the cached blocks (by hand).
    expect(on[0] as number).toBeCloseTo(off[0] as number, 6)
    const { gpu, model, timing } = BASE
    const flopsPerMs = (gpu.denseTflops * 1e12 * timing.prefillMfu * model.tensorParallel) / 1000
    const weightReadMs = (model.weightsGB * 1e9) / model.tensorParallel / ((gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency) / 1000)
    const prefillMs = (n: number): number => Math.max(weightReadMs, (2 * model.parametersB * 1e9 * n) / flopsPerMs)
    for (const turn of [1, 2, 3]) {
      const length = 1200 + turn * 300
      const cached = Math.floor((length - 300) / blockSize) * blockSize
      const predicted = prefillMs(length) - prefillMs(length - cached)
      expect((off[turn] as number) - (on[turn] as number)).toBeCloseTo(predicted, 6)
    }
  })
})

describe('trace block ids (Mooncake hash_ids) as engine block hashes', () => {
  it('two requests sharing their first two 512-token trace blocks share exactly those 64 engine blocks', () => {
    const a = traceBlockHashes([7, 8, 9], 512, 1400, 16, 'request-a')
    const b = traceBlockHashes([7, 8, 10], 512, 1600, 16, 'request-b')
    expect(a).toHaveLength(Math.floor(1400 / 16))
    let shared = 0
    while (a[shared] === b[shared]) shared++
    expect(shared).toBe((2 * 512) / 16)
    // Past the ids, a request's blocks are its own even with the same ids.
    const c = traceBlockHashes([7], 512, 1024, 16, 'request-c')
    const d = traceBlockHashes([7], 512, 1024, 16, 'request-d')
    expect(c.slice(0, 32)).toEqual(d.slice(0, 32))
    expect(c[32]).not.toBe(d[32])
  })
})
