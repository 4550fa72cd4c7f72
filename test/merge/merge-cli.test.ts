import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { decodeEntities } from '../helpers/html.js'
import { type ShardPlan, offset, virtualRun, writeShards } from './shard-fixture.js'

/**
 * `geopat merge` through the built CLI: every refusal is one line on stderr naming the folder and
 * the rule, with a non-zero exit; the merged folder reads in `geopat report` like any run folder,
 * with its shards table (strings escaped).
 */
const HOSTILE_HOST = '<img src=x onerror=alert(1)>pod'
let dir: string
let source: Awaited<ReturnType<typeof virtualRun>>
const plan = (i: number, overrides: Partial<ShardPlan> = {}): ShardPlan => ({
  startsAfterMs: i,
  hostClockErrorMs: 100 * i,
  clock: { shared: offset('ntp://t:123', -100 * i, 0.5), endpointDate: null },
  ...overrides,
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'geopat-merge-cli-'))
  source = await virtualRun({ mode: 'open', seed: 21, durationMs: 6_000 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('geopat merge (CLI)', () => {
  it('refuses, in one line naming the folder and the rule, what is not one whole run', async () => {
    const [a0, a1] = writeShards(join(dir, 'a'), source, [plan(0), plan(1)])
    const [, b1] = writeShards(join(dir, 'b'), source, [plan(0), plan(1)], { runKey: 'other-run' })
    const [, c1] = writeShards(join(dir, 'c'), source, [plan(0), plan(1)], { scenarioSha256: 'c'.repeat(64) })
    const [, d1] = writeShards(join(dir, 'd'), source, [plan(0), plan(1), plan(2)], { count: 3 })
    const [e0] = writeShards(join(dir, 'e'), source, [plan(0), plan(1)])
    const [, f1] = writeShards(join(dir, 'f'), source, [plan(0), plan(1, { status: 'running', noSummary: true, recordsBeforeMs: 2_000 })])
    const [, g1] = writeShards(join(dir, 'g'), source, [plan(0), plan(1)])
    writeFileSync(join(g1 as string, 'records.jsonl'), `{"id": 1, "endpoint": 3}\n${readFileSync(join(g1 as string, 'records.jsonl'), 'utf8')}`)
    const cases: Array<[string[], RegExp]> = [
      [[a0 as string, b1 as string], /b\/shard-1: shard\.json: runKey "other-run" differs .*shards of different runs are never merged/],
      [[a0 as string, c1 as string], /c\/shard-1: shard\.json: scenarioSha256 .*shards of different scenarios are never merged/],
      [[a0 as string, d1 as string], /d\/shard-1: shard\.json: count 3 differs from 2 .*same count/],
      [[a0 as string, a1 as string, e0 as string], /e\/shard-0: shard\.json: index 0 is also .*each shard index once/],
      [[a0 as string], /shard 1 of 2 \(run run-a\) missing: .*--allow-missing/],
      [[a0 as string, f1 as string], /f\/shard-1: shard 1 of 2 did not finish \(shard\.json status running: it died mid-run\)/],
      [[a0 as string, g1 as string], /g\/shard-1\/records\.jsonl:1: endpoint: /],
      [[join(dir, 'nowhere')], /nowhere: no such folder/],
    ]
    for (const [folders, rule] of cases) {
      const result = await runCli(['merge', ...folders, '--out', join(dir, 'refused')])
      expect(expectOneLineError(result)).toMatch(rule)
    }
  })

  it('merges a dead shard’s records with --allow-missing; the merged folder reads in geopat report with its shards table, escaped', async () => {
    const shards = join(dir, 'run')
    writeShards(shards, source, [plan(0, { host: HOSTILE_HOST }), plan(1, { status: 'running', noSummary: true, recordsBeforeMs: 3_000 }), plan(2)])
    const out = join(dir, 'merged')
    const merged = await runCli(['merge', shards, '--out', out, '--allow-missing'])
    expect(merged.exitCode, merged.stderr).toBe(0)
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    expect(summary.shards?.incomplete).toEqual([1])
    const run = summary.runs[0]
    expect(run?.requests.sent).toBe((run?.requests.succeeded ?? 0) + (run?.requests.failed ?? 0))
    expect(run?.warnings[0]).toMatch(/did not finish .*the figures cover only what arrived/)

    const report = await runCli(['report', '--from', out, '--out', join(dir, 'report.html')])
    expect(report.exitCode, report.stderr).toBe(0)
    const html = readFileSync(join(dir, 'report.html'), 'utf8')
    expect(html).toContain('Shards of run run-a (3), merged')
    expect(html).not.toContain('<img src=x')
    expect(decodeEntities(html)).toContain(HOSTILE_HOST)
    expect(html).toContain('running (died mid-run)')
  })
})
