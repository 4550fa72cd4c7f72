import { readdirSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { z } from 'zod'
import {
  type CatalogFile,
  type CatalogRow,
  type DiscountDefault,
  type SealLevel,
  catalogFileSchema,
  fxFileSchema,
  isoDateSchema,
  sealRank,
} from '../io/schema/catalog.js'
import { loadYamlFile, parseWithSchema } from '../io/schema/load-file.js'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'
import { type Conversion, type FxRate, type FxTable, STALE_AFTER_DAYS, ageInDays, buildFxTable, findConversion, isoDay, parseIsoDate, staleFxRates } from './fx.js'
import { saleUnitOf } from './sale-unit.js'
import { confirmedTime, describeConfirmation, lastConfirmation } from './provenance.js'

export { STALE_AFTER_DAYS, convertCurrency, findConversion, type FxTable } from './fx.js'

/** A catalog row and the file it came from, not used because a fresher row of its offer is (see CatalogEntry). */
export type SupersededRow = CatalogRow & { file: string }

/**
 * A catalog row that prices its offer, and the file it came from. Rows of the same id (the same
 * offer) in other files that were confirmed earlier are kept in `superseded`, freshest first.
 */
export type CatalogEntry = CatalogRow & { file: string; superseded?: SupersededRow[] }

/** A default discount off on-demand and the file it came from. */
export type DiscountDefaultEntry = DiscountDefault & { file: string }

/** One loaded file: what it held. */
export interface LoadedFile {
  file: string
  kind: 'catalog' | 'fx'
  builtIn: boolean
  rows: number
  fxRates: number
  discounts: number
}

export interface Catalog {
  rows: CatalogEntry[]
  byId(id: string): CatalogEntry | undefined
  fx: FxTable
  /** Discounts off on-demand by pricing model, where an offer publishes none. */
  pricingDefaults: { discounts: DiscountDefaultEntry[] }
  files: LoadedFile[]
}

export interface LoadCatalogOptions {
  /** Catalog or FX files (told apart by content: an FX file has `rates:`). */
  files?: string[]
  /** FX files. */
  fxFiles?: string[]
  /** Load the built-in data/catalog/*.yaml and data/fx/*.yaml first (default true). */
  builtIn?: boolean
  /**
   * The day prices are in force on (default: today). Among rows of one offer, one that takes effect
   * after it (an announced price) does not supersede one in force: it is kept as superseded.
   */
  asOf?: Date
}

/** Where each loaded row stood in its file (rows.N), for messages about it; not part of the row. */
const filePosition = new WeakMap<object, number>()

/** The row's index in its file's `rows`, as loaded. */
export function rowIndexInFile(row: SupersededRow): number | undefined {
  return filePosition.get(row)
}

const BUILT_IN_CATALOG_DIR = join(PACKAGE_ROOT, 'data', 'catalog')
const BUILT_IN_FX_DIR = join(PACKAGE_ROOT, 'data', 'fx')

/** The built-in catalog files, sorted by name. */
export function builtInCatalogFiles(): string[] {
  return dataFiles(BUILT_IN_CATALOG_DIR)
}

/** The built-in FX files, sorted by name. */
export function builtInFxFiles(): string[] {
  return dataFiles(BUILT_IN_FX_DIR)
}

/**
 * Loads and validates catalog and FX files: the built-in ones (unless `builtIn: false`), then the
 * user's. Any problem is one line naming the file, the field path and the rule.
 *
 * An id names one offer. Rows of one id in several files (a refreshed catalog beside the built-in
 * one) must describe the same offer (see {@link offerDifference}); the freshest prices it: the
 * latest last confirmation (`fetchedAt`, else `effectiveDate`), a tie going to the file loaded
 * later (a user's file after the built-in ones, a later --catalog after an earlier one). The others
 * are kept as its `superseded`. A different offer under the same id is one line naming both files
 * and the field; one id twice in one file fails. A catalog file's `fxRates` join the FX table as an
 * FX file's rates. A user file's default discount for a pricing model replaces the built-in one;
 * two user files giving the same one fail.
 */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  const inputs: Array<{ path: string; builtIn: boolean; kind?: 'fx' }> = []
  const userPaths = new Set([...(options.files ?? []), ...(options.fxFiles ?? [])].map(absolutePath))
  if (options.builtIn ?? true) {
    // A built-in file the user names explicitly is loaded once, as theirs.
    for (const path of builtInCatalogFiles()) if (!userPaths.has(path)) inputs.push({ path, builtIn: true })
    for (const path of builtInFxFiles()) if (!userPaths.has(path)) inputs.push({ path, builtIn: true, kind: 'fx' })
  }
  for (const path of options.files ?? []) inputs.push({ path, builtIn: false })
  for (const path of options.fxFiles ?? []) inputs.push({ path, builtIn: false, kind: 'fx' })

  const asOf = options.asOf ?? new Date()
  const rows: CatalogEntry[] = []
  const rowIndex = new Map<string, number>()
  const fxRates: FxRate[] = []
  const fxFiles: string[] = []
  const discounts = new Map<string, DiscountDefaultEntry & { builtIn: boolean }>()
  const files: LoadedFile[] = []
  const seenPaths = new Set<string>()

  for (const input of inputs) {
    const file = displayPath(input.path)
    const absolute = absolutePath(input.path)
    if (seenPaths.has(absolute)) throw new UserError(`${file}: given twice; give each file once`)
    seenPaths.add(absolute)
    const data = loadYamlFile(file, z.unknown())
    const kind = input.kind ?? (looksLikeFxFile(data) ? 'fx' : 'catalog')
    if (kind === 'fx') {
      const fxFile = parseWithSchema(file, fxFileSchema, data)
      for (const rate of fxFile.rates) fxRates.push({ ...rate, file })
      fxFiles.push(file)
      files.push({ file, kind, builtIn: input.builtIn, rows: 0, fxRates: fxFile.rates.length, discounts: 0 })
      continue
    }
    const catalogFile = parseCatalogFile(file, data)
    const inThisFile = new Map<string, number>()
    catalogFile.rows.forEach((row, index) => {
      const earlierHere = inThisFile.get(row.id)
      if (earlierHere !== undefined) {
        throw new UserError(`${file}: rows.${index}.id: "${row.id}" is already rows.${earlierHere}.id in this file; an id names one offer, given once per file`)
      }
      inThisFile.set(row.id, index)
      const entry: CatalogEntry = { ...row, file }
      filePosition.set(entry, index)
      const at = rowIndex.get(row.id)
      const current = at === undefined ? undefined : rows[at]
      if (at === undefined || current === undefined) {
        rowIndex.set(row.id, rows.length)
        rows.push(entry)
        return
      }
      const difference = offerDifference(current, row)
      if (difference !== undefined) {
        throw new UserError(
          `${file}: rows.${index}: "${row.id}" is already defined in ${current.file} for another offer (${difference}); an id names one offer: give this row its own id`,
        )
      }
      // The freshest confirmation prices the offer; on a tie the file loaded later (the user's) wins.
      const { superseded: older = [], ...currentRow } = current
      filePosition.set(currentRow, filePosition.get(current) ?? -1)
      // A row in force on asOf always beats one that is not yet; then the later confirmation wins.
      const inForce = (candidate: CatalogRow): boolean => ageInDays(candidate.effectiveDate, asOf) >= 0
      const newer = inForce(row) !== inForce(current) ? inForce(row) : confirmedTime(row) >= confirmedTime(current)
      const [winner, loser] = newer ? [entry, currentRow] : [currentRow, entry]
      const superseded = [loser, ...older].sort((a, b) => confirmedTime(b) - confirmedTime(a))
      const merged: CatalogEntry = { ...winner, superseded }
      filePosition.set(merged, filePosition.get(winner) ?? -1)
      rows[at] = merged
    })
    for (const rate of catalogFile.fxRates ?? []) fxRates.push({ ...rate, file })
    if ((catalogFile.fxRates ?? []).length > 0) fxFiles.push(file)
    const fileDiscounts = catalogFile.pricingDefaults?.discounts ?? []
    fileDiscounts.forEach((discount, index) => {
      const earlier = discounts.get(discount.pricingModel)
      if (earlier && earlier.builtIn === input.builtIn) {
        throw new UserError(
          `${file}: pricingDefaults.discounts.${index}.pricingModel: a ${discount.pricingModel} default is already given in ${earlier.file}; give it once (a user file may replace a built-in default)`,
        )
      }
      discounts.set(discount.pricingModel, { ...discount, file, builtIn: input.builtIn })
    })
    files.push({ file, kind, builtIn: input.builtIn, rows: catalogFile.rows.length, fxRates: catalogFile.fxRates?.length ?? 0, discounts: fileDiscounts.length })
  }

  const byId = new Map(rows.map((row) => [row.id, row]))
  return {
    rows,
    byId: (id) => byId.get(id),
    fx: buildFxTable(fxRates, fxFiles),
    pricingDefaults: { discounts: [...discounts.values()].map(({ builtIn: _builtIn, ...discount }) => discount) },
    files,
  }
}

/** A region as written (West Europe) or as its id (westeurope): one region. */
const normalizedRegion = (region: string): string => region.toLowerCase().replace(/[\s_-]+/g, '')

/**
 * Why two rows of one id are not the same offer, or undefined when they are: the same provider,
 * region (West Europe and westeurope are one), kind, GPU, model, pricing model, jurisdiction,
 * confidential computing, and the same way of selling (GPU by GPU, or whole nodes of as many GPUs),
 * so that their per-GPU prices compare whatever unit each quotes (AWS p5.48xlarge per GPU-hour sold
 * by 8-GPU node, or per instance-hour of 8 GPUs).
 */
export function offerDifference(a: CatalogRow, b: CatalogRow): string | undefined {
  const priced = (row: CatalogRow): string => (row.unit === 'mtok' ? 'per million tokens' : 'per GPU- or instance-hour')
  const sold = (row: CatalogRow): string => {
    const sale = saleUnitOf(row)
    return sale.soldBy === 'node' ? `whole nodes of ${sale.gpusPerNode} GPUs` : 'GPU by GPU'
  }
  // [field, how the rows are compared, how each is shown]
  const checks: Array<[string, (row: CatalogRow) => string, (row: CatalogRow) => string]> = [
    ['provider', (row) => row.provider.toLowerCase(), (row) => row.provider],
    ['region', (row) => normalizedRegion(row.region), (row) => row.region],
    ['kind', (row) => row.kind, (row) => row.kind],
    ['gpu', (row) => row.gpu ?? '', (row) => row.gpu ?? 'none'],
    ['model', (row) => row.model ?? '', (row) => row.model ?? 'none'],
    ['pricingModel', (row) => row.pricingModel, (row) => row.pricingModel],
    ['jurisdiction.region', (row) => row.jurisdiction.region, (row) => row.jurisdiction.region],
    ['jurisdiction.parent', (row) => row.jurisdiction.parent, (row) => row.jurisdiction.parent],
    ['confidentialComputing', (row) => String(row.confidentialComputing), (row) => String(row.confidentialComputing)],
    ['unit', priced, priced],
    ['soldBy', sold, sold],
  ]
  for (const [field, key, shown] of checks) {
    if (key(a) !== key(b)) return `${field}: "${shown(a)}" there, "${shown(b)}" here`
  }
  return undefined
}

/** The default discount off on-demand for a pricing model (undefined for on-demand or when none is loaded). */
export function defaultDiscount(catalog: Pick<Catalog, 'pricingDefaults'>, pricingModel: CatalogRow['pricingModel']): DiscountDefaultEntry | undefined {
  return catalog.pricingDefaults.discounts.find((discount) => discount.pricingModel === pricingModel)
}

/** The price of one GPU for one hour in `currency`, with the conversion used; for gpu-hour and instance-hour rows. */
export function gpuHourPriceWithConversion(row: CatalogEntry, currency: string, fx: FxTable): { pricePerGpuHour: number; conversion: Conversion } {
  if (row.unit === 'mtok' || row.price === undefined) {
    throw new UserError(`catalog row ${row.id} (${row.file}): priced per million tokens, not per GPU-hour`)
  }
  const perGpu = row.unit === 'instance-hour' ? row.price / row.gpuCount : row.price
  const conversion = findConversion(row.currency, currency, fx, `catalog row ${row.id} (${row.file})`)
  return { pricePerGpuHour: perGpu * conversion.factor, conversion }
}

/** The price of one GPU for one hour in `currency` (an instance's price divided by its GPUs). */
export function pricePerGpuHour(row: CatalogEntry, currency: string, fx: FxTable): number {
  return gpuHourPriceWithConversion(row, currency, fx).pricePerGpuHour
}

/** A token API's price per million input and output tokens in `currency`, with the conversion used. */
export function tokenPriceWithConversion(row: CatalogEntry, currency: string, fx: FxTable): { input: number; output: number; conversion: Conversion } {
  if (row.unit !== 'mtok' || row.pricePerMtok === undefined) {
    throw new UserError(`catalog row ${row.id} (${row.file}): priced per ${row.unit}, not per million tokens`)
  }
  const conversion = findConversion(row.currency, currency, fx, `catalog row ${row.id} (${row.file})`)
  return { input: row.pricePerMtok.input * conversion.factor, output: row.pricePerMtok.output * conversion.factor, conversion }
}

/** A token API's price per million input and output tokens in `currency`. */
export function tokenPrice(row: CatalogEntry, currency: string, fx: FxTable): { input: number; output: number } {
  const { input, output } = tokenPriceWithConversion(row, currency, fx)
  return { input, output }
}

export interface StaleRowWarning {
  id: string
  effectiveDate: string
  /** When the price was last confirmed: the day it was fetched, else its effective date. */
  confirmedOn: string
  confirmedBy: 'fetched' | 'effective'
  /** Days from confirmedOn to asOf. */
  ageDays: number
  message: string
}

/**
 * Rows last confirmed (fetched, else effective) more than `maxAgeDays` (default STALE_AFTER_DAYS,
 * 180) before `asOf`: one warning line each, saying which date the age is counted from.
 */
export function staleRows(rows: readonly CatalogEntry[], options: { asOf: Date; maxAgeDays?: number }): StaleRowWarning[] {
  const maxAgeDays = options.maxAgeDays ?? STALE_AFTER_DAYS
  const warnings: StaleRowWarning[] = []
  for (const row of rows) {
    const confirmation = lastConfirmation(row)
    const ageDays = ageInDays(confirmation.date, options.asOf)
    if (ageDays <= maxAgeDays) continue
    const what = confirmation.by === 'fetched' ? `price confirmed ${confirmation.date} (fetched; effective since ${row.effectiveDate})` : `price effective ${row.effectiveDate} (not confirmed since)`
    const fix =
      confirmation.by === 'fetched'
        ? 'fetch it again (geopat catalog refresh)'
        : `verify it at its source${row.sourceUrl !== undefined ? ` (${row.sourceUrl})` : ''} and update it, or give a fresher row of this id with --catalog`
    warnings.push({
      id: row.id,
      effectiveDate: row.effectiveDate,
      confirmedOn: confirmation.date,
      confirmedBy: confirmation.by,
      ageDays,
      message: `${row.id}: ${what} is ${ageDays} days old on ${isoDay(options.asOf)} (limit ${maxAgeDays}); ${fix} (${row.file})`,
    })
  }
  return warnings
}

export interface NotInForceWarning {
  id: string
  effectiveDate: string
  message: string
}

/**
 * A row is in force from its effective date on. One dated after `asOf` (an announced price, or a
 * typo in the year) has no price yet on that date: it is left out of listings with a warning,
 * refused by `catalog validate` and by anything that prices with it. Undefined when in force.
 */
export function notInForce(row: CatalogEntry, asOf: Date): NotInForceWarning | undefined {
  if (ageInDays(row.effectiveDate, asOf) >= 0) return undefined
  return {
    id: row.id,
    effectiveDate: row.effectiveDate,
    message: `${row.id}: effectiveDate ${row.effectiveDate} is after ${isoDay(asOf)}: not in force yet, so it is not listed or priced (${row.file})`,
  }
}

/** Throws one line when a row that is about to price something is not in force on `asOf`. */
export function assertInForce(row: CatalogEntry, asOf: Date, where: string): void {
  if (notInForce(row, asOf) === undefined) return
  throw new UserError(`${where}: catalog row ${row.id} (${row.file}) has effectiveDate ${row.effectiveDate}, after ${isoDay(asOf)}: a price not yet in force cannot be used`)
}

export interface CatalogFilter {
  /** Case-insensitive part of the provider's name. */
  provider?: string
  /** Case-insensitive part of the GPU model (H100 matches H100 SXM, H100 NVL, H100 PCIe). */
  gpu?: string
  /** A country code matching the region's or the parent's country; EU matches any EU member state and EU. */
  jurisdiction?: string
  /** Rows at this SEAL level or above. */
  minSeal?: SealLevel
  /** Only confidential-computing capable rows (true), or only the others (false). */
  confidentialComputing?: boolean
  kind?: CatalogRow['kind']
  pricingModel?: CatalogRow['pricingModel']
}

/** EU member states (ISO 3166-1 alpha-2), for `jurisdiction: EU`. */
export const EU_MEMBER_STATES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
])

export function filterRows<Row extends CatalogRow>(rows: readonly Row[], filter: CatalogFilter): Row[] {
  const provider = filter.provider?.toLowerCase()
  const gpu = filter.gpu?.toLowerCase()
  const jurisdiction = filter.jurisdiction?.toUpperCase()
  const inJurisdiction = (country: string): boolean =>
    jurisdiction === 'EU' ? country === 'EU' || EU_MEMBER_STATES.has(country) : country === jurisdiction
  return rows.filter(
    (row) =>
      (provider === undefined || row.provider.toLowerCase().includes(provider)) &&
      (gpu === undefined || (row.gpu ?? '').toLowerCase().includes(gpu)) &&
      (jurisdiction === undefined || inJurisdiction(row.jurisdiction.region) || inJurisdiction(row.jurisdiction.parent)) &&
      (filter.minSeal === undefined || sealRank(row.sovereignty) >= sealRank(filter.minSeal)) &&
      (filter.confidentialComputing === undefined || row.confidentialComputing === filter.confidentialComputing) &&
      (filter.kind === undefined || row.kind === filter.kind) &&
      (filter.pricingModel === undefined || row.pricingModel === filter.pricingModel),
  )
}

/** Parses `--as-of` (YYYY-MM-DD); the current date when absent. */
export function parseAsOf(text: string | undefined, flag = '--as-of'): Date {
  if (text === undefined) return new Date()
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !isoDateSchema.safeParse(text).success) throw new UserError(`${flag}: "${text}" must be a date written YYYY-MM-DD`)
  return new Date(`${text}T00:00:00Z`)
}

/** Checks a currency flag: a three-letter ISO 4217 code. */
export function parseCurrency(text: string, flag = '--currency'): string {
  const code = text.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(code)) throw new UserError(`${flag}: "${text}" must be a three-letter ISO 4217 code such as USD or EUR`)
  return code
}

/** One FX rate a listed price was converted with. */
export interface UsedFxRate {
  base: string
  quote: string
  rate: number
  date: string
  file: string
}

/** A listed row: the row, and its price in the asked currency. */
export type ListedRow = CatalogEntry & {
  inCurrency: {
    currency: string
    /** gpu-hour and instance-hour rows: one GPU for one hour. */
    perGpuHour: number | null
    /** mtok rows: per million input and output tokens. */
    perMtok: { input: number; output: number } | null
    /** The rates used (empty when the row is already in the asked currency). */
    fxRates: UsedFxRate[]
  }
}

export interface CatalogListResult {
  currency: string
  asOf: string
  maxAgeDays: number
  filter: CatalogFilter
  files: string[]
  count: number
  rows: ListedRow[]
  staleRows: StaleRowWarning[]
  staleFxRates: ReturnType<typeof staleFxRates>
  /** Rows that pass the filter but take effect after `asOf`: left out of `rows`. */
  notInForce: NotInForceWarning[]
}

/**
 * The rows that pass the filter and are in force on `asOf`, priced in `currency`, with the
 * staleness warnings for them, the FX rates used, and the rows left out for being dated later.
 */
export function listCatalog(catalog: Catalog, options: { currency: string; filter?: CatalogFilter; asOf: Date; maxAgeDays?: number }): CatalogListResult {
  const maxAgeDays = options.maxAgeDays ?? STALE_AFTER_DAYS
  const filter = options.filter ?? {}
  const usedRates = new Map<string, FxRate>()
  const matching = filterRows(catalog.rows, filter)
  const notYet = matching.flatMap((row) => notInForce(row, options.asOf) ?? [])
  const future = new Set(notYet.map((warning) => warning.id))
  const rows = matching.filter((row) => !future.has(row.id)).map((row): ListedRow => {
    let conversion: Conversion
    let perGpuHour: number | null = null
    let perMtok: { input: number; output: number } | null = null
    if (row.unit === 'mtok') {
      const price = tokenPriceWithConversion(row, options.currency, catalog.fx)
      perMtok = { input: price.input, output: price.output }
      conversion = price.conversion
    } else {
      const price = gpuHourPriceWithConversion(row, options.currency, catalog.fx)
      perGpuHour = price.pricePerGpuHour
      conversion = price.conversion
    }
    for (const rate of conversion.rates) usedRates.set(`${rate.base}/${rate.quote}@${rate.date}`, rate)
    const fxRates = conversion.rates.map(({ base, quote, rate, date, file }) => ({ base, quote, rate, date, file }))
    return { ...row, inCurrency: { currency: options.currency, perGpuHour: round(perGpuHour), perMtok: perMtok && { input: round(perMtok.input), output: round(perMtok.output) }, fxRates } }
  })
  return {
    currency: options.currency,
    asOf: isoDay(options.asOf),
    maxAgeDays,
    filter,
    files: catalog.files.map((file) => file.file),
    count: rows.length,
    rows,
    staleRows: staleRows(rows, { asOf: options.asOf, maxAgeDays }),
    staleFxRates: staleFxRates([...usedRates.values()], { asOf: options.asOf, maxAgeDays }),
    notInForce: notYet,
  }
}

/** The human table of `geopat catalog list`. */
export function formatCatalogList(result: CatalogListResult): string {
  if (result.rows.length === 0) return `no catalog rows match (${result.files.length} files loaded)`
  const asOf = parseIsoDate(result.asOf)
  const header = ['id', 'provider', 'region', 'juris.', 'GPU', `price ${result.currency}`, 'original', 'model', 'effective', 'confirmed', 'age d', 'basis', 'confidence', 'SEAL', 'CC']
  const lines = result.rows.map((row) => [
    row.id,
    row.provider,
    row.region,
    `${row.jurisdiction.region}/${row.jurisdiction.parent}`,
    row.gpu === undefined ? (row.model ?? '–') : `${row.gpu}×${row.gpuCount}`,
    listedPrice(row),
    originalPrice(row),
    row.pricingModel,
    row.effectiveDate,
    row.fetchedAt !== undefined ? `${lastConfirmation(row).date} fetched` : '–',
    String(ageInDays(lastConfirmation(row).date, asOf)),
    row.basis ?? '–',
    row.confidence,
    row.sovereignty,
    row.confidentialComputing ? 'yes' : '–',
  ])
  const table = renderTable(header, lines)
  const footer = [
    `${count(result.count, 'row')} · prices in ${result.currency} per GPU-hour, or per million input/output tokens · SEAL levels are geopat's assessment, not a certification`,
  ]
  footer.push(`age: days from a price's last confirmation (the day it was fetched, else its effective date) to ${result.asOf}`)
  for (const row of result.rows) {
    if (row.superseded === undefined || row.superseded.length === 0) continue
    const older = row.superseded.map((other) => `${other.file} (${describeConfirmation(other)})`).join('; ')
    footer.push(`${row.id}: priced from ${row.file} (${describeConfirmation(row)}); superseded: ${older}`)
  }
  const fxUsed = new Map<string, UsedFxRate>()
  for (const row of result.rows) for (const rate of row.inCurrency.fxRates) fxUsed.set(`${rate.base}/${rate.quote}@${rate.date}`, rate)
  for (const rate of fxUsed.values()) footer.push(`converted with ${rate.base}/${rate.quote} ${rate.rate} of ${rate.date} (${rate.file})`)
  return `${table}\n${footer.join('\n')}`
}

/** Every field of one row, for `geopat catalog show`. */
export function formatCatalogEntry(row: CatalogEntry, converted?: ListedRow['inCurrency'], asOf: Date = new Date()): string {
  const lines: Array<[string, string]> = [
    ['id', row.id],
    ['provider', row.provider],
    ['sku', row.sku],
    ['region', row.region],
    ['jurisdiction', `data centres in ${row.jurisdiction.region}, parent in ${row.jurisdiction.parent}`],
    ['kind', row.kind],
  ]
  if (row.gpu !== undefined) lines.push(['gpu', `${row.gpu} × ${row.gpuCount}`])
  if (row.gpu !== undefined) {
    const sale = saleUnitOf(row)
    lines.push(['sold by', sale.soldBy === 'node' ? `whole nodes of ${sale.gpusPerNode} GPUs (a fleet rounds up to them)` : 'the GPU (no rounding to nodes)'])
  }
  if (row.model !== undefined) lines.push(['model', row.model])
  lines.push(['price', originalPrice(row, true)])
  if (converted && converted.fxRates.length > 0) {
    const rates = converted.fxRates.map((rate) => `${rate.base}/${rate.quote} ${rate.rate} of ${rate.date}`).join(', ')
    lines.push([`in ${converted.currency}`, `${converted.perGpuHour !== null ? `${money(converted.perGpuHour)}/GPU-h` : `${money(converted.perMtok?.input)} in / ${money(converted.perMtok?.output)} out per Mtok`} (${rates})`])
  } else if (row.unit === 'instance-hour' && row.price !== undefined) {
    lines.push(['per GPU-hour', `${money(row.price / row.gpuCount)} ${row.currency}`])
  }
  lines.push(['pricing model', row.pricingModel])
  lines.push(['effective date', row.effectiveDate])
  if (row.fetchedAt !== undefined) lines.push(['fetched at', row.fetchedAt])
  lines.push(['last confirmed', `${describeConfirmation(row)}; ${ageInDays(lastConfirmation(row).date, asOf)} days old on ${isoDay(asOf)}`])
  lines.push(['basis', row.basis ?? 'not given'])
  lines.push(['source', row.source])
  if (row.sourceUrl !== undefined) lines.push(['source URL', row.sourceUrl])
  if (row.providerSkuId !== undefined) lines.push(['provider SKU id', row.providerSkuId])
  lines.push(['confidence', row.confidence])
  lines.push(['confidential computing', row.confidentialComputing ? 'yes' : 'no'])
  lines.push(['sovereignty', `${row.sovereignty} (geopat's assessment, not a certification)`])
  if (row.egressPerGB !== undefined) lines.push(['egress', `${row.egressPerGB} ${row.currency}/GB, first tier`])
  if (row.notes !== undefined) lines.push(['notes', row.notes])
  lines.push(['file', row.file])
  for (const older of row.superseded ?? []) {
    lines.push(['superseded', `${older.file}: ${originalPrice(older, true)}, ${describeConfirmation(older)}${older.sourceUrl !== undefined ? `, ${older.sourceUrl}` : ''}`])
  }
  const width = Math.max(...lines.map(([key]) => key.length))
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n')
}

export interface CatalogValidation {
  valid: true
  asOf: string
  maxAgeDays: number
  files: LoadedFile[]
  totals: { rows: number; fxRates: number; discounts: number }
  staleRows: StaleRowWarning[]
  staleFxRates: ReturnType<typeof staleFxRates>
  /** Row currencies with no FX path to USD: a listing in USD would fail. */
  unconvertible: Array<{ id: string; currency: string; message: string }>
}

/**
 * Validates the given files (loaded together with the built-in ones, so that an id clash with a
 * built-in row is found), or the built-in files when none is given. Invalid files throw one line;
 * stale rows and currencies that cannot reach USD are warnings.
 */
export function validateCatalogFiles(options: { files?: string[]; fxFiles?: string[]; builtIn?: boolean; asOf: Date; maxAgeDays?: number }): CatalogValidation {
  const given = [...(options.files ?? []), ...(options.fxFiles ?? [])]
  const catalog = loadCatalog({ files: options.files ?? [], fxFiles: options.fxFiles ?? [], builtIn: given.length === 0 ? true : (options.builtIn ?? true), asOf: options.asOf })
  const checked = catalog.files.filter((file) => (given.length === 0 ? file.builtIn : !file.builtIn))
  const checkedNames = new Set(checked.map((file) => file.file))
  // Every row of the checked files, also one a fresher row of its offer supersedes.
  const rows = catalog.rows.flatMap((row) => [row, ...(row.superseded ?? [])]).filter((row) => checkedNames.has(row.file))
  const maxAgeDays = options.maxAgeDays ?? STALE_AFTER_DAYS
  for (const row of rows) {
    if (notInForce(row, options.asOf) === undefined) continue
    const index = rowIndexInFile(row) ?? catalog.rows.filter((other) => other.file === row.file).indexOf(row)
    throw new UserError(
      `${row.file}: rows.${index}.effectiveDate: ${row.effectiveDate} is after the as-of date ${isoDay(options.asOf)}; a price must be in force on it (row ${row.id}; give the price in force then, or a later --as-of)`,
    )
  }
  const unconvertible: CatalogValidation['unconvertible'] = []
  for (const row of rows) {
    try {
      findConversion(row.currency, 'USD', catalog.fx, `catalog row ${row.id} (${row.file})`)
    } catch (error) {
      if (!(error instanceof UserError)) throw error
      unconvertible.push({ id: row.id, currency: row.currency, message: error.message })
    }
  }
  return {
    valid: true,
    asOf: isoDay(options.asOf),
    maxAgeDays,
    files: checked,
    totals: {
      rows: rows.length,
      fxRates: checked.reduce((sum, file) => sum + file.fxRates, 0),
      discounts: checked.reduce((sum, file) => sum + file.discounts, 0),
    },
    staleRows: staleRows(rows, { asOf: options.asOf, maxAgeDays }),
    staleFxRates: staleFxRates(catalog.fx.rates.filter((rate) => checkedNames.has(rate.file)), { asOf: options.asOf, maxAgeDays }),
    unconvertible,
  }
}

export function formatValidation(result: CatalogValidation): string {
  const lines = result.files.map((file) => {
    const parts = file.kind === 'fx' ? [count(file.fxRates, 'FX rate')] : [count(file.rows, 'row'), ...(file.discounts > 0 ? [count(file.discounts, 'default discount')] : [])]
    return `${file.file}: valid, ${parts.join(', ')}`
  })
  lines.push(`${count(result.files.length, 'file')} valid: ${count(result.totals.rows, 'row')}, ${count(result.totals.fxRates, 'FX rate')}, ${count(result.totals.discounts, 'default discount')}`)
  return lines.join('\n')
}

/** Warning lines (rows not yet in force, stale rows, stale FX rates, currencies that cannot reach USD). */
export function warningLines(result: {
  staleRows: StaleRowWarning[]
  staleFxRates: Array<{ message: string }>
  unconvertible?: Array<{ message: string }>
  notInForce?: Array<{ message: string }>
}): string[] {
  return [...(result.notInForce ?? []), ...result.staleRows, ...result.staleFxRates, ...(result.unconvertible ?? [])].map((warning) => `warning: ${warning.message}`)
}

/** Ids close to an unknown one, for the error message. */
export function similarIds(catalog: Catalog, id: string): string[] {
  const needle = id.toLowerCase()
  const parts = needle.split(/[-_.]/).filter((part) => part.length >= 2)
  return catalog.rows
    .map((row) => ({ id: row.id, score: row.id.includes(needle) ? 100 : parts.filter((part) => row.id.includes(part)).length }))
    .filter((candidate) => candidate.score > 0)
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, 5)
    .map((candidate) => candidate.id)
}

function listedPrice(row: ListedRow): string {
  if (row.inCurrency.perMtok) return `${money(row.inCurrency.perMtok.input)} / ${money(row.inCurrency.perMtok.output)} /Mtok`
  return `${money(row.inCurrency.perGpuHour)}/GPU-h`
}

function originalPrice(row: CatalogEntry & Partial<Pick<ListedRow, 'inCurrency'>>, always = false): string {
  const converted = row.inCurrency !== undefined && row.inCurrency.currency !== row.currency
  if (!always && !converted && row.unit !== 'instance-hour') return ''
  if (row.unit === 'mtok') return `${money(row.pricePerMtok?.input)} / ${money(row.pricePerMtok?.output)} ${row.currency}/Mtok (input / output)`
  if (row.unit === 'instance-hour') return `${money(row.price)} ${row.currency}/instance-h (${row.gpuCount} GPU${row.gpuCount === 1 ? '' : 's'})`
  return `${money(row.price)} ${row.currency}/GPU-h`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** Converted prices to a millionth of a unit: no float noise (2.9610000000000003) in the JSON. */
function round<Value extends number | null>(value: Value): Value {
  return (value === null ? null : Math.round(value * 1e6) / 1e6) as Value
}

function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value !== 0 && Math.abs(value) < 0.1 ? value.toFixed(3) : value.toFixed(2)
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const render = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()
  return [render(header), render(widths.map((width) => '─'.repeat(width))), ...rows.map(render)].join('\n')
}

/**
 * A catalog file checked against its schema; a problem inside a row names the row's id as well as
 * its path (`rows.3.price: … (row acme-h100)`), so that it can be found in a long file.
 */
function parseCatalogFile(file: string, data: unknown): CatalogFile {
  const result = catalogFileSchema.safeParse(data)
  if (result.success) return result.data
  const issues = result.error.issues
  const first = issues[0]
  const [top, index] = first?.path ?? []
  const rawRows = typeof data === 'object' && data !== null ? (data as { rows?: unknown }).rows : undefined
  const id = top === 'rows' && typeof index === 'number' && Array.isArray(rawRows) ? (rawRows[index] as { id?: unknown } | undefined)?.id : undefined
  if (first === undefined || typeof id !== 'string') return parseWithSchema(file, catalogFileSchema, data)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  throw new UserError(`${file}: ${first.path.map(String).join('.')}: ${first.message} (row ${id})${more}`)
}

function looksLikeFxFile(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'rates' in data && !('rows' in data) && !('pricingDefaults' in data)
}

function dataFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name))
}

function absolutePath(path: string): string {
  return resolve(path)
}

/** A path relative to the working directory when it lies under it, else as given. */
function displayPath(path: string): string {
  if (!isAbsolute(path)) return path
  const fromCwd = relative(process.cwd(), path)
  return fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd
}
