import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { awsSource } from '../../../src/pricing/refresh/aws.js'
import { createHttpClient, type HttpClient } from '../../../src/pricing/refresh/http.js'
import { loadPriceMapping } from '../../../src/pricing/refresh/mapping.js'
import type { SourceContext } from '../../../src/pricing/refresh/source.js'
import { catalogRowSchema } from '../../../src/io/schema/catalog.js'
import { cells } from '../../helpers/csv-cells.js'
import { REPO_ROOT } from '../../helpers/cli.js'

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'price-sources', 'aws')
const VERSION = '20261201000000'
const SERVICE_INDEX = '/offers/v1.0/aws/index.json'
const REGION_INDEX = '/offers/v1.0/aws/AmazonEC2/current/region_index.json'
const offerPath = (region: string): string => `/offers/v1.0/aws/AmazonEC2/${VERSION}/${region}/index.csv`
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8')

/** A route: a body (200), or a handler that answers (or never answers) itself. */
type Route = string | ((req: IncomingMessage, res: ServerResponse, hit: number) => void)

/** The price list host on 127.0.0.1: the fixtures under their documented paths, overridable per test. */
let server: Server
let base: string
let overrides: Record<string, Route> = {}
const hits = new Map<string, number>()

function defaultRoutes(): Record<string, Route> {
  return {
    [SERVICE_INDEX]: fixture('index.json'),
    [REGION_INDEX]: fixture('region_index.json'),
    [offerPath('eu-north-1')]: fixture('eu-north-1/index.csv'),
    [offerPath('us-east-1')]: fixture('us-east-1/index.csv'),
    [offerPath('ap-northeast-1')]: fixture('ap-northeast-1/index.csv'),
  }
}

const mapping = loadPriceMapping()
const fetchedAt = new Date('2026-12-06T10:00:00Z')
const clients: HttpClient[] = []

function context(options: { regions?: string[]; baseUrl?: string | null; http?: HttpClient; log?: string[] } = {}): SourceContext {
  const http = options.http ?? createHttpClient({ timeoutMs: 5_000, retries: 0 })
  clients.push(http)
  return {
    http,
    mapping,
    fetchedAt,
    ...(options.baseUrl === null ? {} : { baseUrl: options.baseUrl ?? base }),
    regions: options.regions ?? ['eu-north-1', 'us-east-1'],
    env: {},
    log: (line) => options.log?.push(line),
  }
}

/** The fixture's price line with this RateCode, read here without the source's code: column by header name. */
function fixtureLine(region: string, rateCode: string): Record<string, string> {
  const lines = fixture(`${region}/index.csv`).split('\n')
  const header = cells(lines[5] as string)
  const line = lines.find((text) => cells(text)[header.indexOf('RateCode')] === rateCode)
  if (!line) throw new Error(`no line with RateCode ${rateCode} in ${region}`)
  const values = cells(line)
  return Object.fromEntries(header.map((name, index) => [name, values[index] ?? '']))
}

/** The rows the fixtures should give (the fixture README says why the others are left out): id → RateCode. */
const EXPECTED: Record<string, { region: string; rateCode: string; gpuCount: number }> = {
  'aws-p5.48xlarge-eu-north-1': { region: 'eu-north-1', rateCode: 'K9XQ4T2RZC8M3WPD.JRTCKXETXF.6YS6EN2CT7', gpuCount: 8 },
  'aws-p5.48xlarge-eu-north-1-1yr': { region: 'eu-north-1', rateCode: 'K9XQ4T2RZC8M3WPD.4NA7Y494T4.6YS6EN2CT7', gpuCount: 8 },
  'aws-p5.48xlarge-eu-north-1-3yr': { region: 'eu-north-1', rateCode: 'K9XQ4T2RZC8M3WPD.BPH4J8HBKS.6YS6EN2CT7', gpuCount: 8 },
  'aws-p5en.48xlarge-eu-north-1': { region: 'eu-north-1', rateCode: 'N8PL4KJ2HG6FD3SA.JRTCKXETXF.6YS6EN2CT7', gpuCount: 8 },
  'aws-g6e.xlarge-eu-north-1': { region: 'eu-north-1', rateCode: 'Q4WE6RT8YU2IO9PA.JRTCKXETXF.6YS6EN2CT7', gpuCount: 1 },
  'aws-p5.48xlarge-us-east-1': { region: 'us-east-1', rateCode: 'A1SD3FG5HJ7KL9ZX.JRTCKXETXF.6YS6EN2CT7', gpuCount: 8 },
  'aws-p5.48xlarge-us-east-1-1yr': { region: 'us-east-1', rateCode: 'A1SD3FG5HJ7KL9ZX.4NA7Y494T4.6YS6EN2CT7', gpuCount: 8 },
  'aws-p4d.24xlarge-us-east-1': { region: 'us-east-1', rateCode: 'C2VB4NM6QW8ER1TY.JRTCKXETXF.6YS6EN2CT7', gpuCount: 8 },
  'aws-p6-b200.48xlarge-us-east-1': { region: 'us-east-1', rateCode: 'E3RT5YU7IO9PA2SD.JRTCKXETXF.6YS6EN2CT7', gpuCount: 8 },
}

beforeAll(async () => {
  // No request may leave 127.0.0.1: the client's proxy agent reads these.
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) delete process.env[name]
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const hit = (hits.get(path) ?? 0) + 1
    hits.set(path, hit)
    const route = overrides[path] ?? defaultRoutes()[path]
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/xml' })
      res.end('<Error><Code>NoSuchKey</Code></Error>')
    } else if (typeof route === 'string') {
      res.writeHead(200, { 'content-type': path.endsWith('.json') ? 'application/json' : 'text/csv' })
      res.end(route)
    } else route(req, res, hit)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  overrides = {}
  hits.clear()
  await Promise.all(clients.splice(0).map((client) => client.close()))
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('data/price-sources/aws.yaml', () => {
  it('maps the GPU instance types the catalog prices, with the ids of the built-in rows', () => {
    const aws = mapping.skus.filter((sku) => sku.provider === 'aws')
    const byType = Object.fromEntries(aws.map((sku) => [sku.sku, `${sku.gpuCount}x ${sku.gpu} ${sku.idStem}`]))
    expect(byType).toMatchObject({
      'p5.48xlarge': '8x H100 SXM aws-p5.48xlarge',
      'p5e.48xlarge': '8x H200 aws-p5e.48xlarge',
      'p5en.48xlarge': '8x H200 aws-p5en.48xlarge',
      'p4de.24xlarge': '8x A100-80 aws-p4de.24xlarge',
      'p4d.24xlarge': '8x A100-40 aws-p4d.24xlarge',
      'g6e.xlarge': '1x L40S aws-g6e.xlarge',
      'p6-b200.48xlarge': '8x B200 aws-p6-b200.48xlarge',
    })
    const regions = mapping.regions.filter((region) => region.provider === 'aws')
    expect(regions.find((region) => region.region === 'eu-north-1')).toMatchObject({ country: 'SE', displayName: 'EU (Stockholm)' })
    expect(regions.find((region) => region.region === 'us-east-1')).toMatchObject({ country: 'US', displayName: 'US East (N. Virginia)' })
  })
})

describe('awsSource.fetch: service index → region index → a region offer file (CSV form)', () => {
  it('keeps on-demand and standard No Upfront 1-yr/3-yr Linux rows of the mapped types, each a valid catalog row with URL, fetch time and SKU id', async () => {
    const log: string[] = []
    const result = await awsSource.fetch(context({ log }))
    expect(result.location).toBe(`${base}${SERVICE_INDEX}`)
    expect(result.rows.map((row) => row.id).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const row of result.rows) {
      const expected = EXPECTED[row.id]!
      const line = fixtureLine(expected.region, expected.rateCode)
      expect(() => catalogRowSchema.parse(row)).not.toThrow()
      expect(row.price).toBe(Number(line.PricePerUnit))
      expect(row.providerSkuId).toBe(expected.rateCode)
      expect(row.sourceUrl).toBe(`${base}${offerPath(expected.region)}`)
      expect(row.fetchedAt).toBe('2026-12-06T10:00:00.000Z')
      expect(row.effectiveDate).toBe(line.EffectiveDate)
      expect(row.currency).toBe('USD')
      expect(row.unit).toBe('instance-hour')
      expect(row.gpuCount).toBe(expected.gpuCount)
      expect(row.basis).toBe('price-api')
      expect(row.notes).toContain(`"${line.PriceDescription}"`)
      expect(row.jurisdiction.region).toBe(expected.region === 'eu-north-1' ? 'SE' : 'US')
    }
    // Each of the region files was downloaded once, and progress was said.
    expect(hits.get(offerPath('eu-north-1'))).toBe(1)
    expect(hits.get(offerPath('us-east-1'))).toBe(1)
    expect(hits.has(offerPath('ap-northeast-1'))).toBe(false)
    expect(log.some((line) => line.includes('eu-north-1') && line.includes(offerPath('eu-north-1')))).toBe(true)
  })

  it('lists a GPU instance type the mapping lacks once per region, never a non-GPU one', async () => {
    const result = await awsSource.fetch(context())
    const g5 = result.unmapped.filter((item) => item.sku === 'g5.xlarge')
    expect(g5).toEqual([{ sku: 'g5.xlarge', region: 'eu-north-1', reason: expect.stringContaining('GPU instance type not in') }])
    expect(result.unmapped.map((item) => item.sku)).not.toContain('m7i.large')
    expect(result.unmapped.map((item) => item.sku)).not.toContain('trn1.32xlarge')
  })

  it('asks only for the regions of the context that the mapping has; a mapped region the region index lacks is listed', async () => {
    const log: string[] = []
    const result = await awsSource.fetch(context({ regions: ['eu-north-1', 'westeurope', 'eu-west-3'], log }))
    expect(new Set(result.rows.map((row) => row.region))).toEqual(new Set(['eu-north-1']))
    expect(log.some((line) => line.includes('westeurope') && line.includes('not fetched'))).toBe(true)
    expect(result.unmapped).toContainEqual({ sku: 'AmazonEC2', region: 'eu-west-3', reason: expect.stringContaining('lists no EC2 offer file') })
  })

  it('waits out a 429 with Retry-After: 1 and then reads the file', async () => {
    overrides[REGION_INDEX] = (_req, res, hit) => {
      if (hit === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' })
        res.end('Rate exceeded')
      } else {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(fixture('region_index.json'))
      }
    }
    const http = createHttpClient({ timeoutMs: 5_000, retries: 2, minBackoffMs: 10, maxBackoffMs: 2_000 })
    const result = await awsSource.fetch(context({ http }))
    expect(hits.get(REGION_INDEX)).toBe(2)
    expect(result.rows.map((row) => row.id).sort()).toEqual(Object.keys(EXPECTED).sort())
  })
})

describe('awsSource: malformed files and timeouts fail in one line, with nothing returned', () => {
  const oneLine = async (promise: Promise<unknown>): Promise<string> => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught as Error,
    )
    expect(error).toBeInstanceOf(Error)
    expect(error!.message).not.toContain('\n')
    return error!.message
  }

  it('a PricePerUnit that is not a number names the file, the line and the field', async () => {
    const lines = fixture('eu-north-1/index.csv').split('\n')
    const at = lines.findIndex((line) => line.includes('K9XQ4T2RZC8M3WPD.JRTCKXETXF.6YS6EN2CT7'))
    lines[at] = (lines[at] as string).replace('"58.8800000000"', '"n/a"')
    overrides[offerPath('eu-north-1')] = lines.join('\n')
    const message = await oneLine(awsSource.fetch(context()))
    expect(message).toBe(`${base}${offerPath('eu-north-1')}: line ${at + 1}: PricePerUnit: "n/a" is not a number (SKU K9XQ4T2RZC8M3WPD)`)
  })

  it('a header without a column it reads names the column', async () => {
    overrides[offerPath('us-east-1')] = fixture('us-east-1/index.csv').replace('"CapacityStatus"', '"Capacity"')
    const message = await oneLine(awsSource.fetch(context()))
    expect(message).toBe(`${base}${offerPath('us-east-1')}: line 6: the header row lacks the column "CapacityStatus"`)
  })

  it('a file cut off in the middle of a line fails (its last line is short), and one cut before the header too', async () => {
    const text = fixture('eu-north-1/index.csv')
    const lines = text.split('\n')
    const cutAt = lines.slice(0, 9).join('\n').length + 1 + 200
    overrides[offerPath('eu-north-1')] = text.slice(0, cutAt)
    expect(await oneLine(awsSource.fetch(context()))).toMatch(new RegExp(`^${base}${offerPath('eu-north-1')}: line 10: `))
    overrides[offerPath('eu-north-1')] = lines.slice(0, 4).join('\n')
    expect(await oneLine(awsSource.fetch(context()))).toMatch(/: the file ends before its header row/)
  })

  it('metadata that is not an EC2 offer file is refused', async () => {
    overrides[offerPath('eu-north-1')] = fixture('eu-north-1/index.csv').replace('"OfferCode","AmazonEC2"', '"OfferCode","AmazonS3"')
    expect(await oneLine(awsSource.fetch(context()))).toBe(
      `${base}${offerPath('eu-north-1')}: line 6: OfferCode: "AmazonS3" is not AmazonEC2 (an EC2 offer file is read)`,
    )
  })

  it('a server that never answers times out in one line', async () => {
    overrides[REGION_INDEX] = () => {
      /* never answers: the client's headers timeout ends it */
    }
    const http = createHttpClient({ timeoutMs: 300, retries: 0 })
    const message = await oneLine(awsSource.fetch(context({ http })))
    expect(message).toContain(`${base}${REGION_INDEX}`)
    expect(message).toContain('timed out')
  })

  it('an offer file that stalls half-way fails in one line naming the file', async () => {
    const text = fixture('eu-north-1/index.csv')
    overrides[offerPath('eu-north-1')] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' })
      res.write(`${text.split('\n').slice(0, 8).join('\n')}\n`)
      // … and nothing more: the client's body timeout ends it
    }
    const http = createHttpClient({ timeoutMs: 300, retries: 0 })
    const message = await oneLine(awsSource.fetch(context({ http })))
    expect(message).toMatch(
      new RegExp(`^${base}${offerPath('eu-north-1')}: after line \\d+: the offer file could not be read to its end \\(.*UND_ERR_BODY_TIMEOUT\\)$`),
    )
  })

  it('a service index without EC2 is refused', async () => {
    overrides[SERVICE_INDEX] = JSON.stringify({ formatVersion: 'v1.0', offers: { AmazonS3: { offerCode: 'AmazonS3', currentRegionIndexUrl: '/x' } } })
    expect(await oneLine(awsSource.fetch(context()))).toBe(
      `${base}${SERVICE_INDEX}: offers.AmazonEC2.currentRegionIndexUrl: missing (the service index names no region index for EC2)`,
    )
  })
})

describe('awsSource.readFile: an offer file downloaded elsewhere (--from-file)', () => {
  it('gives the rows the API path gives for that region, field for field', async () => {
    const api = await awsSource.fetch(context())
    for (const region of ['eu-north-1', 'us-east-1']) {
      const file = await awsSource.readFile(join(FIXTURES, region, 'index.csv'), context())
      expect(file.rows).toEqual(api.rows.filter((row) => row.region === region))
      expect(file.location).toBe(join(FIXTURES, region, 'index.csv'))
    }
  })

  it("without a base URL, rows name the offer file's canonical AWS URL (from its OfferCode, Version and region)", async () => {
    const file = await awsSource.readFile(join(FIXTURES, 'eu-north-1', 'index.csv'), context({ baseUrl: null }))
    expect(new Set(file.rows.map((row) => row.sourceUrl))).toEqual(new Set([`https://pricing.us-east-1.amazonaws.com${offerPath('eu-north-1')}`]))
  })

  it('lists mapped instance types of a region the mapping lacks, never guessing its country', async () => {
    const file = await awsSource.readFile(join(FIXTURES, 'ap-northeast-1', 'index.csv'), context())
    expect(file.rows).toEqual([])
    expect(file.unmapped).toEqual([
      { sku: 'p5.48xlarge', region: 'ap-northeast-1', reason: expect.stringContaining('"Asia Pacific (Tokyo)"') },
      { sku: 'g6e.xlarge', region: 'ap-northeast-1', reason: expect.stringContaining('not in data/price-sources/aws.yaml regions') },
    ])
  })

  it('reads a file saved with CRLF line ends (and a BOM) into the same rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geopat-aws-'))
    try {
      const path = join(dir, 'index.csv')
      writeFileSync(path, `\uFEFF${fixture('eu-north-1/index.csv').replace(/\n/g, '\r\n')}`)
      const crlf = await awsSource.readFile(path, context())
      const lf = await awsSource.readFile(join(FIXTURES, 'eu-north-1', 'index.csv'), context())
      expect(crlf.rows).toEqual(lf.rows)
      expect(crlf.rows.length).toBe(Object.values(EXPECTED).filter((row) => row.region === 'eu-north-1').length)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a missing file or the JSON form is refused in one line', async () => {
    await expect(awsSource.readFile(join(FIXTURES, 'nowhere.csv'), context())).rejects.toThrow(/nowhere\.csv: cannot read the AWS offer file \(ENOENT\)$/)
    await expect(awsSource.readFile(join(FIXTURES, 'index.json'), context())).rejects.toThrow(/index\.json: the JSON form of an AWS offer file is not read/)
  })
})
