import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { catalogRowSchema, type CatalogRow } from '../../../src/io/schema/catalog.js'
import { azureQueryUrls, azureSource, AZURE_RETAIL_PRICES_URL, downloadAzurePages, formatAzurePageRecords } from '../../../src/pricing/refresh/azure.js'
import { createHttpClient, type HttpClient } from '../../../src/pricing/refresh/http.js'
import { loadPriceMapping } from '../../../src/pricing/refresh/mapping.js'
import type { SourceContext } from '../../../src/pricing/refresh/source.js'
import { REPO_ROOT } from '../../helpers/cli.js'

// No request may leave 127.0.0.1: the proxy variables would send the local requests to a proxy.
for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[name]

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'price-sources', 'azure')
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>

/** Hours in a year of reservation, written here on its own: 365 days × 24 h (Azure's 730-hour month × 12). */
const HOURS_IN_A_YEAR = 365 * 24

type Mode = 'ok' | 'throttle-page-2-once' | 'malformed-page-2' | 'silent' | 'foreign-next-link'

interface TestServer {
  base: string
  origin: string
  mode: Mode
  /** Each request's full URL, in order, with the status it got. */
  requests: Array<{ url: string; status: number }>
  /** Each 200 body, in the order served (what a user saving pages by hand would keep). */
  served: unknown[]
  close(): Promise<void>
}

async function startServer(): Promise<TestServer> {
  const state: TestServer = { base: '', origin: '', mode: 'ok', requests: [], served: [], close: async () => {} }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = `${state.origin}${req.url ?? '/'}`
    const query = new URL(url).searchParams
    const region = /armRegionName eq '([^']+)'/.exec(query.get('$filter') ?? '')?.[1]
    const secondPage = query.get('$skip') === '1000'
    if (state.mode === 'silent') {
      state.requests.push({ url, status: 0 })
      return // never answers
    }
    if (state.mode === 'throttle-page-2-once' && secondPage && !state.requests.some((r) => r.status === 429)) {
      state.requests.push({ url, status: 429 })
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
      res.end('{"error":"too many requests"}')
      return
    }
    let body: Record<string, unknown> | undefined
    if (region === 'westeurope' && !secondPage) {
      body = fixture('westeurope-page-1.json')
      body.NextPageLink = state.mode === 'foreign-next-link' ? 'https://example.invalid/api/retail/prices?$skip=1000' : `${url}&$skip=1000`
    } else if (region === 'westeurope' && secondPage) {
      body = fixture('westeurope-page-2.json')
      if (state.mode === 'malformed-page-2') ((body.Items as Array<Record<string, unknown>>)[1] as Record<string, unknown>).retailPrice = '39.33'
    } else if (region === 'eastus2') {
      body = fixture('eastus2-page-1.json')
    } else {
      body = { BillingCurrency: 'USD', CustomerEntityId: 'Default', CustomerEntityType: 'Retail', Items: [], NextPageLink: null, Count: 0 }
    }
    state.requests.push({ url, status: 200 })
    state.served.push(body)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  state.origin = `http://127.0.0.1:${port}`
  state.base = `${state.origin}/api/retail/prices`
  state.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return state
}

const mapping = loadPriceMapping()
const FETCHED_AT = new Date('2026-12-06T12:00:00Z')
let server: TestServer
let tmp: string
const clients: HttpClient[] = []

function context(options: { http?: HttpClient; fetchedAt?: Date; regions?: string[] } = {}): SourceContext {
  const http = options.http ?? createHttpClient({ timeoutMs: 10_000, retries: 0 })
  clients.push(http)
  return {
    http,
    mapping,
    fetchedAt: options.fetchedAt ?? FETCHED_AT,
    baseUrl: server.base,
    regions: 'regions' in options ? options.regions : ['westeurope', 'eastus2'],
    env: {},
    log: () => {},
  }
}

const byId = (rows: CatalogRow[]): Map<string, CatalogRow> => new Map(rows.map((row) => [row.id, row]))

beforeAll(async () => {
  server = await startServer()
  tmp = mkdtempSync(join(tmpdir(), 'geopat-azure-'))
})
afterEach(async () => {
  server.mode = 'ok'
  server.requests = []
  server.served = []
  await Promise.all(clients.splice(0).map((client) => client.close()))
})
afterAll(async () => {
  await server.close()
  rmSync(tmp, { recursive: true, force: true })
})

describe('azure request strategy', () => {
  it('asks one filter per mapped region naming every mapped SKU, in USD', () => {
    const urls = azureQueryUrls({ mapping })
    const regions = mapping.regions.filter((region) => region.provider === 'azure')
    const skus = mapping.skus.filter((sku) => sku.provider === 'azure')
    expect(urls).toHaveLength(regions.length)
    for (const [index, url] of urls.entries()) {
      const query = new URL(url).searchParams
      expect(url.startsWith(`${AZURE_RETAIL_PRICES_URL}?`)).toBe(true)
      expect(query.get('currencyCode')).toBe("'USD'")
      const filter = query.get('$filter') ?? ''
      expect(filter).toContain("serviceName eq 'Virtual Machines'")
      expect(filter).toContain(`armRegionName eq '${regions[index]?.region}'`)
      for (const sku of skus) expect(filter).toContain(`armSkuName eq '${sku.sku}'`)
    }
    expect(azureQueryUrls({ mapping, regions: ['westeurope', 'us-east-1'] })).toHaveLength(1)
  })
})

describe('azure source over HTTP (local server)', () => {
  it('pages through NextPageLink and maps on-demand, spot and reservations to valid rows', async () => {
    const result = await azureSource.fetch(context())
    expect(server.requests.map((r) => r.status)).toEqual([200, 200, 200])
    expect(server.requests[1]?.url).toBe(`${server.requests[0]?.url}&$skip=1000`)
    expect(result.location).toBe(server.requests[0]?.url)

    for (const row of result.rows) expect(catalogRowSchema.safeParse(row).success, row.id).toBe(true)
    const rows = byId(result.rows)
    expect([...rows.keys()].sort()).toEqual(
      [
        'azure-ncc40ads-h100-v5-westeurope',
        'azure-ncc40ads-h100-v5-westeurope-spot',
        'azure-ncc40ads-h100-v5-westeurope-1yr',
        'azure-ncc40ads-h100-v5-westeurope-3yr',
        'azure-nd96isr-h100-v5-westeurope',
        'azure-nd96isr-h100-v5-westeurope-spot',
        'azure-nd96isr-h100-v5-westeurope-1yr',
        'azure-ncc40ads-h100-v5-eastus2',
        'azure-nd96isr-h200-v5-eastus2',
        'azure-nd96isr-h200-v5-eastus2-3yr',
      ].sort(),
    )

    // Prices from the fixture's numbers: pay-as-you-go and spot as quoted, a reservation's term price / its hours.
    const page1 = fixture('westeurope-page-1.json').Items as Array<{
      meterName: string
      productName: string
      type: string
      retailPrice: number
      reservationTerm?: string
    }>
    const linux = (type: string, meterName: string, term?: string) =>
      page1.find((i) => i.type === type && i.meterName === meterName && !i.productName.includes('Windows') && i.reservationTerm === term)?.retailPrice as number
    expect(rows.get('azure-ncc40ads-h100-v5-westeurope')?.price).toBe(linux('Consumption', 'NCC40ads H100 v5'))
    expect(rows.get('azure-ncc40ads-h100-v5-westeurope-spot')?.price).toBe(linux('Consumption', 'NCC40ads H100 v5 Spot'))
    expect(rows.get('azure-ncc40ads-h100-v5-westeurope-1yr')?.price).toBeCloseTo(49640 / HOURS_IN_A_YEAR, 10)
    expect(rows.get('azure-ncc40ads-h100-v5-westeurope-3yr')?.price).toBeCloseTo(110127 / (3 * HOURS_IN_A_YEAR), 10)
    expect(rows.get('azure-nd96isr-h100-v5-westeurope-1yr')?.price).toBeCloseTo(555736 / HOURS_IN_A_YEAR, 10)
    expect(rows.get('azure-nd96isr-h200-v5-eastus2-3yr')?.price).toBeCloseTo(1157520 / (3 * HOURS_IN_A_YEAR), 10)
    expect(rows.get('azure-ncc40ads-h100-v5-eastus2')?.price).toBe(6.98)
    expect(rows.get('azure-ncc40ads-h100-v5-westeurope-1yr')?.notes).toMatch(/whole term: 49640 USD for 1 Year \/ 8760 hours/)

    // Mapping-table facts, provenance and the page each row came from.
    const ncc = rows.get('azure-ncc40ads-h100-v5-westeurope') as CatalogRow
    expect(ncc).toMatchObject({
      gpu: 'H100 NVL',
      gpuCount: 1,
      unit: 'instance-hour',
      confidentialComputing: true,
      jurisdiction: { region: 'NL', parent: 'US' },
      sovereignty: 'SEAL-1',
      basis: 'price-api',
      currency: 'USD',
    })
    expect(ncc.effectiveDate).toBe('2026-10-01')
    expect(ncc.providerSkuId).toBe('DZH318Z0NCC1/00A1/a1b2c3d4-0001-5000-8000-000000000001')
    expect(ncc.fetchedAt).toBe(FETCHED_AT.toISOString())
    expect(ncc.sourceUrl).toBe(server.requests[0]?.url)
    expect(rows.get('azure-nd96isr-h100-v5-westeurope')?.sourceUrl).toBe(server.requests[1]?.url)
    expect(rows.get('azure-nd96isr-h200-v5-eastus2')).toMatchObject({
      gpu: 'H200',
      gpuCount: 8,
      soldBy: 'node',
      gpusPerNode: 8,
      sovereignty: 'SEAL-0',
      sourceUrl: server.requests[2]?.url,
    })

    // Low Priority is listed, not guessed; Windows and DevTest meters are left out.
    expect(result.unmapped).toEqual([{ sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', reason: expect.stringMatching(/Low Priority/) }])
    expect(result.rows.some((row) => row.price === 9.64)).toBe(false)
  })

  it('waits out a 429 with Retry-After and then reads the page', async () => {
    server.mode = 'throttle-page-2-once'
    const http = createHttpClient({ timeoutMs: 10_000, retries: 2, minBackoffMs: 10, maxBackoffMs: 2_000 })
    const result = await azureSource.fetch(context({ http }))
    expect(server.requests.map((r) => r.status)).toEqual([200, 429, 200, 200])
    expect(result.rows).toHaveLength(10)
  })

  it('a malformed page fails the source with one line naming the URL, the item and the field', async () => {
    server.mode = 'malformed-page-2'
    const failure = await azureSource.fetch(context()).then(
      () => undefined,
      (error: Error) => error,
    )
    expect(failure).toBeInstanceOf(Error)
    const message = (failure as Error).message
    expect(message).not.toContain('\n')
    expect(message).toContain(`GET ${server.base}`)
    expect(message).toContain('$skip=1000')
    expect(message).toMatch(/Items\.1\.retailPrice: must be a number$/)
  })

  it('a server that never answers fails the source with one line', async () => {
    server.mode = 'silent'
    const http = createHttpClient({ timeoutMs: 300, retries: 0 })
    const failure = await azureSource.fetch(context({ http })).then(
      () => undefined,
      (error: Error) => error,
    )
    expect(failure).toBeInstanceOf(Error)
    expect((failure as Error).message).not.toContain('\n')
    expect((failure as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/retail\/prices\?.*timed out/)
  })

  it('refuses a NextPageLink that leaves the API origin', async () => {
    server.mode = 'foreign-next-link'
    await expect(azureSource.fetch(context())).rejects.toThrow(/NextPageLink: points to https:\/\/example\.invalid/)
    expect(server.requests).toHaveLength(1)
  })
})

describe('azure source from a saved file', () => {
  it("geopat's saved pages (JSON lines or a JSON array) give exactly the API path's rows, URLs and fetch time included", async () => {
    const api = await azureSource.fetch(context())
    server.requests = []
    const { records } = await downloadAzurePages(context())
    const lines = join(tmp, 'azure-pages.jsonl')
    writeFileSync(lines, formatAzurePageRecords(records))
    const array = join(tmp, 'azure-pages.json')
    writeFileSync(array, JSON.stringify(records, null, 2))

    for (const file of [lines, array]) {
      // Read later: the rows keep the time the pages were fetched, not the time the file is read.
      const fromFile = await azureSource.readFile(file, context({ fetchedAt: new Date('2027-01-15T08:00:00Z') }))
      expect(fromFile.rows).toEqual(api.rows)
      expect(fromFile.unmapped).toEqual(api.unmapped)
      expect(fromFile.location).toBe(file)
    }
  })

  it("the API's own pages saved by hand give exactly the API path's rows: a first page's request URL is rebuilt from the mapping and its items", async () => {
    // (Changed with --save-responses: first pages used to cite the bare endpoint with a note; the
    // request that returns them is now rebuilt by the source's own filter builder.)
    const api = await azureSource.fetch(context())
    const [first, second, third] = server.served
    const array = join(tmp, 'raw-pages.json')
    writeFileSync(array, JSON.stringify([first, second, third]))
    const lines = join(tmp, 'raw-pages.jsonl')
    writeFileSync(lines, [first, second, third].map((page) => JSON.stringify(page)).join('\n'))
    // eastus2's page alone, as a user would save one region's answer.
    const eastus2 = join(tmp, 'raw-eastus2.json')
    writeFileSync(eastus2, JSON.stringify(third))

    for (const file of [array, lines]) {
      const fromFile = await azureSource.readFile(file, context())
      expect(fromFile.rows).toEqual(api.rows)
      expect(fromFile.unmapped).toEqual(api.unmapped)
    }
    // Each row cites the very request the server answered (the first page's and eastus2's rebuilt, the second page's from NextPageLink).
    const served = new Set(server.requests.map((request) => request.url))
    for (const row of api.rows) expect(served.has(row.sourceUrl as string), row.id).toBe(true)
    const eastRows = (await azureSource.readFile(eastus2, context())).rows
    expect(eastRows).toEqual(api.rows.filter((row) => row.region === 'eastus2'))
    expect(eastRows.every((row) => row.sourceUrl === server.requests[2]?.url && !row.notes?.includes('did not record'))).toBe(true)
  })

  it('lists what the mapping cannot map and never guesses', async () => {
    const result = await azureSource.readFile(join(FIXTURES, 'mixed-page.json'), context({ regions: undefined }))
    const reasons = result.unmapped.map((entry) => `${entry.sku} ${entry.region}: ${entry.reason}`)
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Standard_NCC40ads_H100_v5 uksouth: armRegionName is not in the mapping table/),
        expect.stringMatching(/^Standard_NC8as_T4_v3 westeurope: armSkuName is not in the mapping table/),
        expect.stringMatching(/^Standard_ND96isr_H100_v5 westeurope: reservationTerm "5 Years"/),
        expect.stringMatching(/^Standard_ND96isr_H100_v5 northeurope: productName "NDsH100v5 Series Cloud Services"/),
        expect.stringMatching(/^Standard_ND96isr_H100_v5 northeurope: 2 meters price the on-demand offer differently/),
        expect.stringMatching(/^Standard_ND96isr_H200_v5 swedencentral: .* takes effect on 2027-03-01, after the fetch \(2026-12-06\): not in force yet$/),
      ]),
    )
    expect(result.unmapped).toHaveLength(6)
    // The primary-region meter in force wins over the non-primary one (104) and the future one (95).
    expect(result.rows.map((row) => [row.id, row.price])).toEqual([['azure-nd96isr-h200-v5-swedencentral', 101]])
    // Items of several regions: no one request of the API path returns this page, so its rows cite the endpoint and say so.
    expect(result.rows[0]?.sourceUrl).toBe(AZURE_RETAIL_PRICES_URL)
    expect(result.rows[0]?.notes).toMatch(/did not record its request URL/)
  })

  it('a malformed file fails with one line naming the file, the page, the item and the field', async () => {
    const notJson = join(tmp, 'not-json.json')
    writeFileSync(notJson, '{"Items": [\n<html>')
    await expect(azureSource.readFile(notJson, context())).rejects.toThrow(/not-json\.json: line 1: not JSON/)

    const noItems = join(tmp, 'no-items.json')
    writeFileSync(noItems, JSON.stringify([{ Items: [] }, { NextPageLink: null, Count: 0, response: undefined, url: undefined }]))
    await expect(azureSource.readFile(noItems, context())).rejects.toThrow(/no-items\.json: page 2: neither an Azure Retail Prices page/)

    // The fixture's page 1 keeps the test server's placeholder in NextPageLink: not a URL.
    await expect(azureSource.readFile(join(FIXTURES, 'westeurope-page-1.json'), context())).rejects.toThrow(
      /westeurope-page-1\.json: page 1: NextPageLink: must be an http\(s\) URL or null/,
    )

    const itemsNotArray = join(tmp, 'items-object.json')
    writeFileSync(itemsNotArray, JSON.stringify({ Items: {}, NextPageLink: null }))
    await expect(azureSource.readFile(itemsNotArray, context())).rejects.toThrow(/items-object\.json: page 1: Items: must be an array/)

    const badPrice = join(tmp, 'bad-price.json')
    const page = fixture('eastus2-page-1.json')
    ;((page.Items as Array<Record<string, unknown>>)[2] as Record<string, unknown>).retailPrice = null
    writeFileSync(badPrice, JSON.stringify(page))
    const failure = await azureSource.readFile(badPrice, context()).then(
      () => undefined,
      (error: Error) => error,
    )
    expect((failure as Error).message).toMatch(/bad-price\.json: page 1: Items\.2\.retailPrice: must be a number$/)
    expect((failure as Error).message).not.toContain('\n')
  })
})
