import { STALE_AFTER_DAYS, ageInDays } from '../../pricing/fx.js'
import type { FxRateUsed, PriceUsed } from '../../io/schema/price-provenance.js'
import { num, plain } from '../format.js'
import type { ReportInputs } from '../inputs.js'
import type { PricesUsed, PricesUsedRow, SourceLink, Tone } from '../model.js'

/** `href` for an http(s) URL that parses; null for anything else (javascript:, data:, a path, text). */
export function httpLink(text: string | null): SourceLink | null {
  if (text === null) return null
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? { text, href: url.href } : { text, href: null }
  } catch {
    return { text, href: null }
  }
}

function priceText(price: PriceUsed): string {
  if (price.pricePerMtok !== null) return `${plain(price.pricePerMtok.input)} / ${plain(price.pricePerMtok.output)} ${price.currency} per Mtok (input / output)`
  if (price.unit === 'instance-hour') {
    const gpus = `${price.gpuCount} GPU${price.gpuCount === 1 ? '' : 's'}`
    return `${plain(price.price)} ${price.currency}/instance-hour (${gpus}; ${num((price.price ?? 0) / price.gpuCount)} per GPU-hour)`
  }
  return `${plain(price.price)} ${price.currency}/GPU-hour`
}

/** "400 days before this report, over the 365-day limit": the age of a stale price or rate. */
const overTheLimit = (age: number): string => `${num(age, 0)} days before this report, over the ${STALE_AFTER_DAYS}-day limit`

const AGE_NOTE =
  "Age: days from a price's last confirmation (the day geopat catalog refresh fetched it, else its effective date) to this report's date; " +
  "an FX rate's from its own date."

const BASIS_NOTE =
  "Basis: price-api fetched from the provider's price API or file, published copied from a price page or a cited table of them, " +
  'quote a dated vendor quote, derived computed from another figure, assumed no source for this offer.'

/**
 * The prices the report's figures used: sizing.json's costs (catalogPrice, fxRates) and tco.json's
 * pricesUsed and fxRatesUsed, one line per row and file. Ages are counted to the report's date
 * from each price's last confirmation (fetched, else effective). Null when no input records one
 * (files written before geopat recorded them, or prices given by hand).
 */
export function pricesUsed(inputs: ReportInputs, now: Date): PricesUsed | null {
  const { prices, rates } = collectPricesUsed(inputs)
  if (prices.size === 0 && rates.size === 0) return null
  const warnings: string[] = []
  const rows = [...prices.values()].map(({ price, usedIn }) => priceRow(price, usedIn, now, warnings))
  const fxRows = [...rates.values()].map(({ rate, usedIn }) => fxRateRow(rate, usedIn, now, warnings))
  return {
    columns: ['Row', 'Provider', 'SKU', 'Region', 'Price and unit', 'Basis', 'Effective', 'Fetched', 'Age (days)', 'Catalog file', 'Used in', 'Source'],
    rows,
    fxColumns: ['Pair', 'Rate', 'Date', 'Fetched', 'Age (days)', 'File', 'Used in', 'Source'],
    fxRows,
    warnings,
    note: `${AGE_NOTE} Over ${STALE_AFTER_DAYS} days is stale. ${BASIS_NOTE}`,
  }
}

/** Every catalog price and FX rate the inputs used, once per row and file, with the files that used it. */
function collectPricesUsed(inputs: ReportInputs): {
  prices: Map<string, { price: PriceUsed; usedIn: Set<string> }>
  rates: Map<string, { rate: FxRateUsed; usedIn: Set<string> }>
} {
  const prices = new Map<string, { price: PriceUsed; usedIn: Set<string> }>()
  const rates = new Map<string, { rate: FxRateUsed; usedIn: Set<string> }>()
  const addPrice = (price: PriceUsed, usedIn: string): void => {
    const key = `${price.id}\u0000${price.file}\u0000${price.fetchedAt ?? ''}`
    const entry = prices.get(key) ?? { price, usedIn: new Set<string>() }
    entry.usedIn.add(usedIn)
    prices.set(key, entry)
  }
  const addRate = (rate: FxRateUsed, usedIn: string): void => {
    const key = `${rate.base}/${rate.quote}\u0000${rate.date}\u0000${rate.file}`
    const entry = rates.get(key) ?? { rate, usedIn: new Set<string>() }
    entry.usedIn.add(usedIn)
    rates.set(key, entry)
  }
  for (const { data, file } of inputs.sizing) {
    for (const endpoint of data.endpoints) {
      for (const cost of endpoint.costs) {
        if (cost.catalogPrice !== undefined) addPrice(cost.catalogPrice, file.path)
        for (const rate of cost.fxRates ?? []) addRate(rate, file.path)
      }
    }
  }
  for (const { data, file } of inputs.tco) {
    for (const price of data.pricesUsed ?? []) addPrice(price, file.path)
    for (const rate of data.fxRatesUsed ?? []) addRate(rate, file.path)
  }
  return { prices, rates }
}

/** A price's row, aged to the report's date; its warnings (stale, derived or assumed, superseded rows) go to `warnings`. */
function priceRow(price: PriceUsed, usedIn: Set<string>, now: Date, warnings: string[]): PricesUsedRow {
  const age = ageInDays(price.confirmedOn, now)
  const confirmed = price.confirmedBy === 'fetched' ? `${price.confirmedOn} (fetched)` : 'not fetched'
  let tone: Tone = null
  const said = price.confirmedBy === 'fetched' ? `confirmed ${price.confirmedOn} by a price fetch` : `effective ${price.effectiveDate}, not confirmed since`
  if (age > STALE_AFTER_DAYS) {
    tone = 'bad'
    warnings.push(`${price.id} (${price.file}): ${said}: ${overTheLimit(age)}; check the price at its source again`)
  }
  if (price.basis === 'derived' || price.basis === 'assumed') {
    tone ??= 'warn'
    warnings.push(`${price.id} (${price.file}): the price is ${price.basis}, not published for this offer (the row's notes say how)`)
  }
  if (price.superseded.length > 0) {
    const older = price.superseded
      .map((other) => `${other.file} (${other.fetchedAt !== null ? `fetched ${other.fetchedAt.slice(0, 10)}` : `effective ${other.effectiveDate}`})`)
      .join(', ')
    warnings.push(`${price.id}: priced from ${price.file}, the freshest row of this offer; older rows not used: ${older}`)
  }
  return {
    cells: [
      price.id,
      price.provider,
      price.sku,
      price.region,
      priceText(price),
      price.basis ?? 'not given',
      price.effectiveDate,
      confirmed,
      num(age, 0),
      price.file,
      [...usedIn].join(', '),
    ],
    source: httpLink(price.sourceUrl) ?? { text: price.source, href: null },
    tone,
  }
}

/** An FX rate's row, aged to the report's date; a stale rate's warning goes to `warnings`. */
function fxRateRow(rate: FxRateUsed, usedIn: Set<string>, now: Date, warnings: string[]): PricesUsedRow {
  const age = ageInDays(rate.date, now)
  let tone: Tone = null
  if (age > STALE_AFTER_DAYS) {
    tone = 'bad'
    warnings.push(`FX ${rate.base}/${rate.quote} ${plain(rate.rate)} of ${rate.date} (${rate.file}): ${overTheLimit(age)}`)
  }
  return {
    cells: [
      `${rate.base}/${rate.quote}`,
      plain(rate.rate),
      rate.date,
      rate.fetchedAt !== null ? rate.fetchedAt.slice(0, 10) : 'not fetched',
      num(age, 0),
      rate.file,
      [...usedIn].join(', '),
    ],
    source: httpLink(rate.sourceUrl) ?? { text: rate.source, href: null },
    tone,
  }
}
