import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refreshCatalog } from '../../../src/pricing/refresh/run.js'
import { TEST_MAPPING, fakeSource, testRows } from '../../helpers/price-sources.js'

/**
 * The refresh with the real HTTP client (undici: retries, Retry-After, timeouts) against a server on
 * 127.0.0.1, through test-only sources that read `{ "price": N }`. No request leaves this machine:
 * the proxy variables are unset and every source's base URL is the local server.
 */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']
const savedProxy = new Map<string, string | undefined>()
const SECRET = 'gcp-http-key-4c9d2e7a'
const NOW = new Date('2026-12-06T09:30:00.000Z')

let server: Server
let base = ''
const hits = new Map<string, number>()
const keysSeen: string[] = []

function handle(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0] as string
  const count = (hits.get(path) ?? 0) + 1
  hits.set(path, count)
  if (path === '/azure') {
    // Throttled once, then the price.
    if (count === 1) {
      response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"too many requests"}')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"price": 8.37}')
    return
  }
  if (path === '/aws') {
    response.writeHead(500).end('internal error')
    return
  }
  if (path === '/gcp') {
    const key = String(request.headers['x-goog-api-key'] ?? '')
    keysSeen.push(key)
    // A server that echoes the key it refuses: the error line must not.
    response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `API key ${key} not valid` } }))
    return
  }
  if (path === '/not-json') {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
    return
  }
  // /hang: never answers.
}

beforeAll(async () => {
  for (const name of PROXY_VARIABLES) {
    savedProxy.set(name, process.env[name])
    delete process.env[name]
  }
  server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  for (const [name, value] of savedProxy) if (value !== undefined) process.env[name] = value
})

/** A test source that GETs `<baseUrl><path>` and prices one mapped SKU with the `price` it reads. */
function jsonPriceSource(
  provider: 'azure' | 'aws' | 'gcp',
  path: string,
  price: { sku: string; region: string },
  headers?: (env: NodeJS.ProcessEnv) => Record<string, string>,
) {
  return fakeSource(
    provider,
    async (context) => {
      const url = `${context.baseUrl}${path}?region=${price.region}`
      context.log(provider === 'aws' ? `aws: GET ${url}` : `GET ${url}`)
      const body = (await context.http.getJson(url, headers?.(context.env))) as { price: number }
      return { rows: testRows(provider, [{ ...price, price: body.price }], context, url), unmapped: [], location: url }
    },
    provider === 'gcp' ? { secretEnv: ['GEOPAT_TEST_GCP_KEY'] } : {},
  )
}

describe('refreshCatalog with the real HTTP client on 127.0.0.1', () => {
  it('retries a 429 after its Retry-After; a 500 and a refused key fail their sources alone, the key never shown', async () => {
    const azure = jsonPriceSource('azure', '/azure', { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope' })
    const aws = jsonPriceSource('aws', '/aws', { sku: 'p5.48xlarge', region: 'us-east-1' })
    const gcp = jsonPriceSource('gcp', '/gcp', { sku: 'a3-highgpu-8g', region: 'europe-west4' }, (env) => ({ 'x-goog-api-key': env.GEOPAT_TEST_GCP_KEY ?? '' }))
    const progress: string[] = []
    const outcome = await refreshCatalog({
      registry: { azure, aws, gcp },
      sourceUrls: { azure: base, aws: base, gcp: base },
      mapping: TEST_MAPPING,
      now: NOW,
      env: { GEOPAT_TEST_GCP_KEY: SECRET },
      http: { timeoutMs: 10_000, retries: 2, minBackoffMs: 10, maxBackoffMs: 2_000 },
      log: (line) => progress.push(line),
    })
    const byName = Object.fromEntries(outcome.sources.map((source) => [source.source, source]))
    expect(byName.azure).toMatchObject({ status: 'ok', rows: 1, location: `${base}/azure?region=westeurope` })
    expect(hits.get('/azure')).toBe(2)
    const [row] = outcome.catalog.rows
    expect(outcome.catalog.rows).toHaveLength(1)
    expect(row?.price).toBe(8.37)
    expect(row?.sourceUrl).toBe(`${base}/azure?region=westeurope`)
    expect(row?.fetchedAt).toBe(NOW.toISOString())

    expect(byName.aws?.status).toBe('failed')
    expect(byName.aws?.error).toBe(`GET ${base}/aws?region=us-east-1: HTTP 500, 3 tries`)
    expect(hits.get('/aws')).toBe(3)

    expect(keysSeen[0]).toBe(SECRET)
    expect(byName.gcp?.status).toBe('failed')
    expect(byName.gcp?.error).toMatch(/HTTP 403/)
    expect(JSON.stringify(outcome)).not.toContain(SECRET)
    expect(progress.join('\n')).not.toContain(SECRET)
    expect(progress).toContain(`azure: GET ${base}/azure?region=westeurope`)
    // A line the source already prefixed with its name is prefixed once.
    expect(progress).toContain(`aws: GET ${base}/aws?region=us-east-1`)
  })

  it('a server that never answers times out and a body that is not JSON fails, each one line', async () => {
    const hang = jsonPriceSource('azure', '/hang', { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope' })
    const notJson = jsonPriceSource('aws', '/not-json', { sku: 'p5.48xlarge', region: 'us-east-1' })
    const outcome = await refreshCatalog({
      registry: { azure: hang, aws: notJson },
      sourceUrls: { azure: base, aws: base },
      mapping: TEST_MAPPING,
      now: NOW,
      env: {},
      http: { timeoutMs: 1_000, retries: 0 },
    })
    const [azure, aws] = outcome.sources
    expect(azure?.status).toBe('failed')
    expect(azure?.error).toMatch(new RegExp(`^GET ${base.replace(/\./g, '\\.')}/hang\\?region=westeurope: timed out \\(UND_ERR_HEADERS_TIMEOUT\\)`))
    expect(aws?.status).toBe('failed')
    expect(aws?.error).toMatch(/the response is not JSON/)
    expect(outcome.catalog.rows).toEqual([])
  })
})
