import { readFileSync } from 'node:fs'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { GCP_API_KEY_VARIABLE, gcpSource } from '../../../src/pricing/refresh/gcp.js'
import { createHttpClient } from '../../../src/pricing/refresh/http.js'
import { loadPriceMapping } from '../../../src/pricing/refresh/mapping.js'
import type { SourceContext } from '../../../src/pricing/refresh/source.js'
import { catalogRowSchema } from '../../../src/io/schema/catalog.js'
import { skuComponentSchema } from '../../../src/io/schema/price-mapping.js'
import { PACKAGE_ROOT } from '../../../src/util/version.js'
import { rejectionMessage } from '../../helpers/rejection.js'
import { listenLocally } from '../../helpers/local-server.js'

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'price-sources', 'gcp')
const SKUS_PATH = '/v1/services/6F81-5844-456A/skus'
const API_KEY = 'AIzaSyTEST-geopat-0123456789abcdef'
const FETCHED_AT = new Date('2026-12-06T10:00:00Z')

interface FixtureSku {
  skuId: string
  description: string
  pricingInfo: Array<{ pricingExpression: { tieredRates: Array<{ unitPrice: { units: string; nanos: number } }> } }>
}
const pageFiles = ['skus-page-1.json', 'skus-page-2.json', 'skus-page-3.json'].map((name) => readFileSync(join(FIXTURES, name), 'utf8'))
const fixtureSkus: FixtureSku[] = pageFiles.flatMap((text) => (JSON.parse(text) as { skus: FixtureSku[] }).skus)

/** A fixture SKU's unit price, read here from its units and nanos (google.type.Money). */
function unitPrice(description: string): { price: number; skuId: string } {
  const sku = fixtureSkus.find((entry) => entry.description === description)
  if (!sku) throw new Error(`fixture has no SKU "${description}"`)
  const money = sku.pricingInfo[0]?.pricingExpression.tieredRates[0]?.unitPrice
  if (!money) throw new Error(`fixture SKU "${description}" has no price`)
  return { price: Number(money.units) + money.nanos / 1e9, skuId: sku.skuId }
}

interface Seen {
  url: string
  headers: IncomingMessage['headers']
}
type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void

/** A local Cloud Billing Catalog: 127.0.0.1, port 0; each request is recorded, then answered by the handler. */
async function startCatalog(handler: Handler): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    handler(req, res, seen)
  })
  return { ...(await listenLocally(server)), seen }
}

/** The documented paging: no pageToken → page 1, then the token each page hands out. */
function pagedCatalog(override?: (token: string | null, res: ServerResponse) => boolean): Handler {
  return (req, res) => {
    const token = new URL(req.url ?? '', 'http://x').searchParams.get('pageToken')
    if (override?.(token, res)) return
    const index = token === null ? 0 : token === 'page-2-token' ? 1 : token === 'page-3-token' ? 2 : -1
    if (!req.url?.startsWith(SKUS_PATH) || index < 0) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(pageFiles[index])
  }
}

const servers: Array<{ close(): Promise<void> }> = []
const clients: Array<{ close(): Promise<void> }> = []
const savedProxy = {
  HTTPS_PROXY: process.env.HTTPS_PROXY,
  HTTP_PROXY: process.env.HTTP_PROXY,
  https_proxy: process.env.https_proxy,
  http_proxy: process.env.http_proxy,
}
beforeAll(() => {
  for (const name of Object.keys(savedProxy)) delete process.env[name]
})
afterAll(() => {
  for (const [name, value] of Object.entries(savedProxy)) if (value !== undefined) process.env[name] = value
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const mapping = loadPriceMapping()

function context(baseUrl: string, options: { key?: string | undefined; timeoutMs?: number; retries?: number } = {}): { context: SourceContext; log: string[] } {
  const http = createHttpClient({ timeoutMs: options.timeoutMs ?? 10_000, retries: options.retries ?? 2, minBackoffMs: 10, maxBackoffMs: 5_000 })
  clients.push(http)
  const log: string[] = []
  const env: NodeJS.ProcessEnv =
    'key' in options ? (options.key === undefined ? {} : { [GCP_API_KEY_VARIABLE]: options.key }) : { [GCP_API_KEY_VARIABLE]: API_KEY }
  return { context: { http, mapping, fetchedAt: FETCHED_AT, baseUrl, env, log: (line) => log.push(line) }, log }
}

describe('gcp source: Cloud Billing Catalog API', () => {
  it('pages through nextPageToken, sends the key only as the X-goog-api-key header, and prices a3-highgpu-8g as 8 GPUs + 208 vCPUs + 1,872 GiB', async () => {
    const server = await startCatalog(pagedCatalog())
    servers.push(server)
    const { context: ctx, log } = context(server.url)
    const result = await gcpSource.fetch(ctx)

    // Three requests, each page's token asked for in turn, the key in the header and nowhere in the URL.
    expect(server.seen.map((request) => new URL(request.url, 'http://x').searchParams.get('pageToken'))).toEqual([null, 'page-2-token', 'page-3-token'])
    for (const request of server.seen) {
      expect(request.headers['x-goog-api-key']).toBe(API_KEY)
      expect(request.url).not.toContain(API_KEY)
      expect(new URL(request.url, 'http://x').searchParams.get('currencyCode')).toBe('USD')
    }

    // Independently of the code: each offer's price = GPU × 8 + vCPU × 208 + GiB × 1,872 (accelerator-optimized-machines, A3 High).
    const expected = (gpu: string, core: string, ram: string) => {
      const parts = [unitPrice(gpu), unitPrice(core), unitPrice(ram)]
      return { price: parts[0]!.price * 8 + parts[1]!.price * 208 + parts[2]!.price * 1872, providerSkuId: parts.map((part) => part.skuId).join('+') }
    }
    const want = {
      'gcp-a3-highgpu-8g-us-central1': expected(
        'Nvidia H100 80GB GPU running in Americas',
        'A3 Instance Core running in Americas',
        'A3 Instance Ram running in Americas',
      ),
      'gcp-a3-highgpu-8g-europe-west4': expected(
        'Nvidia H100 80GB GPU running in Netherlands',
        'A3 Instance Core running in Netherlands',
        'A3 Instance Ram running in Netherlands',
      ),
      'gcp-a3-highgpu-8g-europe-west4-spot': expected(
        'Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Netherlands',
        'Spot Preemptible A3 Instance Core running in Netherlands',
        'Spot Preemptible A3 Instance Ram running in Netherlands',
      ),
    }
    expect(result.rows.map((row) => row.id).sort()).toEqual(Object.keys(want).sort())
    const firstPageUrl = `${server.url}${SKUS_PATH}?currencyCode=USD&pageSize=5000`
    for (const row of result.rows) {
      expect(() => catalogRowSchema.parse(row)).not.toThrow()
      const wanted = want[row.id as keyof typeof want]
      expect(row.price).toBeCloseTo(wanted.price, 6)
      expect(row.providerSkuId).toBe(wanted.providerSkuId)
      expect(row).toMatchObject({
        provider: 'GCP',
        sku: 'a3-highgpu-8g',
        gpu: 'H100 SXM',
        gpuCount: 8,
        unit: 'instance-hour',
        soldBy: 'node',
        gpusPerNode: 8,
        currency: 'USD',
        basis: 'price-api',
        confidence: 'high',
        fetchedAt: FETCHED_AT.toISOString(),
      })
      // The GPUs are on page 1: the row points at that request, which carries no key.
      expect(row.sourceUrl).toBe(firstPageUrl)
      expect(row.notes).toMatch(/= 8 × [\d.]+ USD per h \(GPU: .*\+ 208 × [\d.]+ USD per h \(vCPU: .*\+ 1872 × [\d.]+ USD per GiBy\.h \(memory: /)
      // The vCPU and memory SKUs are on pages 2 and 3: the notes name those requests too.
      expect(row.notes).toContain('pageToken=page-3-token')
      expect(row.notes).toMatch(/Local SSD/)
    }
    const byId = Object.fromEntries(result.rows.map((row) => [row.id, row]))
    expect(byId['gcp-a3-highgpu-8g-europe-west4']).toMatchObject({
      region: 'europe-west4',
      jurisdiction: { region: 'NL', parent: 'US' },
      sovereignty: 'SEAL-1',
      pricingModel: 'on-demand',
    })
    expect(byId['gcp-a3-highgpu-8g-us-central1']).toMatchObject({ jurisdiction: { region: 'US', parent: 'US' }, sovereignty: 'SEAL-0' })
    expect(byId['gcp-a3-highgpu-8g-europe-west4-spot']?.pricingModel).toBe('spot')
    // effectiveDate: the latest effectiveTime among the parts (GPU 2026-11-20, core and RAM 2026-12-05).
    expect(byId['gcp-a3-highgpu-8g-europe-west4']?.effectiveDate).toBe('2026-12-05')

    // Listed, not guessed: us-east4 has the H100 SKU but no A3 core/RAM SKU; the T4 GPU has no machine type.
    expect(result.unmapped).toContainEqual(
      expect.objectContaining({ sku: 'a3-highgpu-8g', region: 'us-east4', reason: expect.stringMatching(/no OnDemand SKU in us-east4 matches the vCPU part/) }),
    )
    expect(result.unmapped).toContainEqual(
      expect.objectContaining({ sku: expect.stringContaining('Nvidia Tesla T4 GPU running in Netherlands'), region: 'europe-west4' }),
    )
    expect(result.unmapped.some((item) => item.sku.includes('DWS Calendar Mode'))).toBe(true)

    expect(JSON.stringify(result)).not.toContain(API_KEY)
    expect(log.join('\n')).not.toContain(API_KEY)
  })

  it('waits out a 429 with Retry-After: 1 and then reads the page', async () => {
    let refused = false
    const server = await startCatalog(
      pagedCatalog((token, res) => {
        if (token !== null || refused) return false
        refused = true
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":429,"message":"Quota exceeded"}}')
        return true
      }),
    )
    servers.push(server)
    const result = await gcpSource.fetch(context(server.url).context)
    expect(refused).toBe(true)
    expect(server.seen).toHaveLength(4)
    expect(result.rows).toHaveLength(3)
  })

  it('fails on a malformed page with one line naming the request and the field, and returns nothing', async () => {
    const server = await startCatalog(
      pagedCatalog((token, res) => {
        if (token !== 'page-2-token') return false
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            skus: [
              {
                skuId: 'X1',
                description: 'A3 Instance Core running in Netherlands',
                category: { usageType: 'OnDemand' },
                pricingInfo: [{ effectiveTime: 'yesterday' }],
              },
            ],
          }),
        )
        return true
      }),
    )
    servers.push(server)
    const message = await rejectionMessage(gcpSource.fetch(context(server.url).context))
    expect(message).not.toContain('\n')
    expect(message).toContain('pageToken=page-2-token')
    expect(message).toMatch(/skus\.0\.pricingInfo\.0\.effectiveTime/)
    expect(message).not.toContain(API_KEY)
  })

  it('fails with one line when the API does not answer in time', async () => {
    const server = await startCatalog(() => {
      /* never answers */
    })
    servers.push(server)
    const message = await rejectionMessage(gcpSource.fetch(context(server.url, { timeoutMs: 300, retries: 1 }).context))
    expect(message).not.toContain('\n')
    expect(message).toMatch(/timed out/)
    expect(message).toContain(SKUS_PATH)
    expect(message).not.toContain(API_KEY)
  })

  it('keeps the key out of the error line even when the server echoes it', async () => {
    const server = await startCatalog((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 403, message: `API key ${API_KEY} is not valid` } }))
    })
    servers.push(server)
    const message = await rejectionMessage(gcpSource.fetch(context(server.url).context))
    expect(message).toMatch(/HTTP 403/)
    expect(message).not.toContain(API_KEY)
  })

  it('without the key fails with one line naming the variable, before any request', async () => {
    const server = await startCatalog(pagedCatalog())
    servers.push(server)
    const message = await rejectionMessage(gcpSource.fetch(context(server.url, { key: undefined }).context))
    expect(message).toContain(GCP_API_KEY_VARIABLE)
    expect(message).not.toContain('\n')
    expect(server.seen).toHaveLength(0)
  })

  it('reads saved pages (--from-file) into the same rows as the API path', async () => {
    const server = await startCatalog(pagedCatalog())
    servers.push(server)
    const api = await gcpSource.fetch(context(server.url).context)
    const file = await gcpSource.readFile(join(FIXTURES, 'skus-pages.json'), context(server.url).context)
    expect(file.rows).toEqual(api.rows)
    expect(file.unmapped).toEqual(api.unmapped)
    expect(file.location).toBe(join(FIXTURES, 'skus-pages.json'))
    // Without a base URL, rows point at the real API's request (no key in it).
    const offline = await gcpSource.readFile(join(FIXTURES, 'skus-pages.json'), { ...context(server.url).context, baseUrl: undefined })
    expect(offline.rows[0]?.sourceUrl).toBe('https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus?currencyCode=USD&pageSize=5000')
    // One saved page alone: its GPUs have no core or RAM SKU, so nothing is priced and the machine type is listed.
    const single = await gcpSource.readFile(join(FIXTURES, 'skus-page-1.json'), context(server.url).context)
    expect(single.rows).toEqual([])
    expect(single.unmapped).toContainEqual(expect.objectContaining({ sku: 'a3-highgpu-8g', region: 'europe-west4' }))
  })

  it('fails on a file that is not a saved response, naming the file', async () => {
    const message = await rejectionMessage(gcpSource.readFile(join(FIXTURES, 'README.md'), context('http://127.0.0.1:9').context))
    expect(message).toContain('README.md')
    expect(message).not.toContain('\n')
  })

  it('the mapping refuses a component whose description pattern is not a regular expression', () => {
    const component = { part: 'GPU', quantity: 8, usageUnit: 'h', descriptions: { 'on-demand': '^Nvidia H100 80GB GPU running in ' } }
    expect(skuComponentSchema.safeParse(component).success).toBe(true)
    const bad = skuComponentSchema.safeParse({ ...component, descriptions: { spot: '^Nvidia (H100' } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.message).toMatch(/regular expression/)
  })
})
