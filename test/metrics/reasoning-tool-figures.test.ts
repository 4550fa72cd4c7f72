import { describe, expect, it } from 'vitest'
import { judgeClient } from '../../src/load/client-check.js'
import { requestedLoad } from '../../src/load/runner.js'
import { COMPLETED_RECORD_END, type RequestRecord } from '../../src/io/schema/record.js'
import { type BenchSummary, runSummarySchema } from '../../src/io/schema/summary.js'
import { type RunFacts, summarizeRun } from '../../src/metrics/summarize.js'
import { summaryToCsv } from '../../src/metrics/summary-csv.js'
import { quietClientCheck } from '../helpers/client-check.js'
import { cells } from '../helpers/csv-cells.js'

/**
 * The registered figures of reasoning and tool calls (#21 scope 3): each recomputed here from the
 * records, over the measured successful requests (sent after a 1 s warm-up), and absent from
 * summary.json and summary.csv for a run that saw none.
 */
const WARMUP_MS = 1000

/** Request i: sent at i × 50 ms, 40 output tokens; every 7th fails, every 3rd reasons (8 + i tokens), every 4th calls a tool (2 + i mod 5 deltas). */
function recordOf(i: number): RequestRecord {
  const output = 40
  const base: RequestRecord = {
    id: i,
    endpoint: 'e',
    step: 0,
    api: 'chat',
    model: 'm',
    intendedSendMs: i * 50,
    sendMs: i * 50,
    dispatchWaitMs: 0,
    newConnection: false,
    responseHeadersMs: 5,
    firstByteMs: 5,
    chunks: Array.from({ length: output }, (_, k): [number, number] => [10 + k, 1]),
    tokenEvents: output,
    timeToFirstTokenMs: 10,
    timeToFirstContentMs: 10,
    endToEndLatencyMs: 10 + output,
    requestedInputTokens: 20,
    requestedOutputTokens: output,
    inputTokens: 20,
    inputTokensSource: 'server',
    outputTokens: output,
    ...COMPLETED_RECORD_END,
  }
  if (i % 7 === 6) return { ...base, ok: false, httpStatus: 500, errorClass: 'http-5xx', chunks: [], tokenEvents: 0, outputTokens: 0 }
  const reasoning = i % 3 === 0 ? { reasoningTokens: 8 + i, reasoningTokensSource: 'client' as const, answerTokens: output - 8 - i } : {}
  const tools = i % 4 === 0 ? { toolCallDeltas: 2 + (i % 5), toolCalls: 1, finishReason: 'tool_calls' } : {}
  return { ...base, ...reasoning, ...tools }
}

const client = judgeClient(quietClientCheck())

const facts = (label: string, sendEndMs: number): RunFacts => ({
  endpoint: { label, url: 'http://x', model: 'm', api: 'chat' },
  step: 0,
  stepLabel: label,
  // A closed loop of one user whose first second is the warm-up.
  requested: requestedLoad({ step: 0, label, mode: 'closed', concurrency: 1, arrival: 'poisson', burstiness: 1, seed: 1 }, WARMUP_MS / 1000, 0),
  achieved: { concurrencyMean: 1, concurrencyMax: 1, sendRatePerS: null, runDurationS: 1 },
  client,
  interrupted: false,
  sendEndMs,
  slo: {},
  warnings: [],
})

const bench = (runs: BenchSummary['runs']): BenchSummary => ({
  schema: 'geopat.bench-summary/v1',
  runId: 'r',
  tool: { name: 'geopat', version: '0', node: 'v20' },
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:00:10Z',
  recordsFile: 'records.jsonl',
  tokenizer: 't',
  runs,
})

const COLUMNS = ['reasoning_tokens_mean', 'answer_tokens_mean', 'tool_call_requests_pct', 'tool_call_deltas_mean']

describe('reasoning and tool-call figures', () => {
  it('are the means and share of the measured successful requests, counted here; summary.csv has their columns', async () => {
    const records = Array.from({ length: 100 }, (_, i) => recordOf(i))
    const summary = runSummarySchema.parse(await summarizeRun(() => records, facts('thinker', 99 * 50)))
    const measured = records.filter((r) => r.ok && r.sendMs >= WARMUP_MS)
    const withTools = measured.filter((r) => (r.toolCallDeltas ?? 0) > 0)
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
    const expected = {
      reasoningTokensMean: sum(measured.map((r) => r.reasoningTokens ?? 0)) / measured.length,
      answerTokensMean: sum(measured.map((r) => r.answerTokens ?? r.outputTokens)) / measured.length,
      toolCallRequestsPct: (withTools.length / measured.length) * 100,
      toolCallDeltasMean: sum(withTools.map((r) => r.toolCallDeltas ?? 0)) / withTools.length,
    }
    expect(measured.length).toBeLessThan(records.length - 20) // the warm-up and the failures are left out
    for (const [id, value] of Object.entries(expected)) expect(summary.figures?.[id], id).toBeCloseTo(value, 10)
    const [header, row] = summaryToCsv(bench([summary]))
      .trim()
      .split('\n')
      .map(cells)
    for (const [i, column] of COLUMNS.entries()) {
      const at = (header as string[]).indexOf(column)
      expect(at, column).toBeGreaterThanOrEqual(0)
      expect(Number(row?.[at])).toBeCloseTo(Object.values(expected)[i] as number, 3)
    }
  })

  it('are absent from a plain run: no figures in summary.json, no columns in summary.csv', async () => {
    const plain = Array.from({ length: 30 }, (_, i) => recordOf(i)).map(
      ({ reasoningTokens, reasoningTokensSource, answerTokens, toolCallDeltas, toolCalls, ...rest }) => rest,
    )
    const summary = await summarizeRun(() => plain, facts('plain', 29 * 50))
    expect(summary.figures).toBeUndefined()
    const header = cells(summaryToCsv(bench([summary])).split('\n')[0] as string)
    for (const column of COLUMNS) expect(header).not.toContain(column)
  })

  it('only those seen: reasoning without tool calls has the reasoning figures alone', async () => {
    const reasoningOnly = Array.from({ length: 30 }, (_, i) => recordOf(i)).map(({ toolCallDeltas, toolCalls, ...rest }) => rest)
    const summary = await summarizeRun(() => reasoningOnly, facts('reasoning', 29 * 50))
    expect(Object.keys(summary.figures ?? {}).sort()).toEqual(['answerTokensMean', 'reasoningTokensMean'])
  })
})
