import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { percentileOfSorted } from '../../src/metrics/distribution.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { serverMetricsLineSchema } from '../../src/io/schema/server-metrics.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { recordsIn } from '../helpers/records.js'
import { simulatedEndpointsPerTest } from '../helpers/sim-endpoints.js'

/**
 * `geopat bench` with multi-turn sessions, flags to files: the records carry each turn's session, the
 * summary's sessions block agrees with the records (recomputed here) and with the server's /metrics
 * counters, the terminal shows the sessions lines; contradictory flags are refused in one line.
 * Integration: a simulator on 127.0.0.1, the CLI, no duration asserted.
 */
const simulated = simulatedEndpointsPerTest()
const work = mkdtempSync(join(tmpdir(), 'geopat-sessions-cli-'))

describe('geopat bench --turns / --sessions-file', () => {
  it('synthetic sessions: records with session fields, a sessions block the records and /metrics confirm, terminal lines', async () => {
    const sim = await simulated('sim', { profile: 'h100-sxm-llama-3.1-8b-bf16', prefixCaching: 'on' })
    const out = join(work, 'synthetic')
    const flags = ['--turns', '3', '--sessions', '4', '--concurrency', '2', '--input-tokens', '120', '--output-tokens', '12']
    const more = ['--system-prompt-tokens', '64', '--think-time', 'uniform:0.001-0.01', '--scrape-metrics', '--no-progress', '--out', out]
    const result = await runCli(['bench', '--url', sim.url, ...flags, ...more])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/sessions: 4 started, 4 completed, 3\.0 turns mean/)
    expect(result.stdout).toMatch(/TTFT by turn, p50\/p99 ms: 1: /)

    const records = recordsIn(out)
    expect(records.length).toBe(12)
    for (const record of records) {
      expect(record.sessionTurns).toBe(3)
      expect(record.sessionTurn).toBeLessThan(3)
      if (record.sessionTurn === 0) expect(record.thinkTimeMs).toBe(0)
      else expect(record.thinkTimeMs).toBeGreaterThanOrEqual(1)
    }
    expect(new Set(records.map((r) => r.sessionId))).toEqual(new Set([0, 1, 2, 3]))
    // Each turn's prompt is the history: the server counts the system prompt, the earlier messages and answers, and 120 new tokens.
    for (const record of records.filter((r) => (r.sessionTurn as number) > 0)) {
      const previous = records.find((r) => r.sessionId === record.sessionId && r.sessionTurn === (record.sessionTurn as number) - 1) as RequestRecord
      expect(record.inputTokens).toBeGreaterThanOrEqual((previous.inputTokens as number) + 120 + 12)
    }

    const run = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).runs[0]
    const block = run?.sessions
    expect(block?.started).toBe(4)
    expect(block?.completed).toBe(4)
    expect(run?.requested.requests).toBeNull()
    // The registered figures (src/metrics/figures/sessions.ts), recomputed from the records.
    const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length
    const ttftOf = (first: boolean): number[] => records.filter((r) => (r.sessionTurn === 0) === first).map((r) => r.timeToFirstTokenMs as number)
    expect(run?.figures?.sessionsStarted).toBe(4)
    expect(run?.figures?.sessionsCompleted).toBe(4)
    expect(run?.figures?.sessionTurnsMean).toBe(3)
    expect(run?.figures?.sessionFirstTurnTtftMeanMs).toBeCloseTo(mean(ttftOf(true)), 9)
    expect(run?.figures?.sessionLaterTurnsTtftMeanMs).toBeCloseTo(mean(ttftOf(false)), 9)
    for (const turn of [0, 1, 2]) {
      const ttfts = Float64Array.from(records.filter((r) => r.sessionTurn === turn).map((r) => r.timeToFirstTokenMs as number)).sort()
      expect(block?.ttftByTurn[turn]).toEqual({
        turn,
        count: 4,
        p50: percentileOfSorted(ttfts, 50),
        p90: percentileOfSorted(ttfts, 90),
        p99: percentileOfSorted(ttfts, 99),
      })
    }
    const durations = [0, 1, 2, 3].map((id) => {
      const turns = records.filter((r) => r.sessionId === id)
      return (Math.max(...turns.map((r) => r.sendMs + (r.endToEndLatencyMs as number))) - Math.min(...turns.map((r) => r.sendMs))) / 1000
    })
    expect(block?.durationS.p50).toBeCloseTo(percentileOfSorted(Float64Array.from(durations).sort(), 50) as number, 9)
    // The hit rate is the growth of the server's counters over the step's scrapes in metrics.jsonl.
    const scrapes = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => serverMetricsLineSchema.parse(JSON.parse(line)).samples)
    const growth = (name: string): number => (scrapes[scrapes.length - 1]?.[name] as number) - (scrapes[0]?.[name] as number)
    expect(block?.prefixCacheHitRate).toBeCloseTo(growth('vllm:prefix_cache_hits_total') / growth('vllm:prefix_cache_queries_total'), 12)
    expect(block?.prefixCacheHitRate).toBeGreaterThan(0)
  })

  it('ShareGPT sessions: every human turn in order, the reply length as max_tokens; one session per conversation', async () => {
    const sim = await simulated('sim', { ttftMs: 1, itlMs: 0 })
    const file = join(work, 'conversations.jsonl')
    const conversations = [
      [
        ['system', 'You answer briefly.'],
        ['human', 'first question'],
        ['gpt', 'one two three four five'],
        ['human', 'second question'],
        ['gpt', 'six seven'],
      ],
      [
        ['human', 'only question'],
        ['gpt', 'an answer of some words here'],
        ['human', 'a turn without a reply is not sent'],
      ],
    ]
    writeFileSync(file, conversations.map((turns) => JSON.stringify({ conversations: turns.map(([from, value]) => ({ from, value })) })).join('\n'))
    const out = join(work, 'sharegpt')
    const result = await runCli(['bench', '--url', sim.url, '--sessions-file', file, '--concurrency', '1', '--no-progress', '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    const records = recordsIn(out)
    expect(records.map((r) => [r.sessionId, r.sessionTurn, r.sessionTurns])).toEqual([
      [0, 0, 2],
      [0, 1, 2],
      [1, 0, 1],
    ])
    const { countTokens } = await import('../../src/input/tokenizer.js')
    expect(records.map((r) => r.requestedOutputTokens)).toEqual([
      countTokens('one two three four five'),
      countTokens('six seven'),
      countTokens('an answer of some words here'),
    ])
    expect(records[0]?.requestedInputTokens).toBe(countTokens('You answer briefly.') + countTokens('first question'))
  })

  it.each([
    [['--turns', '3', '--sessions', '2', '--requests', '10'], /--requests.*sessions are bounded by their count \(--sessions\)/],
    [['--turns', '3', '--sessions', '2', '--api', 'completions'], /--api completions with sessions: sessions send chat messages/],
    [['--turns', '3'], /--sessions or --duration must bound synthetic sessions/],
    [['--turns', '3', '--sessions', '2', '--think-time', 'gamma:2'], /--think-time.*exponential:MEAN/],
    [['--turns', '3', '--sessions', '2', '--prompts', 'p.jsonl'], /--prompts.*give no prompt file/],
    [['--think-time', '1', '--sessions', '2'], /--turns|--sessions-file/],
  ])('refuses %j in one line', async (flags, message) => {
    const sim = await simulated('sim', { ttftMs: 1, itlMs: 0 })
    const result = await runCli(['bench', '--url', sim.url, '--no-progress', '--out', join(work, `bad-${flags.join('')}`), ...flags])
    expect(expectOneLineError(result)).toMatch(message)
  })
})
