import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { StreamPool } from '../../src/client/stream-pool.js'
import type { StreamingClient } from '../../src/client/stream-request.js'
import { type LoadStep, StopSignal, runLoadStep } from '../../src/load/runner.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { sendHi, testClientAndPool } from '../helpers/client-send.js'
import { type TestPki, makeTestPki } from '../helpers/tls.js'
import { waitUntil } from '../helpers/wait.js'

/**
 * StreamPool's reserve of spare connections (src/client/connect-reserve.ts): opened before an
 * open loop's first request, handed out, replaced, dropped when the server closes them, verified
 * over TLS exactly as a request's own connection, closed with the pool. Servers on 127.0.0.1; no
 * duration is asserted: the tests wait for what the server saw.
 */

/** What a server saw, in order: connections accepted, requests (with their connection's number), connections closed. */
interface Seen {
  events: string[]
  sockets: Socket[]
  closed: number
  requests: number
}

/** A two-token OpenAI-style stream for every request; `seen` logs connections and requests in order. */
function streamHandler(seen: Seen) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    seen.requests++
    seen.events.push(`request on ${seen.sockets.indexOf(req.socket)}`)
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const chunk = (content: string): string => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
      res.end(`${chunk('a')}${chunk('b')}data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } })}\n\ndata: [DONE]\n\n`)
    })
  }
}

const WAIT_MS = 10_000
const servers: Server[] = []
const pools: StreamPool[] = []

function watch(server: Server, seen: Seen, connectionEvent: 'connection' | 'secureConnection'): void {
  server.on(connectionEvent, (socket: Socket) => {
    seen.events.push(`connection ${seen.sockets.length}`)
    seen.sockets.push(socket)
    socket.on('close', () => seen.closed++)
  })
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function httpServer(): Promise<{ url: string; seen: Seen; server: Server }> {
  const seen: Seen = { events: [], sockets: [], closed: 0, requests: 0 }
  const server = createServer(streamHandler(seen))
  watch(server, seen, 'connection')
  return { url: await listen(server, 'http'), seen, server }
}

/** A pool and a streaming client over it for the endpoint `fields` describe (destroyed after each test). */
function clientOf(fields: Record<string, unknown>): { pool: StreamPool; client: StreamingClient } {
  const made = testClientAndPool({ label: 'reserve', ...fields }, WAIT_MS)
  pools.push(made.pool)
  return made
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()))
})

afterAll(() => {
  for (const server of servers) server.close()
})

describe('the reserve of spare connections', () => {
  it('opens its connections before the first request and hands them out as new, preconnected connections', async () => {
    const { url, seen } = await httpServer()
    const { pool, client } = clientOf({ url })
    await pool.preconnect(3)
    await waitUntil(() => seen.sockets.length === 3, WAIT_MS, 'three connections accepted')
    expect(pool.spares).toBe(3)
    expect(seen.requests).toBe(0)
    const records = await Promise.all([0, 1].map((id) => sendHi(client, { maxOutputTokens: 2, id })))
    for (const record of records) expect(record).toMatchObject({ ok: true, newConnection: true, preconnected: true })
    // Both requests went over spares: no connection was opened for them, one spare is left.
    expect(seen.sockets).toHaveLength(3)
    expect(pool.spares).toBe(1)
    // A request now finds a kept-alive connection: neither new nor preconnected.
    const reused = await sendHi(client, { maxOutputTokens: 2, id: 2 })
    expect(reused.newConnection).toBe(false)
    expect(reused.preconnected).toBeUndefined()
  })

  it('an open-loop step opens the connections it needs before its first send', async () => {
    const { url, seen } = await httpServer()
    const { client } = clientOf({ url })
    const records: RequestRecord[] = []
    // Three sends due in the first second: three connections ahead.
    const step: LoadStep = { step: 0, label: 'trace', mode: 'open', arrival: 'poisson', burstiness: 1, seed: 1, maxRequests: 3, sendTimesMs: [0, 0, 0] }
    await runLoadStep(step, {
      client,
      prepare: () => ({
        request: {
          model: 'm',
          api: 'chat',
          prompt: 'hi',
          messages: [{ role: 'user', content: 'hi' }],
          maxOutputTokens: 2,
          fixedOutput: false,
          continuousUsage: false,
          extraBody: undefined,
        },
        requestedInputTokens: 1,
        requestedOutputTokens: 2,
      }),
      onRecord: (record) => records.push(record),
      stop: new StopSignal(),
    })
    expect(records).toHaveLength(3)
    // Each request went over a spare, connected before it was dispatched (the server may accept a socket after
    // a request arrived on another: its own scheduling), each on a connection of its own.
    for (const record of records) expect(record).toMatchObject({ ok: true, newConnection: true, preconnected: true })
    const requestEvents = seen.events.filter((event) => event.startsWith('request'))
    expect(new Set(requestEvents).size).toBe(3)
  })

  it('opens another spare in the background when a request takes the last one', async () => {
    const { url, seen } = await httpServer()
    const { pool, client } = clientOf({ url })
    await pool.preconnect(1)
    await waitUntil(() => seen.sockets.length === 1, WAIT_MS, 'one connection accepted')
    const record = await sendHi(client, { maxOutputTokens: 2 })
    expect(record).toMatchObject({ ok: true, preconnected: true })
    await waitUntil(() => pool.spares === 1, WAIT_MS, 'a replacement spare')
    await waitUntil(() => seen.sockets.length === 2, WAIT_MS, 'the replacement accepted')
    expect(seen.requests).toBe(1)
    // Two requests at once: one reuses the idle connection, the other needs a new one and gets the replacement.
    const both = await Promise.all([0, 1].map((id) => sendHi(client, { maxOutputTokens: 2, id })))
    expect(both.filter((r) => r.newConnection)).toEqual([expect.objectContaining({ preconnected: true })])
  })

  it('drops a spare the server closed and connects the request afresh', async () => {
    const { url, seen, server } = await httpServer()
    let closeIdle = true
    // The server closes idle connections at once (an aggressive keep-alive timeout).
    server.on('connection', (socket: Socket) => {
      if (closeIdle) socket.destroy()
    })
    const { pool, client } = clientOf({ url })
    await pool.preconnect(2)
    await waitUntil(() => seen.closed === 2, WAIT_MS, 'the server closing both spares')
    await waitUntil(() => pool.spares === 0, WAIT_MS, 'the reserve dropping them')
    closeIdle = false
    const record = await sendHi(client, { maxOutputTokens: 2 })
    expect(record).toMatchObject({ ok: true, newConnection: true })
    expect(record.preconnected).toBeUndefined()
  })

  it('closes its spares with the pool', async () => {
    const { url, seen } = await httpServer()
    const { pool } = clientOf({ url })
    await pool.preconnect(2)
    await waitUntil(() => seen.sockets.length === 2, WAIT_MS, 'two connections accepted')
    await pool.close()
    await waitUntil(() => seen.closed === 2, WAIT_MS, 'the server seeing both closed')
    expect(pool.spares).toBe(0)
    expect(seen.requests).toBe(0)
  })
})

describe('the reserve over TLS', () => {
  let pki: TestPki
  let url: string
  const seen: Seen = { events: [], sockets: [], closed: 0, requests: 0 }

  beforeAll(async () => {
    pki = await makeTestPki()
    const server = createHttpsServer({ cert: pki.serverCert, key: pki.serverKey }, streamHandler(seen))
    watch(server, seen, 'secureConnection')
    url = await listen(server, 'https')
  }, 30_000)

  it('verifies the certificate as before: spares with the private CA, handed out preconnected', async () => {
    const { pool, client } = clientOf({ url, caFile: pki.caFile })
    const before = seen.sockets.length
    await pool.preconnect(2)
    expect(pool.spares).toBe(2)
    await waitUntil(() => seen.sockets.length === before + 2, WAIT_MS, 'two TLS connections accepted')
    const record = await sendHi(client, { maxOutputTokens: 2 })
    expect(record).toMatchObject({ ok: true, newConnection: true, preconnected: true })
    expect(seen.sockets).toHaveLength(before + 2)
  })

  it('refuses an unknown CA exactly as a request connecting itself does: no spare, the same error', async () => {
    const prewarmed = clientOf({ url })
    await prewarmed.pool.preconnect(2)
    expect(prewarmed.pool.spares).toBe(0)
    const refused = await sendHi(prewarmed.client, { maxOutputTokens: 2 })
    const plain = await sendHi(clientOf({ url }).client, { maxOutputTokens: 2 })
    expect(refused.ok).toBe(false)
    expect(refused.errorMessage).toMatch(/certificate|SELF_SIGNED|UNABLE_TO/i)
    expect({ errorClass: refused.errorClass, errorMessage: refused.errorMessage }).toEqual({ errorClass: plain.errorClass, errorMessage: plain.errorMessage })
  })

  it('skips verification only with insecure, as before', async () => {
    const { pool, client } = clientOf({ url, insecure: true })
    await pool.preconnect(1)
    expect(pool.spares).toBe(1)
    expect(await sendHi(client, { maxOutputTokens: 2 })).toMatchObject({ ok: true, preconnected: true })
  })
})
