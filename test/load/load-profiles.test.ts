import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../../src/app/bench.js'
import { readRecords } from '../../src/io/output/records-reader.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'

let sim: RunningSimServer
const work = mkdtempSync(join(tmpdir(), 'geopat-profiles-'))
let runCount = 0

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 20, itlMs: 2, defaultOutputTokens: 8 })
})

afterAll(async () => {
  await sim.close()
})

async function bench(load: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const scenario = scenarioSchema.parse({
    endpoints: [{ url: sim.url, label: 'sim' }],
    load,
    input: { inputTokens: 16, outputTokens: 8 },
    ...extra,
  })
  const { summary } = await runBench({ scenario, source: 'test', outDir: join(work, `run-${runCount++}`), log: () => undefined, progress: false })
  return summary
}

describe('load profiles', () => {
  it('open loop offers the rate asked for and reports what it achieved', async () => {
    const summary = await bench({ rate: 40, arrival: 'constant', duration: 2 })
    const run = summary.runs[0]
    expect(run?.requested.mode).toBe('open')
    expect(run?.achieved.sendRatePerS).toBeGreaterThan(36)
    expect(run?.achieved.sendRatePerS).toBeLessThan(44)
    expect(run?.requests.sent).toBeGreaterThanOrEqual(75)
    // Lateness is measured when undici writes each request that did not connect inside its send: on a
    // kept-alive connection or on a spare the client opened ahead; for every such request, and none
    // other (how many needed a new connection, and got a spare, is the machine's business).
    const records: RequestRecord[] = []
    for await (const record of readRecords(join(work, `run-${runCount - 1}`, 'records.jsonl'))) records.push(record)
    expect(records).toHaveLength(run?.requests.sent ?? -1)
    const keptAlive = records.filter((record) => !record.newConnection).length
    const onSpares = records.filter((record) => record.newConnection && record.preconnected === true).length
    expect(keptAlive).toBeGreaterThan(0)
    expect(run?.client.sendLatenessMs.count).toBe(keptAlive + onSpares)
  })

  it('a Poisson open loop with a concurrency cap never exceeds the cap', async () => {
    const summary = await bench({ rate: 200, arrival: 'poisson', maxConcurrency: 3, requests: 60 })
    const run = summary.runs[0]
    expect(run?.achieved.concurrencyMax).toBeLessThanOrEqual(3)
    expect(run?.requests.succeeded).toBe(60)
  })

  it('a closed loop holds the concurrency asked for', async () => {
    const summary = await bench({ concurrency: 6, requests: 60 })
    const run = summary.runs[0]
    expect(run?.achieved.concurrencyMax).toBe(6)
    expect(run?.achieved.concurrencyMean).toBeGreaterThan(4)
  })

  it('a sweep runs synchronous, then maximum throughput, then rates between them', async () => {
    const summary = await bench({ profile: 'sweep', duration: 1, sweepSteps: 2, sweepMaxConcurrency: 16 })
    const labels = summary.runs.map((r) => r.stepLabel)
    expect(labels.slice(0, 2)).toEqual(['synchronous', 'throughput'])
    expect(summary.runs.length).toBeGreaterThanOrEqual(3)
    const synchronous = summary.runs[0]?.throughput.requestsPerS ?? 0
    const maximum = summary.runs[1]?.throughput.requestsPerS ?? 0
    expect(maximum).toBeGreaterThan(synchronous * 3)
    const rates = summary.runs.slice(2).map((r) => r.requested.ratePerS ?? 0)
    for (const rate of rates) {
      expect(rate).toBeGreaterThan(synchronous)
      expect(rate).toBeLessThan(maximum)
    }
    expect([...rates].sort((a, b) => a - b)).toEqual(rates)
  })

  it('says "client-bound" when the client is starved of CPU, and not at low load', async () => {
    // The same light load unstarved: its verdict is the machine's (a busy neighbour can make any
    // client late), so the run is held to what the burner alone changes: a starved loop's delay
    // above the quiet one's. That a quiet client's figures pass the thresholds is checked on fixed
    // figures in client-advice.test.ts.
    const quiet = await bench({ concurrency: 2, requests: 40 })
    const quietRun = quiet.runs[0]
    // A CPU burner in the client's own process: 15 ms of busy work every few ms.
    const burner = setInterval(() => {
      const until = performance.now() + 15
      while (performance.now() < until) {
        // burn
      }
    }, 2)
    try {
      const starved = await bench({ concurrency: 2, requests: 40 })
      expect(starved.runs[0]?.client.verdict).toBe('client-bound')
      expect(starved.runs[0]?.client.reasons.join(' ')).toMatch(/event-loop delay/)
      expect(starved.runs[0]?.client.eventLoopDelayP99Ms).toBeGreaterThan(quietRun?.client.eventLoopDelayP99Ms ?? 0)
    } finally {
      clearInterval(burner)
    }
  })
})
