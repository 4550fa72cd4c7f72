import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SOURCE_NAMES, priceSources } from '../../src/pricing/refresh/sources.js'
import { type CatalogFile, catalogFileSchema } from '../../src/io/schema/catalog.js'
import { loadCatalog, staleRows } from '../../src/pricing/catalog.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { decodeEntities } from '../helpers/html.js'
import { shortenedQuickstart } from '../helpers/quickstart.js'

/**
 * `geopat catalog refresh` end to end with the real sources: their documented-format fixtures
 * (test/fixtures/price-sources/*, each folder's README names the documentation page) read from
 * files and served by a server on 127.0.0.1. Nothing leaves this machine: every API source is given
 * the local server's URL and the proxy variables are emptied. Runs once every source is registered
 * (src/pricing/refresh/sources.ts).
 */
const ALL_REGISTERED = SOURCE_NAMES.every((name) => priceSources()[name] !== undefined)
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'price-sources')
const NO_PROXY_ENV = { HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '', GEOPAT_GCP_API_KEY: '' }
const GCP_KEY = 'e2e-gcp-key-51c0a9d3f7'
/** The key the local Cloud Billing Catalog accepts (any other is refused with a 403 that echoes it). */
const GCP_GOOD_KEY = 'e2e-gcp-good-key-7d2f8a90c1'
const GCP_PAGES = ['gcp/skus-page-1.json', 'gcp/skus-page-2.json', 'gcp/skus-page-3.json']
const work = mkdtempSync(join(tmpdir(), 'geopat-refresh-e2e-'))

let server: Server
let base = ''
let closedPort = 0

/** The AWS bulk files at the paths the service and region indexes name, the ECB's daily file, Azure's pages, and a GCP that refuses any key but one. */
const ROUTES: Record<string, string> = {
  '/offers/v1.0/aws/index.json': 'aws/index.json',
  '/offers/v1.0/aws/AmazonEC2/current/region_index.json': 'aws/region_index.json',
  '/offers/v1.0/aws/AmazonEC2/20261201000000/us-east-1/index.csv': 'aws/us-east-1/index.csv',
  '/offers/v1.0/aws/AmazonEC2/20261201000000/eu-north-1/index.csv': 'aws/eu-north-1/index.csv',
  '/stats/eurofxref/eurofxref-daily.xml': 'ecb/eurofxref-daily.xml',
}

const refresh = (args: string[], env: Record<string, string> = {}) => runCli(['catalog', 'refresh', ...args], { env: { ...NO_PROXY_ENV, ...env } })
const readCatalog = (path: string): CatalogFile => catalogFileSchema.parse(YAML.parse(readFileSync(path, 'utf8')))
/** A repeated flag as the command line takes it: `--NAME value` once per value. */
const repeated = (flag: string, values: string[]): string[] => values.flatMap((value) => [`--${flag}`, value])
/** `--from-file source=path` for each source and its fixture (a path under test/fixtures/price-sources). */
const fromFixtures = (files: Array<[string, string[]]>): string[] =>
  repeated(
    'from-file',
    files.map(([source, parts]) => `${source}=${join(FIXTURES, ...parts)}`),
  )
/** The AWS and ECB sources, each at the URL given. */
const awsAndEcbAt = (awsUrl: string, ecbUrl: string): string[] => [
  ...repeated('source', ['aws', 'ecb']),
  ...repeated('source-url', [`aws=${awsUrl}`, `ecb=${ecbUrl}`]),
]
/** Each source of a refresh as `source via status`. */
const sourceStatuses = (catalog: CatalogFile) => catalog.refresh?.sources.map((source) => `${source.source} ${source.via} ${source.status}`)
/** Rows (and rates) with the hosts and fetch times masked: what the API path and the file path must share. */
const comparable = (value: unknown, providerHosts: RegExp) =>
  JSON.parse(
    JSON.stringify(value)
      .split(base)
      .join('<host>')
      .replace(providerHosts, '<host>')
      .replace(/"fetchedAt":"[^"]+"/g, '"fetchedAt":"<time>"'),
  )

/** The providers' price endpoints on 127.0.0.1: Azure's pages, GCP's pages behind an API key, the AWS and ECB files. */
function servePriceSources(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0] as string
  const query = new URL(request.url ?? '/', base).searchParams
  if (path === '/api/retail/prices') return serveAzurePage(request, query, response)
  if (path.startsWith('/v1/services/')) return serveGcpPage(request, query, response)
  const file = ROUTES[path]
  if (!file) {
    response.writeHead(404).end('not found')
    return
  }
  response.writeHead(200).end(readFileSync(join(FIXTURES, file)))
}

/** Azure: westeurope's two pages (the first links to the second), eastus2's one, any other region none. */
function serveAzurePage(request: IncomingMessage, query: URLSearchParams, response: ServerResponse): void {
  const region = /armRegionName eq '([^']+)'/.exec(query.get('$filter') ?? '')?.[1]
  const second = query.get('$skip') === '1000'
  const name =
    region === 'westeurope' ? (second ? 'westeurope-page-2.json' : 'westeurope-page-1.json') : region === 'eastus2' ? 'eastus2-page-1.json' : undefined
  const page = name ? (JSON.parse(readFileSync(join(FIXTURES, 'azure', name), 'utf8')) as Record<string, unknown>) : { Items: [], NextPageLink: null, Count: 0 }
  if (name === 'westeurope-page-1.json') page.NextPageLink = `${base}${request.url}&$skip=1000`
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page))
}

/** GCP: its pages in order (by page token) for the good key; 403 naming the key for any other. */
function serveGcpPage(request: IncomingMessage, query: URLSearchParams, response: ServerResponse): void {
  const key = String(request.headers['x-goog-api-key'] ?? '')
  const token = query.get('pageToken')
  const index = token === null ? 0 : token === 'page-2-token' ? 1 : 2
  if (key === GCP_GOOD_KEY) {
    response.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(join(FIXTURES, GCP_PAGES[index] as string)))
    return
  }
  response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 403, message: `API key not valid: ${key}` } }))
}

describe.skipIf(!ALL_REGISTERED)('geopat catalog refresh with the registered sources', () => {
  beforeAll(async () => {
    server = createServer(servePriceSources)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // A port nothing listens on: a connection there is refused at once.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    closedPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('--from-file for every source writes one valid catalog: every row with its URL and fetch time, the ECB rates', async () => {
    const out = join(work, 'all-files.yaml')
    const result = await refresh([
      ...fromFixtures([
        ['azure', ['azure', 'eastus2-page-1.json']],
        ['aws', ['aws', 'eu-north-1', 'index.csv']],
        ['aws', ['aws', 'us-east-1', 'index.csv']],
        ['gcp', ['gcp', 'skus-pages.json']],
        ['ecb', ['ecb', 'eurofxref-daily.xml']],
      ]),
      '--out',
      out,
    ])
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toBe('')
    const catalog = readCatalog(out)
    expect(sourceStatuses(catalog)).toEqual(['azure file ok', 'aws file ok', 'gcp file ok', 'ecb file ok'])
    for (const name of ['azure', 'aws', 'gcp']) expect(catalog.rows.some((row) => row.id.startsWith(`${name}-`))).toBe(true)
    for (const row of catalog.rows) {
      expect(row.basis).toBe('price-api')
      expect(row.sourceUrl).toMatch(/^https:\/\//)
      expect(row.fetchedAt).toBe(catalog.refresh?.generatedAt)
      expect(row.providerSkuId).toBeDefined()
    }
    expect(catalog.fxRates?.length).toBeGreaterThan(0)
    expect(catalog.fxRates?.every((rate) => rate.base === 'EUR' && rate.sourceUrl !== undefined)).toBe(true)
    expect(result.stdout).toContain(`wrote ${out}: ${catalog.rows.length} rows, ${catalog.fxRates?.length} FX rates`)
  })

  it('the API path (AWS bulk files and the ECB served on 127.0.0.1) gives the rows --from-file gives', async () => {
    const api = join(work, 'api.yaml')
    const apiRun = await refresh([...awsAndEcbAt(base, base), ...repeated('region', ['us-east-1', 'eu-north-1']), '--out', api])
    expect(apiRun.exitCode).toBe(0)
    const files = join(work, 'files.yaml')
    const fileRun = await refresh([
      ...fromFixtures([
        ['aws', ['aws', 'us-east-1', 'index.csv']],
        ['aws', ['aws', 'eu-north-1', 'index.csv']],
        ['ecb', ['ecb', 'eurofxref-daily.xml']],
      ]),
      '--out',
      files,
    ])
    expect(fileRun.exitCode).toBe(0)
    const fromApi = readCatalog(api)
    const fromFiles = readCatalog(files)
    expect(sourceStatuses(fromApi)).toEqual(['aws api ok', 'ecb api ok'])
    // The same rows and rates, but for the fetch time and the host the API path was given.
    const providerHosts = /https:\/\/(pricing\.us-east-1\.amazonaws\.com|www\.ecb\.europa\.eu)/g
    const ratesAndRows = (catalog: CatalogFile) => comparable({ rows: catalog.rows, fxRates: catalog.fxRates }, providerHosts)
    expect(fromApi.rows.length).toBeGreaterThan(0)
    expect(ratesAndRows(fromApi)).toEqual(ratesAndRows(fromFiles))
  })

  it('a source that fails is one warning and no rows while the others are written; all failed is exit 1 and no file', async () => {
    const partial = join(work, 'partial.yaml')
    const refused = `http://127.0.0.1:${closedPort}`
    const result = await refresh([...awsAndEcbAt(base, refused), '--region', 'us-east-1', '--retries', '0', '--out', partial])
    expect(result.exitCode).toBe(0)
    const warnings = result.stderr.split('\n').filter((line) => line.trim() !== '')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^warning: ecb failed: GET http:\/\/127\.0\.0\.1:\d+\/stats\/eurofxref\/eurofxref-daily\.xml: .*ECONNREFUSED.*none of its rows is in the file$/,
    )
    const catalog = readCatalog(partial)
    expect(catalog.refresh?.sources.map((source) => `${source.source} ${source.status}`)).toEqual(['aws ok', 'ecb failed'])
    expect(catalog.fxRates).toBeUndefined()
    expect(catalog.rows.length).toBeGreaterThan(0)

    const none = join(work, 'none.yaml')
    const failed = await refresh([...awsAndEcbAt(refused, refused), '--retries', '0', '--out', none])
    expect(failed.exitCode).toBe(1)
    expect(expectOneLineError(failed)).toMatch(/^Error: every price source failed, nothing written: aws: .*; ecb: /)
    expect(existsSync(none)).toBe(false)
  })

  it("Google Cloud's key comes from GEOPAT_GCP_API_KEY and never reaches an output, even when the server echoes it", async () => {
    const out = join(work, 'gcp.yaml')
    const refusedKey = await refresh(['--source', 'gcp', '--source-url', `gcp=${base}`, '--retries', '0', '--out', out, '--verbose'], {
      GEOPAT_GCP_API_KEY: GCP_KEY,
    })
    expect(refusedKey.exitCode).toBe(1)
    expect(refusedKey.stderr).toMatch(/HTTP 403/)
    expect(`${refusedKey.stdout}\n${refusedKey.stderr}`).not.toContain(GCP_KEY)
    expect(existsSync(out)).toBe(false)

    const noKey = await refresh(['--source', 'gcp', '--source-url', `gcp=${base}`, '--out', out])
    expect(expectOneLineError(noKey)).toMatch(/GEOPAT_GCP_API_KEY/)
  })

  it('--save-responses on the connected side, --from-dir on the air-gapped side: the same rows and rates, URLs and fetch times included', async () => {
    const dir = join(work, 'saved')
    const regions = repeated('region', ['westeurope', 'eastus2', 'eu-north-1', 'us-east-1', 'europe-west4'])
    const urls = repeated('source-url', [`azure=${base}/api/retail/prices`, `aws=${base}`, `gcp=${base}`, `ecb=${base}`])
    const api = join(work, 'saved-api.yaml')
    const saveRun = await refresh([...urls, ...regions, '--save-responses', dir, '--out', api], { GEOPAT_GCP_API_KEY: GCP_GOOD_KEY })
    expect(saveRun.exitCode).toBe(0)
    expect(saveRun.stdout).toContain(`saved 5 response files of azure, aws, gcp, ecb to ${dir} (README.txt, manifest.json)`)
    const saved = (readdirSync(dir, { recursive: true }) as string[])
      .map((name) => name.split('\\').join('/'))
      .filter((name) => /\.(jsonl|json|csv|xml|txt)$/.test(name))
      .sort()
    expect(saved).toEqual(['README.txt', 'aws/eu-north-1/index.csv', 'aws/us-east-1/index.csv', 'azure.jsonl', 'ecb.xml', 'gcp.json', 'manifest.json'])
    for (const name of saved) expect(readFileSync(join(dir, name), 'utf8'), name).not.toContain(GCP_GOOD_KEY)

    // The other side: no key, no network; the same --region flags give the same rows.
    const offline = join(work, 'from-dir.yaml')
    const readRun = await refresh(['--from-dir', dir, ...regions, '--out', offline])
    expect(readRun.exitCode).toBe(0)
    const fromApi = readCatalog(api)
    const fromDir = readCatalog(offline)
    expect(sourceStatuses(fromApi)).toEqual(['azure api ok', 'aws api ok', 'gcp api ok', 'ecb api ok'])
    expect(sourceStatuses(fromDir)).toEqual(['azure file ok', 'aws file ok', 'gcp file ok', 'ecb file ok'])
    for (const name of ['azure', 'aws', 'gcp'])
      expect(
        fromApi.rows.some((row) => row.id.startsWith(`${name}-`)),
        name,
      ).toBe(true)
    // Nothing normalised: each row keeps the URL it was downloaded from and the time of the download.
    expect(fromDir.rows).toEqual(fromApi.rows)
    expect(fromDir.fxRates).toEqual(fromApi.fxRates)
  })

  it("issue 18's path end to end: Azure and AWS refreshed over their APIs, the same rows from their price files, then geopat run of the quickstart prices from them with no staleness warning and the report shows their URLs and dates", async () => {
    const { file: scenario, prices } = shortenedQuickstart(work)
    const wanted = prices.map((price) => price.catalogRow)
    // Without a refresh the quickstart's two offers are stale today (the issue's premise): the contrast.
    const stale = staleRows(loadCatalog().rows, { asOf: new Date() }).map((warning) => warning.id)
    for (const id of wanted) expect(stale).toContain(id)

    const dir = join(work, 'quickstart-saved')
    const api = join(work, 'quickstart-prices.yaml')
    const apiRun = await refresh([
      ...repeated('source', ['azure', 'aws']),
      ...repeated('source-url', [`azure=${base}/api/retail/prices`, `aws=${base}`]),
      ...repeated('region', ['westeurope', 'us-east-1']),
      '--save-responses',
      dir,
      '--out',
      api,
    ])
    expect(apiRun.exitCode, apiRun.stderr).toBe(0)
    const refreshed = readCatalog(api)
    for (const id of wanted) expect(refreshed.rows.map((row) => row.id)).toContain(id)

    // An Azure and an AWS price file (as saved on the connected side) give the API path's rows. A
    // file read with --from-file is dated by that read and cites the provider's own host; the rest is equal.
    const files = join(work, 'quickstart-files.yaml')
    const fileRun = await refresh([
      ...repeated('from-file', [`azure=${join(dir, 'azure.jsonl')}`, `aws=${join(dir, 'aws', 'us-east-1', 'index.csv')}`]),
      ...repeated('region', ['westeurope', 'us-east-1']),
      '--out',
      files,
    ])
    expect(fileRun.exitCode, fileRun.stderr).toBe(0)
    const awsHost = /https:\/\/pricing\.us-east-1\.amazonaws\.com/g
    expect(comparable(readCatalog(files).rows, awsHost)).toEqual(comparable(refreshed.rows, awsHost))

    const runDir = join(work, 'quickstart-run')
    const run = await runCli(['run', scenario, '--catalog', api, '--out', runDir, '--no-progress'], { timeoutMs: 110_000, env: NO_PROXY_ENV })
    expect(run.exitCode, run.stderr).toBe(0)
    const output = `${run.stdout}\n${run.stderr}`
    for (const id of wanted) expect(output).not.toMatch(new RegExp(`${id.replace(/\./g, '\\.')}: .*days old on \\S+ \\(limit \\d+\\)`))
    const html = readFileSync(join(runDir, 'report.html'), 'utf8')
    const start = html.indexOf('id="prices-used"')
    expect(start).toBeGreaterThan(0)
    const table = decodeEntities(html.slice(start, html.indexOf('</table>', start)))
    const today = new Date().toISOString().slice(0, 10)
    for (const id of wanted) {
      const row = refreshed.rows.find((candidate) => candidate.id === id)
      expect(row?.sourceUrl, id).toBeDefined()
      expect(table).toContain(id)
      expect(table).toContain(`<a href="${new URL(row?.sourceUrl as string).href}" rel="noopener noreferrer">${row?.sourceUrl}</a>`)
      expect(table).toContain(row?.effectiveDate as string)
      expect(table).toContain(`${today} (fetched)`)
    }
  }, 150_000)

  it('--dry-run lists the built-in rows the refreshed ones supersede and writes nothing', async () => {
    const result = await refresh([...fromFixtures([['aws', ['aws', 'us-east-1', 'index.csv']]]), '--dry-run', '--json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as { dryRun: boolean; written?: string; diff: { superseded: Array<{ id: string; builtIn: boolean }> } }
    expect(report.dryRun).toBe(true)
    expect(report.written).toBeUndefined()
    expect(report.diff.superseded.find((row) => row.id === 'aws-p5.48xlarge-us-east-1')?.builtIn).toBe(true)
  })
})
