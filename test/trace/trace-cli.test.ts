import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { type MooncakeRow, mooncakeSampleRows } from '../helpers/mooncake.js'
import { recordsIn } from '../helpers/records.js'

/**
 * `geopat bench --trace` end to end against the simulator: every row sent, each intended at its
 * scaled time from the trace (recomputed here from the file), lengths as the trace asks (the
 * simulator's own count of the prompt equal to the request's), sharding and the window. Files and
 * counts only, never a duration: how late the sends were is bench/trace-replay-lateness.mjs's.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-trace-cli-'))
const FAST_SIM = ['--sim', '--sim-ttft-ms', '5', '--sim-itl-ms', '1', '--api', 'completions', '--no-progress']
const MOONCAKE = 'data/traces/mooncake-synthetic.jsonl'

/** The run's records in id order. */
const readRecords = (dir: string): RequestRecord[] => recordsIn(dir).sort((a, b) => a.id - b.id)

const readSummary = (dir: string) => benchSummarySchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')))

const jsonRows = <T>(path: string): T[] =>
  readFileSync(join(REPO_ROOT, path), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T)

describe('geopat bench --trace', () => {
  it('replays the Mooncake sample ×50: every row once, at its scaled time, its input length counted by the server', async () => {
    const out = join(work, 'mooncake')
    const result = await runCli(['bench', ...FAST_SIM, '--trace', MOONCAKE, '--speedup', '50', '--out', out], { timeoutMs: 120_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const lines = jsonRows<MooncakeRow>(MOONCAKE)
    const records = readRecords(out)
    expect(records.map((r) => r.id)).toEqual(lines.map((_, i) => i))
    const firstMs = Math.min(...lines.map((line) => line.timestamp))
    for (const [i, record] of records.entries()) {
      const line = lines[i] as MooncakeRow
      expect(record.intendedSendMs).toBeCloseTo((line.timestamp - firstMs) / 50, 6)
      expect(record.sendMs).toBeGreaterThanOrEqual(record.intendedSendMs)
      expect(record.requestedInputTokens).toBe(line.input_length)
      expect(record.inputTokensSource).toBe('server')
      expect(record.inputTokens).toBe(line.input_length)
      expect(record.requestedOutputTokens).toBe(Math.max(1, line.output_length))
    }
    const [run] = readSummary(out).runs
    expect(run?.requested.arrival).toBe('trace')
    expect(run?.requested.requests).toBe(lines.length)
    expect(run?.requested.trace).toMatchObject({
      file: MOONCAKE,
      format: 'mooncake',
      rows: lines.length,
      fileRows: lines.length,
      speedup: 50,
      startS: 0,
      endS: null,
    })
    expect(run?.requested.trace?.impliedPrefixReuse).toBeGreaterThan(0)
    // Lateness is judged as the open loop's: the self-check measured every send.
    expect(run?.client.sendLatenessMs).not.toBeNull()
  })

  it('a shard sends rows i ≡ k (mod N) of the window, at the whole replay times', async () => {
    const out = join(work, 'shard')
    const path = 'data/traces/geopat-synthetic.jsonl'
    const args = ['bench', ...FAST_SIM, '--trace', path, '--speedup', '100', '--trace-window', '2:', '--trace-limit', '40', '--shard', '1/3', '--out', out]
    const result = await runCli(args, { timeoutMs: 120_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const lines = jsonRows<{ timestampMs: number; inputTokens: number }>(path)
    const origin = Math.min(...lines.map((line) => line.timestampMs))
    const window = lines.filter((line) => line.timestampMs - origin >= 2000).slice(0, 40)
    const records = readRecords(out)
    const mine = window.map((line, id) => ({ line, id })).filter(({ id }) => id % 3 === 1)
    expect(records.map((r) => r.id)).toEqual(mine.map(({ id }) => id))
    for (const [i, { line }] of mine.entries()) {
      expect(records[i]?.intendedSendMs).toBeCloseTo((line.timestampMs - origin - 2000) / 100, 6)
      expect(records[i]?.inputTokens).toBe(line.inputTokens)
    }
    expect(readSummary(out).runs[0]?.requested.trace).toMatchObject({ rows: 40, startS: 2, endS: null, speedup: 100 })
  })

  it('a scenario file with load.trace (BurstGPT, a window) runs against a simulated endpoint', async () => {
    const out = join(work, 'scenario')
    const scenario = join(work, 'trace.yaml')
    writeFileSync(
      scenario,
      [
        'endpoints:',
        '  - label: sim',
        '    api: completions',
        '    sim: { ttftMs: 5, itlMs: 1 }',
        'load:',
        '  trace: { file: data/traces/burstgpt-synthetic.csv, speedup: 20, window: { startS: 10, endS: 40 }, limit: 25 }',
        '',
      ].join('\n'),
    )
    const result = await runCli(['bench', '--scenario', scenario, '--out', out, '--no-progress'], { timeoutMs: 120_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const cells = readFileSync(join(REPO_ROOT, 'data/traces/burstgpt-synthetic.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
    const origin = Number(cells[0]?.[0])
    const window = cells.filter((c) => Number(c[0]) - origin >= 10 && Number(c[0]) - origin < 40).slice(0, 25)
    const records = readRecords(out)
    expect(records.map((r) => r.intendedSendMs)).toEqual(window.map((c) => ((Number(c[0]) - origin - 10) * 1000) / 20))
    expect(records.map((r) => r.inputTokens)).toEqual(window.map((c) => Number(c[2])))
    expect(readSummary(out).runs[0]?.requested.trace).toMatchObject({ format: 'burstgpt', rows: window.length, startS: 10, endS: 40 })
  })

  it('bad input is one line: a bad trace row (file:line, field, rule), a rate given with a trace, a window that ends first', async () => {
    const bad = join(work, 'bad.jsonl')
    writeFileSync(bad, '{"timestamp": 0, "input_length": 10, "output_length": 5}\n{"timestamp": 1, "input_length": 0, "output_length": 5}\n')
    expect(expectOneLineError(await runCli(['bench', ...FAST_SIM, '--trace', bad]))).toContain(`${bad}:2: input_length:`)
    const scenario = join(work, 'both.yaml')
    writeFileSync(scenario, `endpoints: [{ url: "http://127.0.0.1:9" }]\nload: { rate: 5, trace: { file: ${MOONCAKE} } }\n`)
    expect(expectOneLineError(await runCli(['bench', '--scenario', scenario]))).toContain('a trace sets the arrivals itself')
    expect(expectOneLineError(await runCli(['bench', ...FAST_SIM, '--trace', MOONCAKE, '--trace-window', '30:10']))).toMatch(
      /--trace-window.*must end after it starts/,
    )
  })
})

describe('geopat sim --virtual --trace', () => {
  it("prints the engine's prefix hit rate beside the trace's implied reuse, and --json holds both; bad input is one line", async () => {
    const args = ['sim', '--virtual', '--profile', 'h100-sxm-llama-3.1-8b-bf16', '--prefix-caching', 'on', '--trace', MOONCAKE, '--trace-limit', '60']
    const json = await runCli([...args, '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    const { prefixCache, virtual } = JSON.parse(json.stdout) as {
      prefixCache: { queryTokens: number; hitTokens: number; hitRate: number; impliedReuse: number }
      virtual: { requested: { trace?: { rows: number; impliedPrefixReuse: number } } }
    }
    const rows = mooncakeSampleRows().slice(0, 60)
    expect(prefixCache.queryTokens).toBe(rows.reduce((sum, row) => sum + row.input_length, 0))
    expect(prefixCache.hitRate).toBeCloseTo(prefixCache.hitTokens / prefixCache.queryTokens, 12)
    expect(prefixCache.hitTokens).toBeGreaterThan(0)
    expect(virtual.requested.trace?.rows).toBe(60)
    expect(prefixCache.impliedReuse).toBe(virtual.requested.trace?.impliedPrefixReuse)
    const text = await runCli(args)
    expect(text.stdout).toMatch(/prefix caching: \d+\.\d% of prompt tokens hit \(\d+ of \d+\) \(the trace's hash ids imply \d+\.\d%\)/)
    expect(expectOneLineError(await runCli([...args, '--rate', '5']))).toMatch(/^Error: --rate: a trace sets the arrivals and lengths itself/)
    expect(expectOneLineError(await runCli(['sim', '--virtual', '--profile', 'h100-sxm-llama-3.1-8b-bf16', '--speedup', '2', '--requests', '3']))).toMatch(
      /--speedup needs --trace/,
    )
  })
})
