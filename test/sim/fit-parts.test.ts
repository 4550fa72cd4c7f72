import { describe, expect, it } from 'vitest'
import { type SimProfile, loadProfile } from '../../src/io/schema/sim-profile.js'
import { validationError } from '../../src/sim/fit/fitted-profile.js'
import { medianInterTokenMs, ttftAgainstPrompt } from '../../src/sim/fit/point-figures.js'
import { heldByEngine } from '../../src/sim/fit/parameters.js'
import { samplingNoise } from '../../src/sim/fit/sampling-noise.js'
import { COMPLETED_RECORD_END, type RequestRecord } from '../../src/io/schema/record.js'

const withEngine = (profile: SimProfile, engine: Partial<SimProfile['engine']>): SimProfile => ({ ...profile, engine: { ...profile.engine, ...engine } })

/** A successful streamed record: first token at `ttftMs`, then one token every `gapsMs[i]`. */
function record(id: number, inputTokens: number, ttftMs: number, gapsMs: number[]): RequestRecord {
  const times = [ttftMs]
  for (const gap of gapsMs) times.push((times[times.length - 1] as number) + gap)
  return {
    id,
    endpoint: 'e',
    step: 0,
    api: 'chat',
    model: 'm',
    intendedSendMs: id * 1000,
    sendMs: id * 1000,
    dispatchWaitMs: 0,
    newConnection: false,
    responseHeadersMs: ttftMs,
    firstByteMs: ttftMs,
    chunks: times.map((t) => [t, 1]),
    tokenEvents: times.length,
    timeToFirstTokenMs: ttftMs,
    timeToFirstContentMs: ttftMs,
    endToEndLatencyMs: times[times.length - 1] as number,
    requestedInputTokens: inputTokens,
    requestedOutputTokens: times.length,
    inputTokens,
    inputTokensSource: 'server',
    outputTokens: times.length,
    ...COMPLETED_RECORD_END,
  }
}

describe('sim fit: what the engine generation lets a client separate', () => {
  const base = loadProfile('h100-sxm-llama-3.1-8b-bf16')
  it('vllm-0.6 multi-step: the scheduler per step is fitted (the group head shows it), its per-sequence cost held', () => {
    const held = heldByEngine(withEngine(base, { version: 'vllm-0.6', numSchedulerSteps: 10 }))
    expect(held.has('timing.schedulerPerStepMs')).toBe(false)
    expect(held.get('timing.schedulerPerSequenceUs')).toMatch(/10-step group/)
    expect(held.has('timing.stepOverheadMs')).toBe(false)
  })
  it('vllm-0.5 and vllm-0.6 without multi-step add the scheduling to every step: both scheduler costs held', () => {
    for (const engine of [
      { version: 'vllm-0.5' as const, numSchedulerSteps: 1 },
      { version: 'vllm-0.6' as const, numSchedulerSteps: 1 },
    ]) {
      const held = heldByEngine(withEngine(base, engine))
      expect(held.get('timing.schedulerPerStepMs')).toMatch(/every step.*stepOverheadMs/)
      expect(held.get('timing.schedulerPerSequenceUs')).toMatch(/every step.*perSequenceUs/)
    }
    expect(heldByEngine(withEngine(base, { version: 'vllm-0.5', numSchedulerSteps: 1 })).get('frontend.perOutputTokenUs')).toMatch(/engine's core/)
  })
  it('vllm-v1 overlaps the scheduling with the GPU: both scheduler costs held', () => {
    const held = heldByEngine(withEngine(base, { version: 'vllm-v1', numSchedulerSteps: 1 }))
    expect(held.get('timing.schedulerPerStepMs')).toMatch(/overlaps/)
    expect(held.get('timing.schedulerPerSequenceUs')).toMatch(/overlaps/)
  })
})

describe('sim fit: features of a point', () => {
  it('the median token gap leaves out the one long gap per multi-step group that the mean keeps', () => {
    // 3 requests, 21 tokens each: 18 gaps of 8 ms and 2 of 12 ms (group heads).
    const gaps = Array.from({ length: 20 }, (_, i) => (i % 10 === 0 ? 12 : 8))
    expect(medianInterTokenMs([record(0, 100, 50, gaps), record(1, 200, 60, gaps), record(2, 300, 70, gaps)])).toBe(8)
  })
  it('TTFT against prompt length: intercept and slope of the line through the requests', () => {
    // TTFT = 12 + 0.05 × prompt tokens exactly.
    const records = [100, 500, 900, 1300].map((tokens, id) => record(id, tokens, 12 + 0.05 * tokens, [8]))
    const { ttftInterceptMs, ttftSlopeMsPerToken } = ttftAgainstPrompt(records)
    expect(ttftInterceptMs).toBeCloseTo(12, 9)
    expect(ttftSlopeMsPerToken).toBeCloseTo(0.05, 12)
    expect(ttftAgainstPrompt(records.slice(0, 2))).toEqual({ ttftInterceptMs: null, ttftSlopeMsPerToken: null })
  })
})

describe('sim fit: the validation error', () => {
  it('sampling noise: nothing when the measurement matches its simulation request by request', () => {
    const same = Array.from({ length: 50 }, () => ({ ttftMs: 100, tpotMs: 10 }))
    expect(samplingNoise(same, same)).toBe(0)
  })
  it('sampling noise: t(0.975, k − 1) × √2 × the standard error of the batch means, over the simulated mean', () => {
    // 50 requests in 10 batches of 5; TTFT off by a batch's own offset, TPOT exact.
    const offsets = [3, -2, 5, 0, -4, 1, 2, -1, 4, -3]
    const simulated = Array.from({ length: 50 }, () => ({ ttftMs: 100, tpotMs: 10 }))
    const measured = simulated.map((s, i) => ({ ttftMs: s.ttftMs + (offsets[Math.floor(i / 5)] as number), tpotMs: s.tpotMs }))
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length
    const sd = Math.sqrt(offsets.reduce((a, b) => a + (b - mean) ** 2, 0) / (offsets.length - 1))
    expect(samplingNoise(measured, simulated)).toBeCloseTo((2.262 * Math.SQRT2 * sd) / Math.sqrt(10) / 100, 6)
    // In a closed loop of several users TTFT is not paired: only TPOT counts, and it matches.
    expect(samplingNoise(measured, simulated, true)).toBe(0)
  })
  it('a regime’s band is its worst point’s leave-one-out error plus that point’s noise, without a multiplier', () => {
    expect(validationError([])).toBeNull()
    expect(
      validationError([
        { leaveOneOut: 0.02, noise: 0.01 },
        { leaveOneOut: 0.01, noise: 0.04 },
      ]),
    ).toBeCloseTo(0.05, 12)
    expect(validationError([{ leaveOneOut: 0.03, noise: 0 }])).toBe(0.03)
  })
})
