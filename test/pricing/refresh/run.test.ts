import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../../src/pricing/catalog.js'
import { diffAgainstCatalog, formatCatalogDiff } from '../../../src/pricing/refresh/diff.js'
import { type RefreshCommandDeps, runCatalogRefresh } from '../../../src/app/catalog-refresh.js'
import { parseSourceAssignments, refreshCatalog } from '../../../src/pricing/refresh/run.js'
import { PACKAGE_DATA_DIR, checkRefreshOut, defaultRefreshOut } from '../../../src/pricing/refresh/write.js'
import { SOURCE_NAMES, priceSources } from '../../../src/pricing/refresh/sources.js'
import { catalogFileSchema } from '../../../src/io/schema/catalog.js'
import { UserError } from '../../../src/util/errors.js'
import { TEST_MAPPING, fakeSource, ratesSource, rowsSource, testRows, throwingSource } from '../../helpers/price-sources.js'

const NOW = new Date('2026-12-06T09:30:00.000Z')
const work = mkdtempSync(join(tmpdir(), 'geopat-refresh-'))
let folderNumber = 0
// The test mapping, given as the user's --mapping file (merged over the built-in table).
const MAPPING_FILE = join(work, 'test-mapping.yaml')
writeFileSync(MAPPING_FILE, YAML.stringify(TEST_MAPPING))
const refreshWithTestMapping = (input: Parameters<typeof runCatalogRefresh>[0], deps: RefreshCommandDeps) =>
  runCatalogRefresh({ mappingFiles: [MAPPING_FILE], ...input }, deps)
const freshFolder = (): string => {
  const folder = join(work, `case-${++folderNumber}`)
  mkdirSync(folder)
  return folder
}

const AZURE_PRICES = [
  { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', price: 8.12 },
  { sku: 'Standard_NCC40ads_H100_v5', region: 'swedencentral', price: 7.9 },
  { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', term: 'spot' as const, price: 3.1 },
]
const AWS_PRICES = [{ sku: 'p5.48xlarge', region: 'us-east-1', price: 55.04 }]

/** Output of runCatalogRefresh, captured. */
function captured(): RefreshCommandDeps & { out: string[]; err: string[]; progressLines: string[] } {
  const out: string[] = []
  const err: string[] = []
  const progressLines: string[] = []
  return { out, err, progressLines, print: (line) => out.push(line), warn: (line) => err.push(line), progress: (line) => progressLines.push(line) }
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a UserError, got success')
}

describe('the source registry', () => {
  it('lists each registered source under its own name, with a description and an https base URL', () => {
    const registry = priceSources()
    for (const [name, source] of Object.entries(registry)) {
      expect(SOURCE_NAMES).toContain(name)
      expect(source?.name).toBe(name)
      expect(source?.description.length).toBeGreaterThan(0)
      expect(source?.defaultBaseUrl).toMatch(/^https:\/\//)
    }
  })
})

describe('refreshCatalog: each source all or nothing', () => {
  it('keeps the rows of a source that succeeded and records the failed one with its error and no row', async () => {
    const azure = rowsSource('azure', AZURE_PRICES, [{ sku: 'Standard_NC80adis_H100_v5', region: 'westeurope', reason: 'not in the mapping table' }])
    const aws = throwingSource('aws', 'GET https://pricing.invalid/offers: HTTP 500, 5 tries')
    const outcome = await refreshCatalog({ registry: { azure, aws }, mapping: TEST_MAPPING, now: NOW })

    expect(outcome.sources.map((source) => [source.source, source.status])).toEqual([
      ['azure', 'ok'],
      ['aws', 'failed'],
    ])
    const [azureRecord, awsRecord] = outcome.sources
    expect(azureRecord).toMatchObject({ via: 'api', rows: AZURE_PRICES.length, fetchedAt: NOW.toISOString() })
    expect(azureRecord?.unmapped).toEqual([{ sku: 'Standard_NC80adis_H100_v5', region: 'westeurope', reason: 'not in the mapping table' }])
    expect(awsRecord).toMatchObject({
      via: 'api',
      rows: 0,
      unmapped: [],
      error: 'GET https://pricing.invalid/offers: HTTP 500, 5 tries',
      location: 'https://aws.invalid/prices',
    })
    expect(outcome.failed.map((source) => source.source)).toEqual(['aws'])

    const catalog = outcome.catalog
    expect(catalogFileSchema.safeParse(catalog).success).toBe(true)
    expect(catalog.rows).toHaveLength(AZURE_PRICES.length)
    expect(catalog.rows.every((row) => row.provider === 'Azure')).toBe(true)
    expect(catalog.rows.map((row) => row.id)).toEqual([...catalog.rows.map((row) => row.id)].sort())
    for (const row of catalog.rows) {
      expect(row.sourceUrl).toMatch(/^https:\/\/azure\.invalid\/prices/)
      expect(row.fetchedAt).toBe(NOW.toISOString())
    }
    // Each price as the source gave it, per instance-hour.
    const westSpot = catalog.rows.find((row) => row.id === 'test-azure-ncc40ads-h100-v5-westeurope-spot')
    expect(westSpot?.price).toBe(3.1)
    expect(catalog.refresh?.generatedAt).toBe(NOW.toISOString())
  })

  it('runs the sources concurrently: a slow source does not hold the others back', async () => {
    const order: string[] = []
    let releaseSlow: () => void = () => undefined
    const slowStarted = new Promise<void>((resolve) => {
      releaseSlow = resolve
    })
    const slow = fakeSource('azure', async (context) => {
      order.push('azure started')
      await slowStarted
      order.push('azure done')
      return { rows: testRows('azure', AZURE_PRICES.slice(0, 1), context, 'https://azure.invalid/x'), unmapped: [], location: 'https://azure.invalid/x' }
    })
    const fast = fakeSource('aws', (context) => {
      order.push('aws done')
      releaseSlow()
      return { rows: testRows('aws', AWS_PRICES, context, 'https://aws.invalid/x'), unmapped: [], location: 'https://aws.invalid/x' }
    })
    const outcome = await refreshCatalog({ registry: { azure: slow, aws: fast }, mapping: TEST_MAPPING, now: NOW })
    // aws finished while azure was still waiting for it: both ran at once.
    expect(order).toEqual(['azure started', 'aws done', 'azure done'])
    expect(outcome.catalog.rows).toHaveLength(2)
  })

  it('fails a source that returns an invalid row with one line naming the row and the field; the others still count', async () => {
    const bad = fakeSource('azure', (context) => {
      const rows = testRows('azure', AZURE_PRICES, context, 'https://azure.invalid/prices')
      const second = rows[1] as (typeof rows)[number]
      rows[1] = { ...second, price: 0 }
      return { rows, unmapped: [], location: 'https://azure.invalid/prices' }
    })
    const outcome = await refreshCatalog({ registry: { azure: bad, aws: rowsSource('aws', AWS_PRICES) }, mapping: TEST_MAPPING, now: NOW })
    const azure = outcome.sources.find((source) => source.source === 'azure')
    expect(azure?.status).toBe('failed')
    expect(azure?.error).toMatch(/^row test-azure-ncc40ads-h100-v5-swedencentral: price: must be greater than 0/)
    expect(azure?.error).not.toContain('\n')
    expect(outcome.catalog.rows.map((row) => row.provider)).toEqual(['AWS'])
  })

  it('fails a source whose mapping gives two priced items one id, naming the id and both SKU ids (none kept)', async () => {
    const twice = rowsSource('azure', [
      { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', price: 8.12, providerSkuId: 'meter-linux' },
      { sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', price: 9.5, providerSkuId: 'meter-windows' },
    ])
    const outcome = await refreshCatalog({ registry: { azure: twice, aws: rowsSource('aws', AWS_PRICES) }, mapping: TEST_MAPPING, now: NOW })
    const azure = outcome.sources.find((source) => source.source === 'azure')
    expect(azure?.status).toBe('failed')
    expect(azure?.error).toContain('two rows with id test-azure-ncc40ads-h100-v5-westeurope')
    expect(azure?.error).toContain('meter-linux')
    expect(azure?.error).toContain('meter-windows')
    expect(outcome.catalog.rows.some((row) => row.provider === 'Azure')).toBe(false)
  })

  it('fails the later of two sources that produce the same row id', async () => {
    // A user's mapping error: gcp's stem made equal to aws's.
    const mapping = {
      ...TEST_MAPPING,
      skus: TEST_MAPPING.skus.map((sku) => (sku.provider === 'gcp' ? { ...sku, idStem: 'aws-p5.48xlarge' } : sku)),
      regions: [...TEST_MAPPING.regions, { provider: 'gcp' as const, region: 'us-east-1', country: 'US', source: 'test' }],
    }
    const gcp = rowsSource('gcp', [{ sku: 'a3-highgpu-8g', region: 'us-east-1', price: 88 }])
    const outcome = await refreshCatalog({ registry: { aws: rowsSource('aws', AWS_PRICES), gcp }, mapping, now: NOW })
    expect(outcome.sources.map((source) => source.status)).toEqual(['ok', 'failed'])
    expect(outcome.sources[1]?.error).toMatch(/row id aws-p5\.48xlarge-us-east-1 is also produced by source aws/)
    expect(outcome.catalog.rows.map((row) => row.provider)).toEqual(['AWS'])
  })

  it("carries the ECB source's rates in fxRates, and fails one with an invalid rate", async () => {
    const ecb = ratesSource([
      { base: 'EUR', quote: 'USD', rate: 1.0534, date: '2026-12-04', sourceUrl: 'https://ecb.invalid/eurofxref-daily.xml' },
      { base: 'EUR', quote: 'GBP', rate: 0.8321, date: '2026-12-04', sourceUrl: 'https://ecb.invalid/eurofxref-daily.xml' },
    ])
    const outcome = await refreshCatalog({ registry: { ecb }, mapping: TEST_MAPPING, now: NOW })
    expect(outcome.catalog.rows).toEqual([])
    expect(outcome.catalog.fxRates?.map((rate) => `${rate.base}/${rate.quote}=${rate.rate}`)).toEqual(['EUR/GBP=0.8321', 'EUR/USD=1.0534'])
    expect(outcome.sources[0]).toMatchObject({ source: 'ecb', status: 'ok', rows: 0 })

    const badEcb = ratesSource([{ base: 'EUR', quote: 'usd', rate: 1.05, date: '2026-12-04' }])
    const failed = await refreshCatalog({ registry: { ecb: badEcb, azure: rowsSource('azure', AZURE_PRICES) }, mapping: TEST_MAPPING, now: NOW })
    expect(failed.sources.find((source) => source.source === 'ecb')?.error).toMatch(/^fxRates\.0: quote: must be a three-letter ISO 4217/)
    expect(failed.catalog.fxRates).toBeUndefined()
  })

  it('a source that returns nothing usable fails with one line', async () => {
    const empty = fakeSource('azure', () => undefined as never)
    const outcome = await refreshCatalog({ registry: { azure: empty }, mapping: TEST_MAPPING, now: NOW })
    expect(outcome.sources[0]?.error).toMatch(/returned no rows/)
  })
})

describe('refreshCatalog: which sources run, and how', () => {
  const registry = () => ({
    azure: rowsSource('azure', AZURE_PRICES),
    aws: rowsSource('aws', AWS_PRICES),
    ecb: ratesSource([{ base: 'EUR', quote: 'USD', rate: 1.05, date: '2026-12-04' }]),
  })

  it('runs every registered source by default, only the --source ones when given', async () => {
    const all = await refreshCatalog({ registry: registry(), mapping: TEST_MAPPING, now: NOW })
    expect(all.sources.map((source) => source.source)).toEqual(['azure', 'aws', 'ecb'])
    const one = await refreshCatalog({ registry: registry(), sources: ['aws'], mapping: TEST_MAPPING, now: NOW })
    expect(one.sources.map((source) => source.source)).toEqual(['aws'])
  })

  it('--from-file alone refreshes only the sources it names, each reading its file (via file)', async () => {
    const sources = registry()
    const file = join(freshFolder(), 'azure-prices.json')
    writeFileSync(file, '{}')
    const outcome = await refreshCatalog({ registry: sources, fromFiles: { azure: [file] }, mapping: TEST_MAPPING, now: NOW })
    expect(outcome.sources).toHaveLength(1)
    expect(outcome.sources[0]).toMatchObject({ source: 'azure', via: 'file', location: file, status: 'ok', rows: AZURE_PRICES.length })
    expect(sources.azure.calls.map((call) => [call.via, call.file])).toEqual([['file', file]])
    expect(sources.aws.calls).toHaveLength(0)
    // With --source too, the others are fetched over the API.
    const mixed = await refreshCatalog({ registry: registry(), sources: ['aws'], fromFiles: { azure: [file] }, mapping: TEST_MAPPING, now: NOW })
    expect(mixed.sources.map((source) => `${source.source} ${source.via}`)).toEqual(['azure file', 'aws api'])
  })

  it('reads several files of one source as one result, all or nothing', async () => {
    const folder = freshFolder()
    const files = ['eu-north-1.csv', 'us-east-1.csv', 'broken.csv'].map((name) => join(folder, name))
    for (const file of files) writeFileSync(file, 'x')
    const byFile: Record<string, (typeof AWS_PRICES)[number]> = {
      [files[0] as string]: { sku: 'p5.48xlarge', region: 'eu-north-1', price: 58.9 },
      [files[1] as string]: { sku: 'p5.48xlarge', region: 'us-east-1', price: 55.04 },
    }
    const aws = fakeSource('aws', (context, file) => {
      const price = byFile[file as string]
      if (!price) throw new Error(`${file}: not an AWS offer file`)
      return {
        rows: testRows('aws', [price], context, 'https://aws.invalid/offers'),
        unmapped: [{ sku: 'g5.xlarge', region: price.region, reason: 'not in the mapping table' }],
        location: file as string,
      }
    })
    const two = await refreshCatalog({ registry: { aws }, fromFiles: { aws: files.slice(0, 2) }, mapping: TEST_MAPPING, now: NOW })
    expect(two.sources[0]).toMatchObject({ status: 'ok', via: 'file', rows: 2, location: `${files[0]}, ${files[1]}` })
    expect(two.sources[0]?.unmapped.map((item) => item.region)).toEqual(['eu-north-1', 'us-east-1'])
    expect(two.catalog.rows.map((row) => `${row.id} ${row.price}`)).toEqual(['aws-p5.48xlarge-eu-north-1 58.9', 'aws-p5.48xlarge-us-east-1 55.04'])

    const oneBroken = await refreshCatalog({
      registry: { aws, azure: rowsSource('azure', AZURE_PRICES) },
      fromFiles: { aws: files },
      sources: ['azure'],
      mapping: TEST_MAPPING,
      now: NOW,
    })
    const failed = oneBroken.sources.find((source) => source.source === 'aws')
    expect(failed).toMatchObject({ status: 'failed', rows: 0, unmapped: [], error: `${files[2]}: not an AWS offer file` })
    expect(oneBroken.catalog.rows.some((row) => row.provider === 'AWS')).toBe(false)
  })

  it('gives a source its --source-url as baseUrl, and each source only its own regions', async () => {
    const sources = registry()
    await refreshCatalog({
      registry: sources,
      sourceUrls: { azure: 'http://127.0.0.1:9/mirror' },
      regions: ['westeurope', 'EU (Stockholm)'],
      mapping: TEST_MAPPING,
      now: NOW,
    })
    expect(sources.azure.calls[0]?.context.baseUrl).toBe('http://127.0.0.1:9/mirror')
    expect(sources.azure.calls[0]?.context.regions).toEqual(['westeurope'])
    // A display name is given to the source as the region's id.
    expect(sources.aws.calls[0]?.context.regions).toEqual(['eu-north-1'])
    expect(sources.aws.calls[0]?.context.baseUrl).toBeUndefined()
    expect(sources.ecb.calls[0]?.context.regions).toBeUndefined()
    expect(sources.azure.calls[0]?.context.fetchedAt).toEqual(NOW)
  })

  it('skips a source none of whose regions was asked (by default), and refuses it when named with --source', async () => {
    const sources = registry()
    const outcome = await refreshCatalog({ registry: sources, regions: ['westeurope'], mapping: TEST_MAPPING, now: NOW })
    expect(outcome.sources.map((source) => source.source)).toEqual(['azure', 'ecb'])
    expect(outcome.skipped).toEqual([{ source: 'aws', reason: 'none of --region westeurope is a aws region in the mapping table' }])
    expect(sources.aws.calls).toHaveLength(0)
    const error = await userError(refreshCatalog({ registry: registry(), sources: ['aws'], regions: ['westeurope'], mapping: TEST_MAPPING, now: NOW }))
    expect(error.message).toBe('sources aws: none of regions westeurope is a aws region in the mapping table')
  })

  // Each message names the option by its key (the cli names the flag: test/cli/catalog-refresh-cli.test.ts).
  it('refuses bad input with one line before any source runs', async () => {
    const sources = registry()
    const file = join(freshFolder(), 'p.json')
    writeFileSync(file, '{}')
    const cases: Array<[Parameters<typeof refreshCatalog>[0], RegExp]> = [
      [{ sources: ['oracle' as never] }, /^sources: "oracle" is not a price source \(azure, aws, gcp, ecb\)$/],
      [{ sources: ['gcp'] }, /^sources gcp: not available in this build \(available: azure, aws, ecb\)$/],
      [{ sourceUrls: { azure: 'ftp://mirror/prices' } }, /^sourceUrls azure=ftp:\/\/mirror\/prices: must be an http\(s\) URL$/],
      [{ sourceUrls: { azure: 'not a url' } }, /^sourceUrls azure=not a url: must be an http\(s\) URL$/],
      [
        { sourceUrls: { azure: 'https://mirror-user:s3cret-pass@127.0.0.1:9/prices' } },
        /^sourceUrls azure=https:\/\/…@127\.0\.0\.1:9: must not carry a user name or password [^\n]*$/,
      ],
      [
        { sources: ['aws'], sourceUrls: { azure: 'http://127.0.0.1:9' } },
        /^sourceUrls azure=http:\/\/127\.0\.0\.1:9: azure is not being refreshed \(add sources azure\)$/,
      ],
      [{ fromFiles: { azure: [file] }, sourceUrls: { azure: 'http://127.0.0.1:9' } }, /a source reads its API or a file, not both/],
      [{ fromFiles: { aws: [file, join(work, 'no-such-file.csv')] } }, /^fromFiles aws=.*no-such-file\.csv: no such file$/],
      [{ regions: ['mars-1'] }, /^regions mars-1: not a region of the mapping table/],
    ]
    for (const [options, message] of cases) {
      const error = await userError(refreshCatalog({ registry: sources, mapping: TEST_MAPPING, now: NOW, ...options }))
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('s3cret-pass')
    }
    expect(sources.azure.calls.length + sources.aws.calls.length + sources.ecb.calls.length).toBe(0)
    const none = await userError(refreshCatalog({ registry: {}, mapping: TEST_MAPPING, now: NOW }))
    expect(none.message).toMatch(/no price source is registered/)
  })

  it('parses SOURCE=VALUE flags and refuses malformed ones', () => {
    expect(parseSourceAssignments('sourceUrls', ['azure=http://a', 'AWS=http://b?x=1'])).toEqual({ azure: ['http://a'], aws: ['http://b?x=1'] })
    expect(() => parseSourceAssignments('fromFiles', ['a.json'])).toThrow(/^fromFiles a\.json: must be SOURCE=VALUE/)
    expect(() => parseSourceAssignments('sourceUrls', ['oci=http://x'])).toThrow(/"oci" is not a price source/)
    expect(() => parseSourceAssignments('sourceUrls', ['aws=http://a', 'aws=http://b'])).toThrow(/aws is given twice; give each source once/)
    // Files: several per source (one per region), each once.
    expect(parseSourceAssignments('fromFiles', ['aws=eu.csv', 'aws=us.csv'], { several: true })).toEqual({ aws: ['eu.csv', 'us.csv'] })
    expect(() => parseSourceAssignments('fromFiles', ['aws=eu.csv', 'aws=eu.csv'], { several: true })).toThrow(/^fromFiles aws=eu\.csv: given twice/)
  })
})

describe('secrets stay out of every line and the written file', () => {
  const SECRET = 'gcp-test-key-7f3a9c1e5b'

  it("a source's secret (named by secretEnv) is taken out of its error and progress lines, and a row carrying it fails the source", async () => {
    const env = { GEOPAT_TEST_GCP_KEY: SECRET }
    const leaky = fakeSource(
      'gcp',
      (context) => {
        context.log(`GET https://gcp.invalid/skus?key=${context.env.GEOPAT_TEST_GCP_KEY}`)
        throw new Error(`GET https://gcp.invalid/skus?key=${context.env.GEOPAT_TEST_GCP_KEY}: HTTP 403 (API key ${context.env.GEOPAT_TEST_GCP_KEY} not valid)`)
      },
      { secretEnv: ['GEOPAT_TEST_GCP_KEY'] },
    )
    const rowCarrier = fakeSource(
      'aws',
      (context) => ({
        rows: testRows('aws', AWS_PRICES, context, `https://aws.invalid/prices?token=${context.env.GEOPAT_TEST_GCP_KEY}`),
        unmapped: [],
        location: 'https://aws.invalid/prices',
      }),
      { secretEnv: ['GEOPAT_TEST_GCP_KEY'] },
    )
    const folder = freshFolder()
    const out = join(folder, 'prices.yaml')
    const io = captured()
    const result = await refreshWithTestMapping(
      { out },
      { ...io, registry: { gcp: leaky, aws: rowCarrier, azure: rowsSource('azure', AZURE_PRICES) }, env, now: NOW, cwd: folder },
    )
    const gcp = result.sources.find((source) => source.source === 'gcp')
    expect(gcp?.status).toBe('failed')
    expect(gcp?.error).toContain('HTTP 403')
    expect(gcp?.error).toContain('[redacted]')
    expect(result.sources.find((source) => source.source === 'aws')?.error).toBe(
      'a row or rate it returned carries the value of GEOPAT_TEST_GCP_KEY (a secret); none is kept',
    )
    expect(io.progressLines.some((line) => line.startsWith('gcp: GET https://gcp.invalid/skus?key=[redacted]'))).toBe(true)
    const everything = [readFileSync(out, 'utf8'), ...io.out, ...io.err, ...io.progressLines, JSON.stringify(result)].join('\n')
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain(SECRET.slice(0, 12))
  })

  it("a proxy URL's password never reaches an error line", async () => {
    const password = 'proxy-pass-93kd'
    const failing = fakeSource('azure', () => {
      throw new Error(`connect via http://alice:${password}@proxy.invalid:3128 refused`)
    })
    const outcome = await refreshCatalog({
      registry: { azure: failing },
      mapping: TEST_MAPPING,
      now: NOW,
      env: { HTTPS_PROXY: `http://alice:${password}@proxy.invalid:3128` },
    })
    expect(outcome.sources[0]?.error).not.toContain(password)
  })
})

describe('runCatalogRefresh: the written file', () => {
  it('writes catalog/prices-<date>.yaml under the working directory: a header, then a catalog that loads with --catalog', async () => {
    const folder = freshFolder()
    const io = captured()
    const result = await refreshWithTestMapping(
      {},
      {
        ...io,
        registry: {
          azure: rowsSource('azure', AZURE_PRICES),
          aws: throwingSource('aws', 'GET https://aws.invalid: timed out (UND_ERR_HEADERS_TIMEOUT), after up to 5 tries'),
        },
        now: NOW,
        cwd: folder,
        env: {},
      },
    )
    const path = join(folder, 'catalog', 'prices-2026-12-06.yaml')
    expect(defaultRefreshOut(NOW, folder)).toBe(path)
    expect(result.written).toBe(path)
    const text = readFileSync(path, 'utf8')
    const header = text.split('\n').filter((line) => line.startsWith('#'))
    expect(header[0]).toBe(`# Written by geopat catalog refresh at ${NOW.toISOString()}: ${AZURE_PRICES.length} catalog rows.`)
    expect(header.join('\n')).toContain('azure ok (api https://azure.invalid/prices?region=all: 3 rows, 0 unmapped)')
    expect(header.join('\n')).toContain('aws FAILED')
    expect(header.join('\n')).toContain('--catalog prices-2026-12-06.yaml')
    const parsed = catalogFileSchema.parse(YAML.parse(text))
    expect(parsed.rows).toHaveLength(AZURE_PRICES.length)
    expect(parsed.refresh?.sources.map((source) => `${source.source} ${source.status}`)).toEqual(['azure ok', 'aws failed'])
    expect(parsed.refresh?.sources[1]?.error).toContain('timed out')
    // It loads with the user's --catalog (no built-in row has these ids).
    const loaded = loadCatalog({ files: [path] })
    expect(loaded.byId('test-azure-ncc40ads-h100-v5-westeurope')?.price).toBe(8.12)

    expect(io.out[0]).toMatch(/^azure {2}ok {7}3 rows, 0 unmapped, from https:\/\/azure\.invalid\/prices\?region=all$/)
    expect(io.out[1]).toMatch(/^aws {4}failed {3}GET https:\/\/aws\.invalid: timed out/)
    expect(io.out.at(-1)).toBe('wrote catalog/prices-2026-12-06.yaml: 3 rows, 0 FX rates; use it with --catalog catalog/prices-2026-12-06.yaml')
    expect(io.err).toEqual([
      'warning: aws failed: GET https://aws.invalid: timed out (UND_ERR_HEADERS_TIMEOUT), after up to 5 tries; none of its rows is in the file',
    ])
  })

  it("counts a source's FX rates on its line and in the header", async () => {
    const folder = freshFolder()
    const io = captured()
    const ecb = ratesSource([
      { base: 'EUR', quote: 'USD', rate: 1.0534, date: '2026-12-04' },
      { base: 'EUR', quote: 'CHF', rate: 0.9312, date: '2026-12-04' },
    ])
    const result = await refreshWithTestMapping(
      { out: join(folder, 'p.yaml') },
      { ...io, registry: { azure: rowsSource('azure', AZURE_PRICES.slice(0, 1)), ecb }, now: NOW, cwd: folder, env: {} },
    )
    expect(io.out).toContain('ecb    ok       2 FX rates, from https://ecb.invalid/eurofxref-daily.xml')
    expect(io.out).toContain('azure  ok       1 row, 0 unmapped, from https://azure.invalid/prices?region=all')
    expect(io.out.at(-1)).toBe('wrote p.yaml: 1 row, 2 FX rates; use it with --catalog p.yaml')
    const text = readFileSync(join(folder, 'p.yaml'), 'utf8')
    expect(text).toContain('# Written by geopat catalog refresh at 2026-12-06T09:30:00.000Z: 1 catalog row, 2 FX rates.')
    expect(text).toContain('#   ecb ok (api https://ecb.invalid/eurofxref-daily.xml: 0 rows, 2 FX rates, 0 unmapped)')
    expect(result.fxRates).toBe(2)
    expect(catalogFileSchema.parse(YAML.parse(text)).fxRates?.map((rate) => rate.quote)).toEqual(['CHF', 'USD'])
  })

  it('every source failed: exit 1, one line naming each source, nothing written', async () => {
    const folder = freshFolder()
    const out = join(folder, 'prices.yaml')
    const error = await userError(
      refreshWithTestMapping(
        { out },
        { ...captured(), registry: { azure: throwingSource('azure', 'HTTP 500'), ecb: throwingSource('ecb', 'not XML') }, now: NOW, cwd: folder, env: {} },
      ),
    )
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe('every price source failed, nothing written: azure: HTTP 500; ecb: not XML')
    expect(existsSync(out)).toBe(false)
  })

  it('--strict: one failed source fails the command and nothing is written', async () => {
    const folder = freshFolder()
    const out = join(folder, 'prices.yaml')
    const error = await userError(
      refreshWithTestMapping(
        { out, strict: true },
        { ...captured(), registry: { azure: rowsSource('azure', AZURE_PRICES), ecb: throwingSource('ecb', 'not XML') }, now: NOW, cwd: folder, env: {} },
      ),
    )
    expect(error.exitCode).toBe(1)
    // The use case names the option by its key; the command names it as its flag (--strict: test/cli).
    expect(error.message).toMatch(/^strict: ecb failed, nothing written: ecb: not XML$/)
    expect(existsSync(out)).toBe(false)
  })

  it('refuses --out inside the data folder, an existing file without --overwrite, and --catalog without --dry-run, before fetching', async () => {
    const folder = freshFolder()
    const existing = join(folder, 'old.yaml')
    writeFileSync(existing, 'rows: []\n')
    const azure = rowsSource('azure', AZURE_PRICES)
    const run = (input: Parameters<typeof runCatalogRefresh>[0]) =>
      refreshWithTestMapping(input, { ...captured(), registry: { azure }, now: NOW, cwd: folder, env: {} })
    expect((await userError(run({ out: join(PACKAGE_DATA_DIR, 'catalog', 'fresh.yaml') }))).message).toMatch(
      /inside geopat's data folder .*the built-in catalog is never edited/,
    )
    expect((await userError(run({ out: PACKAGE_DATA_DIR }))).message).toMatch(/inside geopat's data folder/)
    expect((await userError(run({ out: existing }))).message).toBe(`out ${existing}: already exists; pass overwrite to replace it, or choose another out`)
    expect((await userError(run({ out: folder }))).message).toMatch(/is a folder/)
    expect((await userError(run({ catalogFiles: [existing] }))).message).toMatch(/^catalogFiles: only for dryRun/)
    expect((await userError(run({ timeoutSeconds: 0 }))).message).toMatch(/^timeoutSeconds: /)
    expect((await userError(run({ retries: -1 }))).message).toMatch(/^retries: /)
    expect(azure.calls).toHaveLength(0)
    expect(readFileSync(existing, 'utf8')).toBe('rows: []\n')

    await run({ out: existing, overwrite: true })
    expect(catalogFileSchema.parse(YAML.parse(readFileSync(existing, 'utf8'))).rows).toHaveLength(AZURE_PRICES.length)
    // A relative --out is relative to the working directory.
    expect(checkRefreshOut('sub/prices.yaml', { overwrite: false, cwd: folder })).toBe(join(folder, 'sub', 'prices.yaml'))
  })
})

describe('--dry-run: the diff against the current catalog', () => {
  it('lists added, changed (old → new per GPU-hour, %, dates), unchanged and superseded rows, and writes nothing', async () => {
    const folder = freshFolder()
    // The user's current catalog: one offer at the refreshed price (per GPU-hour = per instance-hour here, 1 GPU), one at another price.
    const userFile = join(folder, 'mine.yaml')
    const mine = [
      { id: 'test-azure-ncc40ads-h100-v5-westeurope', price: 8.12, effectiveDate: '2026-06-01' },
      { id: 'test-azure-ncc40ads-h100-v5-swedencentral', price: 7.5, effectiveDate: '2026-05-01' },
    ]
    writeFileSync(
      userFile,
      YAML.stringify({
        rows: mine.map((row) => ({
          ...row,
          provider: 'Azure',
          sku: 'Standard_NCC40ads_H100_v5',
          region: 'x',
          jurisdiction: { region: 'NL', parent: 'US' },
          gpu: 'H100 NVL',
          currency: 'USD',
          source: 'an earlier copy',
          confidence: 'high',
          sovereignty: 'SEAL-1',
        })),
      }),
    )
    // The built-in p5 row is quoted per GPU-hour; the refreshed one per 8-GPU instance-hour, 10% dearer per GPU.
    const builtInP5 = loadCatalog().byId('aws-p5.48xlarge-us-east-1')
    if (!builtInP5 || builtInP5.price === undefined) throw new Error('the built-in catalog lacks aws-p5.48xlarge-us-east-1')
    const builtInPerGpu = builtInP5.unit === 'instance-hour' ? builtInP5.price / builtInP5.gpuCount : builtInP5.price
    const p5InstancePrice = Math.round(builtInPerGpu * 8 * 1.1 * 100) / 100
    const io = captured()
    const result = await refreshWithTestMapping(
      { dryRun: true, catalogFiles: [userFile], out: join(folder, 'never.yaml') },
      {
        ...io,
        registry: { azure: rowsSource('azure', AZURE_PRICES), aws: rowsSource('aws', [{ sku: 'p5.48xlarge', region: 'us-east-1', price: p5InstancePrice }]) },
        now: NOW,
        cwd: folder,
        env: {},
      },
    )
    expect(result.written).toBeUndefined()
    expect(existsSync(join(folder, 'never.yaml'))).toBe(false)
    expect(existsSync(join(folder, 'catalog'))).toBe(false)
    const diff = result.diff
    if (!diff) throw new Error('no diff')

    expect(diff.added.map((row) => row.id)).toEqual(['test-azure-ncc40ads-h100-v5-westeurope-spot'])
    expect(diff.unchanged).toEqual([{ id: 'test-azure-ncc40ads-h100-v5-westeurope', file: userFile, oldDate: '2026-06-01', newDate: '2026-12-01' }])

    // Changed: the user's Sweden row, and the built-in AWS p5 row (quoted per GPU-hour; refreshed per 8-GPU instance-hour).
    const changed = Object.fromEntries(diff.changed.map((row) => [row.id, row]))
    expect(Object.keys(changed).sort()).toEqual(['aws-p5.48xlarge-us-east-1', 'test-azure-ncc40ads-h100-v5-swedencentral'])
    const sweden = changed['test-azure-ncc40ads-h100-v5-swedencentral']
    expect(sweden?.old.perGpuHour).toBe(7.5)
    expect(sweden?.new.perGpuHour).toBe(7.9)
    expect(sweden?.changePercent).toBeCloseTo(((7.9 - 7.5) / 7.5) * 100, 9)
    expect(sweden?.old.effectiveDate).toBe('2026-05-01')
    expect(sweden?.new.effectiveDate).toBe('2026-12-01')
    const p5 = changed['aws-p5.48xlarge-us-east-1']
    expect(p5?.old.perGpuHour).toBeCloseTo(builtInPerGpu, 9)
    expect(p5?.new.perGpuHour).toBeCloseTo(p5InstancePrice / 8, 9)
    expect(p5?.new.unit).toBe('instance-hour')
    expect(p5?.changePercent).toBeCloseTo((p5InstancePrice / 8 / builtInPerGpu - 1) * 100, 9)

    // Superseded: every current row with a refreshed row's id, the built-in one marked so.
    expect(diff.superseded.map((row) => `${row.id} ${row.builtIn}`).sort()).toEqual([
      'aws-p5.48xlarge-us-east-1 true',
      'test-azure-ncc40ads-h100-v5-swedencentral false',
      'test-azure-ncc40ads-h100-v5-westeurope false',
    ])
    expect(diff.superseded.find((row) => row.builtIn)?.file).toBe(builtInP5.file)

    const text = io.out.join('\n')
    expect(text).toContain('added (1):')
    expect(text).toMatch(/test-azure-ncc40ads-h100-v5-swedencentral {2}7\.5 USD\/GPU-hour → 7\.9 USD\/GPU-hour \(\+5\.3%\), 2026-05-01 → 2026-12-01/)
    expect(text).toContain('would supersede (3):')
    expect(io.out.at(-1)).toBe(`dry run: nothing written (${AZURE_PRICES.length + 1} rows, 0 FX rates refreshed)`)
  })

  it('shows a change under 1% with two decimals, never as 0.0%', () => {
    const [row] = testRows(
      'aws',
      [{ sku: 'p5.48xlarge', region: 'us-east-1', price: 8 * 8.4658 }],
      { mapping: TEST_MAPPING, fetchedAt: NOW },
      'https://aws.invalid/p',
    )
    if (!row) throw new Error('no row')
    const old = {
      ...row,
      unit: 'gpu-hour' as const,
      gpuCount: 1,
      soldBy: 'node' as const,
      gpusPerNode: 8,
      price: 8.47,
      effectiveDate: '2026-01',
      file: 'data/catalog/hyperscalers.yaml',
    }
    const diff = diffAgainstCatalog([row], {
      files: [{ file: old.file, kind: 'catalog', builtIn: true, rows: 1, fxRates: 0, discounts: 0 }],
      byId: (id) => (id === row.id ? old : undefined),
    })
    const percent = ((8.4658 - 8.47) / 8.47) * 100
    expect(diff.changed[0]?.changePercent).toBeCloseTo(percent, 9)
    expect(formatCatalogDiff(diff)).toContain(`8.47 USD/GPU-hour → 8.4658 USD/GPU-hour (−${Math.abs(percent).toFixed(2)}%), 2026-01 → 2026-12-01`)
    expect(formatCatalogDiff(diff)).toContain(`${row.id}  data/catalog/hyperscalers.yaml (built-in), dated 2026-01`)
  })

  it('never compares prices in different currencies', () => {
    const current = loadCatalog({ builtIn: false, files: [] })
    const [row] = testRows(
      'azure',
      [{ sku: 'Standard_NCC40ads_H100_v5', region: 'westeurope', price: 7.4, currency: 'EUR' }],
      { mapping: TEST_MAPPING, fetchedAt: NOW },
      'https://azure.invalid/p',
    )
    if (!row) throw new Error('no row')
    const diff = diffAgainstCatalog([row], {
      files: current.files,
      byId: (id) => (id === row.id ? { ...row, currency: 'USD', price: 8.12, file: 'mine.yaml' } : undefined),
    })
    expect(diff.changed).toHaveLength(1)
    expect(diff.changed[0]?.changePercent).toBeUndefined()
  })
})
