import { z } from 'zod'
import type { CatalogRow } from '../../io/schema/catalog.js'
import type { PriceMappingFile } from '../../io/schema/price-mapping.js'
import { describeZodIssues, UserError } from '../../util/errors.js'
import { HOURS_PER_MONTH } from '../unit-cost.js'
import { findRegion, findSku, mappedRow, type PricedItem, type SourceContext, type SourceResult, type Term, type UnmappedItem } from './source.js'

/** Azure Retail Prices pages read as catalog rows: one parser for the API's pages and a saved file's (azure.ts says which meters are kept). */

export const AZURE_RETAIL_PRICES_URL = 'https://prices.azure.com/api/retail/prices'
/** Azure's month of 730 hours (src/pricing/unit-cost.ts), 12 a year: 8,760 hours in a 1-year reservation. */
const RESERVATION_HOURS_PER_YEAR = HOURS_PER_MONTH * 12

const RESERVATION_YEARS: Record<string, { term: Term; years: number }> = {
  '1 Year': { term: '1-yr', years: 1 },
  '3 Years': { term: '3-yr', years: 3 },
}

/** A zod error message: "is required" for a missing field, else what it must be. */
const expected = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) })

/** One price item of the API's `Items`: the fields the refresh reads (others pass through unread). */
const azurePriceItemSchema = z.looseObject({
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
type AzurePriceItem = z.infer<typeof azurePriceItemSchema>

/** One page of the API's answer. */
const azurePricePageSchema = z.looseObject(
  {
    Items: z.array(z.unknown(), expected("an array (the page's price items)")),
    NextPageLink: z.string().nullable().optional(),
    Count: z.number().optional(),
  },
  expected('a Retail Prices page: an object with Items and NextPageLink'),
)

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

export function parsePage(response: unknown, where: string): z.infer<typeof azurePricePageSchema> {
  const page = azurePricePageSchema.safeParse(response)
  if (!page.success) throw new UserError(describeZodIssues(where, page.error.issues))
  return page.data
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
      if (!parsed.success)
        throw new UserError(
          describeZodIssues(
            page.where,
            parsed.error.issues.map((issue) => ({ ...issue, path: ['Items', index, ...issue.path] })),
          ),
        )
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
        reason:
          `${chosen.length} meters price the ${first.item.term} offer differently ` +
          `(${chosen.map((candidate) => `${candidate.item.providerSkuId}: ${candidate.item.pricePerInstanceHour}`).join(', ')}); none is chosen`,
      })
      continue
    }
    rows.push(mappedRow(first.item, context.mapping, first.item.fetchedAt))
  }
  rows.sort((a, b) => a.id.localeCompare(b.id))
  if (skipped.windows + skipped.devTest + skipped.notRequested > 0) {
    context.log(
      `azure: skipped ${skipped.windows} Windows meters, ${skipped.devTest} DevTestConsumption meters, ` +
        `${skipped.notRequested} items outside the requested regions`,
    )
  }
  return { rows, unmapped: [...unmapped.values()], location }
}

type Outcome = { kind: 'row'; item: DatedItem } | { kind: 'unmapped'; reason: string } | { kind: 'skipped'; why: 'windows' | 'devTest' }

function rowKey(item: PricedItem): string {
  return `${item.sku.sku}|${item.region.region}|${item.term}`
}

/** A saved page's rows point at the API's endpoint: which request returned them is not known. */
const SOURCE_URL_OF_SAVED_PAGE =
  "sourceUrl is the API's endpoint: the saved page did not record its request URL, " +
  'and no one request of the refresh (one region, the mapped SKUs) returns it.'

/** One item: a priced item of the mapping, a reason it is not one, or a meter the catalog leaves out. */
function mapItem(item: AzurePriceItem, page: SourcedPage, mapping: PriceMappingFile): Outcome {
  if (item.type === 'DevTestConsumption') return { kind: 'skipped', why: 'devTest' }
  if (/\bWindows\b/i.test(item.productName)) return { kind: 'skipped', why: 'windows' }
  const sku = findSku(mapping, 'azure', item.armSkuName)
  if (!sku) return { kind: 'unmapped', reason: 'armSkuName is not in the mapping table (data/price-sources/azure.yaml skus)' }
  const region = findRegion(mapping, 'azure', item.armRegionName)
  if (!region) return { kind: 'unmapped', reason: 'armRegionName is not in the mapping table (data/price-sources/azure.yaml regions)' }
  const notAPrice = notAnHourlyPrice(item, page)
  if (notAPrice !== undefined) return { kind: 'unmapped', reason: notAPrice }
  const priced = termAndPrice(item)
  if ('unmapped' in priced) return { kind: 'unmapped', reason: priced.unmapped }
  const { term, pricePerInstanceHour } = priced
  let conversion = priced.conversion
  if (page.url === undefined) {
    conversion = `${conversion ? `${conversion} ` : ''}${SOURCE_URL_OF_SAVED_PAGE}`
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
      effectiveDate: item.effectiveStartDate.slice(0, 10),
      sourceUrl: page.url ?? AZURE_RETAIL_PRICES_URL,
      providerSkuId: item.skuId ? `${item.skuId}/${item.meterId}` : item.meterId,
      providerDescription:
        `${item.productName}, ${item.meterName}${item.type === 'Reservation' ? `, ${item.reservationTerm} reservation` : ''} ` + `(${item.armRegionName})`,
      ...(conversion ? { conversion } : {}),
      fetchedAt: page.fetchedAt,
    },
  }
}

/** Why a mapped item is not an hourly Linux VM price in force at the fetch (undefined when it is one). */
function notAnHourlyPrice(item: AzurePriceItem, page: SourcedPage): string | undefined {
  if (item.serviceName !== 'Virtual Machines') return `serviceName "${item.serviceName}" is not Virtual Machines`
  if (!item.productName.startsWith('Virtual Machines ')) return `productName "${item.productName}" is not a Linux virtual machine meter`
  if (item.unitOfMeasure !== '1 Hour') return `unitOfMeasure "${item.unitOfMeasure}" is not "1 Hour"`
  if (/Low Priority/i.test(item.meterName) || /Low Priority/i.test(item.skuName))
    return `Low Priority meter "${item.meterName}": no catalog pricing model (not spot, not on-demand)`
  const effectiveDate = item.effectiveStartDate.slice(0, 10)
  const fetchDay = page.fetchedAt.toISOString().slice(0, 10)
  if (effectiveDate > fetchDay)
    return `meter "${item.meterName}" (${item.type}) takes effect on ${effectiveDate}, after the fetch (${fetchDay}): not in force yet`
  if (item.retailPrice === 0) return `meter "${item.meterName}" (${item.type}) has retailPrice 0: not a price`
  return undefined
}

/** The item's term and price per VM-hour: consumption (on-demand or spot) as quoted, a reservation's term price spread over its hours. */
function termAndPrice(item: AzurePriceItem): { term: Term; pricePerInstanceHour: number; conversion?: string } | { unmapped: string } {
  if (item.type === 'Consumption') {
    return { term: /\bSpot\b/i.test(item.meterName) || /\bSpot\b/i.test(item.skuName) ? 'spot' : 'on-demand', pricePerInstanceHour: item.retailPrice }
  }
  if (item.type !== 'Reservation') return { unmapped: `price type "${item.type}" is not Consumption or Reservation` }
  const reservation = item.reservationTerm === undefined ? undefined : RESERVATION_YEARS[item.reservationTerm]
  if (!reservation) return { unmapped: `reservationTerm "${item.reservationTerm ?? '(none)'}" is not 1 Year or 3 Years` }
  const hours = reservation.years * RESERVATION_HOURS_PER_YEAR
  const pricePerInstanceHour = item.retailPrice / hours
  return {
    term: reservation.term,
    pricePerInstanceHour,
    conversion:
      `Azure quotes a reservation for its whole term: ${item.retailPrice} ${item.currencyCode} for ${item.reservationTerm} / ${hours} hours ` +
      `(${reservation.years} × 8,760: 12 months of 730 hours) = ${pricePerInstanceHour} ${item.currencyCode} per VM-hour.`,
  }
}
