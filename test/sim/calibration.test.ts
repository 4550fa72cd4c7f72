import { describe, expect, it } from 'vitest'
import { EngineModel } from '../../src/sim/engine/engine.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { loadWorkload } from '../../src/sim/workload.js'
import { seededRandom } from '../../src/util/rng.js'
import type { LoadStep } from '../../src/load/runner.js'

const SXM = loadProfile('h100-sxm-llama-3.1-8b-bf16')
const NVL = loadProfile('h100-nvl-llama-3.1-8b-bf16')

/** Mean duration of pure decode steps of `batch` sequences whose context is about `context` tokens. */
function decodeStepMs(batch: number, context: number, confidential = false): number {
  const engine = new EngineModel(SXM, confidential, seededRandom(1))
  for (let id = 0; id < batch; id++) engine.add({ id, promptTokens: context - 24, outputTokens: 1000 })
  let t = 0
  // Prefill everything first (chunked, several steps).
  while (true) {
    const step = engine.step(t)
    t = step.endMs
    if (step.prefillTokens === 0) break
  }
  const durations: number[] = []
  for (let i = 0; i < 48; i++) {
    const step = engine.step(t)
    durations.push(step.endMs - step.startMs)
    t = step.endMs
  }
  return durations.reduce((a, b) => a + b, 0) / durations.length
}

/** The most of `timesMs` that fall within any window shorter than `windowMs`. */
function mostArrivalsWithin(timesMs: number[], windowMs: number): number {
  const sorted = [...timesMs].sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

const closed = (concurrency: number, requests: number): LoadStep => ({
  step: 0,
  label: `c${concurrency}`,
  mode: 'closed',
  concurrency,
  maxRequests: requests,
  arrival: 'poisson',
  burstiness: 1,
  seed: 1,
})
const open = (rate: number, requests: number): LoadStep => ({
  step: 0,
  label: `r${rate}`,
  mode: 'open',
  ratePerS: rate,
  maxRequests: requests,
  arrival: 'poisson',
  burstiness: 1,
  seed: 1,
})

describe('calibration: Llama-3.1-8B BF16 on H100 SXM (reference targets)', () => {
  it('batch 1 decode step is within 10% below the published TPOT at QPS 2 (8.6 ms)', () => {
    // The reference derived 7–7.5 ms; vLLM v0.6.0's own benchmark (data/calibration/vllm-v0.6-blog.yaml)
    // measured a mean TPOT of 8.6 ms at 2 req/s on this GPU (a batch of ~3, a little above batch 1),
    // and Phala's 7.55 ms per token on the 16% faster H100 NVL agrees: the published figure wins.
    const ms = decodeStepMs(1, 1024)
    expect(ms).toBeGreaterThanOrEqual(8.6 * 0.9)
    expect(ms).toBeLessThanOrEqual(8.6)
  })

  it('batch 64 at 1k context is 11–13 ms per step', () => {
    const ms = decodeStepMs(64, 1024)
    expect(ms).toBeGreaterThanOrEqual(11)
    expect(ms).toBeLessThanOrEqual(13)
  })

  it("a 2k-token prompt's TTFT is 75–80 ms at low load", async () => {
    const { summary } = await runVirtual({ profile: SXM, confidential: false, load: closed(1, 5), inputTokens: 2048, outputTokens: 4, seed: 1 })
    expect(summary.metrics.ttft?.mean).toBeGreaterThanOrEqual(75)
    expect(summary.metrics.ttft?.mean).toBeLessThanOrEqual(80)
  })

  it('saturates at 5,000–6,000 output tok/s on chat traffic', async () => {
    const chat = loadWorkload('chat')
    // Steady state: a closed loop of 256 chats for 40 s, the first 10 s and the last 5 s left out.
    const load: LoadStep = { ...closed(256, 1_000_000), durationMs: 40_000 }
    const { summary } = await runVirtual({
      profile: SXM,
      confidential: false,
      load,
      inputTokens: chat.inputTokens,
      outputTokens: chat.outputTokens,
      seed: 1,
      warmupS: 10,
      cooldownS: 5,
    })
    expect(summary.throughput.outputTokensPerS).toBeGreaterThanOrEqual(5000)
    expect(summary.throughput.outputTokensPerS).toBeLessThanOrEqual(6000)
  })
})

describe("calibration: H100 NVL at 1 request/s, ShareGPT-like lengths, against Phala's CC study", () => {
  const shareGpt = loadWorkload('sharegpt-like')
  // Published (arXiv 2409.03992): TTFT 24.2 → 28.8 ms, 132.4 → 123.3 output tok/s per request, CC off → on.
  it.each([
    [false, 24.2, 132.4],
    [true, 28.8, 123.3],
  ])('CC %s: TTFT and decode rate within 10%% of the published figures', async (confidential, ttftMs, tokensPerS) => {
    const { summary } = await runVirtual({
      profile: NVL,
      confidential,
      load: open(1, 600),
      inputTokens: shareGpt.inputTokens,
      outputTokens: shareGpt.outputTokens,
      seed: 3,
    })
    const ttft = summary.metrics.ttft?.mean as number
    const decodeRate = 1000 / (summary.metrics.tpot?.mean as number)
    expect(Math.abs(ttft - ttftMs) / ttftMs).toBeLessThan(0.1)
    expect(Math.abs(decodeRate - tokensPerS) / tokensPerS).toBeLessThan(0.1)
  })
})

describe('saturation behaviour', () => {
  const chat = loadWorkload('chat')
  /** A run of chat lengths on the SXM profile at seed 5. */
  const runChat = (load: LoadStep, confidential = false, keepRecords = false) =>
    runVirtual({ profile: SXM, confidential, load, inputTokens: chat.inputTokens, outputTokens: chat.outputTokens, seed: 5, keepRecords })
  const ttftP50At = async (rate: number, confidential: boolean): Promise<number> => {
    const { summary } = await runChat(open(rate, rate * 30), confidential)
    return summary.metrics.ttft?.p50 as number
  }
  /**
   * The knee, at one latency objective for both profiles: the highest offered rate whose median
   * TTFT stays under twice the standard profile's low-load median.
   */
  async function knee(confidential: boolean, objectiveMs: number): Promise<number> {
    let last = 0
    for (let rate = 4; rate <= 30; rate++) {
      if ((await ttftP50At(rate, confidential)) > objectiveMs) break
      last = rate
    }
    return last
  }

  it('past the knee TTFT and the queue grow, and the confidential profile knees earlier', async () => {
    const objectiveMs = 2 * (await ttftP50At(2, false))
    const standard = await knee(false, objectiveMs)
    const confidential = await knee(true, objectiveMs)
    expect(standard).toBeGreaterThan(0)
    expect(confidential).toBeLessThan(standard)
    const below = await runChat(open(standard / 2, 300), false, true)
    const above = await runChat(open(standard * 1.5, 900))
    expect(above.engine.peakRunning).toBeGreaterThan(2 * below.engine.peakRunning)
    expect(above.summary.metrics.ttft?.p90 as number).toBeGreaterThan(3 * (below.summary.metrics.ttft?.p90 as number))
    // Far past it the KV cache fills and requests wait (vllm:num_requests_waiting).
    const overloaded = await runChat(open(standard * 3, 3000))
    expect(overloaded.engine.peakWaiting).toBeGreaterThan(0)
    // Below it requests wait only for the end of the running multi-step group (vLLM 0.6 admits between
    // groups): never more than the run's own arrivals within one group's time (counted from the send
    // times, apart from the engine), while the overloaded queue grows far beyond that. (A bound of
    // 4× the mean arrivals per group held only by luck: with ~1 arrival per group, a Poisson burst of
    // 5 in one of the run's ~300 groups is more likely than not.)
    const groupMs = SXM.engine.numSchedulerSteps * decodeStepMs(Math.max(1, below.engine.peakRunning), 600)
    expect(below.engine.peakWaiting).toBeLessThanOrEqual(
      Math.max(
        1,
        mostArrivalsWithin(
          below.records.map((r) => r.intendedSendMs),
          groupMs,
        ),
      ),
    )
    expect(overloaded.engine.peakWaiting).toBeGreaterThan(10 * below.engine.peakWaiting)
  })

  it('preempts (recompute) when the KV cache is short', async () => {
    // max_num_seqs 1024 (vLLM V1's default on this GPU; the profile's vLLM 0.6 stops at 256, which the KV cache holds).
    const wide = { ...SXM, engine: { ...SXM.engine, maxNumSeqs: 1024 } }
    const { engine } = await runVirtual({
      profile: wide,
      confidential: false,
      load: closed(1024, 3000),
      inputTokens: chat.inputTokens,
      outputTokens: chat.outputTokens,
      seed: 1,
    })
    expect(engine.preemptions).toBeGreaterThan(0)
    expect(engine.peakKvUsage).toBeGreaterThan(0.95)
  })
})
