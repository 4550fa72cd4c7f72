import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { parse as parseCsv } from 'csv-parse/sync'
import { z } from 'zod'
import type { CatalogRow } from '../../io/schema/catalog.js'
import type { PriceMappingFile, RegionMapping } from '../../io/schema/price-mapping.js'
import { type PriceSource, type SourceContext, type SourceResult, type Term, type UnmappedItem, findRegion, findSku, mappedRow } from './source.js'

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
const OFFER_CODE = 'AmazonEC2'
const DOCS_URL = 'https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html'
const MAPPING_FILE = 'data/price-sources/aws.yaml'

/** The offer file's metadata lines, in order (the CSV form's first 5 lines). */
const METADATA_NAMES = ['FormatVersion', 'Disclaimer', 'Publication Date', 'Version', 'OfferCode'] as const

/** Header columns read from an EC2 offer file (each a list of the names AWS has used for it). */
const COLUMNS = {
  sku: ['SKU'],
  offerTermCode: ['OfferTermCode'],
  rateCode: ['RateCode'],
  termType: ['TermType'],
  priceDescription: ['PriceDescription'],
  effectiveDate: ['EffectiveDate'],
  unit: ['Unit'],
  pricePerUnit: ['PricePerUnit'],
  currency: ['Currency'],
  leaseContractLength: ['LeaseContractLength'],
  purchaseOption: ['PurchaseOption'],
  offeringClass: ['OfferingClass'],
  location: ['Location'],
  instanceType: ['Instance Type'],
  tenancy: ['Tenancy'],
  operatingSystem: ['Operating System'],
  preInstalledSoftware: ['Pre Installed S/W'],
  capacityStatus: ['CapacityStatus', 'Capacity Status'],
} as const
/** Columns read where the file has them (newer offer files do). */
const OPTIONAL_COLUMNS = {
  regionCode: ['Region Code'],
  marketOption: ['MarketOption'],
} as const

type Column = keyof typeof COLUMNS | keyof typeof OPTIONAL_COLUMNS

const serviceIndexSchema = z.object({
  offers: z.record(z.string(), z.object({ currentRegionIndexUrl: z.string().min(1).optional() })),
})
const regionIndexSchema = z.object({
  regions: z.record(z.string(), z.object({ regionCode: z.string().min(1), currentVersionUrl: z.string().min(1) })),
})

/** An instance type of a GPU family (p…, g…, gr…): one the mapping lacks is listed as unmapped. */
const GPU_FAMILY = /^(p|g|gr)\d/
/** A line that may name a GPU-family instance type (a quick test before the line is parsed). */
const GPU_TYPE_IN_LINE = /(^|[",:])(p|g|gr)\d[a-z0-9-]*\.[a-z0-9]+/

interface OfferFileMeta {
  formatVersion: string
  publicationDate: string
  version: string
  offerCode: string
}

interface ReadOptions {
  /** The URL or path named in every error line. */
  label: string
  mapping: PriceMappingFile
  fetchedAt: Date
  /** The sourceUrl of a row of the given region, once the file's metadata is known. */
  sourceUrl(region: RegionMapping, meta: OfferFileMeta): string
}

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
  if (!/\.json$/i.test(versionUrl)) throw new Error(`${regionIndexUrl}: currentVersionUrl "${versionUrl}": must end in .json (an offer file's JSON form, whose .csv twin is read)`)
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

/**
 * Reads an EC2 offer file's CSV form from a stream: checks the metadata and header, keeps the rows
 * described above, and lists mapped instance types in unmapped regions and GPU instance types the
 * mapping lacks (once per instance type and region). Anything malformed throws one line naming the
 * file, the line and the field.
 *
 * Speed: a region's file has hundreds of thousands of lines, almost all of other instance types,
 * operating systems and services. Each line is first tested by plain substring search (it must hold
 * Linux, Shared, Hrs and Used, and a mapped instance type or a GPU-family one); only such lines, the
 * metadata, the header and the file's last line are parsed by csv-parse and checked field by field
 * (csv-parse on every line was ~90× slower in a measurement here). A line the test skips is never a
 * kept row: every kept row holds those strings. (AWS's files hold no line breaks inside fields; a
 * record spanning lines would fail loudly, as a line with too few fields, if it were read.)
 */
async function readOfferCsv(stream: Readable, options: ReadOptions): Promise<Omit<SourceResult, 'location'>> {
  const { label, mapping } = options
  const meta: Partial<Record<(typeof METADATA_NAMES)[number], string>> = {}
  let header: Record<Column, number> | undefined
  let headerLength = 0
  let line = 0
  const rows: CatalogRow[] = []
  const unmapped: UnmappedItem[] = []
  const listed = new Set<string>()
  const priced = new Map<string, CatalogRow>()
  const mappedTypes = mapping.skus.filter((sku) => sku.provider === 'aws').map((sku) => sku.sku)
  const fail = (message: string): never => {
    throw new Error(`${label}: line ${line}: ${message}`)
  }
  const listUnmapped = (item: UnmappedItem): void => {
    const key = `${item.sku}|${item.region ?? ''}`
    if (listed.has(key)) return
    listed.add(key)
    unmapped.push(item)
  }
  const cellsOf = (text: string): string[] => {
    let records: string[][]
    try {
      records = parseCsv(text, { relax_column_count: true }) as string[][]
    } catch (error) {
      return fail(`not a well-formed CSV line (${(error as Error).message.replace(/\s+/g, ' ').slice(0, 160)})`)
    }
    const [record] = records
    if (records.length !== 1 || record === undefined) return fail('not one CSV record (a line break inside a field?)')
    return record
  }
  const candidate = (text: string): boolean =>
    text.includes('Linux') && text.includes('Shared') && text.includes('Hrs') && text.includes('Used') && (GPU_TYPE_IN_LINE.test(text) || mappedTypes.some((type) => text.includes(type)))

  const readLine = (text: string, last: boolean): void => {
    if (line <= METADATA_NAMES.length) {
      const record = cellsOf(line === 1 ? text.replace(/^\uFEFF/, '') : text)
      const expected = METADATA_NAMES[line - 1] as (typeof METADATA_NAMES)[number]
      if (record[0] !== expected) fail(`expected the metadata line "${expected}" (an offer file's first 5 lines are FormatVersion, Disclaimer, Publication Date, Version, OfferCode), found "${(record[0] ?? '').slice(0, 40)}"`)
      meta[expected] = record[1] ?? ''
      return
    }
    if (!header) {
      if (meta.OfferCode !== OFFER_CODE) fail(`OfferCode: "${meta.OfferCode}" is not ${OFFER_CODE} (an EC2 offer file is read)`)
      if (!/^\d{14}$/.test(meta.Version ?? '')) fail(`Version: "${meta.Version}" is not a price list version (14 digits, e.g. 20261201000000)`)
      const record = cellsOf(text)
      header = headerIndex(record, fail)
      headerLength = record.length
      return
    }
    if (text === '' || (!last && !candidate(text))) return
    const record = cellsOf(text)
    if (record.length !== headerLength) fail(`${record.length} fields where the header has ${headerLength} (a truncated or malformed offer file)`)
    readRecord(record, header)
  }

  const readRecord = (record: string[], columns: Record<Column, number>): void => {
    const field = (column: Column): string => {
      const index = columns[column]
      return index >= 0 ? (record[index] ?? '') : ''
    }
    const instanceType = field('instanceType')
    if (!instanceType) return
    if (field('operatingSystem') !== 'Linux' || field('tenancy') !== 'Shared' || field('preInstalledSoftware') !== 'NA' || field('capacityStatus') !== 'Used' || field('unit') !== 'Hrs') return
    const marketOption = field('marketOption')
    if (marketOption && marketOption !== 'OnDemand') return
    const term = termOf(field('termType'), field('offeringClass'), field('purchaseOption'), field('leaseContractLength'))
    if (!term) return

    const regionName = field('regionCode') || field('location')
    const sku = findSku(mapping, 'aws', instanceType)
    if (!sku) {
      if (GPU_FAMILY.test(instanceType)) listUnmapped({ sku: instanceType, region: regionName, reason: `GPU instance type not in ${MAPPING_FILE} skus` })
      return
    }
    const region = (field('regionCode') ? findRegion(mapping, 'aws', field('regionCode')) : undefined) ?? findRegion(mapping, 'aws', field('location'))
    if (!region) {
      listUnmapped({ sku: instanceType, region: regionName, reason: `region (Location "${field('location')}") not in ${MAPPING_FILE} regions` })
      return
    }

    const skuId = field('sku')
    const priceText = field('pricePerUnit')
    if (!/^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(priceText)) fail(`PricePerUnit: "${priceText.slice(0, 40)}" is not a number (SKU ${skuId})`)
    const price = Number(priceText)
    const currency = field('currency')
    if (!/^[A-Z]{3}$/.test(currency)) fail(`Currency: "${currency.slice(0, 40)}" is not a three-letter currency code (SKU ${skuId})`)
    const effectiveDate = field('effectiveDate').slice(0, 10)
    if (!/^\d{4}-\d{2}-\d{2}$/.test(effectiveDate) || Number.isNaN(Date.parse(effectiveDate))) fail(`EffectiveDate: "${field('effectiveDate').slice(0, 40)}" is not a date (SKU ${skuId})`)
    const offerTermCode = field('offerTermCode')
    const rateCode = field('rateCode')
    if (!skuId || !offerTermCode || !rateCode) fail(`SKU, OfferTermCode and RateCode must be filled (SKU "${skuId}")`)
    if (price <= 0) {
      listUnmapped({ sku: instanceType, region: region.region, reason: `${term} PricePerUnit is ${priceText} (rate code ${rateCode}): not a price` })
      return
    }

    const description = field('priceDescription')
    const reserved = term === 'on-demand' ? '' : `; Reserved Instance, standard, ${field('leaseContractLength')}, No Upfront: the hourly fee of the commitment, no upfront fee`
    const row = mappedRow(
      {
        provider: 'aws',
        sku,
        region,
        term,
        pricePerInstanceHour: price,
        currency,
        effectiveDate,
        sourceUrl: options.sourceUrl(region, metaOf(meta)),
        providerSkuId: rateCode.startsWith(`${skuId}.${offerTermCode}.`) ? rateCode : `${skuId}.${offerTermCode}.${rateCode}`,
        providerDescription: description,
        conversion: `PriceDescription "${description}"${reserved}`,
      },
      mapping,
      options.fetchedAt,
    )
    const earlier = priced.get(row.id)
    if (earlier) {
      if (earlier.price !== row.price) listUnmapped({ sku: instanceType, region: region.region, reason: `a second ${term} price ${priceText} (rate code ${rateCode}) besides ${earlier.price} (${earlier.providerSkuId}); the first is kept` })
      return
    }
    priced.set(row.id, row)
    rows.push(row)
  }

  // Lines, split here (not by csv-parse) so that most can be skipped unparsed. A file cut off
  // mid-line ends without a line break: that last piece is always parsed, and fails.
  let pending = ''
  try {
    stream.setEncoding('utf8')
    for await (const chunk of stream as AsyncIterable<string>) {
      pending += chunk
      let start = 0
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        line += 1
        readLine(pending.slice(start, pending.charCodeAt(end - 1) === 13 ? end - 1 : end), false)
        start = end + 1
      }
      pending = pending.slice(start)
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${label}: `)) throw error
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200)
    const code = (error as { code?: unknown }).code
    throw new Error(`${label}: after line ${line}: the offer file could not be read to its end (${message}${typeof code === 'string' ? `, ${code}` : ''})`)
  }
  if (pending !== '') {
    line += 1
    readLine(pending.replace(/\r$/, ''), true)
  }
  if (!header) throw new Error(`${label}: line ${line}: the file ends before its header row (a truncated offer file, or not an AWS offer file's CSV form)`)
  return { rows, unmapped }
}

function headerIndex(record: string[], fail: (message: string) => never): Record<Column, number> {
  const index = {} as Record<Column, number>
  for (const [column, names] of Object.entries(COLUMNS) as Array<[Column, readonly string[]]>) {
    const position = record.findIndex((name) => names.includes(name))
    if (position < 0) fail(`the header row lacks the column "${names[0]}"`)
    index[column] = position
  }
  for (const [column, names] of Object.entries(OPTIONAL_COLUMNS) as Array<[Column, readonly string[]]>) {
    index[column] = record.findIndex((name) => names.includes(name))
  }
  return index
}

function termOf(termType: string, offeringClass: string, purchaseOption: string, lease: string): Term | undefined {
  if (termType === 'OnDemand') return 'on-demand'
  if (termType !== 'Reserved' || offeringClass !== 'standard' || purchaseOption !== 'No Upfront') return undefined
  if (lease === '1yr') return '1-yr'
  if (lease === '3yr') return '3-yr'
  return undefined
}

function metaOf(meta: Partial<Record<(typeof METADATA_NAMES)[number], string>>): OfferFileMeta {
  return { formatVersion: meta.FormatVersion ?? '', publicationDate: meta['Publication Date'] ?? '', version: meta.Version ?? '', offerCode: meta.OfferCode ?? '' }
}

