import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ecbSource } from '../../../src/pricing/refresh/ecb.js'
import { createHttpClient } from '../../../src/pricing/refresh/http.js'
import type { SourceContext } from '../../../src/pricing/refresh/source.js'
import { fxRateSchema } from '../../../src/io/schema/catalog.js'
import { PACKAGE_ROOT } from '../../../src/util/version.js'
import { rejectionMessage } from '../../helpers/rejection.js'

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'price-sources', 'ecb')
const DAILY = join(FIXTURES, 'eurofxref-daily.xml')
const HIST = join(FIXTURES, 'eurofxref-hist-90d.xml')
const DAILY_PATH = '/stats/eurofxref/eurofxref-daily.xml'
const FETCHED_AT = new Date('2026-12-06T10:00:00Z')
const work = mkdtempSync(join(tmpdir(), 'geopat-ecb-'))

/** The fixture's first day's rates, read here with a pattern of the documented layout (not the source's parser). */
function fixtureRates(path: string): Record<string, number> {
  const text = readFileSync(path, 'utf8')
  const firstDay = text.split(/<Cube time=/)[1] ?? ''
  return Object.fromEntries([...firstDay.matchAll(/<Cube currency='([A-Z]{3})' rate='([\d.]+)'\/>/g)].map((match) => [match[1], Number(match[2])]))
}

let server: Server
let baseUrl: string
/** What the local ECB serves at the daily file's path (each test sets it). */
let body = ''
const saved = {
  HTTPS_PROXY: process.env.HTTPS_PROXY,
  HTTP_PROXY: process.env.HTTP_PROXY,
  https_proxy: process.env.https_proxy,
  http_proxy: process.env.http_proxy,
}
const http = createHttpClient({ timeoutMs: 10_000, retries: 0 })

beforeAll(async () => {
  for (const name of Object.keys(saved)) delete process.env[name]
  server = createServer((req, res) => {
    if (req.url !== DAILY_PATH) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/xml' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await http.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value
})

const context = (): SourceContext => ({ http, mapping: { providers: [], skus: [], regions: [] }, fetchedAt: FETCHED_AT, baseUrl, env: {}, log: () => {} })

describe('ecb source: euro foreign exchange reference rates', () => {
  it('reads every currency of eurofxref-daily.xml as an EUR rate of the file day', async () => {
    body = readFileSync(DAILY, 'utf8')
    const result = await ecbSource.fetch(context())
    const expected = fixtureRates(DAILY)
    expect(Object.keys(expected)).toHaveLength(6)
    expect(result.rows).toEqual([])
    expect(result.unmapped).toEqual([])
    expect(result.location).toBe(`${baseUrl}${DAILY_PATH}`)
    const rates = result.fxRates ?? []
    expect(Object.fromEntries(rates.map((rate) => [rate.quote, rate.rate]))).toEqual(expected)
    expect(rates.find((rate) => rate.quote === 'USD')?.rate).toBe(1.175)
    for (const rate of rates) {
      expect(() => fxRateSchema.parse(rate)).not.toThrow()
      expect(rate).toMatchObject({
        base: 'EUR',
        date: '2025-12-31',
        confidence: 'high',
        sourceUrl: `${baseUrl}${DAILY_PATH}`,
        fetchedAt: FETCHED_AT.toISOString(),
      })
      expect(rate.source).toMatch(/ECB/)
    }
  })

  it('reads a saved daily file into the same rates as the download, and a 90-day file as its latest day', async () => {
    body = readFileSync(DAILY, 'utf8')
    const api = await ecbSource.fetch(context())
    const file = await ecbSource.readFile(DAILY, context())
    expect(file.fxRates).toEqual(api.fxRates)
    expect(file.location).toBe(DAILY)

    const hist = await ecbSource.readFile(HIST, context())
    expect(hist.fxRates?.every((rate) => rate.date === '2025-12-31' && rate.sourceUrl === `${baseUrl}/stats/eurofxref/eurofxref-hist-90d.xml`)).toBe(true)
    expect(Object.fromEntries((hist.fxRates ?? []).map((rate) => [rate.quote, rate.rate]))).toEqual(fixtureRates(HIST))
  })

  it('fails with one line naming the URL on malformed XML', async () => {
    body = readFileSync(DAILY, 'utf8').replace('</gesmes:Envelope>', '')
    const message = await rejectionMessage(ecbSource.fetch(context()))
    expect(message).toContain(`${baseUrl}${DAILY_PATH}`)
    expect(message).toMatch(/XML/)
    expect(message).not.toContain('\n')
  })

  it('fails with one line naming the currency when a rate is not a number above 0', async () => {
    for (const bad of ['0', '-1.2', 'n/a', '']) {
      body = readFileSync(DAILY, 'utf8').replace("currency='GBP' rate='0.87260'", `currency='GBP' rate='${bad}'`)
      const message = await rejectionMessage(ecbSource.fetch(context()))
      expect(message).toContain(`${baseUrl}${DAILY_PATH}`)
      expect(message).toMatch(/GBP: rate .* must be a number above 0/)
      expect(message).not.toContain('\n')
    }
  })

  it('fails with one line naming the file when the day has no time', async () => {
    const path = join(work, 'no-time.xml')
    writeFileSync(path, readFileSync(DAILY, 'utf8').replace("<Cube time='2025-12-31'>", '<Cube>'))
    const message = await rejectionMessage(ecbSource.readFile(path, context()))
    expect(message).toContain(path)
    expect(message).toMatch(/no time/)
    expect(message).not.toContain('\n')
  })
})
