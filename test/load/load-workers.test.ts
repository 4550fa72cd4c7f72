import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../src/client/endpoint.js'
import { runBench } from '../../src/app/bench.js'
import { runLoadStepInWorkers } from '../../src/load/load-workers.js'
import { type LoadStep, StopSignal } from '../../src/load/runner.js'
import { readRecords } from '../../src/io/output/records-reader.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { endpointSchema, retrySchema, scenarioSchema, timeoutsSchema } from '../../src/io/schema/scenario.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'

/** A closed loop spread over worker threads (--workers): the same requests, records and accounting as on one thread. */
let sim: RunningSimServer
const work = mkdtempSync(join(tmpdir(), 'geopat-workers-'))
let runCount = 0

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 8, itlMs: 2 })
})

afterAll(async () => {
  await sim.close()
})

/** `whileRunning`: told the run's folder before it starts (a test that stops the run once records arrive). */
async function bench(load: Record<string, unknown>, stop?: StopSignal, whileRunning?: (outDir: string) => void) {
  const scenario = scenarioSchema.parse({
    endpoints: [{ url: sim.url, label: 'sim' }],
    load,
    input: { inputTokens: { dist: 'uniform', min: 8, max: 40 }, outputTokens: { dist: 'uniform', min: 3, max: 12 }, fixedOutput: true },
  })
  const outDir = join(work, `run-${runCount++}`)
  whileRunning?.(outDir)
  const { summary } = await runBench({ scenario, source: 'test', outDir, log: () => undefined, progress: false, ...(stop ? { stop } : {}) })
  const records: RequestRecord[] = []
  for await (const record of readRecords(join(outDir, 'records.jsonl'))) records.push(record)
  return { run: summary.runs[0], records }
}

const byId = (records: RequestRecord[]): RequestRecord[] => [...records].sort((a, b) => a.id - b.id)

describe('load workers', () => {
  it('sends the same requests as one thread, numbered once, every one accounted for', async () => {
    const single = await bench({ concurrency: 6, requests: 60 })
    const sharded = await bench({ concurrency: 6, requests: 60, workers: 2 })
    expect(sharded.run?.client.workers).toBe(2)
    expect(single.run?.client.workers).toBe(1)
    expect(sharded.run?.requests.sent).toBe(60)
    expect(sharded.run?.requests.succeeded).toBe(60)
    expect(sharded.records).toHaveLength(60)
    expect(byId(sharded.records).map((r) => r.id)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(new Set(sharded.records.map((r) => r.requestId)).size).toBe(60)
    // Prompts are made in the coordinator in one loop's order: request i asks for what it would on one thread.
    const lengths = (records: RequestRecord[]) => byId(records).map((r) => [r.requestedInputTokens, r.requestedOutputTokens, r.outputTokens])
    expect(lengths(sharded.records)).toEqual(lengths(single.records))
    // Both threads carried load, and the whole concurrency was reached.
    expect(sharded.run?.achieved.concurrencyMax).toBeLessThanOrEqual(6)
    expect(sharded.run?.achieved.concurrencyMean).toBeGreaterThan(3)
    // Every record counts from the one time origin: sends spread from ~0 to the end of the run.
    const sends = sharded.records.map((r) => r.sendMs)
    expect(Math.min(...sends)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...sends)).toBeLessThan((sharded.run?.achieved.runDurationS ?? 0) * 1000)
  })

  it('honours a duration', async () => {
    const { run, records } = await bench({ concurrency: 4, duration: 0.6, workers: 2 })
    // Every virtual user sent at least once (the duration starts when the workers are ready).
    expect(records.length).toBeGreaterThanOrEqual(4)
    expect(records.length).toBe(run?.requests.sent)
    // The loop decides within the duration; undici may write the request a little later on a busy machine.
    for (const record of records) expect(record.intendedSendMs).toBeLessThan(600)
  })

  it('starts the duration once every worker is ready: a start-up slower than the duration loses none of it', async () => {
    // Start-up made 1 s slower on purpose (a loaded machine), for a 300 ms duration: a duration
    // counted from before the workers were ready would be over before the first send.
    const endpoint = resolveEndpoint(endpointSchema.parse({ url: sim.url, label: 'sim' }), 'test')
    const step: LoadStep = { step: 0, label: 'c4', mode: 'closed', concurrency: 4, durationMs: 300, arrival: 'poisson', burstiness: 1, seed: 1 }
    const records: RequestRecord[] = []
    const request = {
      model: 'geopat-sim',
      api: 'chat' as const,
      prompt: 'hello',
      messages: [{ role: 'user' as const, content: 'hello' }],
      maxOutputTokens: 3,
      fixedOutput: true,
      continuousUsage: false,
      extraBody: undefined,
    }
    const result = await runLoadStepInWorkers(step, 2, {
      endpoint,
      connectTimeoutMs: 5000,
      client: { timeouts: timeoutsSchema.parse({}), retries: retrySchema.parse({}) },
      prepare: () => ({ request, requestedInputTokens: null, requestedOutputTokens: 3 }),
      onRecordLines: (lines) => {
        for (const line of lines.split('\n')) records.push(JSON.parse(line) as RequestRecord)
      },
      stop: new StopSignal(),
      graceSeconds: 5,
      warmupMs: 0,
      workerStartDelayMs: 1000,
    })
    expect(records.length).toBeGreaterThan(0)
    expect(result.sent).toBe(records.length)
    expect(records.every((r) => r.ok)).toBe(true)
    // Every send was decided within the duration after the shared origin.
    for (const record of records) {
      expect(record.intendedSendMs).toBeGreaterThanOrEqual(0)
      expect(record.intendedSendMs).toBeLessThan(300)
    }
  })

  it('a stop keeps every record already measured and summarises them', async () => {
    const stop = new StopSignal()
    // Stopped once records arrive (a stop at a fixed time could come before the workers are ready).
    const { run, records } = await bench({ concurrency: 4, requests: 100_000, workers: 2 }, stop, (outDir) => {
      const file = join(outDir, 'records.jsonl')
      const poll = setInterval(() => {
        if (existsSync(file) && readFileSync(file, 'utf8').split('\n').length > 20) {
          clearInterval(poll)
          setTimeout(() => stop.stop(), 200)
        }
      }, 20)
      // Bounded whatever happens.
      setTimeout(() => {
        clearInterval(poll)
        stop.stop()
      }, 20_000).unref()
    })
    expect(run?.interrupted).toBe(true)
    expect(records.length).toBeGreaterThan(10)
    expect(records.length).toBeLessThan(100_000)
    expect(run?.requests.sent).toBe(records.length)
  })

  it('spreads closed loops only: an open loop with workers is refused, naming the field', () => {
    const result = scenarioSchema.safeParse({ endpoints: [{ url: 'http://127.0.0.1:1' }], load: { rate: 5, requests: 10, workers: 2 } })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path.join('.')).toBe('load.workers')
  })
})
