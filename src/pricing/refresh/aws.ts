import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { z } from 'zod'
import type { RegionMapping } from '../../io/schema/price-mapping.js'
import { MAPPING_FILE, OFFER_CODE, readOfferCsv } from './aws-offer-csv.js'
import type { CatalogRow } from '../../io/schema/catalog.js'
import { type PriceSource, type SourceContext, type SourceResult, type UnmappedItem, findRegion } from './source.js'

/**
 * AWS Price List bulk offer files (public, no credentials), as AWS documents them
 * (docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html,
 * …/bulk-api-reading-price-list-files.html):
 *
 *   service index  <base>/offers/v1.0/aws/index.json → offers.AmazonEC2.currentRegionIndexUrl
 *   region index   <base>/offers/v1.0/aws/AmazonEC2/current/region_index.json → regions.<code>.currentVersionUrl
 *   offer file     <base>/offers/v1.0/aws/AmazonEC2/<version>/<region>/index.json, read in its CSV form (index.csv)
 *
 * The URLs in the index files are relative to the host; they are resolved against the base URL.
 * A region's EC2 offer file is hundreds of MB: it is streamed line by line, never held whole, and
 * only the lines that can be a kept row are parsed (csv-parse; see readOfferCsv).
 * Its first 5 lines are metadata (FormatVersion, Disclaimer, Publication Date, Version, OfferCode),
 * the 6th the header, then one line per price dimension of a product and term.
 *
 * Kept: rows of a mapped instance type with Operating System Linux, Tenancy Shared, Pre Installed
 * S/W NA, CapacityStatus Used, Unit Hrs (and MarketOption OnDemand where the column is filled:
 * Capacity Blocks are left out), and of the terms
 *   - TermType OnDemand → on-demand;
 *   - TermType Reserved, OfferingClass standard, PurchaseOption No Upfront, LeaseContractLength
 *     1yr / 3yr → 1-yr / 3-yr (the hourly fee of a standard Reserved Instance with no upfront fee).
 * All Upfront and Partial Upfront reservations are skipped: part of their price is an upfront fee
 * (a 'Quantity' line) that would have to be spread over the term's hours to give an hourly price,
 * and a price read as the provider quotes it is kept apart from one geopat would compute.
 * Savings Plans (a separate offer, AWSComputeSavingsPlan) are not read.
 */
export const AWS_PRICE_LIST_BASE_URL = 'https://pricing.us-east-1.amazonaws.com'
export const SERVICE_INDEX_PATH = '/offers/v1.0/aws/index.json'
const DOCS_URL = 'https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html'

const serviceIndexSchema = z.object({
  offers: z.record(z.string(), z.object({ currentRegionIndexUrl: z.string().min(1).optional() })),
})
const regionIndexSchema = z.object({
  regions: z.record(z.string(), z.object({ regionCode: z.string().min(1), currentVersionUrl: z.string().min(1) })),
})

export const awsSource: PriceSource = {
  name: 'aws',
  description: `AWS Price List bulk offer files (AmazonEC2, public, no credentials; ${DOCS_URL})`,
  defaultBaseUrl: AWS_PRICE_LIST_BASE_URL,

  async fetch(context: SourceContext): Promise<SourceResult> {
    const base = baseUrlOf(context)
    const indexUrl = `${base}${SERVICE_INDEX_PATH}`
    context.log(`aws: service index ${indexUrl}`)
    const index = parseJson(serviceIndexSchema, await context.http.getJson(indexUrl), indexUrl)
    const regionIndexPath = index.offers[OFFER_CODE]?.currentRegionIndexUrl
    if (!regionIndexPath) throw new Error(`${indexUrl}: offers.${OFFER_CODE}.currentRegionIndexUrl: missing (the service index names no region index for EC2)`)
    const regionIndexUrl = resolveUrl(base, regionIndexPath)
    context.log(`aws: region index ${regionIndexUrl}`)
    const regionIndex = parseJson(regionIndexSchema, await context.http.getJson(regionIndexUrl), regionIndexUrl)

    const rows: CatalogRow[] = []
    const unmapped: UnmappedItem[] = []
    const regions = selectRegions(context)
    for (const [position, region] of regions.entries()) {
      const entry = regionIndex.regions[region.region]
      if (!entry) {
        unmapped.push({ sku: OFFER_CODE, region: region.region, reason: `${regionIndexUrl} lists no EC2 offer file for this region` })
        continue
      }
      const offerUrl = resolveUrl(base, csvFormOf(entry.currentVersionUrl, regionIndexUrl))
      context.log(`aws: ${region.region} (${position + 1}/${regions.length}): streaming ${offerUrl} (one EC2 offer file per region, hundreds of MB)`)
      const body = await context.http.getStream(offerUrl)
      // --save-responses: the offer file goes to disk chunk by chunk as it is parsed, never held whole.
      const stream = context.saveResponses ? context.saveResponses.saveStream(savedOfferFile(region.region), body) : body
      const result = await readOfferCsv(stream, { label: offerUrl, mapping: context.mapping, fetchedAt: context.fetchedAt, sourceUrl: () => offerUrl })
      context.log(`aws: ${region.region}: ${result.rows.length} rows, ${result.unmapped.length} unmapped`)
      rows.push(...result.rows)
      unmapped.push(...result.unmapped)
    }
    return { rows, unmapped, location: indexUrl }
  },

  async readFile(path: string, context: SourceContext): Promise<SourceResult> {
    if (/\.json$/i.test(path)) {
      throw new Error(`${path}: the JSON form of an AWS offer file is not read; give the CSV form of the same offer file (the same URL ending in index.csv)`)
    }
    try {
      const info = await stat(path)
      if (!info.isFile()) throw new Error('not a file')
    } catch (error) {
      throw new Error(`${path}: cannot read the AWS offer file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    context.log(`aws: reading ${path}`)
    const base = baseUrlOf(context)
    const result = await readOfferCsv(createReadStream(path), {
      label: path,
      mapping: context.mapping,
      fetchedAt: context.fetchedAt,
      // The file does not hold its own URL: the canonical one is rebuilt from its OfferCode and
      // Version and the row's region, which is the URL the API path downloads for that region.
      sourceUrl: (region, meta) => `${base}/offers/v1.0/aws/${meta.offerCode}/${meta.version}/${region.region}/index.csv`,
    })
    return { ...result, location: path }
  },
}

/** Where `--save-responses` saves a region's offer file: aws/<region>/index.csv, as AWS names it. */
export function savedOfferFile(region: string): string {
  return `aws/${region}/index.csv`
}

function baseUrlOf(context: SourceContext): string {
  return (context.baseUrl ?? AWS_PRICE_LIST_BASE_URL).replace(/\/+$/, '')
}

/** An index file's URL (relative to the host, as AWS writes them, or absolute) against the base URL. */
function resolveUrl(base: string, url: string): string {
  if (/^https?:\/\//i.test(url)) return url
  return `${base}${url.startsWith('/') ? '' : '/'}${url}`
}

/** The CSV form of an offer file: the same path ending in index.csv instead of index.json. */
function csvFormOf(versionUrl: string, regionIndexUrl: string): string {
  if (!/\.json$/i.test(versionUrl))
    throw new Error(`${regionIndexUrl}: currentVersionUrl "${versionUrl}": must end in .json (an offer file's JSON form, whose .csv twin is read)`)
  return versionUrl.replace(/\.json$/i, '.csv')
}

function parseJson<T>(schema: z.ZodType<T>, body: unknown, url: string): T {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'
  throw new Error(`${url}: ${path}: ${issue?.message ?? 'invalid'} (not the documented price list index format)`)
}

/** The mapped AWS regions to fetch: the context's (those the mapping has), else every mapped one. */
function selectRegions(context: SourceContext): RegionMapping[] {
  const mapped = context.mapping.regions.filter((region) => region.provider === 'aws')
  if (!context.regions) return mapped
  const chosen: RegionMapping[] = []
  for (const name of context.regions) {
    const region = findRegion(context.mapping, 'aws', name)
    if (region) {
      if (!chosen.includes(region)) chosen.push(region)
    } else {
      context.log(`aws: region ${name} is not in ${MAPPING_FILE}; not fetched`)
    }
  }
  return chosen
}
