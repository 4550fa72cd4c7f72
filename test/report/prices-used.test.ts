import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildReportModel } from '../../src/report/build.js'
import { loadReportInputs } from '../../src/report/inputs.js'
import { createRenderer } from '../../src/report/render.js'
import { httpLink } from '../../src/report/sections/prices-used.js'
import type { FxRateUsed, PriceUsed } from '../../src/io/schema/price-provenance.js'
import type { SizingResult } from '../../src/io/schema/sizing.js'
import { tcoResultSchema } from '../../src/io/schema/tco-result.js'
import { decodeEntities } from '../helpers/html.js'
import { sizingFixture } from '../helpers/sizing-fixture.js'
import { XSS_LABEL, tcoFixture } from './fixtures.js'

/**
 * The report's "Prices used" table (issue 18): every catalog row and FX rate that sizing.json and
 * tco.json record, with dates, age, basis and the source URL as a link (an http(s) URL only), all
 * escaped, and the staleness warnings for them.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-prices-used-'))
const now = new Date('2026-12-06T12:00:00Z')

const HOSTILE_URL = 'https://example.test/prices?q="><script>alert(3)</script>'

function priceRecord(overrides: Partial<PriceUsed>): PriceUsed {
  return {
    id: 'test-row',
    provider: 'Example',
    sku: 'H100 node',
    region: 'fra-1',
    price: 16,
    pricePerMtok: null,
    currency: 'EUR',
    unit: 'instance-hour',
    gpuCount: 8,
    pricingModel: 'on-demand',
    basis: 'price-api',
    effectiveDate: '2024-03-01',
    fetchedAt: '2026-12-05T08:00:00Z',
    confirmedOn: '2026-12-05',
    confirmedBy: 'fetched',
    ageDays: 0,
    asOf: '2026-12-05',
    source: 'price list',
    sourceUrl: 'https://example.test/prices',
    confidence: 'high',
    file: 'refreshed.yaml',
    providerSkuId: 'sku-1',
    superseded: [],
    ...overrides,
  }
}

const eurUsd: FxRateUsed = {
  base: 'EUR',
  quote: 'USD',
  rate: 1.05,
  date: '2026-12-04',
  fetchedAt: '2026-12-05T08:00:00Z',
  ageDays: 1,
  asOf: '2026-12-05',
  source: 'ECB reference rates',
  sourceUrl: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml',
  file: 'refreshed.yaml',
}

function costLine(catalogRow: string, catalogPrice: PriceUsed | undefined, fxRates: FxRateUsed[]): SizingResult['endpoints'][number]['costs'][number] {
  const estimate = (value: number) => ({ estimate: value, low: value, high: value, method: 'test' })
  return {
    catalogRow,
    provider: catalogPrice?.provider ?? '(given)',
    region: catalogPrice?.region ?? '-',
    sovereignty: 'SEAL-3',
    currency: 'USD',
    pricePerGpuHour: 2.1,
    priceSource: catalogPrice ? { source: catalogPrice.source, date: catalogPrice.effectiveDate, confidence: catalogPrice.confidence } : null,
    ...(catalogPrice ? { catalogPrice, fxRates } : {}),
    soldBy: 'node',
    gpusPerNode: 8,
    gpusBought: { estimate: 8, low: 8, high: 8, nodes: 1 },
    fleetPerMonth: estimate(8 * 2.1 * 730),
    surge: { gpus: 0, perMonth: 0, months: 0, total: 0 },
    perMtokFleetAtDemand: { input: null, output: null, total: null },
    inOneYear: null,
    perMtokOneReplicaAtFullLoad: { input: null, output: null, total: null },
    joulesPerOutputToken: null,
    notes: [],
  }
}

async function renderFrom(folders: string[]): Promise<string> {
  const inputs = await loadReportInputs(folders)
  return createRenderer()(await buildReportModel(inputs, { now }))
}

function pricesSection(html: string): string {
  const start = html.indexOf('id="prices-used"')
  expect(start).toBeGreaterThan(0)
  return html.slice(start, html.indexOf('</section>', start))
}

describe('the report\'s "Prices used" table', () => {
  it('links an http(s) source URL only, escaped; a javascript: URL and hostile text show as text', async () => {
    const hostile = priceRecord({ id: 'hostile-row', source: XSS_LABEL, sourceUrl: HOSTILE_URL, sku: XSS_LABEL })
    const scripted = priceRecord({ id: 'scripted-row', sourceUrl: 'javascript:alert(4)', region: XSS_LABEL })
    const folder = join(work, 'hostile')
    mkdirSync(folder, { recursive: true })
    const sizing = sizingFixture(
      { low: 8, total: 8, high: 8 },
      { labels: ['a', 'b'], costs: { a: [costLine('hostile-row', hostile, [eurUsd])], b: [costLine('scripted-row', scripted, [])] } },
    )
    writeFileSync(join(folder, 'sizing.json'), JSON.stringify(sizing))
    const html = await renderFrom([folder])
    const section = pricesSection(html)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toContain(XSS_LABEL)
    expect(section).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;')
    // The hostile https URL is a link whose address is percent-encoded and whose text is escaped.
    const anchors = [...section.matchAll(/<a href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].map((match) => ({
      href: decodeEntities(match[1] ?? ''),
      text: match[2] ?? '',
    }))
    expect(anchors.map((anchor) => anchor.href)).toEqual([new URL(HOSTILE_URL).href, 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml'])
    expect(anchors[0]?.text).toContain('&quot;&gt;&lt;script&gt;')
    // javascript: is text, never a link.
    expect(section).not.toMatch(/href="javascript/i)
    expect(section).toContain('javascript:alert(4)')
    expect(httpLink('javascript:alert(4)')).toEqual({ text: 'javascript:alert(4)', href: null })
    expect(httpLink('data:text/html,hi')?.href).toBeNull()
    expect(httpLink('not a url')?.href).toBeNull()
  })

  it('lists every row and rate of sizing.json and tco.json with effective and fetched dates, age at the report and basis; warns about stale, derived and superseded rows', async () => {
    const sizeFolder = join(work, 'size')
    const tcoFolder = join(work, 'tco')
    mkdirSync(sizeFolder, { recursive: true })
    mkdirSync(tcoFolder, { recursive: true })
    const fresh = priceRecord({ id: 'fresh-row', superseded: [{ file: 'data/catalog/hyperscalers.yaml', effectiveDate: '2026-03', fetchedAt: null }] })
    const old = priceRecord({
      id: 'old-row',
      basis: 'published',
      fetchedAt: null,
      effectiveDate: '2026-01',
      confirmedOn: '2026-01',
      confirmedBy: 'effective',
      sourceUrl: null,
      source: 'shared/reference/economics.md',
    })
    const derived = priceRecord({
      id: 'derived-row',
      basis: 'derived',
      fetchedAt: null,
      effectiveDate: '2026-11-01',
      confirmedOn: '2026-11-01',
      confirmedBy: 'effective',
    })
    writeFileSync(
      join(sizeFolder, 'sizing.json'),
      JSON.stringify(sizingFixture({ low: 8, total: 8, high: 8 }, { labels: ['a'], costs: { a: [costLine('fresh-row', fresh, [eurUsd])] } })),
    )
    writeFileSync(join(tcoFolder, 'tco.json'), JSON.stringify(tcoResultSchema.parse({ ...tcoFixture(), pricesUsed: [old, derived], fxRatesUsed: [] })))
    const html = await renderFrom([sizeFolder, tcoFolder])
    const section = pricesSection(html)
    const rows = [...section.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((match) =>
      [...(match[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '').trim()),
    )
    // The first cell may start with a tone word (problem, check) before the id.
    const cells = (id: string): string[] => rows.find((row) => row[0]?.endsWith(id)) ?? []
    const ageAt = (date: string): string =>
      String(Math.floor((now.getTime() - Date.parse(`${date.length === 7 ? `${date}-01` : date}T00:00:00Z`)) / 86_400_000))
    expect(cells('fresh-row').slice(4, 9)).toEqual([
      '16 EUR/instance-hour (8 GPUs; 2.00 per GPU-hour)',
      'price-api',
      '2024-03-01',
      '2026-12-05 (fetched)',
      ageAt('2026-12-05'),
    ])
    expect(cells('old-row').slice(5, 9)).toEqual(['published', '2026-01', 'not fetched', ageAt('2026-01')])
    expect(cells('old-row').at(-1)).toBe('shared/reference/economics.md')
    expect(cells('derived-row')[5]).toBe('derived')
    expect(section).toContain('EUR/USD')
    const warnings = /<h3>Staleness and confidence warnings<\/h3>[\s\S]*?<\/ul>/.exec(html)?.[0] ?? ''
    expect(warnings).toContain(
      `old-row (refreshed.yaml): effective 2026-01, not confirmed since: ${ageAt('2026-01')} days before this report, over the 180-day limit`,
    )
    expect(warnings).not.toMatch(/fresh-row[^<]*days before this report/)
    expect(warnings).toContain('derived-row (refreshed.yaml): the price is derived')
    expect(warnings).toContain(
      'fresh-row: priced from refreshed.yaml, the freshest row of this offer; older rows not used: data/catalog/hyperscalers.yaml (effective 2026-03)',
    )
  })

  it('is left out when no input records a catalog price (a price given by hand)', async () => {
    const folder = join(work, 'by-hand')
    mkdirSync(folder, { recursive: true })
    writeFileSync(
      join(folder, 'sizing.json'),
      JSON.stringify(sizingFixture({ low: 8, total: 8, high: 8 }, { labels: ['a'], costs: { a: [costLine('command line', undefined, [])] } })),
    )
    const html = await renderFrom([folder])
    expect(html).not.toContain('id="prices-used"')
  })
})
