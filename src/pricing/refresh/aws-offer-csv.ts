import type { Readable } from 'node:stream'
import { parse as parseCsv } from 'csv-parse/sync'
import type { CatalogRow } from '../../io/schema/catalog.js'
import type { PriceMappingFile, RegionMapping, SkuMapping } from '../../io/schema/price-mapping.js'
import { type SourceResult, type Term, type UnmappedItem, findRegion, findSku, mappedRow } from './source.js'

/** An AWS EC2 offer file's CSV form read as catalog rows (aws.ts says which rows are kept and why). */

export const OFFER_CODE = 'AmazonEC2'
export const MAPPING_FILE = 'data/price-sources/aws.yaml'

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

type MetadataName = (typeof METADATA_NAMES)[number]

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
export async function readOfferCsv(stream: Readable, options: ReadOptions): Promise<Omit<SourceResult, 'location'>> {
  const reader = new OfferCsvReader(options)
  const { label } = options
  // Lines, split here (not by csv-parse) so that most can be skipped unparsed. A file cut off
  // mid-line ends without a line break: that last piece is always parsed, and fails.
  let pending = ''
  try {
    stream.setEncoding('utf8')
    for await (const chunk of stream as AsyncIterable<string>) {
      pending += chunk
      let start = 0
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        reader.line += 1
        reader.readLine(pending.slice(start, pending.charCodeAt(end - 1) === 13 ? end - 1 : end), false)
        start = end + 1
      }
      pending = pending.slice(start)
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${label}: `)) throw error
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200)
    const code = (error as { code?: unknown }).code
    throw new Error(
      `${label}: after line ${reader.line}: the offer file could not be read to its end (${message}${typeof code === 'string' ? `, ${code}` : ''})`,
    )
  }
  if (pending !== '') {
    reader.line += 1
    reader.readLine(pending.replace(/\r$/, ''), true)
  }
  if (!reader.header)
    throw new Error(`${label}: line ${reader.line}: the file ends before its header row (a truncated offer file, or not an AWS offer file's CSV form)`)
  return { rows: reader.rows, unmapped: reader.unmapped }
}

/** One offer file's reading state: its metadata and header once read, the line number, the rows kept and the items listed as unmapped. */
class OfferCsvReader {
  readonly meta: Partial<Record<MetadataName, string>> = {}
  header: Record<Column, number> | undefined
  headerLength = 0
  line = 0
  readonly rows: CatalogRow[] = []
  readonly unmapped: UnmappedItem[] = []
  private readonly listed = new Set<string>()
  private readonly priced = new Map<string, CatalogRow>()
  private readonly mappedTypes: string[]

  constructor(private readonly options: ReadOptions) {
    this.mappedTypes = options.mapping.skus.filter((sku) => sku.provider === 'aws').map((sku) => sku.sku)
  }

  fail(message: string): never {
    throw new Error(`${this.options.label}: line ${this.line}: ${message}`)
  }

  /** Lists an item once per instance type and region. */
  listUnmapped(item: UnmappedItem): void {
    const key = `${item.sku}|${item.region ?? ''}`
    if (this.listed.has(key)) return
    this.listed.add(key)
    this.unmapped.push(item)
  }

  cellsOf(text: string): string[] {
    let records: string[][]
    try {
      records = parseCsv(text, { relax_column_count: true }) as string[][]
    } catch (error) {
      return this.fail(`not a well-formed CSV line (${(error as Error).message.replace(/\s+/g, ' ').slice(0, 160)})`)
    }
    const [record] = records
    if (records.length !== 1 || record === undefined) return this.fail('not one CSV record (a line break inside a field?)')
    return record
  }

  /** Whether a line can be a kept row (plain substring tests, before it is parsed). */
  candidate(text: string): boolean {
    return (
      text.includes('Linux') &&
      text.includes('Shared') &&
      text.includes('Hrs') &&
      text.includes('Used') &&
      (GPU_TYPE_IN_LINE.test(text) || this.mappedTypes.some((type) => text.includes(type)))
    )
  }

  readLine(text: string, last: boolean): void {
    if (this.line <= METADATA_NAMES.length) {
      this.readMetadata(text)
      return
    }
    if (!this.header) {
      this.readHeader(text)
      return
    }
    if (text === '' || (!last && !this.candidate(text))) return
    const record = this.cellsOf(text)
    if (record.length !== this.headerLength)
      this.fail(`${record.length} fields where the header has ${this.headerLength} (a truncated or malformed offer file)`)
    this.readRecord(record, this.header)
  }

  private readMetadata(text: string): void {
    const record = this.cellsOf(this.line === 1 ? text.replace(/^\uFEFF/, '') : text)
    const expected = METADATA_NAMES[this.line - 1] as MetadataName
    if (record[0] !== expected) {
      this.fail(
        `expected the metadata line "${expected}" (an offer file's first 5 lines are FormatVersion, Disclaimer, Publication Date, Version, OfferCode), found ` +
          `"${(record[0] ?? '').slice(0, 40)}"`,
      )
    }
    this.meta[expected] = record[1] ?? ''
  }

  private readHeader(text: string): void {
    const meta = this.meta
    if (meta.OfferCode !== OFFER_CODE) this.fail(`OfferCode: "${meta.OfferCode}" is not ${OFFER_CODE} (an EC2 offer file is read)`)
    if (!/^\d{14}$/.test(meta.Version ?? '')) this.fail(`Version: "${meta.Version}" is not a price list version (14 digits, e.g. 20261201000000)`)
    const record = this.cellsOf(text)
    this.header = headerIndex(record, (message) => this.fail(message))
    this.headerLength = record.length
  }

  private readRecord(record: string[], columns: Record<Column, number>): void {
    const field = (column: Column): string => {
      const index = columns[column]
      return index >= 0 ? (record[index] ?? '') : ''
    }
    const instanceType = field('instanceType')
    if (!instanceType) return
    const term = keptTerm(field)
    if (!term) return
    const place = this.mappedPlace(field, instanceType)
    if (!place) return
    const { sku, region } = place
    const price = this.checkedPrice(field)
    const { skuId, priceText, offerTermCode, rateCode } = price
    if (price.price <= 0) {
      this.listUnmapped({ sku: instanceType, region: region.region, reason: `${term} PricePerUnit is ${priceText} (rate code ${rateCode}): not a price` })
      return
    }
    const description = field('priceDescription')
    const reserved =
      term === 'on-demand' ? '' : `; Reserved Instance, standard, ${field('leaseContractLength')}, No Upfront: the hourly fee of the commitment, no upfront fee`
    const row = mappedRow(
      {
        provider: 'aws',
        sku,
        region,
        term,
        pricePerInstanceHour: price.price,
        currency: price.currency,
        effectiveDate: price.effectiveDate,
        sourceUrl: this.options.sourceUrl(region, metaOf(this.meta)),
        providerSkuId: rateCode.startsWith(`${skuId}.${offerTermCode}.`) ? rateCode : `${skuId}.${offerTermCode}.${rateCode}`,
        providerDescription: description,
        conversion: `PriceDescription "${description}"${reserved}`,
      },
      this.options.mapping,
      this.options.fetchedAt,
    )
    this.keep(row, { instanceType, region, term, priceText, rateCode })
  }

  /** The mapped instance type and region of a record; undefined (a GPU type or a region the mapping lacks listed) when either is not mapped. */
  private mappedPlace(field: (column: Column) => string, instanceType: string): { sku: SkuMapping; region: RegionMapping } | undefined {
    const mapping = this.options.mapping
    const regionName = field('regionCode') || field('location')
    const sku = findSku(mapping, 'aws', instanceType)
    if (!sku) {
      if (GPU_FAMILY.test(instanceType)) this.listUnmapped({ sku: instanceType, region: regionName, reason: `GPU instance type not in ${MAPPING_FILE} skus` })
      return undefined
    }
    const region = (field('regionCode') ? findRegion(mapping, 'aws', field('regionCode')) : undefined) ?? findRegion(mapping, 'aws', field('location'))
    if (!region) {
      this.listUnmapped({ sku: instanceType, region: regionName, reason: `region (Location "${field('location')}") not in ${MAPPING_FILE} regions` })
      return undefined
    }
    return { sku, region }
  }

  /** The record's price, currency, date and codes, each checked (one line naming the field when malformed). */
  private checkedPrice(field: (column: Column) => string) {
    const skuId = field('sku')
    const priceText = field('pricePerUnit')
    if (!/^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(priceText)) this.fail(`PricePerUnit: "${priceText.slice(0, 40)}" is not a number (SKU ${skuId})`)
    const price = Number(priceText)
    const currency = field('currency')
    if (!/^[A-Z]{3}$/.test(currency)) this.fail(`Currency: "${currency.slice(0, 40)}" is not a three-letter currency code (SKU ${skuId})`)
    const effectiveDate = field('effectiveDate').slice(0, 10)
    if (!/^\d{4}-\d{2}-\d{2}$/.test(effectiveDate) || Number.isNaN(Date.parse(effectiveDate)))
      this.fail(`EffectiveDate: "${field('effectiveDate').slice(0, 40)}" is not a date (SKU ${skuId})`)
    const offerTermCode = field('offerTermCode')
    const rateCode = field('rateCode')
    if (!skuId || !offerTermCode || !rateCode) this.fail(`SKU, OfferTermCode and RateCode must be filled (SKU "${skuId}")`)
    return { skuId, priceText, price, currency, effectiveDate, offerTermCode, rateCode }
  }

  /** Keeps the first price of a row id; a second, different one is listed. */
  private keep(row: CatalogRow, seen: { instanceType: string; region: RegionMapping; term: Term; priceText: string; rateCode: string }): void {
    const earlier = this.priced.get(row.id)
    if (earlier) {
      if (earlier.price !== row.price) {
        this.listUnmapped({
          sku: seen.instanceType,
          region: seen.region.region,
          reason:
            `a second ${seen.term} price ${seen.priceText} (rate code ${seen.rateCode}) besides ${earlier.price} ` +
            `(${earlier.providerSkuId}); the first is kept`,
        })
      }
      return
    }
    this.priced.set(row.id, row)
    this.rows.push(row)
  }
}

/** The record's term when it is a kept one: Linux, shared tenancy, no pre-installed software, used capacity, hourly, on-demand market. */
function keptTerm(field: (column: Column) => string): Term | undefined {
  if (
    field('operatingSystem') !== 'Linux' ||
    field('tenancy') !== 'Shared' ||
    field('preInstalledSoftware') !== 'NA' ||
    field('capacityStatus') !== 'Used' ||
    field('unit') !== 'Hrs'
  )
    return undefined
  const marketOption = field('marketOption')
  if (marketOption && marketOption !== 'OnDemand') return undefined
  return termOf(field('termType'), field('offeringClass'), field('purchaseOption'), field('leaseContractLength'))
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

function metaOf(meta: Partial<Record<MetadataName, string>>): OfferFileMeta {
  return {
    formatVersion: meta.FormatVersion ?? '',
    publicationDate: meta['Publication Date'] ?? '',
    version: meta.Version ?? '',
    offerCode: meta.OfferCode ?? '',
  }
}
