import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStreamPool, resolveEndpoint } from '../../src/client/endpoint.js'
import { StreamingClient } from '../../src/client/stream-request.js'
import { endpointSchema, retrySchema, timeoutsSchema } from '../../src/io/schema/scenario.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { MODELS_ROUTE, type QuirkServer, type Script, chatChunk, spaced, startQuirkServer } from '../helpers/quirk-server.js'
import { sendHi } from '../helpers/client-send.js'

const sse = (payload: unknown): string => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`
const role = sse(chatChunk({ role: 'assistant', content: '' }))
const token = (text: string): string => sse(chatChunk({ content: text }))
const finish = sse({ ...chatChunk({}), choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })
const usage = (prompt: number, completion: number): string =>
  sse({
    id: 'x',
    object: 'chat.completion.chunk',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  })
const done = 'data: [DONE]\n\n'

const scripts: Record<string, Script> = {
  '/v1/models': MODELS_ROUTE,
  normal: { pieces: spaced([role, token('a'), token('b'), token('c'), finish + usage(10, 3) + done]) },
  crlf: {
    pieces: spaced([
      role.replace(/\n/g, '\r\n'),
      token('a').replace(/\n/g, '\r\n'),
      token('b').replace(/\n/g, '\r\n'),
      (usage(10, 2) + done).replace(/\n/g, '\r\n'),
    ]),
  },
  cr: {
    pieces: spaced([role.replace(/\n/g, '\r'), token('a').replace(/\n/g, '\r'), token('b').replace(/\n/g, '\r'), (usage(10, 2) + done).replace(/\n/g, '\r')]),
  },
  'split-utf8': (() => {
    const bytes = Buffer.from(role + token('世界🙂') + token('é') + usage(10, 2) + done, 'utf8')
    // Every byte its own write: events and characters split everywhere.
    return {
      pieces: spaced(
        Array.from(bytes, (b) => Buffer.from([b])),
        1,
      ),
    }
  })(),
  'many-in-one-read': { pieces: spaced([role, token('a') + token('b') + token('c') + token('d'), token('e'), usage(10, 5) + done]) },
  'comments-and-nospace': {
    pieces: spaced([
      ': keep-alive\n\n',
      `data:${JSON.stringify(chatChunk({ role: 'assistant' }))}\n\n`,
      ': ping\n',
      `data:${JSON.stringify(chatChunk({ content: 'x' }))}\n\n`,
      usage(3, 1) + done,
    ]),
  },
  'no-done': { pieces: spaced([role, token('a'), token('b'), finish]) },
  'no-done-no-finish': { pieces: spaced([role, token('a'), token('b')]) },
  'error-midstream': { pieces: spaced([role, token('a'), sse({ error: { message: 'engine overloaded', type: 'internal_error', code: 500 } }), done]) },
  'json-500': { status: 500, headers: { 'content-type': 'application/json' }, pieces: [JSON.stringify({ error: { message: 'CUDA out of memory' } })] },
  'text-503': { status: 503, headers: { 'content-type': 'text/plain' }, pieces: ['upstream unavailable'] },
  'json-429': {
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': '0' },
    pieces: [JSON.stringify({ error: { message: 'rate limited' } })],
  },
  'html-404': { status: 404, headers: { 'content-type': 'text/html' }, pieces: ['<html><head><title>Not Found</title></head><body>nope</body></html>'] },
  'not-json': { pieces: spaced([role, 'data: {broken json\n\n', done]) },
  'cut-midstream': { pieces: spaced([role, token('a'), token('b'), { destroy: true }]) },
  reasoning: {
    pieces: spaced(
      [role, sse(chatChunk({ reasoning_content: 'think' })), sse(chatChunk({ reasoning_content: 'more' })), token('answer'), usage(5, 3) + done],
      20,
    ),
  },
  'no-usage': { pieces: spaced([role, token('hello'), token(' world'), finish + done]) },
  'continuous-usage': {
    pieces: spaced([
      sse({ ...chatChunk({ role: 'assistant', content: '' }), usage: { prompt_tokens: 5, completion_tokens: 0 } }),
      sse({ ...chatChunk({ content: 'ab' }), usage: { prompt_tokens: 5, completion_tokens: 2 } }),
      sse({ ...chatChunk({ content: 'cde' }), usage: { prompt_tokens: 5, completion_tokens: 5 } }),
      usage(5, 5) + done,
    ]),
  },
  hang: { pieces: [role, { pauseMs: 5000 }] },
}

let server: QuirkServer
let client: StreamingClient
let nextId = 0

beforeAll(async () => {
  server = await startQuirkServer({ ...scripts, '/v1/chat/completions': scripts.normal as Script })
  const endpoint = resolveEndpoint(endpointSchema.parse({ url: server.url, label: 'quirk' }), 'test')
  const timeouts = timeoutsSchema.parse({ firstTokenMs: 1500, idleMs: 500, totalMs: 4000 })
  client = new StreamingClient(endpoint, createStreamPool(endpoint, { connectTimeoutMs: 1000 }), { timeouts, retries: retrySchema.parse({}) })
})

afterAll(async () => {
  await server.close()
})

async function send(quirk: string, options: { fixedOutput?: boolean; api?: 'chat' | 'completions' } = {}): Promise<RequestRecord> {
  return sendHi(client, { ...options, maxOutputTokens: 8, id: nextId++, headers: { 'x-quirk': quirk } })
}

describe('request bodies', () => {
  it('ask for usage in the stream, and for exact lengths with --fixed-output (vLLM ignore_eos + min_tokens)', async () => {
    await send('normal', { fixedOutput: true })
    const chat = JSON.parse(server.requests.at(-1)?.body ?? '{}')
    expect(server.requests.at(-1)?.path).toBe('/v1/chat/completions')
    expect(chat).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 8,
      ignore_eos: true,
      min_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    })
    await send('normal', { api: 'completions' })
    const completion = JSON.parse(server.requests.at(-1)?.body ?? '{}')
    expect(server.requests.at(-1)?.path).toBe('/v1/completions')
    expect(completion).toMatchObject({ stream: true, prompt: 'hi', max_tokens: 8 })
    expect(completion.ignore_eos).toBeUndefined()
  })
})

describe('streaming client against SSE quirks', () => {
  it('times a normal stream: role chunk is not a token, usage from the server', async () => {
    const r = await send('normal')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(3)
    expect(r.chunks).toHaveLength(3)
    expect(r.outputTokens).toBe(3)
    expect(r.outputTokensSource).toBe('server')
    expect(r.inputTokens).toBe(10)
    expect(r.inputTokensSource).toBe('server')
    expect(r.sawDone).toBe(true)
    expect(r.finishReason).toBe('length')
    // the role chunk arrives ~15 ms before the first token: TTFT is the token, not the role
    expect(r.timeToFirstTokenMs as number).toBeGreaterThan((r.firstByteMs as number) + 5)
    expect(r.endToEndLatencyMs as number).toBeGreaterThanOrEqual(r.timeToFirstTokenMs as number)
  })

  it.each(['crlf', 'cr'])('parses %s line ends', async (quirk) => {
    const r = await send(quirk)
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(2)
    expect(r.outputTokens).toBe(2)
  })

  it('handles events and multi-byte characters split at every byte', async () => {
    const r = await send('split-utf8')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(2)
    expect(r.errorClass).toBeNull()
  })

  it('counts several events arriving in one read as one chunk carrying several tokens', async () => {
    const r = await send('many-in-one-read')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(5)
    expect(r.chunks.map((c) => c[1])).toEqual([4, 1])
  })

  it('skips comment lines and accepts data: without a space', async () => {
    const r = await send('comments-and-nospace')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(1)
  })

  it('accepts a stream that ends with finish_reason but no [DONE]', async () => {
    const r = await send('no-done')
    expect(r.ok).toBe(true)
    expect(r.sawDone).toBe(false)
    expect(r.outputTokensSource).toBe('client')
    expect(r.outputTokens).toBeGreaterThan(0)
  })

  it('flags a stream that ends with neither [DONE] nor finish_reason as broken', async () => {
    const r = await send('no-done-no-finish')
    expect(r.ok).toBe(false)
    expect(r.errorClass).toBe('stream-broken')
    expect(r.tokenEvents).toBe(2)
  })

  it('records an error object sent mid-stream', async () => {
    const r = await send('error-midstream')
    expect(r.ok).toBe(false)
    expect(r.errorClass).toBe('stream-error')
    expect(r.errorMessage).toContain('engine overloaded')
    expect(r.timeToFirstTokenMs).not.toBeNull()
  })

  it.each([
    ['json-500', 'http-5xx', 'CUDA out of memory'],
    ['text-503', 'http-5xx', 'upstream unavailable'],
    ['json-429', 'http-429', 'rate limited'],
    ['html-404', 'http-4xx', 'Not Found'],
  ])('classes %s as %s with the body in the message', async (quirk, errorClass, text) => {
    const r = await send(quirk)
    expect(r.ok).toBe(false)
    expect(r.errorClass).toBe(errorClass)
    expect(r.errorMessage).toContain(text)
    expect(r.httpStatus).toBe(Number(quirk.split('-')[1]))
  })

  it('classes non-JSON event data as a protocol error', async () => {
    const r = await send('not-json')
    expect(r.errorClass).toBe('protocol')
  })

  it('classes a connection cut mid-stream as stream-broken and keeps what arrived', async () => {
    const r = await send('cut-midstream')
    expect(r.errorClass).toBe('stream-broken')
    expect(r.tokenEvents).toBe(2)
  })

  it('records the first token on any channel and the first content token apart (reasoning models)', async () => {
    const r = await send('reasoning')
    expect(r.ok).toBe(true)
    expect(r.tokenEvents).toBe(3)
    const ttft = r.timeToFirstTokenMs as number
    const ttfc = r.timeToFirstContentMs as number
    expect(ttfc - ttft).toBeGreaterThan(20)
  })

  it('counts output tokens itself when the server sends no usage, and says so', async () => {
    const r = await send('no-usage')
    expect(r.outputTokensSource).toBe('client')
    expect(r.outputTokens).toBe(2)
  })

  it('takes per-chunk token counts from continuous usage stats', async () => {
    const r = await send('continuous-usage')
    expect(r.perChunkUsage).toBe(true)
    expect(r.chunks.map((c) => c[1])).toEqual([2, 3])
    expect(r.outputTokens).toBe(5)
  })

  it('stops a stalled stream at the idle deadline instead of hanging', async () => {
    const started = performance.now()
    const r = await send('hang')
    expect(r.errorClass).toBe('ttft-timeout')
    expect(performance.now() - started).toBeLessThan(3000)
  })
})
