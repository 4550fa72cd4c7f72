import { describe, expect, it } from 'vitest'
import { describeValues, percentileOfSorted } from '../../src/metrics/distribution.js'
import { metricById } from '../../src/metrics/definitions.js'
import { compileSlo, meetsRequestObjectives } from '../../src/metrics/slo.js'
import type { SloConfig } from '../../src/io/schema/scenario.js'
import { type RunFacts, summarizeRun } from '../../src/metrics/summarize.js'
import { judgeClient } from '../../src/load/client-check.js'
import { emptyDistribution } from '../../src/metrics/distribution.js'
import { COMPLETED_RECORD_END, type RequestRecord } from '../../src/io/schema/record.js'

/** A successful record: first token at `ttft`, then one chunk every `itl` ms carrying `perChunk` tokens. */
function record(overrides: Partial<Omit<RequestRecord, 'chunks'>> & { ttft?: number; itl?: number; chunks?: number; perChunk?: number } = {}): RequestRecord {
  const ttft = overrides.ttft ?? 100
  const itl = overrides.itl ?? 10
  const chunkCount = overrides.chunks ?? 10
  const perChunk = overrides.perChunk ?? 1
  const chunks: Array<[number, number]> = Array.from({ length: chunkCount }, (_, i) => [ttft + i * itl * perChunk, perChunk])
  const last = chunks[chunks.length - 1]?.[0] ?? ttft
  const { ttft: _t, itl: _i, chunks: _c, perChunk: _p, ...rest } = overrides
  return {
    id: 0,
    endpoint: 'e',
    step: 0,
    api: 'chat',
    model: 'm',
    intendedSendMs: 0,
    sendMs: 0,
    dispatchWaitMs: 0,
    newConnection: false,
    responseHeadersMs: 1,
    firstByteMs: 1,
    chunks,
    tokenEvents: chunkCount * perChunk,
    timeToFirstTokenMs: ttft,
    timeToFirstContentMs: ttft,
    endToEndLatencyMs: last + 1,
    requestedInputTokens: 100,
    requestedOutputTokens: chunkCount * perChunk,
    inputTokens: 100,
    inputTokensSource: 'server',
    outputTokens: chunkCount * perChunk,
    ...COMPLETED_RECORD_END,
    ...rest,
  }
}

const client = judgeClient({
  eventLoopDelayMeanMs: 0,
  eventLoopDelayP99Ms: 0,
  eventLoopDelayMaxMs: 0,
  eventLoopUtilization: 0.1,
  sendLatenessMs: emptyDistribution(),
  dispatchWaitMs: emptyDistribution(),
  dispatchWaitShare: 0,
  cpuCores: 0.1,
  workers: 1,
})

function facts(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    endpoint: { label: 'e', url: 'http://x', model: 'm', api: 'chat' },
    step: 0,
    stepLabel: 'test',
    requested: {
      mode: 'closed',
      concurrency: 1,
      ratePerS: null,
      arrival: null,
      burstiness: null,
      maxConcurrency: null,
      requests: null,
      durationS: null,
      warmupS: 0,
      cooldownS: 0,
    },
    achieved: { concurrencyMean: 1, concurrencyMax: 1, sendRatePerS: null, runDurationS: 1 },
    client,
    interrupted: false,
    sendEndMs: 0,
    slo: {},
    warnings: [],
    ...overrides,
  }
}

describe('percentiles', () => {
  it('interpolate linearly between ranks, as numpy does', () => {
    const sorted = [1, 2, 3, 4]
    expect(percentileOfSorted(sorted, 50)).toBe(2.5)
    expect(percentileOfSorted(sorted, 90)).toBeCloseTo(3.7, 10)
    expect(percentileOfSorted(sorted, 0)).toBe(1)
    expect(percentileOfSorted(sorted, 100)).toBe(4)
    expect(percentileOfSorted([], 50)).toBeNull()
  })

  it('give the sample standard deviation', () => {
    const d = describeValues([2, 4, 4, 4, 5, 5, 7, 9])
    expect(d.mean).toBe(5)
    expect(d.std).toBeCloseTo(2.138, 3)
    expect(d.count).toBe(8)
  })
})

describe('metric definitions', () => {
  it('TPOT = (E2E − TTFT) / (tokens − 1); per-request ITL stops at the last token', () => {
    const r = record({ ttft: 100, itl: 10, chunks: 11 })
    expect(metricById('tpot').perRequest?.(r)).toBeCloseTo((201 - 100) / 10, 10)
    expect(metricById('itl').perRequest?.(r)).toBeCloseTo(10, 10)
  })

  it('per-token ITL stays right when events are coalesced; per-chunk gaps do not', () => {
    // 4 tokens per read every 40 ms: the token latency is 10 ms, the chunk gap 40 ms.
    const r = record({ ttft: 100, itl: 10, chunks: 5, perChunk: 4 })
    const perToken: number[] = []
    metricById('interTokenLatency').pooled?.(r, (v, times = 1) => perToken.push(...Array(times).fill(v)))
    const perChunk: number[] = []
    metricById('interChunkLatency').pooled?.(r, (v) => perChunk.push(v))
    expect(perToken.every((v) => Math.abs(v - 10) < 1e-9)).toBe(true)
    expect(perToken).toHaveLength(16)
    expect(perChunk.every((v) => Math.abs(v - 40) < 1e-9)).toBe(true)
  })

  it('goodput needs every SLO met, and success', () => {
    const meetsSlo = (r: RequestRecord, config: SloConfig): boolean => meetsRequestObjectives(r, compileSlo(config))
    const fast = record({ ttft: 50, itl: 5 })
    const slow = record({ ttft: 500, itl: 5 })
    expect(meetsSlo(fast, { ttftMs: 100, tpotMs: 10 })).toBe(true)
    expect(meetsSlo(slow, { ttftMs: 100, tpotMs: 10 })).toBe(false)
    expect(meetsSlo(fast, { tpotMs: 2 })).toBe(false)
    expect(meetsSlo({ ...fast, ok: false, errorClass: 'http-5xx' }, { ttftMs: 100 })).toBe(false)
  })
})

describe('run summary', () => {
  it('is a pure function of the records: errors by class, metrics over successes, goodput', async () => {
    const records = [
      record({ id: 0, sendMs: 0, ttft: 50 }),
      record({ id: 1, sendMs: 10, ttft: 150 }),
      record({ id: 2, sendMs: 20, ok: false, errorClass: 'http-429', endToEndLatencyMs: null, chunks: 0, timeToFirstTokenMs: null }),
    ]
    const summary = await summarizeRun(() => records, facts({ slo: { ttftMs: 100 }, sendEndMs: 20 }))
    expect(summary.requests.sent).toBe(3)
    expect(summary.requests.succeeded).toBe(2)
    expect(summary.requests.errors['http-429']).toBe(1)
    expect(summary.metrics.ttft?.mean).toBe(100)
    // SLO attainment: the 429 misses the SLO like a slow answer (1 of 3 met it).
    expect(summary.goodput?.fractionOfRequests).toBe(1 / 3)
    // A request cancelled by the run's end is not judged: its outcome is unknown.
    const cancelled = record({ id: 3, sendMs: 15, ok: false, errorClass: 'cancelled', endToEndLatencyMs: null, chunks: 0, timeToFirstTokenMs: null })
    expect((await summarizeRun(() => [...records, cancelled], facts({ slo: { ttftMs: 100 }, sendEndMs: 20 }))).goodput?.fractionOfRequests).toBe(1 / 3)
    expect(await summarizeRun(() => records, facts({ slo: { ttftMs: 100 }, sendEndMs: 20 }))).toEqual(summary)
  })

  it('keeps warm-up and cool-down requests out of the statistics but counts them as sent', async () => {
    const records = [0, 500, 1000, 1500, 2000, 2500].map((sendMs, id) => record({ id, sendMs, ttft: sendMs < 1000 ? 900 : 100 }))
    const summary = await summarizeRun(() => records, facts({ requested: { ...facts().requested, warmupS: 1, cooldownS: 1 }, sendEndMs: 3000 }))
    expect(summary.requests.sent).toBe(6)
    expect(summary.requests.excludedWarmup).toBe(2)
    expect(summary.requests.excludedCooldown).toBe(2)
    expect(summary.requests.inWindow).toBe(2)
    expect(summary.metrics.ttft?.mean).toBe(100)
    expect(summary.window.startMs).toBe(1000)
    expect(summary.window.endMs).toBe(2000)
  })

  it('counts throughput as what arrived inside the window', async () => {
    // one request streaming 1 token every 10 ms from 100 ms to 190 ms: 10 tokens over 191 ms
    const summary = await summarizeRun(() => [record({ ttft: 100, itl: 10, chunks: 10 })], facts())
    expect(summary.window.durationS).toBeCloseTo(0.191, 6)
    expect(summary.throughput.outputTokensPerS).toBeCloseTo(10 / 0.191, 6)
    expect(summary.throughput.requestsPerS).toBeCloseTo(1 / 0.191, 6)
  })

  it('flags coalescing when reads carry several token events', async () => {
    const summary = await summarizeRun(() => [record({ chunks: 5, perChunk: 4 })], facts())
    expect(summary.tokens.coalescingDetected).toBe(true)
    expect(summary.warnings.join(' ')).toMatch(/coalesces/)
  })
})

describe('client-bound verdict', () => {
  it('fires on event-loop delay or late sends and stays silent otherwise', () => {
    expect(client.verdict).toBe('ok')
    const busy = judgeClient({ ...client, eventLoopDelayMeanMs: 3 })
    expect(busy.verdict).toBe('client-bound')
    expect(busy.reasons[0]).toMatch(/event-loop delay/)
    const late = judgeClient({ ...client, sendLatenessMs: describeValues([5, 6, 7, 40]) })
    expect(late.verdict).toBe('client-bound')
    const queued = judgeClient({ ...client, dispatchWaitMs: describeValues([3, 4, 5]), dispatchWaitShare: 0.05 })
    expect(queued.verdict).toBe('client-bound')
    expect(queued.reasons[0]).toMatch(/waited/)
  })
})
