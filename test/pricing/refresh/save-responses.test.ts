import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { printRequestsScript } from '../../../src/app/catalog-refresh.js'
import { type RefreshOptions, refreshCatalog } from '../../../src/pricing/refresh/run.js'
import { readSavedResponses } from '../../../src/pricing/refresh/saved-responses.js'
import { priceSources } from '../../../src/pricing/refresh/sources.js'
import type { SourceName } from '../../../src/pricing/refresh/source.js'
import type { CatalogFile } from '../../../src/io/schema/catalog.js'
import { REPO_ROOT } from '../../helpers/cli.js'

/**
 * `--save-responses` and `--from-dir` at module level (refreshCatalog): the four real sources call a
 * server on 127.0.0.1 that serves their documented-format fixtures (test/fixtures/price-sources/*),
 * save what they download, and the saved files, read back, give the API path's rows.
 * No request leaves 127.0.0.1: every source's base URL is the local server, the proxy variables are unset.
 */
for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[name]

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'price-sources')
const fixtureText = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8')
const GCP_KEY = 'AIzaSy-save-responses-test-0123456789'
const DOWNLOADED = new Date('2026-12-06T10:00:00.000Z')
const READ_LATER = new Date('2027-01-15T08:00:00.000Z')
/** Azure's, AWS's and GCP's fixture regions, in the order the sources fetch them (eu-north-1 before us-east-1). */
const REGIONS = ['westeurope', 'eastus2', 'eu-north-1', 'us-east-1', 'europe-west4', 'us-central1']
const AWS_OFFER = (region: string): string => `/offers/v1.0/aws/AmazonEC2/20261201000000/${region}/index.csv`
const GCP_PAGES = ['gcp/skus-page-1.json', 'gcp/skus-page-2.json', 'gcp/skus-page-3.json']

interface Faults {
  /** AWS's us-east-1 offer file (read after eu-north-1's) answers 500. */
  awsSecondRegion500?: boolean
  /** Azure's westeurope page 2 has a price that is not a number. */
  azureMalformedPage2?: boolean
  /** The GCP server puts the key it was sent in a SKU's description (a body that carries the secret). */
  gcpEchoesKey?: boolean
}

let server: Server
let origin = ''
let faults: Faults = {}
const requests: Array<{ url: string; apiKey: string | undefined }> = []
const work = mkdtempSync(join(tmpdir(), 'geopat-save-responses-'))

type SendJson = (body: unknown, status?: number) => void

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = `${origin}${req.url ?? '/'}`
  const { pathname, searchParams } = new URL(url)
  requests.push({ url, apiKey: req.headers['x-goog-api-key'] as string | undefined })
  const json: SendJson = (body, status = 200) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  if (pathname === '/api/retail/prices') return azurePage(url, searchParams, json)
  if (pathname === '/v1/services/6F81-5844-456A/skus') return gcpPage(req, searchParams, json)
  const files: Record<string, string> = {
    '/offers/v1.0/aws/index.json': 'aws/index.json',
    '/offers/v1.0/aws/AmazonEC2/current/region_index.json': 'aws/region_index.json',
    [AWS_OFFER('eu-north-1')]: 'aws/eu-north-1/index.csv',
    [AWS_OFFER('us-east-1')]: 'aws/us-east-1/index.csv',
    '/stats/eurofxref/eurofxref-daily.xml': 'ecb/eurofxref-daily.xml',
  }
  if (pathname === AWS_OFFER('us-east-1') && faults.awsSecondRegion500) return void res.writeHead(500).end('internal error')
  const file = files[pathname]
  if (!file) return void res.writeHead(404).end('not found')
  res.writeHead(200).end(readFileSync(join(FIXTURES, file)))
}

/** Azure: westeurope's two pages (the first links to the second; a malformed price on the second on request), eastus2's one, no other region. */
function azurePage(url: string, searchParams: URLSearchParams, json: SendJson): void {
  const region = /armRegionName eq '([^']+)'/.exec(searchParams.get('$filter') ?? '')?.[1]
  const secondPage = searchParams.get('$skip') === '1000'
  if (region === 'westeurope' && !secondPage) {
    const page = JSON.parse(fixtureText('azure/westeurope-page-1.json')) as Record<string, unknown>
    return json({ ...page, NextPageLink: `${url}&$skip=1000` })
  }
  if (region === 'westeurope') {
    const page = JSON.parse(fixtureText('azure/westeurope-page-2.json')) as { Items: Array<Record<string, unknown>> }
    if (faults.azureMalformedPage2) (page.Items[1] as Record<string, unknown>).retailPrice = '39.33'
    return json(page)
  }
  if (region === 'eastus2') return json(JSON.parse(fixtureText('azure/eastus2-page-1.json')))
  return json({ BillingCurrency: 'USD', Items: [], NextPageLink: null, Count: 0 })
}

/** GCP: three pages by page token for the right key (the key echoed in a description on request); 403 for another key. */
function gcpPage(req: IncomingMessage, searchParams: URLSearchParams, json: SendJson): void {
  if (req.headers['x-goog-api-key'] !== GCP_KEY) return json({ error: { code: 403, message: 'API key not valid' } }, 403)
  const token = searchParams.get('pageToken')
  const index = token === null ? 0 : token === 'page-2-token' ? 1 : token === 'page-3-token' ? 2 : -1
  if (index < 0) return json({ error: { code: 400, message: 'bad page token' } }, 400)
  const page = JSON.parse(fixtureText(GCP_PAGES[index] as string)) as { skus: Array<Record<string, unknown>> }
  if (faults.gcpEchoesKey && index === 1) (page.skus[0] as Record<string, unknown>).description = `requested with key ${GCP_KEY}`
  return json(page)
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(() => {
  faults = {}
  requests.length = 0
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(work, { recursive: true, force: true })
})

/** The API path against the local server, the GCP key in the environment, at DOWNLOADED. */
function download(options: Partial<RefreshOptions> = {}) {
  const urls: Record<SourceName, string> = { azure: `${origin}/api/retail/prices`, aws: origin, gcp: origin, ecb: origin }
  const names = options.sources ?? (Object.keys(urls) as SourceName[])
  return refreshCatalog({
    sourceUrls: Object.fromEntries(names.map((name) => [name, urls[name]])),
    regions: REGIONS,
    env: { GEOPAT_GCP_API_KEY: GCP_KEY },
    now: DOWNLOADED,
    http: { timeoutMs: 10_000, retries: 0 },
    ...options,
  })
}

/** Every file under a folder, relative, sorted (hidden ones included). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort()
}

function hasTools(...names: string[]): boolean {
  try {
    for (const name of names) execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const status = (catalog: CatalogFile): string[] => (catalog.refresh?.sources ?? []).map((source) => `${source.source} ${source.via} ${source.status}`)

describe('--save-responses, then --from-dir / --from-file', () => {
  it("saves each source's downloads in its --from-file form; read back, they give the API path's rows, URLs and fetch times included", async () => {
    const dir = join(work, 'saved')
    const api = await download({ saveResponsesTo: dir })
    expect(status(api.catalog)).toEqual(['azure api ok', 'aws api ok', 'gcp api ok', 'ecb api ok'])
    for (const name of ['azure', 'aws', 'gcp'])
      expect(
        api.catalog.rows.some((row) => row.id.startsWith(`${name}-`)),
        name,
      ).toBe(true)
    expect(api.catalog.fxRates?.length).toBeGreaterThan(0)

    // The layout: one file per source (AWS one per region), the manifest and the README; no temporary file left.
    expect(filesUnder(dir)).toEqual([
      'README.txt',
      'aws/eu-north-1/index.csv',
      'aws/us-east-1/index.csv',
      'azure.jsonl',
      'ecb.xml',
      'gcp.json',
      'manifest.json',
    ])
    // What was downloaded, as it came: AWS's offer files and the ECB's XML byte for byte, GCP's pages in order, Azure's pages with their request URLs.
    expect(readFileSync(join(dir, 'aws/us-east-1/index.csv'), 'utf8')).toBe(fixtureText('aws/us-east-1/index.csv'))
    expect(readFileSync(join(dir, 'aws/eu-north-1/index.csv'), 'utf8')).toBe(fixtureText('aws/eu-north-1/index.csv'))
    expect(readFileSync(join(dir, 'ecb.xml'), 'utf8')).toBe(fixtureText('ecb/eurofxref-daily.xml'))
    expect(JSON.parse(readFileSync(join(dir, 'gcp.json'), 'utf8'))).toEqual(GCP_PAGES.map((page) => JSON.parse(fixtureText(page))))
    const azureRequests = requests.filter((request) => request.url.startsWith(`${origin}/api/retail/prices`)).map((request) => request.url)
    const records = readFileSync(join(dir, 'azure.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { url: string; fetchedAt: string })
    expect(records.map((record) => record.url)).toEqual(azureRequests)
    expect(records.every((record) => record.fetchedAt === DOWNLOADED.toISOString())).toBe(true)

    // The GCP key went as a header only: in no URL, in no saved file.
    expect(requests.filter((request) => request.apiKey === GCP_KEY).length).toBe(3)
    expect(requests.some((request) => request.url.includes(GCP_KEY))).toBe(false)
    for (const file of filesUnder(dir)) expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain(GCP_KEY)

    // The manifest names every file with its source, base URL and download time; the README the commands.
    const saved = readSavedResponses(dir)
    expect(saved.manifest.sources.map((source) => [source.source, source.baseUrl, source.fetchedAt, source.files])).toEqual([
      ['azure', `${origin}/api/retail/prices`, DOWNLOADED.toISOString(), ['azure.jsonl']],
      ['aws', origin, DOWNLOADED.toISOString(), ['aws/eu-north-1/index.csv', 'aws/us-east-1/index.csv']],
      ['gcp', origin, DOWNLOADED.toISOString(), ['gcp.json']],
      ['ecb', origin, DOWNLOADED.toISOString(), ['ecb.xml']],
    ])
    expect(api.saved?.sources).toEqual(saved.manifest.sources)
    const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
    expect(readme).toContain('geopat catalog refresh --from-dir')
    expect(readme).toContain(
      '--from-file azure=azure.jsonl --from-file aws=aws/eu-north-1/index.csv --from-file aws=aws/us-east-1/index.csv --from-file gcp=gcp.json --from-file ecb=ecb.xml',
    )

    // --from-dir: read weeks later, offline (no key, no server), the rows and rates are the download's.
    const before = requests.length
    const offline = await refreshCatalog({ fromFiles: saved.fromFiles, fileOrigins: saved.origins, regions: REGIONS, env: {}, now: READ_LATER })
    expect(requests.length).toBe(before)
    expect(status(offline.catalog)).toEqual(['azure file ok', 'aws file ok', 'gcp file ok', 'ecb file ok'])
    expect(offline.catalog.rows).toEqual(api.catalog.rows)
    expect(offline.catalog.fxRates).toEqual(api.catalog.fxRates)
    expect(offline.sources.map((source) => source.fetchedAt)).toEqual(Array(4).fill(DOWNLOADED.toISOString()))

    // --from-file naming the same files (no manifest): Azure's records keep their URL and time; the
    // others cite the provider's own host and carry the time of that refresh (their files hold neither).
    const byHand = await refreshCatalog({ fromFiles: saved.fromFiles, regions: REGIONS, env: {}, now: READ_LATER })
    const azureRows = (catalog: CatalogFile) => catalog.rows.filter((row) => row.id.startsWith('azure-'))
    expect(azureRows(byHand.catalog)).toEqual(azureRows(api.catalog))
    const providerHosts = (['aws', 'gcp', 'ecb'] as SourceName[]).map((name) => priceSources()[name]?.defaultBaseUrl as string)
    const asDownloaded = (catalog: CatalogFile): unknown => {
      let text = JSON.stringify({ rows: catalog.rows, fxRates: catalog.fxRates })
      for (const host of providerHosts) text = text.split(host).join(origin)
      return JSON.parse(text.split(READ_LATER.toISOString()).join(DOWNLOADED.toISOString()))
    }
    expect(asDownloaded(byHand.catalog)).toEqual(asDownloaded(api.catalog))
    expect(byHand.catalog.rows.filter((row) => !row.id.startsWith('azure-')).every((row) => row.fetchedAt === READ_LATER.toISOString())).toBe(true)
  })

  it('a source that fails leaves no file of its own (nor a temporary one); the others are kept and the README names the failed', async () => {
    faults = { awsSecondRegion500: true, azureMalformedPage2: true }
    const dir = join(work, 'partial')
    const outcome = await download({ saveResponsesTo: dir })
    expect(status(outcome.catalog)).toEqual(['azure api failed', 'aws api failed', 'gcp api ok', 'ecb api ok'])
    // AWS had streamed eu-north-1's whole offer file to disk before us-east-1's failed: it is gone too.
    expect(requests.some((request) => request.url.endsWith(AWS_OFFER('eu-north-1')))).toBe(true)
    expect(filesUnder(dir)).toEqual(['README.txt', 'ecb.xml', 'gcp.json', 'manifest.json'])
    expect(readSavedResponses(dir).manifest.sources.map((source) => source.source)).toEqual(['gcp', 'ecb'])
    const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
    expect(readme).toMatch(/^ {2}aws: GET http:\/\/127\.0\.0\.1:\d+\/offers\/v1\.0\/aws\/AmazonEC2\/20261201000000\/us-east-1\/index\.csv: HTTP 500/m)
    // (the error line is cut at 400 characters: Azure's names the page's long URL first)
    expect(readme).toMatch(/^ {2}azure: GET http:\/\/127\.0\.0\.1:\d+\/api\/retail\/prices\?.*armRegionName%20eq%20%27westeurope%27/m)
  })

  it('a GCP response that carries the key fails the source and saves nothing of it; the error line hides the key', async () => {
    faults = { gcpEchoesKey: true }
    const dir = join(work, 'echo')
    const outcome = await download({ sources: ['gcp', 'ecb'], saveResponsesTo: dir })
    expect(status(outcome.catalog)).toEqual(['gcp api failed', 'ecb api ok'])
    expect(outcome.failed[0]?.error).toMatch(/gcp\.json: the response carries the value of a secret/)
    expect(JSON.stringify(outcome)).not.toContain(GCP_KEY)
    expect(filesUnder(dir)).toEqual(['README.txt', 'ecb.xml', 'manifest.json'])
    for (const file of filesUnder(dir)) expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain(GCP_KEY)
  })

  it('every saving source failed: no file, and the folder the refresh created is removed; a folder not empty is refused before any request', async () => {
    faults = { azureMalformedPage2: true }
    const dir = join(work, 'none')
    const outcome = await download({ sources: ['azure'], saveResponsesTo: dir })
    expect(status(outcome.catalog)).toEqual(['azure api failed'])
    expect(outcome.saved?.sources).toEqual([])
    expect(existsSync(dir)).toBe(false)

    requests.length = 0
    const used = join(work, 'used')
    mkdirSync(used)
    writeFileSync(join(used, 'old.csv'), 'x')
    await expect(download({ saveResponsesTo: used })).rejects.toThrow(/^saveResponses .*used: the folder is not empty; give a new or empty folder/)
    await expect(
      refreshCatalog({ fromFiles: { ecb: [join(FIXTURES, 'ecb', 'eurofxref-daily.xml')] }, saveResponsesTo: join(work, 'files-only'), env: {} }),
    ).rejects.toThrow(/every source reads a file, so nothing is downloaded to save/)
    expect(requests).toEqual([])
  })

  it.skipIf(!hasTools('curl', 'jq'))("--print-requests' script, run with curl and jq, downloads files whose --from-file rows are the API path's", async () => {
    const api = await download()
    const urls = { azure: `${origin}/api/retail/prices`, aws: origin, gcp: origin, ecb: origin }
    const script = printRequestsScript({ regions: REGIONS, sourceUrls: Object.entries(urls).map(([name, url]) => `${name}=${url}`) })
    expect(script).toContain('"X-goog-api-key: $GEOPAT_GCP_API_KEY"')
    const dir = join(work, 'by-script')
    mkdirSync(dir)
    requests.length = 0
    // Only 127.0.0.1 is asked (every URL of the script is the local server's); no proxy is used.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', GEOPAT_GCP_API_KEY: GCP_KEY, no_proxy: '*', NO_PROXY: '*' }
    // (asynchronously: the server answering it runs in this process)
    const { stdout: echoed } = await promisify(execFile)('sh', ['-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 })
    expect(requests.every((request) => request.url.startsWith(origin))).toBe(true)
    expect(filesUnder(dir)).toEqual(['aws/eu-north-1/index.csv', 'aws/us-east-1/index.csv', 'azure-pages.jsonl', 'ecb.xml', 'gcp.json'])
    // The command it ends with, run here as a module call: each --from-file SOURCE=FILE, relative to the folder.
    const fromFiles: Partial<Record<SourceName, string[]>> = {}
    for (const [, name, file] of echoed.matchAll(/--from-file (\w+)=(\S+)/g))
      fromFiles[name as SourceName] = [...(fromFiles[name as SourceName] ?? []), join(dir, file as string)]
    const offline = await refreshCatalog({ fromFiles, regions: REGIONS, env: {}, now: DOWNLOADED })
    expect(status(offline.catalog)).toEqual(['azure file ok', 'aws file ok', 'gcp file ok', 'ecb file ok'])
    // The same rows, but that the files name no host: they cite the providers' (Azure's hand-saved pages
    // get the request the refresh makes, rebuilt; nothing says "did not record").
    const hosts = [...(['aws', 'gcp', 'ecb'] as SourceName[]).map((name) => priceSources()[name]?.defaultBaseUrl as string), 'https://prices.azure.com']
    const local = (catalog: CatalogFile): unknown => {
      let text = JSON.stringify({ rows: catalog.rows, fxRates: catalog.fxRates })
      for (const host of hosts) text = text.split(host).join(origin)
      return JSON.parse(text)
    }
    expect(local(offline.catalog)).toEqual(local(api.catalog))
    expect(offline.catalog.rows.some((row) => row.notes?.includes('did not record'))).toBe(false)
  })

  it('--from-dir refuses a manifest that names a file the folder lacks, or a path outside it, in one line', () => {
    const dir = join(work, 'broken')
    mkdirSync(dir)
    const manifest = {
      format: 'geopat saved price responses, version 1',
      savedAt: DOWNLOADED.toISOString(),
      sources: [{ source: 'ecb', baseUrl: 'https://www.ecb.europa.eu', fetchedAt: DOWNLOADED.toISOString(), files: ['ecb.xml'] }],
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))
    expect(() => readSavedResponses(dir)).toThrow(/manifest\.json: sources\.0\.files\.0: ecb\.xml is not in the folder/)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, sources: [{ ...manifest.sources[0], files: ['../ecb.xml'] }] }))
    expect(() => readSavedResponses(dir)).toThrow(/manifest\.json: sources\.0\.files\.0: must be a relative path inside the folder/)
    expect(() => readSavedResponses(join(work, 'no-such-folder'))).toThrow(
      /^fromDir .*no-such-folder: no manifest\.json \(not a folder written by geopat catalog refresh saveResponses; name its files with fromFiles SOURCE=PATH\)$/,
    )
  })
})
