import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../../src/app/bench.js'
import { ERROR_CLASSES, requestRecordSchema } from '../../src/io/schema/record.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'

let sim: RunningSimServer
const work = mkdtempSync(join(tmpdir(), 'geopat-faults-'))

beforeAll(async () => {
  sim = await startFixedSimServer({
    ttftMs: 5,
    itlMs: 2,
    seed: 7,
    defaultOutputTokens: 10,
    faults: { rate429: 0.1, rate500: 0.1, rateCut: 0.1, rateHang: 0.05, retryAfterS: 0 },
  })
})

afterAll(async () => {
  await sim.close()
})

describe('every request is accounted for under faults', () => {
  it.each([1, 16, 64])('at concurrency %i: sent = succeeded + the sum of every error class', async (concurrency) => {
    const scenario = scenarioSchema.parse({
      endpoints: [{ url: sim.url, label: 'faulty' }],
      load: { concurrency, requests: 120 },
      input: { inputTokens: 16, outputTokens: 10 },
      timeouts: { firstTokenMs: 400, idleMs: 400, totalMs: 3000 },
    })
    const out = join(work, `c${concurrency}`)
    const { summary } = await runBench({ scenario, source: 'test', outDir: out, log: () => undefined, progress: false })
    const run = summary.runs[0]
    if (!run) throw new Error('no run')
    const errorSum = ERROR_CLASSES.reduce((sum, c) => sum + (run.requests.errors[c] ?? 0), 0)
    expect(run.requests.sent).toBe(120)
    expect(run.requests.succeeded + errorSum).toBe(run.requests.sent)
    // each injected fault shows up under its own class
    expect(run.requests.errors['http-429']).toBeGreaterThan(0)
    expect(run.requests.errors['http-5xx']).toBeGreaterThan(0)
    expect(run.requests.errors['stream-broken']).toBeGreaterThan(0)
    expect(run.requests.errors['ttft-timeout']).toBeGreaterThan(0)
    // and records.jsonl holds one valid line per request sent, ids unique
    const lines = readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n')
    expect(lines).toHaveLength(120)
    const ids = new Set(lines.map((line) => requestRecordSchema.parse(JSON.parse(line)).id))
    expect(ids.size).toBe(120)
  })

  it('retries 429 and 5xx when asked, counting the retries', async () => {
    const scenario = scenarioSchema.parse({
      endpoints: [{ url: sim.url, label: 'faulty' }],
      load: { concurrency: 8, requests: 60, seed: 3 },
      input: { inputTokens: 16, outputTokens: 10 },
      timeouts: { firstTokenMs: 400, idleMs: 400, totalMs: 3000 },
      retries: { max: 3, backoffMs: 5 },
    })
    const { summary } = await runBench({ scenario, source: 'test', outDir: join(work, 'retries'), log: () => undefined, progress: false })
    const run = summary.runs[0]
    if (!run) throw new Error('no run')
    expect(run.requests.retries).toBeGreaterThan(0)
    const errorSum = ERROR_CLASSES.reduce((sum, c) => sum + (run.requests.errors[c] ?? 0), 0)
    expect(run.requests.succeeded + errorSum).toBe(60)
  })
})
