import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { CatalogRow } from '../../io/schema/catalog.js'
import type { RegionMapping, SkuComponent, SkuMapping } from '../../io/schema/price-mapping.js'
import { describeZodIssues } from '../../util/errors.js'
import { type PriceSource, type PricedItem, type SourceContext, type SourceResult, type Term, type UnmappedItem, mappedRow } from './source.js'

/**
 * Google Cloud's Cloud Billing Catalog API (services.skus.list,
 * https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list): every public SKU of
 * Compute Engine (service 6F81-5844-456A) with its price, page by page through nextPageToken. The API
 * needs an API key: read from the environment variable GEOPAT_GCP_API_KEY and sent as the
 * X-goog-api-key header only, never in a URL, so it reaches no row, log line or error line.
 *
 * GCP prices an accelerator-optimized VM (a3-highgpu-8g) as its parts: the GPUs, the vCPUs and the
 * memory are SKUs of their own (https://cloud.google.com/compute/docs/accelerator-optimized-machines,
 * "Pricing"). The mapping table (data/price-sources/gcp.yaml) gives, per machine type, each part's
 * quantity, usage unit and the description pattern of its SKU per term; a SKU is taken for a region
 * when its serviceRegions name that region and its usageType is the term's (OnDemand, Preemptible =
 * Spot, Commit1Yr, Commit3Yr). The instance-hour price is Σ (part's unit price × quantity), spelled
 * out in the row's notes. A machine type whose parts are not all found exactly once, in the unit the
 * mapping expects, with one flat (untiered) price, is listed as unmapped with the reason, never guessed.
 */
export const GCP_API_KEY_VARIABLE = 'GEOPAT_GCP_API_KEY'
/** Compute Engine's service id in the Cloud Billing Catalog (services.list: displayName "Compute Engine"). */
const COMPUTE_ENGINE_SERVICE_ID = '6F81-5844-456A'
const DEFAULT_BASE_URL = 'https://cloudbilling.googleapis.com'
const DOCUMENTATION = 'https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list'
const CURRENCY = 'USD'
/** The API's largest and default page (ListSkusRequest.page_size: "Defaults to 5000"). */
const PAGE_SIZE = 5000
/** Compute Engine lists a few thousand SKUs: a bound on the paging loop, far above that. */
const MAX_PAGES = 200

const USAGE_TYPE: Record<Term, string> = { 'on-demand': 'OnDemand', spot: 'Preemptible', '1-yr': 'Commit1Yr', '3-yr': 'Commit3Yr' }
const TERMS: Term[] = ['on-demand', 'spot', '1-yr', '3-yr']

// The documented response (ListSkusResponse, Sku, Category, PricingInfo, PricingExpression, TierRate,
// google.type.Money): fields the refresh reads are required, others pass through unread.
const moneySchema = z.object({
  currencyCode: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter currency code'),
  // int64 is written as a JSON string by the API; a number is accepted too.
  units: z.union([z.string().regex(/^-?\d+$/, 'must be a whole number'), z.number().int()]).optional(),
  nanos: z.number().int().min(-999_999_999).max(999_999_999).optional(),
})
const skuSchema = z.object({
  name: z.string().optional(),
  skuId: z.string().min(1),
  description: z.string(),
  category: z.object({
    resourceFamily: z.string().optional(),
    resourceGroup: z.string().optional(),
    usageType: z.string(),
  }),
  serviceRegions: z.array(z.string()).default([]),
  pricingInfo: z
    .array(
      z.object({
        effectiveTime: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp' }),
        pricingExpression: z.object({
          usageUnit: z.string(),
          baseUnit: z.string().optional(),
          tieredRates: z.array(z.object({ startUsageAmount: z.number().nonnegative().optional(), unitPrice: moneySchema })),
        }),
      }),
    )
    .min(1, 'must hold at least one price'),
})
const pageSchema = z.object({
  skus: z.array(skuSchema).default([]),
  nextPageToken: z.string().optional(),
})
type Sku = z.infer<typeof skuSchema>
type Page = z.infer<typeof pageSchema>

/** A SKU and the request (page) that returned it. */
interface ListedSku {
  sku: Sku
  pageUrl: string
}

/** The file name of the saved pages (`--save-responses`): a JSON array of services.skus.list pages. */
export const SAVED_FILE = 'gcp.json'

const baseOf = (context: SourceContext): string => (context.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')

/** The request URL of a page: no key in it (the key goes in a header). */
export function skusPageUrl(base: string, pageToken?: string): string {
  const query = new URLSearchParams({ currencyCode: CURRENCY, pageSize: String(PAGE_SIZE) })
  if (pageToken) query.set('pageToken', pageToken)
  return `${base}/v1/services/${COMPUTE_ENGINE_SERVICE_ID}/skus?${query.toString()}`
}

export const gcpSource: PriceSource = {
  name: 'gcp',
  description: `Google Cloud Billing Catalog API, Compute Engine SKUs (${DOCUMENTATION}); API key from ${GCP_API_KEY_VARIABLE}`,
  secretEnv: [GCP_API_KEY_VARIABLE],
  defaultBaseUrl: DEFAULT_BASE_URL,

  async fetch(context) {
    const key = context.env[GCP_API_KEY_VARIABLE]?.trim()
    if (!key) throw new Error(`gcp: set ${GCP_API_KEY_VARIABLE} to a Google Cloud API key (Cloud Billing API enabled) to read the Cloud Billing Catalog`)
    const base = baseOf(context)
    const listed: ListedSku[] = []
    /** The pages as the API gave them: what --save-responses saves (gcp.json, the array readFile reads). */
    const bodies: unknown[] = []
    const tokens = new Set<string>()
    let token: string | undefined
    for (let pageNumber = 1; ; pageNumber++) {
      if (pageNumber > MAX_PAGES)
        throw new Error(`gcp: more than ${MAX_PAGES} pages from ${skusPageUrl(base)}: stopped (the API's nextPageToken never ran out)`)
      const url = skusPageUrl(base, token)
      // The client takes the key header's value out of any error line it writes.
      const body = await context.http.getJson(url, { 'X-goog-api-key': key })
      const page = parsePage(body, url)
      bodies.push(body)
      context.log(`gcp: page ${pageNumber}, ${page.skus.length} SKUs: ${url}`)
      for (const sku of page.skus) listed.push({ sku, pageUrl: url })
      token = page.nextPageToken || undefined
      if (!token) break
      if (tokens.has(token)) throw new Error(`gcp: ${url}: nextPageToken repeats an earlier page's: stopped`)
      tokens.add(token)
    }
    // The key is a header, never in a URL or a body: the saver refuses a file that would carry it.
    await context.saveResponses?.saveText(SAVED_FILE, `${JSON.stringify(bodies)}\n`)
    return priceSkus(listed, skusPageUrl(base), context)
  },

  async readFile(path, context) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      throw new Error(`${path}: cannot read the GCP price file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new Error(`${path}: not JSON (a saved services.skus.list response {skus, nextPageToken} or a JSON array of them)`)
    }
    const pages = Array.isArray(body) ? body : [body]
    if (pages.length === 0) throw new Error(`${path}: an empty array: no services.skus.list page in it`)
    context.log(`gcp: read ${path}, ${pages.length} page(s)`)
    // Each saved page gets the URL of the request that returns it: the first page's, then each next
    // one with the previous page's nextPageToken, so that the rows equal the API path's.
    const base = baseOf(context)
    const listed: ListedSku[] = []
    let token: string | undefined
    pages.forEach((raw: unknown, index) => {
      const page = parsePage(raw, pages.length > 1 ? `${path}: page ${index + 1}` : path)
      const url = skusPageUrl(base, token)
      for (const sku of page.skus) listed.push({ sku, pageUrl: url })
      token = page.nextPageToken || undefined
    })
    const result = await priceSkus(listed, skusPageUrl(base), context)
    return { ...result, location: path }
  },
}

function parsePage(body: unknown, where: string): Page {
  const parsed = pageSchema.safeParse(body)
  if (!parsed.success) throw new Error(describeZodIssues(`gcp: ${where}`, parsed.error.issues))
  return parsed.data
}

/** The SKU's latest price (pricingInfo is chronological). */
function latestPrice(sku: Sku): Sku['pricingInfo'][number] {
  return sku.pricingInfo[sku.pricingInfo.length - 1] as Sku['pricingInfo'][number]
}

/** google.type.Money as a number: units + nanos / 10^9. */
function moneyValue(money: { units?: string | number | undefined; nanos?: number | undefined }): number {
  return Number(money.units ?? 0) + (money.nanos ?? 0) / 1e9
}

interface PricedComponent {
  component: SkuComponent
  listed: ListedSku
  unitPrice: number
  currency: string
  effectiveDate: string
}

/** Every mapped machine type × mapped region × term its parts have patterns for, priced from the listed SKUs. */
async function priceSkus(listed: ListedSku[], location: string, context: SourceContext): Promise<SourceResult> {
  const machines = context.mapping.skus.filter((sku) => sku.provider === 'gcp')
  const regions = context.mapping.regions.filter((region) => region.provider === 'gcp' && (!context.regions || context.regions.includes(region.region)))
  const rows: CatalogRow[] = []
  const unmapped: UnmappedItem[] = []
  const used = new Set<Sku>()
  for (const machine of machines) {
    if (!machine.components) {
      unmapped.push({ sku: machine.sku, reason: 'the mapping gives no components (GCP prices a machine type as its GPU, vCPU and memory SKUs): add them' })
      continue
    }
    const patterns = machine.components.map((component) => compilePatterns(component))
    for (const region of regions) {
      for (const term of TERMS) {
        const priced = priceOffer({ machine, patterns, region, term }, listed, used)
        if (priced === undefined) continue
        if ('reason' in priced) unmapped.push({ sku: machine.sku, region: region.region, reason: `${term}: ${priced.reason}` })
        else rows.push(mappedRow(pricedItem(machine, region, term, priced.parts), context.mapping, context.fetchedAt))
      }
    }
  }
  unmapped.push(...unusedGpuSkus(listed, used, regions))
  context.log(`gcp: ${rows.length} rows, ${unmapped.length} unmapped`)
  return { rows, unmapped, location }
}

/**
 * One machine type in one region on one term: its parts priced from the SKUs their patterns match
 * (each matched SKU marked `used`); undefined when a part has no pattern for the term or no part is
 * offered at all (the machine type is not sold there on that term).
 */
function priceOffer(
  offer: { machine: SkuMapping; patterns: Array<Partial<Record<Term, RegExp>>>; region: RegionMapping; term: Term },
  listed: readonly ListedSku[],
  used: Set<Sku>,
): { parts: PricedComponent[] } | { reason: string } | undefined {
  const { machine, patterns, region, term } = offer
  if (patterns.some((pattern) => !pattern[term])) return undefined
  const candidates = patterns.map((pattern) =>
    listed.filter(
      ({ sku }) => sku.category.usageType === USAGE_TYPE[term] && sku.serviceRegions.includes(region.region) && (pattern[term] as RegExp).test(sku.description),
    ),
  )
  for (const { sku } of candidates.flat()) used.add(sku)
  if (candidates.every((found) => found.length === 0)) return undefined
  return priceComponents(machine, region, term, candidates)
}

/** GPU SKUs of a mapped region that no mapped machine type uses: listed, so that a missing machine type shows. */
function unusedGpuSkus(listed: readonly ListedSku[], used: ReadonlySet<Sku>, regions: readonly RegionMapping[]): UnmappedItem[] {
  const regionIds = new Set(regions.map((region) => region.region))
  const unmapped: UnmappedItem[] = []
  for (const { sku } of listed) {
    if (used.has(sku) || sku.category.resourceGroup !== 'GPU' || !TERMS.some((term) => USAGE_TYPE[term] === sku.category.usageType)) continue
    for (const region of sku.serviceRegions.filter((id) => regionIds.has(id))) {
      unmapped.push({
        sku: `${sku.skuId} ${sku.description}`,
        region,
        reason: 'no machine type in the mapping table (data/price-sources/gcp.yaml) uses this GPU SKU',
      })
    }
  }
  return unmapped
}

function compilePatterns(component: SkuComponent): Partial<Record<Term, RegExp>> {
  const compiled: Partial<Record<Term, RegExp>> = {}
  for (const term of TERMS) {
    const pattern = component.descriptions[term]
    if (pattern) compiled[term] = new RegExp(pattern)
  }
  return compiled
}

function priceComponents(machine: SkuMapping, region: RegionMapping, term: Term, candidates: ListedSku[][]): { parts: PricedComponent[] } | { reason: string } {
  const parts: PricedComponent[] = []
  const components = machine.components ?? []
  for (const [index, component] of components.entries()) {
    const found = candidates[index] ?? []
    if (found.length === 0)
      return { reason: `no ${USAGE_TYPE[term]} SKU in ${region.region} matches the ${component.part} part (/${component.descriptions[term]}/)` }
    if (found.length > 1)
      return { reason: `${found.length} SKUs match the ${component.part} part (${found.map(({ sku }) => sku.skuId).join(', ')}): the pattern must match one` }
    const entry = found[0] as ListedSku
    const price = latestPrice(entry.sku)
    const expression = price.pricingExpression
    if (expression.usageUnit !== component.usageUnit)
      return { reason: `SKU ${entry.sku.skuId} (${component.part}) is priced per ${expression.usageUnit}, the mapping counts ${component.usageUnit}` }
    const tiers = expression.tieredRates
    if (tiers.length !== 1 || (tiers[0]?.startUsageAmount ?? 0) !== 0)
      return { reason: `SKU ${entry.sku.skuId} (${component.part}) has ${tiers.length} price tiers: no single unit price` }
    const unitPrice = moneyValue((tiers[0] as (typeof tiers)[number]).unitPrice)
    if (!(unitPrice > 0)) return { reason: `SKU ${entry.sku.skuId} (${component.part}) has unit price ${unitPrice}: not a price` }
    parts.push({
      component,
      listed: entry,
      unitPrice,
      currency: (tiers[0] as (typeof tiers)[number]).unitPrice.currencyCode,
      effectiveDate: price.effectiveTime.slice(0, 10),
    })
  }
  const currencies = new Set(parts.map((part) => part.currency))
  if (currencies.size !== 1) return { reason: `the parts are priced in different currencies (${[...currencies].join(', ')})` }
  return { parts }
}

function pricedItem(machine: SkuMapping, region: RegionMapping, term: Term, parts: PricedComponent[]): PricedItem {
  const total = Number(parts.reduce((sum, part) => sum + part.unitPrice * part.component.quantity, 0).toFixed(9))
  const currency = (parts[0] as PricedComponent).currency
  const terms = parts.map(
    (part) =>
      `${part.component.quantity} × ${part.unitPrice} ${currency} per ${part.component.usageUnit} (${part.component.part}: SKU ${part.listed.sku.skuId} ` +
      `"${part.listed.sku.description}")`,
  )
  const pages = [...new Set(parts.map((part) => part.listed.pageUrl))]
  const pagesNote = pages.length > 1 ? ` The parts are on ${pages.length} pages of the listing: ${pages.join(' ; ')}.` : ''
  return {
    provider: 'gcp',
    sku: machine,
    region,
    term,
    pricePerInstanceHour: total,
    currency,
    // The sum holds from the day its last-changed part took its price.
    effectiveDate: parts
      .map((part) => part.effectiveDate)
      .sort()
      .at(-1) as string,
    // The page of the first part (the GPUs); the notes name every part's SKU.
    sourceUrl: (parts[0] as PricedComponent).listed.pageUrl,
    providerSkuId: parts.map((part) => part.listed.sku.skuId).join('+'),
    providerDescription:
      `${machine.sku} in ${region.region} (${USAGE_TYPE[term]}), priced as its parts: ` +
      `${parts.map((part) => `${part.component.quantity} × ${part.listed.sku.description}`).join(' + ')}`,
    conversion:
      `GCP prices ${machine.sku} as its parts; price per instance-hour = ${terms.join(' + ')} = ${total} ` +
      `${currency}.${pagesNote}${machine.note ? ` ${machine.note}` : ''}`,
  }
}
