import { mkdtempSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../../src/app/bench.js'
import { type LaunchedSimulator, launchSimulator } from '../../src/load/sim-target.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import type { RunSummary } from '../../src/io/schema/summary.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { LOOPBACK, type NetworkPath } from '../../src/sim/network.js'
import { loadWorkload } from '../../src/sim/workload.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { SIMULATOR_LATENESS_LIMIT_MS, simulatorWriteLatenessMs, untrustedBecause } from '../helpers/real-clock.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-http-cal-'))
let runs = 0
const SXM = 'h100-sxm-llama-3.1-8b-bf16'

/**
 * The saturation run needs more cores than two. 256 chats at 5,000–6,000 output tok/s keep the
 * simulator's process and the client each about a core busy; on this project's 2-core machines every
 * run measured so far was judged client-bound (data waited ~1.2–1.3 ms on its socket) with the
 * simulator ~2.2 ms late (bench/results/test-suite-timing.md, sixth round), and spent 30 s to skip.
 * Below SATURATION_CORES it skips at once with that reason; above, it runs and still skips itself when
 * a clock was not kept. The same claim holds in virtual time in calibration.test.ts (40 virtual seconds).
 */
const SATURATION_CORES = 4
const saturationSkippedBecause = (): string | undefined =>
  availableParallelism() < SATURATION_CORES
    ? `needs ${SATURATION_CORES} cores for the simulator and a client reading 256 streams at 5–6k tok/s; this machine has ${availableParallelism()}`
    : undefined

/**
 * One simulator process per test (its own engine, port and /metrics: with every endpoint in one
 * process, one test's endpoint disturbed the next one's figures), all started at once before the
 * first test instead of one at the start of each: ~1–2 s of start each, which the file otherwise
 * waited for six times. An idle one takes no CPU from the test that measures. Keyed by profile.
 */
const SIMULATORS_PER_PROFILE: Record<string, number> = { [SXM]: 4 + (saturationSkippedBecause() ? 0 : 1), 'h200-llama-3.1-8b-bf16': 1 }
const idle = new Map<string, Array<Promise<LaunchedSimulator>>>()
const launch = (profile: string): Promise<LaunchedSimulator> => launchSimulator({ sim: simEndpointSchema.parse({ profile }) })

beforeAll(async () => {
  for (const [profile, count] of Object.entries(SIMULATORS_PER_PROFILE))
    idle.set(
      profile,
      Array.from({ length: count }, () => launch(profile)),
    )
  await Promise.all([...idle.values()].flat())
}, 60_000)
afterAll(async () => {
  await Promise.all([...idle.values()].flat().map(async (simulator) => (await simulator).stop()))
})

/**
 * geopat bench, through HTTP, against a simulated `profile` in its own process (as `sim:` in a
 * scenario starts it), with the simulator's mean write lateness from its /metrics.
 */
async function benchSimulated(
  profile: string,
  load: Record<string, unknown>,
  input: Record<string, unknown>,
): Promise<{ run: RunSummary; simulatorLatenessMs: number }> {
  const simulator = await (idle.get(profile)?.shift() ?? launch(profile))
  try {
    const url = simulator.urls.sim as string
    const scenario = scenarioSchema.parse({ endpoints: [{ label: 'sim', url }], load, input: { fixedOutput: true, ...input } })
    const { summary } = await runBench({ scenario, source: 'test', outDir: join(work, `run-${runs++}`), log: () => undefined, progress: false })
    const run = summary.runs[0]
    if (!run) throw new Error('no run')
    return { run, simulatorLatenessMs: await simulatorWriteLatenessMs(url) }
  } finally {
    await simulator.stop()
  }
}

/**
 * The calibrated figures hold over real HTTP when both sides kept their clocks: the client's self-
 * check says ok and the simulator wrote on time. A simulator that wrote late by a little (its own
 * /metrics says how much, up to 1 ms on average) widens a latency figure's range by that lateness:
 * each token is written that much late on average, an interval between two tokens by up to twice
 * it. Where the client was bound, or the simulator fell further behind (a loaded machine), the
 * figures are the machine's and the test is skipped with the reason; the same figures are held
 * exactly in virtual time in calibration.test.ts. Returns the lateness to widen by (ms).
 */
const WIDEN_UP_TO_MS = 1
function skipUnlessMeasured(context: TestContext, result: { run: RunSummary; simulatorLatenessMs: number }, widen = false): number {
  expect(result.run.client.reasons.length > 0).toBe(result.run.client.verdict !== 'ok')
  const lateness = result.simulatorLatenessMs
  const tolerable = widen && lateness <= WIDEN_UP_TO_MS
  const why = untrustedBecause(result.run, tolerable ? undefined : lateness)
  if (why.length > 0) context.skip(`real clock not kept: ${why.join('; ')}`)
  return tolerable && lateness > SIMULATOR_LATENESS_LIMIT_MS ? lateness : 0
}

/** Requests of each HTTP-vs-virtual run: 8 s at 6 requests/s. */
const AGREEMENT_REQUESTS = 48
/**
 * The virtual runs an HTTP run is held against: each engine noise seed of NOISE_SEEDS, on loopback
 * and on a path that adds what the real HTTP path adds (~1.5 ms: loopback, event loops, write
 * lateness; ± half of it). The simulator draws its step noise from its own seed, and over HTTP the
 * steps fall a little differently in time, so an HTTP run is one more realization of the same
 * requests under other noise; and a fraction of a millisecond can put a request into the next
 * engine step. Measured over 16 seeds, TTFT p50 moves by up to 12% from one seed to another, at 48
 * requests as at 96 (SXM seed 11, 96 requests: 126.3 ms at noise seed 11, 138.7 ms at seed 10: the
 * 138–140 ms an HTTP run sometimes measured); and the 1.5 ms path moves the H200's 48-request median
 * from 109.1–111.6 ms to 110.2–121.2 ms (its requests sit at a step boundary). The other three
 * figures move by under 1%. A single virtual run is not the figure's value.
 */
const NOISE_SEEDS = Array.from({ length: 16 }, (_, index) => index + 1)
const PATHS: NetworkPath[] = [LOOPBACK, { rttMs: 1.5, jitterMs: 0.75, tlsHandshakeRoundTrips: 0 }]

/**
 * geopat bench over HTTP against the simulated `profile`, and the same open loop (same requests,
 * same send times) in virtual time under each of NOISE_SEEDS on each of PATHS: TTFT p50 (the median:
 * a fraction of a millisecond can put one request into the next engine step, after another
 * request's long prefill, a jump of tens of ms that a mean carries), TPOT, E2E and output throughput
 * over HTTP lie within 5% of the virtual runs' range. Long prompts (1.5k tokens), so that the
 * ~1.5 ms the real HTTP path itself adds stays small against TTFT. 48 requests (96 before): the
 * noise range is as wide at 96, and the other three figures are means and a rate over the run.
 */
async function expectHttpMatchesVirtual(context: TestContext, profile: string, seed: number): Promise<void> {
  const chat = {
    inputTokens: { dist: 'lognormal' as const, mean: 1500, std: 500, min: 256, max: 4000 },
    outputTokens: { dist: 'lognormal' as const, mean: 200, std: 150, min: 8, max: 1000 },
  }
  const result = await benchSimulated(
    profile,
    { rate: 6, requests: AGREEMENT_REQUESTS, arrival: 'poisson' as const, seed },
    { inputTokens: chat.inputTokens, outputTokens: chat.outputTokens },
  )
  const http = result.run
  expect(http.requests.succeeded).toBe(AGREEMENT_REQUESTS)
  skipUnlessMeasured(context, result)
  const virtual: RunSummary[] = []
  for (const network of PATHS) {
    for (const noiseSeed of NOISE_SEEDS) {
      const { summary } = await runVirtual({
        profile: loadProfile(profile),
        confidential: false,
        network,
        load: { step: 0, label: 'virtual', mode: 'open', ratePerS: 6, maxRequests: AGREEMENT_REQUESTS, arrival: 'poisson', burstiness: 1, seed },
        inputTokens: chat.inputTokens,
        outputTokens: chat.outputTokens,
        seed,
        noiseSeed,
      })
      virtual.push(summary)
    }
  }
  const figures: Array<[string, (run: RunSummary) => number]> = [
    ['TTFT p50', (run) => run.metrics.ttft?.p50 as number],
    ['TPOT mean', (run) => run.metrics.tpot?.mean as number],
    ['E2E mean', (run) => run.metrics.e2e?.mean as number],
    ['output tok/s', (run) => run.throughput.outputTokensPerS],
  ]
  for (const [name, figure] of figures) {
    const a = figure(http)
    const values = virtual.map(figure)
    const [low, high] = [Math.min(...values), Math.max(...values)]
    const message = `${name}: HTTP ${a.toFixed(2)} vs virtual ${low.toFixed(2)}–${high.toFixed(2)}`
    expectBetween(a, low * 0.95, high * 1.05, 0, message)
  }
}

/** `value` lies in [low − slack, high + slack] (slack: what the machine's own timing error allows). */
function expectBetween(value: number | null | undefined, low: number, high: number, slack = 0, message?: string): void {
  expect(value, message).toBeGreaterThanOrEqual(low - slack)
  expect(value, message).toBeLessThanOrEqual(high + slack)
}

describe('calibration through the real HTTP path (geopat bench → geopat sim)', () => {
  it('H100 SXM, Llama-3.1-8B: batch-1 ITL is within 10% below the published TPOT at QPS 2 (8.6 ms)', async (context) => {
    // As in calibration.test.ts: vLLM v0.6.0's benchmark measured 8.6 ms, where the reference derived 7–7.5 ms.
    const result = await benchSimulated(SXM, { concurrency: 1, requests: 4 }, { inputTokens: 512, outputTokens: 64 })
    const { run } = result
    expect(run.requests.succeeded).toBe(4)
    const slackMs = 2 * skipUnlessMeasured(context, result, true)
    expectBetween(run.metrics.itl?.mean, 8.6 * 0.9, 8.6, slackMs)
  })

  it('batch 64 at 1k context: 11–13 ms per step', async (context) => {
    // 64 streams at once; once every prefill is done, each step is one decode of all 64 at ~1k context.
    const result = await benchSimulated(SXM, { concurrency: 64, requests: 64 }, { inputTokens: 960, outputTokens: 128 })
    const { run } = result
    expect(run.requests.succeeded).toBe(64)
    const slackMs = 2 * skipUnlessMeasured(context, result, true)
    expectBetween(run.metrics.interTokenLatency?.p50, 11, 13, slackMs)
  })

  it("a 2k-token prompt's TTFT is 75–80 ms at low load", async (context) => {
    // The first request (cold JIT on both sides) is a warm-up, kept in the records, out of the figures.
    const result = await benchSimulated(SXM, { concurrency: 1, requests: 5, warmup: 0.05 }, { inputTokens: 2048, outputTokens: 2 })
    const { run } = result
    // Checked once the clocks are known kept: the warm-up is the first 50 ms of sending, and on a
    // loaded machine the first send itself can leave later than that.
    const slackMs = skipUnlessMeasured(context, result, true)
    expect(run.requests.excludedWarmup).toBe(1)
    // The profile's prefill is 75–80 ms (77.2 in virtual time, loopback path included); over HTTP a
    // first token is also timestamped only when the client's event loop gets to its read: on average
    // the loop's mean delay, which the client measures over the run. That widens the bound on this
    // mean as the simulator's mean write lateness does (a clean-clone CI run read 80.33 ms against
    // 80.26 allowed, the simulator's lateness alone).
    expectBetween(run.metrics.ttft?.mean, 75, 80, slackMs + run.client.eventLoopDelayMeanMs)
  })

  it('saturates at 5,000–6,000 output tok/s on chat traffic', async (context) => {
    const tooFewCores = saturationSkippedBecause()
    if (tooFewCores) context.skip(tooFewCores)
    const chat = loadWorkload('chat')
    // 256 chats starting over 8 s (so they do not move in lockstep), measured from 10 s to 22 s.
    const result = await benchSimulated(
      SXM,
      { concurrency: 256, duration: 24, rampUp: 8, warmup: 10, cooldown: 2 },
      { inputTokens: chat.inputTokens, outputTokens: chat.outputTokens, fixedOutput: true },
    )
    const { run } = result
    expect(run.requests.succeeded).toBeGreaterThan(0)
    skipUnlessMeasured(context, result)
    expectBetween(run.throughput.outputTokensPerS, 5000, 6000)
  }, 60_000)

  it('a server whose front end shares the engine core (vllm-0.5, H200 on one core): HTTP and virtual time agree within 5%', async (context) => {
    // Both paths queue the front end's CPU work with the same module (frontend.ts); at 6 req/s it is
    // about a third of that core.
    await expectHttpMatchesVirtual(context, 'h200-llama-3.1-8b-bf16', 12)
  }, 60_000)

  it('HTTP and virtual time agree within 5% at moderate load', async (context) => {
    // 6 requests/s is a third of saturation.
    await expectHttpMatchesVirtual(context, SXM, 11)
  }, 60_000)
})
