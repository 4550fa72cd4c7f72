import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { PriceMappingFile, RegionMapping } from '../../io/schema/price-mapping.js'
import { describeZodIssues, UserError } from '../../util/errors.js'
import { AZURE_RETAIL_PRICES_URL, type SourcedPage, parsePage, pricesFromPages } from './azure-items.js'
import type { PriceSource, SourceContext } from './source.js'

export { AZURE_RETAIL_PRICES_URL } from './azure-items.js'

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

const AZURE_RETAIL_PRICES_DOCS = 'https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices'
/** Microsoft prices Azure in USD; the API's other currencies are "for your reference". */
const AZURE_CURRENCY = 'USD'
/** The file name of the saved page records (`--save-responses`). */
const AZURE_SAVED_FILE = 'azure.jsonl'
const SKUS_PER_FILTER = 12
const MAX_PAGES_PER_QUERY = 20
/** geopat's saved page: the request URL, when it was fetched, and the API's answer as it came. */
const azurePageRecordSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL the page was fetched from' }),
    fetchedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    response: z.unknown(),
  })
  .strict()
export type AzurePageRecord = z.infer<typeof azurePageRecordSchema>

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
interface AzureQuery {
  url: string
  region: string
  skus: string[]
}

/** The first-page URL of each query: one per mapped region (and per SKUS_PER_FILTER SKUs). */
export function azureQueryUrls(context: Pick<SourceContext, 'mapping' | 'regions' | 'baseUrl'>): string[] {
  return azureQueries(context).map((query) => query.url)
}

/** The queries the API path makes, in order: one per mapped region (and per SKUS_PER_FILTER SKUs). */
function azureQueries(context: Pick<SourceContext, 'mapping' | 'regions' | 'baseUrl'>): AzureQuery[] {
  const skus = context.mapping.skus.filter((sku) => sku.provider === 'azure').map((sku) => sku.sku)
  const regions = requestedRegions(context.mapping, context.regions).map((region) => region.region)
  const base = context.baseUrl ?? AZURE_RETAIL_PRICES_URL
  const queries: AzureQuery[] = []
  for (const region of regions) {
    for (let start = 0; start < skus.length; start += SKUS_PER_FILTER) {
      const chunk = skus.slice(start, start + SKUS_PER_FILTER)
      const names = chunk.map((sku) => `armSkuName eq ${odataString(sku)}`)
      const filter = `serviceName eq 'Virtual Machines' and armRegionName eq ${odataString(region)} and (${names.join(' or ')})`
      queries.push({
        url: new URL(`${base}${base.includes('?') ? '&' : '?'}currencyCode=${odataString(AZURE_CURRENCY)}&$filter=${encodeURIComponent(filter)}`).href,
        region,
        skus: chunk,
      })
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
function withRebuiltRequestUrls(pages: readonly SourcedPage[], context: Pick<SourceContext, 'mapping' | 'baseUrl'>): SourcedPage[] {
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
      items.every(
        (item) =>
          query.skus.includes(field(item, 'armSkuName') as string) &&
          field(item, 'serviceName') === 'Virtual Machines' &&
          field(item, 'currencyCode') === AZURE_CURRENCY,
      )
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
      if (seen.size >= MAX_PAGES_PER_QUERY)
        throw new UserError(`GET ${first}: more than ${MAX_PAGES_PER_QUERY} pages; map fewer SKUs per region or narrow the filter`)
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
  if (next.origin !== new URL(base).origin)
    throw new UserError(`GET ${current}: NextPageLink: points to ${next.origin}, not the API's ${new URL(base).origin}; refusing to follow it`)
  if (seen.has(next.href)) throw new UserError(`GET ${current}: NextPageLink: repeats a page already read (${next.href}); the paging loops`)
  return next.href
}

/** The pages of a saved file (see the module's comment for the formats accepted). */
function readAzurePageFile(path: string, refreshTime: Date): SourcedPage[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UserError(`${path}: cannot read the Azure price file (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  const entries = parseJsonOrJsonLines(text, path)
  if (entries.length === 0)
    throw new UserError(`${path}: no pages: expected Azure Retail Prices pages {Items, NextPageLink} or geopat's saved pages {url, fetchedAt, response}`)
  const pages: SourcedPage[] = []
  let previousLink: string | undefined
  entries.forEach((entry, index) => {
    const where = `${path}: page ${index + 1}`
    if (isObject(entry) && 'response' in entry) {
      const record = azurePageRecordSchema.safeParse(entry)
      if (!record.success) throw new UserError(describeZodIssues(where, record.error.issues))
      const page = parsePage(record.data.response, `${where} (${record.data.url})`)
      pages.push({
        url: new URL(record.data.url).href,
        fetchedAt: new Date(record.data.fetchedAt),
        response: record.data.response,
        where: `${where} (${record.data.url})`,
      })
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
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new UserError(`${where}: NextPageLink: must be an http(s) URL or null (got ${JSON.stringify(link.slice(0, 80))})`)
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
