import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StreamingClient } from '../../src/client/stream-request.js'
import { encodeText } from '../../src/input/tokenizer.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { requestRecordSchema } from '../../src/io/schema/record.js'
import { runCli } from '../helpers/cli.js'
import { cells } from '../helpers/csv-cells.js'
import { startSimulatedEndpoint } from '../../src/sim/simulated-endpoint.js'
import { MODELS_ROUTE, type QuirkServer, type Script, chatChunk, spaced, startQuirkServer } from '../helpers/quirk-server.js'
import { sendHi, testClient } from '../helpers/client-send.js'

/**
 * Reasoning and tool-call streams in vLLM's format (#21 scope 3), served by the quirk server: the
 * record counts reasoning tokens apart from answer tokens, and tool-call deltas and calls. Counts
 * only, never a duration.
 */
const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`
const done = 'data: [DONE]\n\n'
const role = sse(chatChunk({ role: 'assistant', content: '' }))
const finishWith = (reason: string): string => sse({ ...chatChunk({}), choices: [{ index: 0, delta: {}, finish_reason: reason }] })
const usage = (completion: number, details?: Record<string, number>): string =>
  sse({
    id: 'x',
    object: 'chat.completion.chunk',
    choices: [],
    usage: { prompt_tokens: 9, completion_tokens: completion, total_tokens: 9 + completion, ...(details ? { completion_tokens_details: details } : {}) },
  })

const REASONING = ['Let me', ' add the', ' two numbers', ' first.']
const ANSWER = ['Two plus', ' two is', ' four.']
const reasoningTokensByHand = encodeText(REASONING.join('')).length
const answerTokensByHand = encodeText(ANSWER.join('')).length

/** vLLM's reasoning parser: the thinking on its own channel first, then the answer as content. */
function reasoningStream(field: 'reasoning' | 'reasoning_content', usageChunk: string): Script {
  return {
    pieces: spaced(
      [
        role,
        ...REASONING.map((text) => sse(chatChunk({ [field]: text }))),
        ...ANSWER.map((text) => sse(chatChunk({ content: text }))),
        finishWith('stop') + usageChunk + done,
      ],
      5,
    ),
  }
}

/** vLLM's tool parser: each call's id, type and name first, then its arguments in pieces; finish_reason tool_calls. */
const TOOL_DELTAS = [
  { index: 0, id: 'chatcmpl-tool-1', type: 'function', function: { name: 'get_weather', arguments: '' } },
  { index: 0, function: { arguments: '{"city": ' } },
  { index: 0, function: { arguments: '"Paris"}' } },
  { index: 1, id: 'chatcmpl-tool-2', type: 'function', function: { name: 'get_time', arguments: '' } },
  { index: 1, function: { arguments: '{"zone": "CET"}' } },
]

const scripts: Record<string, Script> = {
  '/v1/models': MODELS_ROUTE,
  // Newer vLLM (the reasoning_content → reasoning rename): no reasoning count in usage.
  reasoning: reasoningStream('reasoning', usage(reasoningTokensByHand + answerTokensByHand)),
  // Older field name, and a server that reports its reasoning tokens (its own count wins).
  'reasoning-content-usage': reasoningStream('reasoning_content', usage(40, { reasoning_tokens: 31 })),
  tools: { pieces: spaced([role, ...TOOL_DELTAS.map((call) => sse(chatChunk({ tool_calls: [call] }))), finishWith('tool_calls') + usage(21) + done], 5) },
  plain: { pieces: spaced([role, ...ANSWER.map((text) => sse(chatChunk({ content: text }))), finishWith('stop') + usage(3) + done], 5) },
}

let server: QuirkServer
let client: StreamingClient

beforeAll(async () => {
  server = await startQuirkServer(scripts)
  client = testClient(server.url, 3000)
})

afterAll(async () => {
  await server.close()
})

let nextId = 0
async function send(quirk: string): Promise<RequestRecord> {
  return sendHi(client, { maxOutputTokens: 64, id: nextId++, headers: { 'x-quirk': quirk } })
}

describe('reasoning streams (vLLM reasoning parser)', () => {
  it('delta.reasoning: reasoning tokens counted from its text, the answer tokens the rest of the server count', async () => {
    const r = await send('reasoning')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(REASONING.length + ANSWER.length)
    expect(r.outputTokens).toBe(reasoningTokensByHand + answerTokensByHand)
    expect(r).toMatchObject({ reasoningTokens: reasoningTokensByHand, reasoningTokensSource: 'client', answerTokens: answerTokensByHand })
    expect(r.toolCallDeltas).toBeUndefined()
    // The first token is a reasoning one; the first content token comes after all of them.
    expect(r.timeToFirstContentMs as number).toBeGreaterThanOrEqual(r.timeToFirstTokenMs as number)
  })

  it("delta.reasoning_content with usage.completion_tokens_details.reasoning_tokens: the server's count", async () => {
    const r = await send('reasoning-content-usage')
    expect(r).toMatchObject({ ok: true, outputTokens: 40, reasoningTokens: 31, reasoningTokensSource: 'server', answerTokens: 9 })
  })
})

describe('tool-call streams (vLLM tool parser)', () => {
  it('counts every tool-call delta and the distinct calls; finish_reason tool_calls', async () => {
    const r = await send('tools')
    expect(r).toMatchObject({ ok: true, finishReason: 'tool_calls', toolCallDeltas: TOOL_DELTAS.length, toolCalls: 2, tokenEvents: TOOL_DELTAS.length })
    expect(r.reasoningTokens).toBeUndefined()
    // No content: no time to first content.
    expect(r.timeToFirstContentMs).toBeNull()
  })
})

describe('a plain answer', () => {
  it('carries none of the reasoning or tool-call fields (records as before)', async () => {
    const r = await send('plain')
    for (const field of ['reasoningTokens', 'reasoningTokensSource', 'answerTokens', 'toolCallDeltas', 'toolCalls']) expect(r).not.toHaveProperty(field)
  })
})

describe("the simulator's reasoning and tool-call streams, counted by the client", () => {
  it('reasoning_effort medium: half the answer reasoning, the rest answer; tools: one call of its deltas', async () => {
    const sim = await startSimulatedEndpoint('sim', simEndpointSchema.parse({ port: 0, ttftMs: 1, itlMs: 0 }))
    try {
      const simClient = testClient(sim.url, 5000)
      const ask = (extraBody: Record<string, unknown>) =>
        sendHi(simClient, { model: 'geopat-sim', maxOutputTokens: 40, fixedOutput: true, extraBody, id: nextId++ })
      const reasoning = await ask({ reasoning_effort: 'medium' })
      expect(reasoning).toMatchObject({ ok: true, outputTokens: 40, outputTokensSource: 'server', reasoningTokensSource: 'client' })
      // 20 reasoning tokens, each a one-token word and a space: re-tokenized here, the last space may make one more.
      expect(reasoning.reasoningTokens as number).toBeGreaterThanOrEqual(20)
      expect(reasoning.reasoningTokens as number).toBeLessThanOrEqual(21)
      expect(reasoning.answerTokens).toBe(40 - (reasoning.reasoningTokens as number))
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }]
      const call = await ask({ tools, tool_choice: 'required' })
      expect(call).toMatchObject({ ok: true, finishReason: 'tool_calls', toolCallDeltas: 40, toolCalls: 1 })
      expect(call.reasoningTokens).toBeUndefined()
    } finally {
      await sim.close()
    }
  })
})

describe('a simulated reasoning model whose reasoning length is a distribution, counted by the client', () => {
  it('lognormal:200,80 drawn per request: the counted reasoning tokens have its mean, spread and median; the answer the rest', async () => {
    const sim = await startSimulatedEndpoint(
      'sim',
      simEndpointSchema.parse({ port: 0, ttftMs: 1, itlMs: 0, reasoning: { tokens: { dist: 'lognormal', mean: 200, std: 80 } } }),
    )
    try {
      const simClient = testClient(sim.url, 5000)
      const records: RequestRecord[] = []
      for (let i = 0; i < 100; i++) records.push(await sendHi(simClient, { model: 'geopat-sim', maxOutputTokens: 600, fixedOutput: true, id: nextId++ }))
      const counted = records.map((r) => {
        expect(r).toMatchObject({ ok: true, outputTokens: 600, reasoningTokensSource: 'client' })
        expect(r.answerTokens).toBe(600 - (r.reasoningTokens as number))
        return r.reasoningTokens as number
      })
      const mean = counted.reduce((sum, n) => sum + n, 0) / counted.length
      const std = Math.sqrt(counted.reduce((sum, n) => sum + (n - mean) ** 2, 0) / (counted.length - 1))
      const median = [...counted].sort((a, b) => a - b)[counted.length / 2] as number
      // A lognormal of mean 200 and std 80: sigma² = ln(1 + 0.4²), median = 200 / sqrt(1 + 0.4²) = 185.7. Re-tokenized
      // here, a count may be one more than the tokens streamed; 100 draws: the mean's standard error is 8.
      expect(Math.abs(mean - 200.5)).toBeLessThan(4 * 8)
      expect(std).toBeGreaterThan(55)
      expect(std).toBeLessThan(105)
      expect(Math.abs(median - 200 / Math.sqrt(1 + 0.4 ** 2))).toBeLessThan(25)
    } finally {
      await sim.close()
    }
  })
})

describe('geopat bench: the reasoning and tool-call figures in summary.json, summary.csv and the report', () => {
  it('a reasoning endpoint and a tool-calling one have them, recounted here from records.jsonl; a plain run has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geopat-reasoning-figures-'))
    const scenario = join(dir, 'scenario.yaml')
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }]
    writeFileSync(
      scenario,
      JSON.stringify({
        endpoints: [
          { label: 'thinker', sim: { ttftMs: 1, itlMs: 0, reasoning: { tokens: { dist: 'uniform', min: 5, max: 25 } } } },
          { label: 'caller', sim: { ttftMs: 1, itlMs: 0 }, extraBody: { tools, tool_choice: 'required' } },
        ],
        load: { concurrency: 2, requests: 30 },
        input: { inputTokens: 16, outputTokens: 40, fixedOutput: true },
      }),
    )
    const out = join(dir, 'run')
    const result = await runCli(['bench', '--scenario', scenario, '--out', out, '--no-progress'], { timeoutMs: 120_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => requestRecordSchema.parse(JSON.parse(line)))
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
    for (const run of summary.runs) {
      const ok = records.filter((r) => r.endpoint === run.endpoint.label && r.ok)
      const reasoned = ok.filter((r) => r.reasoningTokens !== undefined)
      const called = ok.filter((r) => (r.toolCallDeltas ?? 0) > 0)
      expect(ok).toHaveLength(30)
      const expected: Record<string, number> = {}
      if (reasoned.length > 0) {
        expected.reasoningTokensMean = sum(ok.map((r) => r.reasoningTokens ?? 0)) / ok.length
        expected.answerTokensMean = sum(ok.map((r) => r.answerTokens ?? r.outputTokens)) / ok.length
      }
      if (called.length > 0) {
        expected.toolCallRequestsPct = (called.length / ok.length) * 100
        expected.toolCallDeltasMean = sum(called.map((r) => r.toolCallDeltas ?? 0)) / called.length
      }
      expect(Object.keys(run.figures ?? {}).sort(), run.endpoint.label).toEqual(Object.keys(expected).sort())
      for (const [id, value] of Object.entries(expected)) expect(run.figures?.[id], id).toBeCloseTo(value, 9)
    }
    expect(Object.keys(summary.runs.find((run) => run.endpoint.label === 'thinker')?.figures ?? {})).toContain('reasoningTokensMean')
    expect(Object.keys(summary.runs.find((run) => run.endpoint.label === 'caller')?.figures ?? {})).toContain('toolCallDeltasMean')
    const header = cells(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0] as string)
    expect(header).toEqual(expect.arrayContaining(['reasoning_tokens_mean', 'answer_tokens_mean', 'tool_call_requests_pct', 'tool_call_deltas_mean']))
    const report = await runCli(['report', '--from', out, '--out', join(dir, 'report.html')])
    expect(report.exitCode, report.stderr).toBe(0)
    const html = readFileSync(join(dir, 'report.html'), 'utf8')
    // The runs table has a column each (a header cell); the methodology's glossary lists every figure in any report.
    const columnOf = (label: string) => `<th scope="col" class="num">${label}</th>`
    const SEEN_LABELS = [
      'Reasoning tokens per request, mean',
      'Answer tokens per request, mean',
      'Requests with tool calls',
      'Tool-call deltas per tool-calling request, mean',
    ]
    for (const label of SEEN_LABELS) expect(html).toContain(columnOf(label))

    const plainOut = join(dir, 'plain')
    const plain = await runCli(['bench', '--sim', '--sim-ttft-ms', '1', '--sim-itl-ms', '0', '--requests', '5', '--out', plainOut, '--no-progress'])
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(benchSummarySchema.parse(JSON.parse(readFileSync(join(plainOut, 'summary.json'), 'utf8'))).runs[0]?.figures).toBeUndefined()
    expect(readFileSync(join(plainOut, 'summary.csv'), 'utf8').split('\n')[0]).not.toMatch(/reasoning|tool_call/)
    await runCli(['report', '--from', plainOut, '--out', join(dir, 'plain.html')])
    const plainHtml = readFileSync(join(dir, 'plain.html'), 'utf8')
    for (const label of SEEN_LABELS) expect(plainHtml).not.toContain(columnOf(label))
  }, 180_000)
})
