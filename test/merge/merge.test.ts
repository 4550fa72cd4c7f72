import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runMerge } from '../../src/app/merge.js'
import { achievedFromRecords } from '../../src/merge/achieved.js'
import { COMPLETED_RECORD_END, type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'
import { type BenchSummary, benchSummarySchema } from '../../src/io/schema/summary.js'
import { type ShardPlan, offset, virtualRun, writeShards } from './shard-fixture.js'
import { expectPercentilesOf, percentile } from './union-stats.js'

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'geopat-merge-'))
  folders.push(dir)
  return dir
}

function readMerged(out: string): { records: RequestRecord[]; summary: BenchSummary } {
  const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => requestRecordSchema.parse(JSON.parse(line)))
  return { records, summary: benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))) }
}

/** Four shards that started a few ms apart on hosts whose clocks are off by up to 1.2 s, each having measured its offset. */
const STARTS_AFTER_MS = [0, 2, 5, 1]
const HOST_ERRORS_MS = [800, -1200, 50, 0]
const SHARED_UNCERTAINTY_MS = [0.5, 1.2, 0.3, 0.8]
function plans(overrides: Array<Partial<ShardPlan>> = []): ShardPlan[] {
  return STARTS_AFTER_MS.map((startsAfterMs, i) => ({
    startsAfterMs,
    hostClockErrorMs: HOST_ERRORS_MS[i] as number,
    clock: {
      shared: offset('ntp://time.example:123', -(HOST_ERRORS_MS[i] as number), SHARED_UNCERTAINTY_MS[i] as number),
      // Deliberately 400 ms off: the shared source, which every shard has, must be the one used.
      endpointDate: offset('endpoint-date', -(HOST_ERRORS_MS[i] as number) + 400, 500),
    },
    ...overrides[i],
  }))
}

describe('geopat merge: the union of the shards is the unsharded run', () => {
  it('gives back every request on one time origin, and the summary recomputed from the union (exact percentiles)', async () => {
    const source = await virtualRun({ mode: 'open', seed: 11 })
    const dir = tempDir()
    writeShards(dir, source, plans())
    const out = join(dir, 'merged')
    await runMerge({ folders: [dir], outDir: out, log: () => undefined })
    const { records, summary } = readMerged(out)

    // The same requests, ids unchanged, their times back on the one origin (the earliest shard start).
    expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(source.records.map((r) => r.id).sort((a, b) => a - b))
    const byId = new Map(source.records.map((r) => [r.id, r]))
    for (const record of records) {
      const original = byId.get(record.id) as RequestRecord
      expect(record.sendMs).toBeCloseTo(original.sendMs, 6)
      expect(record.intendedSendMs).toBeCloseTo(original.intendedSendMs, 6)
      expect(record.requestedInputTokens).toBe(original.requestedInputTokens)
      expect(record.endToEndLatencyMs).toBe(original.endToEndLatencyMs)
    }
    for (let i = 1; i < records.length; i++) expect(records[i]?.intendedSendMs).toBeGreaterThanOrEqual(records[i - 1]?.intendedSendMs as number)

    const run = summary.runs[0]
    expect(summary.runs).toHaveLength(1)
    expect(run?.requests.sent).toBe(source.records.length)
    expect(run?.requests.sent).toBe((run?.requests.succeeded ?? 0) + (run?.requests.failed ?? 0))
    expectPercentilesOf(run, source.records)
    // The load the whole asked for: the shards' shares added up.
    expect(run?.requested).toEqual(source.run.requested)
    // The figures of the whole, as bench computed them on the unsharded records.
    expect(run?.requests).toEqual(source.run.requests)
    expect(run?.throughput.requestsPerS).toBeCloseTo(source.run.throughput.requestsPerS, 6)
    expect(run?.goodput?.fractionOfRequests).toBeCloseTo(source.run.goodput?.fractionOfRequests as number, 9)
  })

  it('puts each shard on the shared time source, records its shift, its host and its own self-check', async () => {
    const source = await virtualRun({ mode: 'open', seed: 12, durationMs: 10_000 })
    const dir = tempDir()
    const bound = { verdict: 'client-bound' as const, reasons: ['sends left 3 ms late on average'], advice: 'offer a lower rate' }
    writeShards(dir, source, plans([{}, {}, { client: bound }, {}]))
    const out = join(dir, 'merged')
    const { summary } = await runMerge({ folders: [dir], outDir: out, log: () => undefined })
    const shards = summary.shards
    expect(shards?.timeBase).toBe('shared')
    expect(shards?.largestUncertaintyMs).toBe(Math.max(...SHARED_UNCERTAINTY_MS))
    expect(shards?.complete).toBe(true)
    for (const [i, shard] of (shards?.shards ?? []).entries()) {
      expect(shard.host).toBe(`pod-${i}`)
      expect(shard.status).toBe('finished')
      expect(shard.runs[0]?.shiftMs).toBeCloseTo(STARTS_AFTER_MS[i] as number, 6)
      expect(shard.runs[0]?.client?.verdict).toBe(i === 2 ? 'client-bound' : source.run.client.verdict)
    }
    const client = summary.runs[0]?.client
    expect(client?.verdict).toBe('client-bound')
    expect(client?.reasons).toEqual(['shard 2 (pod-2): sends left 3 ms late on average'])
    // Send lateness pooled from the union: write − due, requests on kept-alive connections.
    const lateness = source.records.filter((r) => !r.newConnection).map((r) => r.sendMs - r.intendedSendMs)
    expect(client?.sendLatenessMs.count).toBe(lateness.length)
    expect(client?.sendLatenessMs.p99).toBeCloseTo(percentile(lateness, 99), 9)
  })

  it("falls back to the endpoint's Date offsets, then to the host clocks, and says which", async () => {
    const source = await virtualRun({ mode: 'closed', seed: 13, durationMs: 8_000 })
    const dateOnly = plans().map((plan, i) => ({ ...plan, clock: { ...plan.clock, shared: i === 1 ? null : plan.clock.shared } }))
    const dir = tempDir()
    writeShards(join(dir, 'date'), source, dateOnly)
    const dated = await runMerge({ folders: [join(dir, 'date')], outDir: join(dir, 'out-date'), log: () => undefined })
    // A closed loop's users, split 2, 2, 1, 1 over the shards, add up to the 6 asked.
    expect(dated.summary.runs[0]?.requested.concurrency).toBe(6)
    expect(dated.summary.runs[0]?.requested).toEqual(source.run.requested)
    expect(dated.summary.shards?.timeBase).toBe('endpoint-date')
    expect(dated.summary.shards?.largestUncertaintyMs).toBe(500)
    // Every Date offset is 400 ms off the same way: the shifts between shards stay those of their starts.
    expect(dated.summary.shards?.shards.map((s) => s.runs[0]?.shiftMs)).toEqual(STARTS_AFTER_MS.map((ms) => expect.closeTo(ms, 6)))

    const noOffsets = plans().map((plan, i) => ({ ...plan, clock: i === 3 ? { shared: null, endpointDate: null } : plan.clock }))
    writeShards(join(dir, 'host'), source, noOffsets)
    const host = await runMerge({ folders: [join(dir, 'host')], outDir: join(dir, 'out-host'), log: () => undefined })
    expect(host.summary.shards?.timeBase).toBe('host-clocks')
    expect(host.summary.shards?.largestUncertaintyMs).toBeNull()
    // Uncorrected, each shard's shift carries its host clock's error.
    const onHost = STARTS_AFTER_MS.map((ms, i) => ms + (HOST_ERRORS_MS[i] as number))
    expect(host.summary.shards?.shards.map((s) => s.runs[0]?.shiftMs)).toEqual(onHost.map((ms) => expect.closeTo(ms - Math.min(...onHost), 6)))
    expect(host.summary.runs[0]?.warnings.some((w) => w.includes('host clocks were used uncorrected'))).toBe(true)

    // Four processes on one machine read one clock: their measured offsets (each off by its own error) are not applied.
    const oneHost = plans().map((plan, i) => ({
      ...plan,
      host: 'laptop',
      hostClockErrorMs: 300,
      clock: { shared: offset('ntp://t:123', -300 + 7 * i, 5), endpointDate: null },
    }))
    writeShards(join(dir, 'one'), source, oneHost)
    const one = await runMerge({ folders: [join(dir, 'one')], outDir: join(dir, 'out-one'), log: () => undefined })
    expect(one.summary.shards?.timeBase).toBe('one-host')
    expect(one.summary.shards?.largestUncertaintyMs).toBe(0)
    expect(one.summary.shards?.shards.map((s) => s.runs[0]?.shiftMs)).toEqual(STARTS_AFTER_MS.map((ms) => expect.closeTo(ms, 6)))
  })

  it('with allowMissing: merges what arrived, a dead shard’s records included, and says which shards are missing or incomplete', async () => {
    const source = await virtualRun({ mode: 'open', seed: 14, durationMs: 20_000 })
    const dir = tempDir()
    const shardPlans = plans([{}, { status: 'running', noSummary: true, recordsBeforeMs: 8_000 }, {}, {}])
    const written = writeShards(dir, source, shardPlans)
    rmSync(written[3] as string, { recursive: true })
    await expect(runMerge({ folders: [dir], outDir: join(dir, 'refused'), log: () => undefined })).rejects.toThrow(/shard 3 of 4 .*missing/)
    const { summary } = await runMerge({ folders: [dir], outDir: join(dir, 'merged'), allowMissing: true, log: () => undefined })
    const { records } = readMerged(join(dir, 'merged'))
    const expected = source.records.filter((r) => r.id % 4 === 0 || r.id % 4 === 2 || (r.id % 4 === 1 && r.sendMs - 2 < 8_000))
    expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(expected.map((r) => r.id).sort((a, b) => a - b))
    expect(summary.shards?.missing).toEqual([3])
    expect(summary.shards?.incomplete).toEqual([1])
    expect(summary.shards?.complete).toBe(false)
    expect(summary.shards?.shards[3]?.status).toBe('missing')
    expect(summary.shards?.shards[1]).toMatchObject({ status: 'running', sent: null, records: expected.filter((r) => r.id % 4 === 1).length })
    expect(summary.runs[0]?.warnings[0]).toMatch(
      /merged from shards 0, 1, 2 of 4 \(shard 3 missing; shard 1 did not finish .*\): the figures cover only what arrived/,
    )
    expect(summary.runs[0]?.requests.sent).toBe(expected.length)
    // The rate asked is exact from any shard's share; shard 1's and 3's shares of the request cap are estimated, and said so.
    expect(summary.runs[0]?.requested.ratePerS).toBe(source.run.requested.ratePerS)
    expect(summary.runs[0]?.warnings).toContain("the load asked: the shares of shards 1, 3 (no summary) taken from their neighbours'")
  })
})

describe('the achieved load of the whole, from the union of send and end times', () => {
  const base = (id: number, intendedSendMs: number, sendMs: number, e2eMs: number): RequestRecord =>
    requestRecordSchema.parse({
      id,
      endpoint: 'e',
      step: 0,
      api: 'chat',
      model: 'm',
      intendedSendMs,
      sendMs,
      dispatchWaitMs: 0,
      newConnection: false,
      responseHeadersMs: 1,
      firstByteMs: 2,
      chunks: [[2, 1]],
      tokenEvents: 1,
      timeToFirstTokenMs: 2,
      timeToFirstContentMs: 2,
      endToEndLatencyMs: e2eMs,
      requestedInputTokens: 1,
      requestedOutputTokens: 1,
      inputTokens: 1,
      inputTokensSource: 'server',
      outputTokens: 1,
      ...COMPLETED_RECORD_END,
    })

  it('counts requests in flight from entry to exit: mean over the active span, most at once, rate between first and last entry', () => {
    // Three requests of a closed loop: [0, 10], [0, 5], and [5, 20] taking the slot freed at 5.
    const records = [base(0, 0, 0, 10), base(1, 0, 0, 5), base(2, 5, 5, 15)]
    const achieved = achievedFromRecords(records, 'closed', 1234)
    expect(achieved.concurrencyMean).toBeCloseTo((10 + 5 + 15) / 20, 12)
    expect(achieved.concurrencyMax).toBe(2)
    expect(achieved.sendRatePerS).toBeCloseTo(2 / 0.005, 9)
    expect(achieved.runDurationS).toBeCloseTo(0.02, 12)
    expect(achieved.runStartedAtUnixMs).toBe(1234)
  })
})

describe('refusals (one line naming the folder and the rule)', () => {
  it('refuses shards of different runs, scenarios or counts, a duplicate index, a dead shard and unreadable records', async () => {
    const source = await virtualRun({ mode: 'open', seed: 15, durationMs: 4_000 })
    const dir = tempDir()
    const merge = (...paths: string[]) => runMerge({ folders: paths, outDir: join(dir, `out-${Math.random()}`), log: () => undefined })
    const [a0, a1] = writeShards(join(dir, 'a'), source, plans().slice(0, 2))
    const [b0, b1] = writeShards(join(dir, 'b'), source, plans().slice(0, 2), { runKey: 'run-b' })
    const [c0, c1] = writeShards(join(dir, 'c'), source, plans().slice(0, 2), { scenarioSha256: 'b'.repeat(64) })
    const [, d1] = writeShards(join(dir, 'd'), source, plans().slice(0, 3), { count: 3 })
    await expect(merge(a0 as string, b1 as string)).rejects.toThrow(
      `${b1}: shard.json: runKey "run-b" differs from "run-a" in ${a0}: shards of different runs are never merged`,
    )
    await expect(merge(a0 as string, c1 as string)).rejects.toThrow(/scenarioSha256 .* shards of different scenarios are never merged/)
    await expect(merge(a0 as string, d1 as string)).rejects.toThrow(/count 3 differs from 2 .* every shard of a run has the same count/)
    await expect(merge(b0 as string, b1 as string, c0 as string)).rejects.toThrow(/runKey/)
    const [again0] = writeShards(join(dir, 'a-again'), source, plans().slice(0, 2))
    await expect(merge(a0 as string, a1 as string, again0 as string)).rejects.toThrow(`${again0}: shard.json: index 0 is also ${a0}'s: each shard index once`)
    await expect(merge(a0 as string)).rejects.toThrow(/shard 1 of 2 \(run run-a\) missing: .* --allow-missing/)
    const [e0, e1] = writeShards(join(dir, 'e'), source, [plans()[0] as ShardPlan, { ...(plans()[1] as ShardPlan), status: 'running', noSummary: true }])
    await expect(merge(e0 as string, e1 as string)).rejects.toThrow(`${e1}: shard 1 of 2 did not finish`)
    await expect(merge(a0 as string, a0 as string)).rejects.toThrow(/given twice/)
    // A shard holding another's request: not slices of one run.
    const [o0, o1] = writeShards(join(dir, 'overlap'), source, plans().slice(0, 2))
    const stray = readFileSync(join(o0 as string, 'records.jsonl'), 'utf8').split('\n')[0]
    writeFileSync(join(o1 as string, 'records.jsonl'), `${readFileSync(join(o1 as string, 'records.jsonl'), 'utf8')}${stray}\n`)
    await expect(merge(o0 as string, o1 as string)).rejects.toThrow(
      `${o1}: request id 0 (${source.run.endpoint.label}, step 0) is also in ${o0}: each request belongs to one shard`,
    )
    writeFileSync(join(a1 as string, 'records.jsonl'), `${readFileSync(join(a1 as string, 'records.jsonl'), 'utf8')}{"id":\n{"id":1}\n`)
    await expect(merge(a0 as string, a1 as string)).rejects.toThrow(/records\.jsonl:\d+: not valid JSON/)
  })
})
