import { type IncomingMessage, type Server, createServer, request as httpRequest } from 'node:http'
import { type AddressInfo, type Socket, connect } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../../src/pricing/refresh/http.js'

/**
 * `geopat catalog refresh` works where users are: behind the proxy their environment names
 * (HTTP_PROXY / HTTPS_PROXY, NO_PROXY), as curl and the cloud SDKs read them. A price API and a
 * forward proxy, both on 127.0.0.1: the client's requests must go through the proxy when the
 * environment names it, and straight to the API when NO_PROXY covers the host.
 */
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'] as const
const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]))

let api: Server
let proxy: Server
let apiUrl = ''
let proxyUrl = ''
/** What the proxy was asked to reach (CONNECT authority or absolute-form URL) and the Proxy-Authorization it saw. */
const proxied: Array<{ target: string; authorization: string | undefined }> = []
const sockets = new Set<Socket>()

function clearProxyVariables(): void {
  for (const name of PROXY_VARIABLES) delete process.env[name]
}

beforeAll(async () => {
  clearProxyVariables()
  api = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url }))
  })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`

  // A forward proxy: tunnels CONNECT, forwards absolute-form requests; only ever to 127.0.0.1.
  proxy = createServer((request: IncomingMessage, response) => {
    const target = new URL(request.url ?? '')
    proxied.push({ target: target.href, authorization: request.headers['proxy-authorization'] })
    if (target.hostname !== '127.0.0.1') return void response.writeHead(403).end()
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method, headers: request.headers },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(response)
      },
    )
    request.pipe(upstream)
  })
  proxy.on('connect', (request: IncomingMessage, client: Socket) => {
    proxied.push({ target: request.url ?? '', authorization: request.headers['proxy-authorization'] })
    const [host, port] = (request.url ?? '').split(':')
    if (host !== '127.0.0.1') return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => socket.destroy())
      socket.on('close', () => sockets.delete(socket))
    }
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

afterEach(() => {
  clearProxyVariables()
  proxied.length = 0
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  for (const server of [api, proxy]) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  for (const name of PROXY_VARIABLES) if (saved[name] !== undefined) process.env[name] = saved[name]
})

describe('the refresh client reads its proxy from the environment', () => {
  it('goes through the proxy HTTP_PROXY names, credentials included', async () => {
    process.env.HTTP_PROXY = proxyUrl.replace('http://', 'http://refresh-user:proxy-pass-7d1e@')
    const client = createHttpClient({ retries: 0, timeoutMs: 10_000 })
    try {
      expect(await client.getJson(`${apiUrl}/prices?page=1`)).toEqual({ path: '/prices?page=1' })
    } finally {
      await client.close()
    }
    expect(proxied.length).toBe(1)
    const [{ target, authorization } = { target: '', authorization: undefined }] = proxied
    // Tunnelled (CONNECT host:port) or forwarded (absolute URL): either way, to the API's host and port.
    expect(target.replace(/^http:\/\//, '').replace(/\/.*$/, '')).toBe(new URL(apiUrl).host)
    expect(authorization).toBe(`Basic ${Buffer.from('refresh-user:proxy-pass-7d1e').toString('base64')}`)
  })

  it('goes straight to the API when NO_PROXY covers its host', async () => {
    process.env.HTTP_PROXY = proxyUrl
    process.env.NO_PROXY = '127.0.0.1'
    const client = createHttpClient({ retries: 0, timeoutMs: 10_000 })
    try {
      expect(await client.getJson(`${apiUrl}/direct`)).toEqual({ path: '/direct' })
    } finally {
      await client.close()
    }
    expect(proxied).toEqual([])
  })

  it('a proxy that refuses is one line naming the URL, with the proxy password out of it', async () => {
    process.env.HTTP_PROXY = proxyUrl.replace('http://', 'http://refresh-user:proxy-pass-7d1e@')
    // No secrets given: the client takes the proxy's password out of its lines by itself.
    const client = createHttpClient({ retries: 0, timeoutMs: 10_000 })
    let message = ''
    try {
      await client.getJson('http://127.0.0.2:9/refused')
    } catch (error) {
      message = (error as Error).message
      // Whatever a line quotes (a proxy's error page, a URL), the client takes the proxy's password out of it.
      expect(client.redact('proxy said: refresh-user:proxy-pass-7d1e rejected')).not.toContain('proxy-pass-7d1e')
    } finally {
      await client.close()
    }
    expect(message).toMatch(/^GET http:\/\/127\.0\.0\.2:9\/refused: /)
    expect(message).not.toContain('\n')
    expect(message).not.toContain('proxy-pass-7d1e')
    expect(proxied.length).toBeGreaterThan(0)
  })
})
