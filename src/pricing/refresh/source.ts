import type { CatalogRow, FxRateRow } from '../../io/schema/catalog.js'
import type { PriceMappingFile, PriceProvider, RegionMapping, SkuMapping } from '../../io/schema/price-mapping.js'
import type { Readable } from 'node:stream'
import type { HttpClient } from './http.js'

/**
 * One price source of `geopat catalog refresh` (Azure Retail Prices, AWS Price List bulk files,
 * Google Cloud Billing Catalog, ECB reference rates). A source reads its provider's documented
 * format, either over HTTP or from a file downloaded elsewhere (air-gapped sites), and returns
 * catalog rows built by `mappedRow` from the mapping table, or FX rates, plus the priced items it
 * could not map. The same parser serves both paths, so `--from-file` gives the rows the API gives.
 * A source throws (one line) when anything it read is malformed: the refresh then keeps none of its
 * rows, never half of them.
 */
export type SourceName = PriceProvider | 'ecb'

export interface SourceContext {
  http: HttpClient
  mapping: PriceMappingFile
  /** The moment of the refresh: every row's fetchedAt. */
  fetchedAt: Date
  /** Base URL of the source's API in place of the provider's (tests point it at 127.0.0.1). */
  baseUrl?: string
  /** Provider regions to fetch (ids as the mapping names them); absent: every mapped region. */
  regions?: string[]
  /** Environment (API keys are read from it by name, never from flags or files). */
  env: NodeJS.ProcessEnv
  /** Progress lines (a page fetched, a file read). */
  log(line: string): void
  /**
   * With `--save-responses DIR`: where the source saves what it downloads, in the very form its
   * `readFile` reads, so that the saved files give the API path's rows on an air-gapped machine.
   * Absent: nothing is saved. The refresh keeps a source's saved files only when the source
   * succeeds (they are written under temporary names and renamed then).
   */
  saveResponses?: ResponseSaver
}

/** Saves a source's downloads for `--from-file` (src/pricing/refresh/saved-responses.ts implements it). */
export interface ResponseSaver {
  /**
   * Saves a response whole under `name`, a relative path (`azure.jsonl`): one `--from-file
   * SOURCE=<name>` argument. Refused (throws) if it carries a secret of the source.
   */
  saveText(name: string, text: string): Promise<void>
  /**
   * A large response (AWS's offer files) saved chunk by chunk as its reader reads it, never held
   * whole: the returned stream is `body`'s bytes, to be read to its end; the file is complete when
   * the returned stream ends.
   */
  saveStream(name: string, body: Readable): Readable
}

export interface UnmappedItem {
  sku: string
  region?: string
  reason: string
}

export interface SourceResult {
  rows: CatalogRow[]
  fxRates?: FxRateRow[]
  unmapped: UnmappedItem[]
  /** The first request's URL (or the file read): where a reader starts to check the rows. */
  location: string
}

export interface PriceSource {
  name: SourceName
  /** One line: the provider's API and its documentation page. */
  description: string
  /** The provider's API base URL (overridable per source for tests and mirrors). */
  defaultBaseUrl: string
  /**
   * Names of the environment variables that hold this source's secrets (an API key). The refresh
   * gives their values to the source's HTTP client as secrets and takes them out of every error
   * line, log line and written field; a row or rate that still carries one fails the source.
   */
  secretEnv?: readonly string[]
  fetch(context: SourceContext): Promise<SourceResult>
  /** A price file in the same format as the API's responses (a saved response, pages, or a bulk file). */
  readFile(path: string, context: SourceContext): Promise<SourceResult>
}

export type Term = CatalogRow['pricingModel']

const TERM_SUFFIX: Record<Term, string> = { 'on-demand': '', '1-yr': '-1yr', '3-yr': '-3yr', spot: '-spot' }

/** The catalog row id of a mapped SKU in a region and term: `<idStem>-<region>[-1yr|-3yr|-spot]` (the built-in rows' rule). */
function catalogRowId(sku: SkuMapping, region: string, term: Term): string {
  return `${sku.idStem}-${region.toLowerCase()}${TERM_SUFFIX[term]}`
}

export interface PricedItem {
  provider: PriceProvider
  sku: SkuMapping
  region: RegionMapping
  term: Term
  /** The provider's price for one instance-hour (the whole VM, all its GPUs). */
  pricePerInstanceHour: number
  currency: string
  /** The provider's effective date of the price (YYYY-MM-DD). */
  effectiveDate: string
  /** The request (or price page) that returned it. */
  sourceUrl: string
  providerSkuId: string
  /** What the provider calls it, quoted in the row's notes (meter name, price description). */
  providerDescription: string
  /** How the price was read or converted (a reservation's term total divided by its hours), if at all. */
  conversion?: string
}

/**
 * A catalog row for a priced item, every field from the item or the mapping table: the price per
 * instance-hour as the provider quotes it (`unit: instance-hour`, `gpuCount` GPUs; an instance of
 * several GPUs is sold whole), the region's country, the parent's country and the SEAL level the
 * mapping gives, basis `price-api`, confidence high (the provider's own price list).
 */
export function mappedRow(item: PricedItem, mapping: PriceMappingFile, fetchedAt: Date): CatalogRow {
  const provider = mapping.providers.find((entry) => entry.provider === item.provider)
  if (!provider) throw new Error(`mapping: no providers entry for ${item.provider}`)
  const home = item.region.country === provider.parent
  const row: CatalogRow = {
    id: catalogRowId(item.sku, item.region.region, item.term),
    provider: provider.catalogName,
    sku: item.sku.sku,
    region: item.region.region,
    jurisdiction: { region: item.region.country, parent: provider.parent },
    kind: 'gpu-rental',
    gpu: item.sku.gpu,
    gpuCount: item.sku.gpuCount,
    unit: 'instance-hour',
    ...(item.sku.gpuCount > 1 ? { soldBy: 'node' as const, gpusPerNode: item.sku.gpuCount } : { soldBy: 'gpu' as const }),
    price: item.pricePerInstanceHour,
    currency: item.currency,
    pricingModel: item.term,
    effectiveDate: item.effectiveDate,
    source: `${provider.catalogName} price list: ${item.providerDescription}`,
    confidence: 'high',
    basis: 'price-api',
    sourceUrl: item.sourceUrl,
    fetchedAt: fetchedAt.toISOString(),
    providerSkuId: item.providerSkuId,
    confidentialComputing: item.sku.confidentialComputing,
    sovereignty: home ? provider.sovereignty.home : provider.sovereignty.abroad,
    ...(provider.egressPerGB !== undefined && item.currency === 'USD' ? { egressPerGB: provider.egressPerGB } : {}),
    ...(item.conversion ? { notes: item.conversion } : {}),
  }
  return row
}

/** The mapping's entry for a provider's SKU name, if any. */
export function findSku(mapping: PriceMappingFile, provider: PriceProvider, sku: string): SkuMapping | undefined {
  return mapping.skus.find((entry) => entry.provider === provider && entry.sku === sku)
}

/** The mapping's entry for a provider's region (by id, or by the display name its price data uses). */
export function findRegion(mapping: PriceMappingFile, provider: PriceProvider, region: string): RegionMapping | undefined {
  return mapping.regions.find((entry) => entry.provider === provider && (entry.region === region || entry.displayName === region))
}
