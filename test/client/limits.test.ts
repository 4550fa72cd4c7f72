import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStreamPool, resolveEndpoint } from '../../src/client/endpoint.js'
import { EventTooLargeError, ServerSentEventParser } from '../../src/client/sse.js'
import { StreamingClient } from '../../src/client/stream-request.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { endpointSchema, limitsSchema, retrySchema, timeoutsSchema } from '../../src/io/schema/scenario.js'
import { type QuirkServer, type Script, chatChunk, spaced, startQuirkServer } from '../helpers/quirk-server.js'
import { sendHi } from '../helpers/client-send.js'

/** Size caps on what the streaming client reads (#15.3): one SSE line, an error body. */
const CAP = 64 * 1024
const PIECE = 'x'.repeat(64 * 1024)
const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`

const scripts: Record<string, Script> = {
  // A 2 MB line (an event that never ends within the cap), in 64 KiB writes.
  'long-line': {
    pieces: spaced(
      [
        sse(chatChunk({ content: 'a' })),
        `data: {"choices":[{"delta":{"content":"`,
        ...Array.from({ length: 32 }, () => PIECE),
        '"}}]}\n\n',
        'data: [DONE]\n\n',
      ],
      5,
    ),
  },
  // A 500 whose body goes on for 4 MB.
  'huge-error': {
    status: 500,
    headers: { 'content-type': 'text/plain' },
    pieces: spaced(['upstream failed: ', ...Array.from({ length: 64 }, () => PIECE)], 2),
  },
  normal: { pieces: [sse(chatChunk({ content: 'a' })), sse({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }), 'data: [DONE]\n\n'] },
}

let server: QuirkServer
let client: StreamingClient

beforeAll(async () => {
  server = await startQuirkServer(scripts)
  const endpoint = resolveEndpoint(endpointSchema.parse({ url: server.url, label: 'limits' }), 'test')
  const timeouts = timeoutsSchema.parse({ firstTokenMs: 10_000, idleMs: 10_000, totalMs: 20_000 })
  const limits = limitsSchema.parse({ maxEventBytes: CAP, maxResponseBytes: 1024 * 1024 })
  client = new StreamingClient(endpoint, createStreamPool(endpoint, { connectTimeoutMs: 5000 }), { timeouts, retries: retrySchema.parse({}), limits })
})

afterAll(async () => {
  await server.close()
})

async function send(quirk: string): Promise<RequestRecord> {
  return sendHi(client, { maxOutputTokens: 4, headers: { 'x-quirk': quirk } })
}

describe('size caps of the streaming client', () => {
  it('ends a request whose SSE line outgrows --max-event-bytes with a protocol error, and the client goes on', async () => {
    const r = await send('long-line')
    expect(r.ok).toBe(false)
    expect(r.errorClass).toBe('protocol')
    expect(r.errorMessage).toContain(`longer than ${CAP} bytes (--max-event-bytes)`)
    expect(r.tokenEvents).toBe(1)
    // Only that request failed: the next one on the same client is fine.
    expect((await send('normal')).ok).toBe(true)
  }, 30_000)

  it('abandons an error body longer than --max-response-bytes, keeping its class and start', async () => {
    const r = await send('huge-error')
    expect(r.errorClass).toBe('http-5xx')
    expect(r.errorMessage).toContain('upstream failed')
    expect(r.errorMessage).toContain('--max-response-bytes')
  }, 30_000)
})

describe('ServerSentEventParser cap', () => {
  it('never holds more than the cap plus one read, and drops what it held when the cap is passed', () => {
    const parser = new ServerSentEventParser(CAP)
    const read = Buffer.from('y'.repeat(16 * 1024))
    expect(parser.push(Buffer.from('data: {"ok":1}\n\ndata: '))).toEqual([{ event: 'message', data: '{"ok":1}', id: undefined }])
    let thrown: unknown
    let reads = 0
    for (; reads < 128 && thrown === undefined; reads++) {
      try {
        parser.push(read)
        expect(parser.bufferedChars).toBeLessThanOrEqual(CAP)
      } catch (error) {
        thrown = error
      }
    }
    expect(thrown).toBeInstanceOf(EventTooLargeError)
    expect(reads).toBeLessThanOrEqual(CAP / read.length + 1)
    expect(parser.bufferedChars).toBe(0)
  })

  it('counts the data lines of one event together', () => {
    const parser = new ServerSentEventParser(100)
    expect(() => parser.push(Buffer.from(`${'data: 0123456789012345678901234567890123456789\n'.repeat(3)}`))).toThrow(EventTooLargeError)
  })
})
