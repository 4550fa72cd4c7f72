import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runBench } from '../../src/app/bench.js'
import { type ServerLost, ServerWatch, serverLostRule } from '../../src/load/server-watch.js'
import { readRecords } from '../../src/io/output/records-reader.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { startFreezingServer } from '../helpers/freezing-server.js'

/**
 * A server that goes away mid-run (finding 5 of issue #15): the run stops sending after a few
 * connect errors in a row or a stall, says since when the server was unreachable, does not call
 * itself client-bound, and a frozen server cannot stretch a run past its duration and the grace.
 * geopat bench, compare and run against a server that goes away (exit 3, what they write) claim no
 * duration: test/cli/server-lost-cli.test.ts, in the `integration` project.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-server-lost-'))
let runCount = 0
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** Calls `then` once records.jsonl in `outDir` holds `lines` records (polled; bounded by the test's timeout). */
function whenRecords(outDir: string, lines: number, then: () => void): void {
  const file = join(outDir, 'records.jsonl')
  const poll = setInterval(() => {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').length > lines) {
      clearInterval(poll)
      then()
    }
  }, 10)
  cleanups.push(() => clearInterval(poll))
}

async function bench(scenarioFields: Record<string, unknown>, whileRunning?: (outDir: string) => void) {
  const scenario = scenarioSchema.parse({ input: { inputTokens: 8, outputTokens: 4 }, ...scenarioFields })
  const outDir = join(work, `run-${runCount++}`)
  whileRunning?.(outDir)
  const { summary } = await runBench({ scenario, source: 'test', outDir, log: () => undefined, progress: false })
  const records: RequestRecord[] = []
  for await (const record of readRecords(join(outDir, 'records.jsonl'))) records.push(record)
  const run = summary.runs[0]
  if (!run) throw new Error('no run')
  return { run, records, summary }
}

describe('the server watch', () => {
  it('waits out a stall longer than one request may rightly be silent: twice the first-token timeout, at least 60 s', () => {
    const rule = (fields: Record<string, unknown>) =>
      serverLostRule(scenarioSchema.parse({ endpoints: [{ url: 'http://127.0.0.1:1' }], load: { requests: 1 }, ...fields }))
    expect(rule({}).stallMs).toBe(2 * 120_000)
    // A short first-token timeout (a fault test at concurrency 1 whose hung request times out at 0.4 s) is no stall.
    expect(rule({ timeouts: { firstTokenMs: 400 } }).stallMs).toBe(60_000)
    expect(rule({ serverLost: { stallSeconds: 1.5 } }).stallMs).toBe(1500)
    expect(rule({ serverLost: { stallSeconds: 0 } }).stallMs).toBe(0)
  })

  const record = (fields: Partial<RequestRecord>): RequestRecord =>
    ({ sendMs: 0, ok: false, httpStatus: null, errorClass: 'connect', ...fields }) as RequestRecord

  it('counts connect errors in a row; a full answer starts again, a stream broken by a dying server does not', () => {
    const lost: ServerLost[] = []
    const watch = new ServerWatch({ connectErrors: 3, stallMs: 0 }, 0, (l) => lost.push(l), 0)
    watch.observe(record({}))
    watch.observe(record({}))
    watch.observe(record({ ok: true, httpStatus: 200, errorClass: null }))
    watch.observe(record({}))
    watch.observe(record({ httpStatus: 200, errorClass: 'stream-broken' }))
    watch.observe(record({}))
    expect(lost).toHaveLength(0)
    watch.observe(record({ sendMs: 5 }))
    expect(lost).toHaveLength(1)
    expect(lost[0]?.reason).toBe('connect-errors')
    expect(lost[0]?.consecutiveConnectErrors).toBe(3)
    watch.observe(record({}))
    expect(lost).toHaveLength(1)
  })
})

describe('a server that dies mid-run', () => {
  it.each([
    { name: 'closed loop', load: { concurrency: 8 }, bound: 20 + 8 + 4 },
    { name: 'closed loop over 2 workers', load: { concurrency: 8, workers: 2 }, bound: 2 * 20 + 8 + 4 },
    { name: 'open loop', load: { rate: 200 }, bound: 20 + 20 },
  ])(
    '$name: stops sending after 20 connect errors in a row, says since when, and is not client-bound',
    async ({ load, bound }) => {
      let sim: RunningSimServer | undefined = await startFixedSimServer({ ttftMs: 2, itlMs: 1, defaultOutputTokens: 4 })
      cleanups.push(() => sim?.close())
      const { run, records, summary } = await bench({ endpoints: [{ url: sim.url, label: 'dies' }], load: { ...load, duration: 8 } }, (outDir) =>
        // The server dies once a few requests have been measured.
        whenRecords(outDir, 20, () => {
          void sim?.close()
          sim = undefined
        }),
      )
      expect(run.serverLost?.reason).toBe('connect-errors')
      expect(run.serverLost?.consecutiveConnectErrors).toBeGreaterThanOrEqual(20)
      expect(Number.isNaN(Date.parse(run.serverLost?.since ?? ''))).toBe(false)
      // Sending stopped: the connect errors are the 20 of the rule and the requests already in flight.
      expect(run.requests.errors.connect).toBeGreaterThanOrEqual(20)
      expect(run.requests.errors.connect).toBeLessThanOrEqual(bound)
      expect(records).toHaveLength(run.requests.sent)
      expect(run.warnings.some((w) => w.startsWith(`server unreachable since ${run.serverLost?.since}`))).toBe(true)
      // The client's figures measured a flood of failed connections: no client-bound verdict, no advice.
      expect(run.client.verdict).toBe('server-lost')
      expect(run.client.advice).toBeUndefined()
      expect(run.interrupted).toBe(false)
      expect(benchSummarySchema.parse(summary).runs[0]?.serverLost).toEqual(run.serverLost)
    },
    30_000,
  )
})

describe('a frozen server', () => {
  it.each([1, 2])(
    'cannot stretch a run past its duration: the streams in flight are cancelled after the grace (workers %i)',
    async (workers) => {
      // 10 answered, then 2 frozen mid-stream and every later one accepted and never answered.
      const server = await startFreezingServer(cleanups, { answered: 10, midStream: 2 })
      const { run, records } = await bench({
        endpoints: [{ url: server.url, label: 'frozen' }],
        load: { concurrency: 4, duration: 2, workers },
        graceSeconds: 0.3,
        serverLost: { stallSeconds: 0 },
      })
      // Each of the 4 virtual users is stuck on one request when the duration ends.
      expect(run.requests.sent).toBe(14)
      expect(run.requests.succeeded).toBe(10)
      expect(run.requests.errors.cancelled).toBe(4)
      const cancelled = records.filter((r) => r.errorClass === 'cancelled')
      expect(cancelled.filter((r) => r.tokenEvents === 1)).toHaveLength(2)
      for (const record of cancelled) expect(record.errorMessage).toMatch(/after the end of the duration/)
      expect(run.serverLost).toBeUndefined()
    },
    30_000,
  )

  it('with no duration: a stall (no byte from any stream) stops the run, and the streams in flight are cancelled after the grace', async () => {
    const server = await startFreezingServer(cleanups, { answered: 10, midStream: 1 })
    const { run, records } = await bench({
      endpoints: [{ url: server.url, label: 'frozen' }],
      load: { concurrency: 4, requests: 100_000 },
      graceSeconds: 0.2,
      serverLost: { stallSeconds: 1.5 },
    })
    expect(run.serverLost?.reason).toBe('stall')
    expect(run.requests.sent).toBe(14)
    expect(run.requests.errors.cancelled).toBe(4)
    for (const record of records.filter((r) => !r.ok)) expect(record.errorMessage).toMatch(/server unreachable since/)
    expect(run.client.verdict).toBe('server-lost')
  }, 30_000)
})
