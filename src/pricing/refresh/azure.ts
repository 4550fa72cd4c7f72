import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { CatalogRow } from '../../io/schema/catalog.js'
import type { PriceMappingFile, RegionMapping } from '../../io/schema/price-mapping.js'
import { describeZodIssues, UserError } from '../../util/errors.js'
import { HOURS_PER_MONTH } from '../unit-cost.js'
import { findRegion, findSku, mappedRow, type PricedItem, type PriceSource, type SourceContext, type SourceResult, type Term, type UnmappedItem } from './source.js'

/**
 * Azure Retail Prices API (public, no key): https://prices.azure.com/api/retail/prices, documented at
 * https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices.
 *
 * Request strategy: one OData filter per mapped region, naming every mapped SKU,
 *   serviceName eq 'Virtual Machines' and armRegionName eq '<region>' and (armSkuName eq '<a>' or …)
 * with currencyCode='USD' (Microsoft's retail prices; the API calls other currencies "for your
 * reference"), following each answer's NextPageLink until it is null. One filter returns every
 * price type (Consumption, Reservation, DevTestConsumption) of those SKUs in that region: about a
 * dozen meters per SKU, so one page (the API returns up to 1,000 items a page) per region, 12
 * requests for the 12 mapped regions. SKUs are split over several filters past SKUS_PER_FILTER
 * (URL length), and a query that pages past MAX_PAGES_PER_QUERY, or a NextPageLink that leaves the
 * API's origin or repeats a page, fails the source: the requests stay few and bounded.
 *
 * Mapping (every item is read, the mapping table decides; nothing is guessed):
 * - Consumption, a Linux meter (productName "Virtual Machines … Series" without "Windows"):
 *   meterName without Spot or Low Priority → on-demand; with "Spot" → spot; "Low Priority" → listed
 *   unmapped (a retired discount meter, no catalog term). Windows meters (the licence is in the
 *   price) and DevTestConsumption (Dev/Test subscriptions only) are skipped and counted in the log.
 * - Reservation with reservationTerm "1 Year" / "3 Years" → 1-yr / 3-yr. Azure quotes a reservation
 *   for its whole term although its unitOfMeasure reads "1 Hour" (the documentation's example: an
 *   E64 v4 at 25,007 USD for 1 Year), so the price per hour is the term's price divided by the
 *   term's hours: 730 hours a month × 12 × years (8,760 a year; Azure's pricing pages count a month
 *   as 730 hours, as src/pricing/unit-cost.ts does); the row's notes say so.
 * - An item whose armSkuName or armRegionName the mapping table lacks, an unknown price type or
 *   term, a unit other than "1 Hour", a price of 0, a price that takes effect after the fetch (not
 *   in force yet: the catalog refuses it), or two meters that price one offer differently
 *   (primary-region meters win over the others) is listed in `unmapped` with the reason.
 * Each row: sourceUrl = the exact URL of the page the item came from, providerSkuId =
 * "<skuId>/<meterId>" (a reservation shares its meterId with the pay-as-you-go meter; the skuId
 * tells them apart), effectiveDate = effectiveStartDate's day.
 *
 * Saved responses (`readFile`, for air-gapped sites), one of:
 * - geopat's page records, as `downloadAzurePages` gives them and `formatAzurePageRecords` writes
 *   them: JSON lines (or a JSON array) of `{"url": <request URL>, "fetchedAt": <ISO time>,
 *   "response": <the API's page>}`. The rows are exactly the API path's, URL and fetch time included.
 * - the API's own pages as saved by hand (curl): one page `{Items, NextPageLink, Count}`, a JSON
 *   array of pages, or JSON lines, one page a line, in the order paging gave them. A page that
 *   follows one with a NextPageLink came from that link. Any other page (a query's first) gets the
 *   URL of the API path's request that returns it, rebuilt by the same filter builder from the
 *   mapping and the page's items (withRebuiltRequestUrls): pages saved from those requests (the
 *   README lists them) give the API path's rows. A page no such request returns keeps no URL: its
 *   rows cite the API's endpoint and say so in their notes. Every row's fetchedAt is the refresh's
 *   (the file does not say when it was downloaded).
 */

export const AZURE_RETAIL_PRICES_URL = 'https://prices.azure.com/api/retail/prices'
export const AZURE_RETAIL_PRICES_DOCS = 'https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices'
/** Microsoft prices Azure in USD; the API's other currencies are "for your reference". */
export const AZURE_CURRENCY = 'USD'
/** The file name of the saved page records (`--save-responses`). */
export const AZURE_SAVED_FILE = 'azure.jsonl'
export const SKUS_PER_FILTER = 12
export const MAX_PAGES_PER_QUERY = 20
/** Azure's month of 730 hours (src/pricing/unit-cost.ts), 12 a year: 8,760 hours in a 1-year reservation. */
export const RESERVATION_HOURS_PER_YEAR = HOURS_PER_MONTH * 12

const RESERVATION_YEARS: Record<string, { term: Term; years: number }> = {
  '1 Year': { term: '1-yr', years: 1 },
  '3 Years': { term: '3-yr', years: 3 },
}

/** A zod error message: "is required" for a missing field, else what it must be. */
const expected = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) })

/** One price item of the API's `Items`: the fields the refresh reads (others pass through unread). */
export const azurePriceItemSchema = z.looseObject({
  currencyCode: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter currency code'),
  retailPrice: z.number(expected('a number')).nonnegative('must not be negative'),
  unitPrice: z.number(expected('a number')).optional(),
  armRegionName: z.string(expected('a string')),
  location: z.string().optional(),
  effectiveStartDate: z.string(expected('a date-time string')).regex(/^\d{4}-\d{2}-\d{2}(T|$)/, 'must start with a YYYY-MM-DD date'),
  meterId: z.string(expected('a string')).min(1, 'must not be empty'),
  meterName: z.string(expected('a string')),
  productName: z.string(expected('a string')),
  skuName: z.string(expected('a string')),
  skuId: z.string().optional(),
  armSkuName: z.string(expected('a string')),
  serviceName: z.string(expected('a string')),
  unitOfMeasure: z.string(expected('a string')),
  type: z.string(expected('a string')),
  reservationTerm: z.string().optional(),
  isPrimaryMeterRegion: z.boolean().optional(),
})
export type AzurePriceItem = z.infer<typeof azurePriceItemSchema>

/** One page of the API's answer. */
export const azurePricePageSchema = z.looseObject({
  Items: z.array(z.unknown(), expected('an array (the page\'s price items)')),
  NextPageLink: z.string().nullable().optional(),
  Count: z.number().optional(),
}, expected('a Retail Prices page: an object with Items and NextPageLink'))

/** geopat's saved page: the request URL, when it was fetched, and the API's answer as it came. */
export const azurePageRecordSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL the page was fetched from' }),
    fetchedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    response: z.unknown(),
  })
  .strict()
export type AzurePageRecord = z.infer<typeof azurePageRecordSchema>

/** A page ready to parse: where it came from, for the rows and for error lines. */
export interface SourcedPage {
  /** The request URL, when known. */
  url?: string
  fetchedAt: Date
  response: unknown
  /** Names the page in an error line: `GET <url>` or `<file>: page <n>`. */
  where: string
  /** A hand-saved page that came from the previous page's NextPageLink (its url is that link). */
  followsPrevious?: boolean
  /** The url is the API path's request rebuilt for the page (withRebuiltRequestUrls), not recorded in the file. */
  rebuiltUrl?: boolean
}

export const azureSource: PriceSource = {
  name: 'azure',
  description: `Azure Retail Prices API (public, no key; OData filter, NextPageLink paging): ${AZURE_RETAIL_PRICES_DOCS}`,
  defaultBaseUrl: AZURE_RETAIL_PRICES_URL,
  async fetch(context) {
    const { records, location } = await downloadAzurePages(context)
    // --save-responses: the page records, which readFile reads back into exactly these rows.
    if (records.length > 0) await context.saveResponses?.saveText(AZURE_SAVED_FILE, formatAzurePageRecords(records))
    const pages = records.map((record) => ({ url: record.url, fetchedAt: new Date(record.fetchedAt), response: record.response, where: `GET ${record.url}` }))
    return pricesFromPages(pages, context, location)
  },
  async readFile(path, context) {
    return pricesFromPages(withRebuiltRequestUrls(readAzurePageFile(path, context.fetchedAt), context), context, path)
  },
}

/** One query of the API path: its first page's URL, and the region and SKUs its filter names. */
export interface AzureQuery {
  url: string
  region: string
  skus: string[]
}

/** The first-page URL of each query: one per mapped region (and per SKUS_PER_FILTER SKUs). */
export function azureQueryUrls(context: Pick<SourceContext, 'mapping' | 'regions' | 'baseUrl'>): string[] {
  return azureQueries(context).map((query) => query.url)
}

/** The queries the API path makes, in order: one per mapped region (and per SKUS_PER_FILTER SKUs). */
export function azureQueries(context: Pick<SourceContext, 'mapping' | 'regions' | 'baseUrl'>): AzureQuery[] {
  const skus = context.mapping.skus.filter((sku) => sku.provider === 'azure').map((sku) => sku.sku)
  const regions = requestedRegions(context.mapping, context.regions).map((region) => region.region)
  const base = context.baseUrl ?? AZURE_RETAIL_PRICES_URL
  const queries: AzureQuery[] = []
  for (const region of regions) {
    for (let start = 0; start < skus.length; start += SKUS_PER_FILTER) {
      const chunk = skus.slice(start, start + SKUS_PER_FILTER)
      const names = chunk.map((sku) => `armSkuName eq ${odataString(sku)}`)
      const filter = `serviceName eq 'Virtual Machines' and armRegionName eq ${odataString(region)} and (${names.join(' or ')})`
      queries.push({ url: new URL(`${base}${base.includes('?') ? '&' : '?'}currencyCode=${odataString(AZURE_CURRENCY)}&$filter=${encodeURIComponent(filter)}`).href, region, skus: chunk })
    }
  }
  return queries
}

/**
 * Hand-saved pages whose request URL the file does not record (a first page): the URL of the one
 * query of the API path that returns such pages: the query for the region every item of the page
 * and of the pages that follow it (by NextPageLink) names, whose filter names every item's
 * armSkuName, with the serviceName and currency it asks. Those pages, saved from that very
 * request (the README's curl commands), then give exactly the API path's rows. Pages that match no
 * query, or several, keep no URL: their rows cite the endpoint and say so.
 */
export function withRebuiltRequestUrls(pages: readonly SourcedPage[], context: Pick<SourceContext, 'mapping' | 'baseUrl'>): SourcedPage[] {
  const queries = azureQueries({ mapping: context.mapping, ...(context.baseUrl !== undefined ? { baseUrl: context.baseUrl } : {}) })
  return pages.map((page, index) => {
    if (page.url !== undefined) return page
    const chain = [page]
    for (let next = index + 1; next < pages.length && pages[next]?.followsPrevious; next++) chain.push(pages[next] as SourcedPage)
    const items = chain.flatMap((entry) => (isObject(entry.response) && Array.isArray(entry.response.Items) ? entry.response.Items : []))
    const field = (item: unknown, name: string): unknown => (isObject(item) ? item[name] : undefined)
    const regions = new Set(items.map((item) => field(item, 'armRegionName')))
    const fits = (query: AzureQuery): boolean =>
      items.length > 0 &&
      regions.size === 1 &&
      regions.has(query.region) &&
      items.every((item) => query.skus.includes(field(item, 'armSkuName') as string) && field(item, 'serviceName') === 'Virtual Machines' && field(item, 'currencyCode') === AZURE_CURRENCY)
    const matching = queries.filter(fits)
    return matching.length === 1 ? { ...page, url: (matching[0] as AzureQuery).url, rebuiltUrl: true } : page
  })
}

/**
 * Fetches every page of every query (azureQueryUrls), checking each page's shape as it comes, and
 * returns them as page records (what `formatAzurePageRecords` saves for a later `readFile`).
 */
export async function downloadAzurePages(context: SourceContext): Promise<{ records: AzurePageRecord[]; location: string }> {
  const urls = azureQueryUrls(context)
  const base = context.baseUrl ?? AZURE_RETAIL_PRICES_URL
  const records: AzurePageRecord[] = []
  if (urls.length === 0) context.log('azure: no mapped SKU in a requested region: nothing to fetch')
  for (const first of urls) {
    const seen = new Set<string>()
    let url: string | undefined = first
    while (url !== undefined) {
      if (seen.size >= MAX_PAGES_PER_QUERY) throw new UserError(`GET ${first}: more than ${MAX_PAGES_PER_QUERY} pages; map fewer SKUs per region or narrow the filter`)
      seen.add(url)
      const response = await context.http.getJson(url)
      const page = parsePage(response, `GET ${url}`)
      records.push({ url, fetchedAt: context.fetchedAt.toISOString(), response })
      context.log(`azure: ${page.Items.length} items from ${url}`)
      url = nextPageUrl(page.NextPageLink, url, base, seen)
    }
  }
  return { records, location: urls[0] ?? base }
}

/** Page records as JSON lines, one page a line: the file `readFile` reads back into the same rows. */
export function formatAzurePageRecords(records: readonly AzurePageRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + (records.length > 0 ? '\n' : '')
}

function requestedRegions(mapping: PriceMappingFile, regions: readonly string[] | undefined): RegionMapping[] {
  const mapped = mapping.regions.filter((region) => region.provider === 'azure')
  return regions === undefined ? mapped : mapped.filter((region) => regions.includes(region.region))
}

/** An OData string literal: quoted, a quote inside doubled. */
function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

function nextPageUrl(link: string | null | undefined, current: string, base: string, seen: ReadonlySet<string>): string | undefined {
  if (link === null || link === undefined || link === '') return undefined
  let next: URL
  try {
    next = new URL(link)
  } catch {
    throw new UserError(`GET ${current}: NextPageLink: must be a URL (got ${JSON.stringify(link.slice(0, 80))})`)
  }
  if (next.origin !== new URL(base).origin) throw new UserError(`GET ${current}: NextPageLink: points to ${next.origin}, not the API's ${new URL(base).origin}; refusing to follow it`)
  if (seen.has(next.href)) throw new UserError(`GET ${current}: NextPageLink: repeats a page already read (${next.href}); the paging loops`)
  return next.href
}

function parsePage(response: unknown, where: string): z.infer<typeof azurePricePageSchema> {
  const page = azurePricePageSchema.safeParse(response)
  if (!page.success) throw new UserError(describeZodIssues(where, page.error.issues))
  return page.data
}

/** The pages of a saved file (see the module's comment for the formats accepted). */
export function readAzurePageFile(path: string, refreshTime: Date): SourcedPage[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UserError(`${path}: cannot read the Azure price file (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  const entries = parseJsonOrJsonLines(text, path)
  if (entries.length === 0) throw new UserError(`${path}: no pages: expected Azure Retail Prices pages {Items, NextPageLink} or geopat's saved pages {url, fetchedAt, response}`)
  const pages: SourcedPage[] = []
  let previousLink: string | undefined
  entries.forEach((entry, index) => {
    const where = `${path}: page ${index + 1}`
    if (isObject(entry) && 'response' in entry) {
      const record = azurePageRecordSchema.safeParse(entry)
      if (!record.success) throw new UserError(describeZodIssues(where, record.error.issues))
      const page = parsePage(record.data.response, `${where} (${record.data.url})`)
      pages.push({ url: new URL(record.data.url).href, fetchedAt: new Date(record.data.fetchedAt), response: record.data.response, where: `${where} (${record.data.url})` })
      previousLink = savedNextLink(page.NextPageLink, where)
    } else if (isObject(entry) && 'Items' in entry) {
      const page = parsePage(entry, where)
      pages.push({ ...(previousLink ? { url: previousLink, followsPrevious: true } : {}), fetchedAt: refreshTime, response: entry, where })
      previousLink = savedNextLink(page.NextPageLink, where)
    } else {
      throw new UserError(`${where}: neither an Azure Retail Prices page {Items, NextPageLink, Count} nor a saved page {url, fetchedAt, response}`)
    }
  })
  return pages
}

/** A saved page's NextPageLink: the request URL of the page saved after it (an http(s) URL), if any. */
function savedNextLink(link: string | null | undefined, where: string): string | undefined {
  if (link === null || link === undefined || link === '') return undefined
  const url = URL.canParse(link) ? new URL(link) : undefined
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new UserError(`${where}: NextPageLink: must be an http(s) URL or null (got ${JSON.stringify(link.slice(0, 80))})`)
  return url.href
}

function parseJsonOrJsonLines(text: string, path: string): unknown[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  try {
    const whole = JSON.parse(trimmed) as unknown
    return Array.isArray(whole) ? whole : [whole]
  } catch {
    // not one JSON document: JSON lines, one page a line
  }
  const entries: unknown[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    try {
      entries.push(JSON.parse(line))
    } catch {
      throw new UserError(`${path}: line ${index + 1}: not JSON (an Azure price file is JSON, or JSON lines with one page a line)`)
    }
  })
  return entries
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

type DatedItem = PricedItem & { fetchedAt: Date }

interface Candidate {
  item: DatedItem
  primary: boolean
}

/** Rows and unmapped items from pages (the API's or a file's): one parser for both paths. */
export function pricesFromPages(pages: readonly SourcedPage[], context: SourceContext, location: string): SourceResult {
  const candidates = new Map<string, Candidate[]>()
  const unmapped = new Map<string, UnmappedItem>()
  const skipped = { windows: 0, devTest: 0, notRequested: 0 }
  const addUnmapped = (entry: UnmappedItem): void => {
    unmapped.set(`${entry.sku}|${entry.region ?? ''}|${entry.reason}`, entry)
  }
  for (const page of pages) {
    const { Items } = parsePage(page.response, page.where)
    Items.forEach((raw, index) => {
      const parsed = azurePriceItemSchema.safeParse(raw)
      if (!parsed.success) throw new UserError(describeZodIssues(page.where, parsed.error.issues.map((issue) => ({ ...issue, path: ['Items', index, ...issue.path] }))))
      const item = parsed.data
      const outcome = mapItem(item, page, context.mapping)
      if (outcome.kind === 'row') {
        if (context.regions !== undefined && !context.regions.includes(outcome.item.region.region)) {
          skipped.notRequested += 1
          return
        }
        const id = rowKey(outcome.item)
        candidates.set(id, [...(candidates.get(id) ?? []), { item: outcome.item, primary: item.isPrimaryMeterRegion !== false }])
      } else if (outcome.kind === 'unmapped') {
        addUnmapped({ sku: item.armSkuName || item.skuName, region: item.armRegionName, reason: outcome.reason })
      } else {
        skipped[outcome.why] += 1
      }
    })
  }
  const rows: CatalogRow[] = []
  for (const list of candidates.values()) {
    const primary = list.filter((candidate) => candidate.primary)
    const chosen = primary.length > 0 ? primary : list
    const prices = new Set(chosen.map((candidate) => candidate.item.pricePerInstanceHour))
    const first = chosen[0] as Candidate
    if (prices.size > 1) {
      addUnmapped({
        sku: first.item.sku.sku,
        region: first.item.region.region,
        reason: `${chosen.length} meters price the ${first.item.term} offer differently (${chosen.map((candidate) => `${candidate.item.providerSkuId}: ${candidate.item.pricePerInstanceHour}`).join(', ')}); none is chosen`,
      })
      continue
    }
    rows.push(mappedRow(first.item, context.mapping, first.item.fetchedAt))
  }
  rows.sort((a, b) => a.id.localeCompare(b.id))
  if (skipped.windows + skipped.devTest + skipped.notRequested > 0) {
    context.log(`azure: skipped ${skipped.windows} Windows meters, ${skipped.devTest} DevTestConsumption meters, ${skipped.notRequested} items outside the requested regions`)
  }
  return { rows, unmapped: [...unmapped.values()], location }
}

type Outcome = { kind: 'row'; item: DatedItem } | { kind: 'unmapped'; reason: string } | { kind: 'skipped'; why: 'windows' | 'devTest' }

function rowKey(item: PricedItem): string {
  return `${item.sku.sku}|${item.region.region}|${item.term}`
}

/** One item: a priced item of the mapping, a reason it is not one, or a meter the catalog leaves out. */
function mapItem(item: AzurePriceItem, page: SourcedPage, mapping: PriceMappingFile): Outcome {
  if (item.type === 'DevTestConsumption') return { kind: 'skipped', why: 'devTest' }
  if (/\bWindows\b/i.test(item.productName)) return { kind: 'skipped', why: 'windows' }
  const sku = findSku(mapping, 'azure', item.armSkuName)
  if (!sku) return { kind: 'unmapped', reason: 'armSkuName is not in the mapping table (data/price-sources/azure.yaml skus)' }
  const region = findRegion(mapping, 'azure', item.armRegionName)
  if (!region) return { kind: 'unmapped', reason: 'armRegionName is not in the mapping table (data/price-sources/azure.yaml regions)' }
  if (item.serviceName !== 'Virtual Machines') return { kind: 'unmapped', reason: `serviceName "${item.serviceName}" is not Virtual Machines` }
  if (!item.productName.startsWith('Virtual Machines ')) return { kind: 'unmapped', reason: `productName "${item.productName}" is not a Linux virtual machine meter` }
  if (item.unitOfMeasure !== '1 Hour') return { kind: 'unmapped', reason: `unitOfMeasure "${item.unitOfMeasure}" is not "1 Hour"` }
  if (/Low Priority/i.test(item.meterName) || /Low Priority/i.test(item.skuName)) return { kind: 'unmapped', reason: `Low Priority meter "${item.meterName}": no catalog pricing model (not spot, not on-demand)` }
  const effectiveDate = item.effectiveStartDate.slice(0, 10)
  const fetchDay = page.fetchedAt.toISOString().slice(0, 10)
  if (effectiveDate > fetchDay) return { kind: 'unmapped', reason: `meter "${item.meterName}" (${item.type}) takes effect on ${effectiveDate}, after the fetch (${fetchDay}): not in force yet` }
  if (item.retailPrice === 0) return { kind: 'unmapped', reason: `meter "${item.meterName}" (${item.type}) has retailPrice 0: not a price` }

  let term: Term
  let pricePerInstanceHour = item.retailPrice
  let conversion: string | undefined
  if (item.type === 'Consumption') {
    term = /\bSpot\b/i.test(item.meterName) || /\bSpot\b/i.test(item.skuName) ? 'spot' : 'on-demand'
  } else if (item.type === 'Reservation') {
    const reservation = item.reservationTerm === undefined ? undefined : RESERVATION_YEARS[item.reservationTerm]
    if (!reservation) return { kind: 'unmapped', reason: `reservationTerm "${item.reservationTerm ?? '(none)'}" is not 1 Year or 3 Years` }
    term = reservation.term
    const hours = reservation.years * RESERVATION_HOURS_PER_YEAR
    pricePerInstanceHour = item.retailPrice / hours
    conversion = `Azure quotes a reservation for its whole term: ${item.retailPrice} ${item.currencyCode} for ${item.reservationTerm} / ${hours} hours (${reservation.years} × 8,760: 12 months of 730 hours) = ${pricePerInstanceHour} ${item.currencyCode} per VM-hour.`
  } else {
    return { kind: 'unmapped', reason: `price type "${item.type}" is not Consumption or Reservation` }
  }
  if (page.url === undefined) {
    conversion = `${conversion ? `${conversion} ` : ''}sourceUrl is the API's endpoint: the saved page did not record its request URL, and no one request of the refresh (one region, the mapped SKUs) returns it.`
  }
  return {
    kind: 'row',
    item: {
      provider: 'azure',
      sku,
      region,
      term,
      pricePerInstanceHour,
      currency: item.currencyCode,
      effectiveDate,
      sourceUrl: page.url ?? AZURE_RETAIL_PRICES_URL,
      providerSkuId: item.skuId ? `${item.skuId}/${item.meterId}` : item.meterId,
      providerDescription: `${item.productName}, ${item.meterName}${item.type === 'Reservation' ? `, ${item.reservationTerm} reservation` : ''} (${item.armRegionName})`,
      ...(conversion ? { conversion } : {}),
      fetchedAt: page.fetchedAt,
    },
  }
}
