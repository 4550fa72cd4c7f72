import { describe, expect, it } from 'vitest'
import { EngineModel, engineCapacity } from '../../src/sim/engine/engine.js'
import { FrontendQueue } from '../../src/sim/engine/frontend.js'
import { impliedCapacity } from '../../src/sim/engine/implied-capacity.js'
import { type SimProfile, loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { seededRandom } from '../../src/util/rng.js'
import type { LoadStep } from '../../src/load/runner.js'

/**
 * The engine model's CPU side by engine generation (scope 1 of #16), each behaviour checked against
 * the step formula worked out by hand from the profile's numbers, not against the code's output.
 */
const BASE = loadProfile('h100-sxm-llama-3.1-8b-bf16')

/** A quiet profile (no step noise) of a given generation with round CPU costs. */
function variant(engine: Partial<SimProfile['engine']>, timing: Partial<SimProfile['timing']> = {}, extra: Partial<SimProfile> = {}): SimProfile {
  return simProfileSchema.parse({
    ...BASE,
    engine: { ...BASE.engine, version: 'vllm-v1', numSchedulerSteps: 1, chunkedPrefill: true, ...engine },
    timing: { ...BASE.timing, stepJitterMs: 0, schedulerPerStepMs: 2, schedulerPerSequenceUs: 100, ...timing },
    calibration: undefined,
    ...extra,
  })
}

/** GPU time of a pure decode step of `batch` sequences each attending `context` tokens (the step formula, by hand). */
function gpuDecodeMs(profile: SimProfile, batch: number, context: number): number {
  const { gpu, model, timing } = profile
  const bandwidthBytesPerMs = (gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * model.tensorParallel) / 1000
  const kvBytes = profile.engine.kvCacheDtype === 'fp8' ? model.kvBytesPerToken / 2 : model.kvBytesPerToken
  return (
    timing.stepOverheadMs +
    (model.weightsGB * 1e9) / bandwidthBytesPerMs +
    (batch * context * kvBytes) / bandwidthBytesPerMs +
    (batch * timing.perSequenceUs) / 1000
  )
}

/** Decode steps of `batch` sequences with 100-token prompts, after their prefill: durations and scheduler times. */
function decodeSteps(profile: SimProfile, batch: number, steps: number, confidential = false): Array<{ ms: number; schedulerMs: number; context: number }> {
  const engine = new EngineModel(profile, confidential, seededRandom(1))
  for (let id = 0; id < batch; id++) engine.add({ id, promptTokens: 100, outputTokens: 10_000 })
  let t = 0
  while (true) {
    const step = engine.step(t)
    t = step.endMs
    if (step.prefillTokens === 0) break
  }
  const out: Array<{ ms: number; schedulerMs: number; context: number }> = []
  // The prefill step computed 100 tokens, the first decode step above attended 101: step i attends 102 + i.
  for (let i = 0; i < steps; i++) {
    const step = engine.step(t)
    out.push({ ms: step.endMs - step.startMs, schedulerMs: step.schedulerMs, context: 102 + i })
    t = step.endMs
  }
  return out
}

describe('engine generations: where the scheduler CPU time goes', () => {
  const batch = 32
  const schedulerMs = 2 + (batch * 100) / 1000

  it('vllm-0.5: each step is its GPU time plus the scheduling, one after the other', () => {
    const profile = variant({ version: 'vllm-0.5' })
    for (const step of decodeSteps(profile, batch, 5)) {
      expect(step.schedulerMs).toBeCloseTo(schedulerMs, 9)
      expect(step.ms).toBeCloseTo(gpuDecodeMs(profile, batch, step.context) + schedulerMs, 6)
    }
  })

  it('vllm-v1: scheduling overlaps the GPU, a step takes the longer of the two', () => {
    const cheap = variant({ version: 'vllm-v1' })
    for (const step of decodeSteps(cheap, batch, 3)) expect(step.ms).toBeCloseTo(gpuDecodeMs(cheap, batch, step.context), 6)
    // A scheduler slower than the GPU sets the pace.
    const slow = variant({ version: 'vllm-v1' }, { schedulerPerSequenceUs: 2000 })
    for (const step of decodeSteps(slow, batch, 3)) expect(step.ms).toBeCloseTo(2 + batch * 2, 6)
  })

  it('vllm-0.6 multi-step: the scheduling is paid once per group of N decode steps', () => {
    const profile = variant({ version: 'vllm-0.6', numSchedulerSteps: 4 })
    const steps = decodeSteps(profile, batch, 12)
    const scheduled = steps.filter((s) => s.schedulerMs > 0)
    expect(scheduled.length).toBe(3)
    for (const step of steps) expect(step.ms).toBeCloseTo(gpuDecodeMs(profile, batch, step.context) + step.schedulerMs, 6)
    // Groups are 4 steps apart.
    const heads = steps.flatMap((s, i) => (s.schedulerMs > 0 ? [i] : []))
    expect((heads[1] as number) - (heads[0] as number)).toBe(4)
    expect((heads[2] as number) - (heads[1] as number)).toBe(4)
  })

  it('vllm-0.6 multi-step: a request that arrives during a group waits for its end (TTFT waits for the group)', () => {
    const profile = variant({ version: 'vllm-0.6', numSchedulerSteps: 8 })
    const engine = new EngineModel(profile, false, seededRandom(1))
    engine.add({ id: 0, promptTokens: 100, outputTokens: 1000 })
    let t = 0
    let step = engine.step(t) // prefill of request 0 (a step of its own)
    t = step.endMs
    step = engine.step(t) // the head of a decode group of 8
    t = step.endMs
    engine.add({ id: 1, promptTokens: 100, outputTokens: 10 })
    let stepsBeforeAdmission = 0
    while (engine.waitingCount > 0) {
      step = engine.step(t)
      t = step.endMs
      stepsBeforeAdmission++
    }
    // 7 more steps of the group, then the scheduling that admits request 1.
    expect(stepsBeforeAdmission).toBe(8)
  })

  it('without chunked prefill, waiting prompts get a prefill step of their own and the decodes wait', () => {
    const profile = variant({ version: 'vllm-0.5', chunkedPrefill: false })
    const engine = new EngineModel(profile, false, seededRandom(1))
    engine.add({ id: 0, promptTokens: 100, outputTokens: 1000 })
    let t = engine.step(0).endMs
    t = engine.step(t).endMs
    engine.add({ id: 1, promptTokens: 300, outputTokens: 10 })
    const prefill = engine.step(t)
    expect(prefill.decodeSequences).toBe(0)
    expect(prefill.prefillTokens).toBe(300)
    const decode = engine.step(prefill.endMs)
    expect(decode.decodeSequences).toBe(2)
    expect(decode.prefillTokens).toBe(0)
  })
})

describe('FP8 KV cache', () => {
  it('holds twice the tokens and reads half the KV bytes per step', () => {
    const bf16 = variant({ version: 'vllm-0.5', kvCacheDtype: 'auto' })
    const fp8 = variant({ version: 'vllm-0.5', kvCacheDtype: 'fp8' })
    const a = engineCapacity(bf16, false)
    const b = engineCapacity(fp8, false)
    expect(b.kvBytesPerToken).toBe(bf16.model.kvBytesPerToken / 2)
    // Blocks round down: within one block of twice.
    expect(Math.abs(b.kvCacheTokens - 2 * a.kvCacheTokens)).toBeLessThanOrEqual(2 * bf16.engine.blockSize)
    for (const step of decodeSteps(fp8, 64, 3)) expect(step.ms).toBeCloseTo(gpuDecodeMs(fp8, 64, step.context) + (2 + 6.4), 6)
  })
})

describe("the confidential VM's CPU toll", () => {
  it('multiplies the scheduler and front-end CPU costs, apart from the GPU tolls', () => {
    const profile = variant(
      { version: 'vllm-0.5' },
      {},
      {
        confidential: {
          ...(BASE.confidential as NonNullable<SimProfile['confidential']>),
          cpuTollFactor: 1.5,
          stepTollMs: 0,
          perSequenceTollUs: 0,
          bandwidthFactor: 1,
          stepJitterMsPerSequence: 0,
        },
      },
    )
    const on = decodeSteps(profile, 16, 3, true)
    const off = decodeSteps(profile, 16, 3, false)
    for (let i = 0; i < 3; i++) {
      expect((on[i] as { schedulerMs: number }).schedulerMs).toBeCloseTo(1.5 * (2 + 1.6), 9)
      expect((on[i] as { ms: number }).ms - (off[i] as { ms: number }).ms).toBeCloseTo(0.5 * (2 + 1.6), 6)
    }
    const withFrontend = { ...profile, frontend: { cpuCores: 2, perRequestMs: 4, perOutputTokenUs: 100 } }
    const queue = new FrontendQueue({ ...withFrontend, engine: { ...withFrontend.engine, version: 'vllm-v1' } }, true)
    expect(queue.intake(0)).toBeCloseTo(6, 9)
    expect(queue.deliver(10, 10)).toBeCloseTo(10 + 1.5, 9)
  })
})

describe('the front end as a queue on its cores', () => {
  const profile = (version: SimProfile['engine']['version'], cpuCores: number): SimProfile => ({
    ...variant({ version }),
    frontend: { cpuCores, perRequestMs: 10, perOutputTokenUs: 500 },
  })

  it('queues requests first come first served on its cores', () => {
    const queue = new FrontendQueue(profile('vllm-v1', 2), false)
    // Three requests at once on two cores: two done at 10 ms, the third at 20 ms.
    expect([queue.intake(0), queue.intake(0), queue.intake(0)]).toEqual([10, 10, 20])
    // An idle core takes the next at once.
    expect(queue.intake(100)).toBe(110)
  })

  it("writes each step's tokens after the earlier steps' (a stream never reorders)", () => {
    const queue = new FrontendQueue(profile('vllm-v1', 2), false)
    const first = queue.deliver(0, 40) // 40 × 0.5 ms = 20 ms
    const second = queue.deliver(1, 2) // 1 ms on the other core, but not before the first
    expect(first).toBe(20)
    expect(second).toBe(20)
  })

  it('vllm-0.5: one core shared with the engine, whose steps wait for the work queued before them', () => {
    const queue = new FrontendQueue(profile('vllm-0.5', 4), false)
    expect(queue.sharedWithEngine).toBe(true)
    queue.intake(0)
    queue.intake(0)
    expect(queue.engineStartMs(5)).toBe(20)
    queue.holdForStep(50)
    // A request arriving during the step is taken after it.
    expect(queue.intake(30)).toBe(60)
  })

  it('no front end: no queue, no delay', () => {
    const none = new FrontendQueue({ ...variant({}), frontend: undefined }, false)
    expect(none.modelled).toBe(false)
    expect(none.intake(7)).toBe(7)
    expect(none.engineStartMs(7)).toBe(7)
  })

  it('caps throughput in virtual time: a saturated front end holds the rate at its cores / per-request CPU', async () => {
    // 1 core, 20 ms per request and 16 output tokens × 0.5 ms: 28 ms of CPU per request, at most ~35.7 req/s.
    const slow = { ...variant({ version: 'vllm-v1' }), frontend: { cpuCores: 1, perRequestMs: 20, perOutputTokenUs: 500 } }
    const load: LoadStep = { step: 0, label: 'inf', mode: 'closed', concurrency: 400, maxRequests: 400, arrival: 'poisson', burstiness: 1, seed: 1 }
    const { summary } = await runVirtual({ profile: slow, confidential: false, load, inputTokens: 64, outputTokens: 16, seed: 1 })
    const cap = 1000 / (20 + 16 * 0.5)
    expect(summary.throughput.requestsPerS).toBeLessThanOrEqual(cap * 1.001)
    expect(summary.throughput.requestsPerS).toBeGreaterThan(cap * 0.9)
    // The same engine without the front end is several times faster.
    const { summary: free } = await runVirtual({
      profile: { ...variant({ version: 'vllm-v1' }), frontend: undefined },
      confidential: false,
      load,
      inputTokens: 64,
      outputTokens: 16,
      seed: 1,
    })
    expect(free.throughput.requestsPerS).toBeGreaterThan(3 * cap)
  })
})

describe('profiles without the new fields keep the model before #16', () => {
  it('defaults: vllm-v1, no scheduler cost, chunked prefill, BF16 KV, no CPU toll, no front-end queue', () => {
    const old = simProfileSchema.parse({
      ...BASE,
      engine: { maxNumSeqs: 1024, maxNumBatchedTokens: 8192, blockSize: 16, gpuMemoryUtilization: 0.9, activationReserveGiB: 2, prefixCaching: true },
      timing: { bandwidthEfficiency: 0.7, stepOverheadMs: 0.5, perSequenceUs: 25, prefillMfu: 0.45, frontendMs: 3, stepJitterMs: 0, coldStartS: 40 },
      frontend: undefined,
      calibration: undefined,
    })
    expect(old.engine).toMatchObject({ version: 'vllm-v1', numSchedulerSteps: 1, chunkedPrefill: true, kvCacheDtype: 'auto' })
    expect(old.timing).toMatchObject({ schedulerPerStepMs: 0, schedulerPerSequenceUs: 0 })
    expect(old.frontend).toBeUndefined()
    for (const step of decodeSteps(old, 8, 3)) expect(step.ms).toBeCloseTo(gpuDecodeMs(old, 8, step.context), 9)
  })

  it('refuses multi-step scheduling outside vllm-0.6', () => {
    const result = simProfileSchema.safeParse({ ...BASE, engine: { ...BASE.engine, version: 'vllm-v1', numSchedulerSteps: 4 } })
    expect(result.success).toBe(false)
  })
})

describe('impliedCapacity stays an upper bound with the CPU side', () => {
  it.each(['h200-llama-3.1-8b-bf16', 'h100-sxm-llama-3.1-8b-bf16'])('%s: the simulation cannot sustain 1.2× the implied rate', async (name) => {
    const profile = loadProfile(name)
    const implied = impliedCapacity(profile, false, { inputTokensMean: 512, outputTokensMean: 128, outputTokensSquareMean: 128 * 128 }, undefined)
    const rate = implied.ratePerS * 1.2
    const { summary } = await runVirtual({
      profile,
      confidential: false,
      load: { step: 0, label: 'over', mode: 'open', ratePerS: rate, durationMs: 60_000, arrival: 'poisson', burstiness: 1, seed: 2 },
      inputTokens: 512,
      outputTokens: 128,
      seed: 2,
      warmupS: 20,
      cooldownS: 5,
    })
    expect(summary.throughput.requestsPerS).toBeLessThan(rate * 0.97)
  })
})
