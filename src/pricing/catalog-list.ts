import { isoDateSchema } from '../io/schema/catalog.js'
import { UserError } from '../util/errors.js'
import { loadCatalog } from './catalog-load.js'
import type { Catalog, CatalogEntry, LoadedFile } from './catalog-types.js'
import { rowIndexInFile } from './catalog-supersede.js'
import { type NotInForceWarning, type StaleRowWarning, notInForce, staleRows } from './catalog-freshness.js'
import { type CatalogFilter, filterRows, gpuHourPriceWithConversion, tokenPriceWithConversion } from './catalog-queries.js'
import { type Conversion, type FxRate, STALE_AFTER_DAYS, findConversion, isoDay, staleFxRates } from './fx.js'

/** `geopat catalog list` and `geopat catalog validate` as results: the rows in force priced in a currency, and the files checked. */

/** Parses an as-of date (YYYY-MM-DD); the current date when absent. An error names `where`, the option as its caller knows it (the cli: `--as-of`). */
export function parseAsOf(text: string | undefined, where: string): Date {
  if (text === undefined) return new Date()
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !isoDateSchema.safeParse(text).success) throw new UserError(`${where}: "${text}" must be a date written YYYY-MM-DD`)
  return new Date(`${text}T00:00:00Z`)
}

/** Checks a currency: a three-letter ISO 4217 code. An error names `where`, the option as its caller knows it (the cli: `--currency`). */
export function parseCurrency(text: string, where: string): string {
  const code = text.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(code)) throw new UserError(`${where}: "${text}" must be a three-letter ISO 4217 code such as USD or EUR`)
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
  const rows = matching
    .filter((row) => !future.has(row.id))
    .map((row): ListedRow => {
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
      return {
        ...row,
        inCurrency: {
          currency: options.currency,
          perGpuHour: round(perGpuHour),
          perMtok: perMtok && { input: round(perMtok.input), output: round(perMtok.output) },
          fxRates,
        },
      }
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
  const catalog = loadCatalog({
    files: options.files ?? [],
    fxFiles: options.fxFiles ?? [],
    builtIn: given.length === 0 ? true : (options.builtIn ?? true),
    asOf: options.asOf,
  })
  const checked = catalog.files.filter((file) => (given.length === 0 ? file.builtIn : !file.builtIn))
  const checkedNames = new Set(checked.map((file) => file.file))
  // Every row of the checked files, also one a fresher row of its offer supersedes.
  const rows = catalog.rows.flatMap((row) => [row, ...(row.superseded ?? [])]).filter((row) => checkedNames.has(row.file))
  const maxAgeDays = options.maxAgeDays ?? STALE_AFTER_DAYS
  for (const row of rows) {
    if (notInForce(row, options.asOf) === undefined) continue
    const index = rowIndexInFile(row) ?? catalog.rows.filter((other) => other.file === row.file).indexOf(row)
    throw new UserError(
      `${row.file}: rows.${index}.effectiveDate: ${row.effectiveDate} is after the as-of date ${isoDay(options.asOf)}; a price must be in force on it (row ` +
        `${row.id}; give the price in force then, or a later --as-of)`,
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
    staleFxRates: staleFxRates(
      catalog.fx.rates.filter((rate) => checkedNames.has(rate.file)),
      { asOf: options.asOf, maxAgeDays },
    ),
    unconvertible,
  }
}

/** Converted prices to a millionth of a unit: no float noise (2.9610000000000003) in the JSON. */
function round<Value extends number | null>(value: Value): Value {
  return (value === null ? null : Math.round(value * 1e6) / 1e6) as Value
}
