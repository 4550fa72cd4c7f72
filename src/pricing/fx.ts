import type { FxFile } from '../io/schema/catalog.js'
import { UserError } from '../util/errors.js'

/** One dated exchange rate and the file it came from: 1 `base` buys `rate` units of `quote`. */
export type FxRate = FxFile['rates'][number] & { file: string }

/** Every loaded exchange rate. Look rates up with {@link findRate}, convert with {@link convertCurrency}. */
export interface FxTable {
  readonly rates: readonly FxRate[]
  /** Where a missing rate should go: the FX files loaded, for the error message. */
  readonly files: readonly string[]
}

/** How an amount was converted: the factor applied and the dated rates it used (none for the same currency). */
export interface Conversion {
  from: string
  to: string
  factor: number
  rates: FxRate[]
}

const MS_PER_DAY = 86_400_000

/**
 * A date written YYYY-MM-DD (a longer timestamp counts by its day), YYYY-MM read as the month's
 * first day or YYYY as 1 January, at 00:00 UTC; an Invalid Date when unreadable.
 */
export function parseIsoDate(text: string): Date {
  const day = /^\d{4}$/.test(text) ? `${text}-01-01` : /^\d{4}-\d{2}$/.test(text) ? `${text}-01` : text.slice(0, 10)
  return new Date(`${day}T00:00:00Z`)
}

/** Prices and rates older than this many days get a staleness warning (issue #6's default). */
export const STALE_AFTER_DAYS = 180

/**
 * Whole days from `date` (YYYY-MM-DD, YYYY-MM or YYYY, see {@link parseIsoDate}) to `asOf`; negative
 * when the date is later; NaN when the date is unreadable. The one age of a dated figure: the
 * catalog's rows and FX rates, and the report's sourced figures.
 */
export function ageInDays(date: string, asOf: Date): number {
  return Math.floor((asOf.getTime() - parseIsoDate(date).getTime()) / MS_PER_DAY)
}

/**
 * Builds the table. The same pair (either direction) may appear more than once, at different
 * dates: the latest wins. Two different rates for one pair on one date are an error naming both files.
 */
export function buildFxTable(rates: readonly FxRate[], files: readonly string[]): FxTable {
  const byPairAndDate = new Map<string, FxRate>()
  for (const rate of rates) {
    if (rate.base === rate.quote) throw new UserError(`${rate.file}: rates: ${rate.base}/${rate.quote} converts a currency to itself`)
    const key = `${pairKey(rate.base, rate.quote)}@${rate.date}`
    const earlier = byPairAndDate.get(key)
    if (earlier && Math.abs(directFactor(earlier, rate.base, rate.quote) - rate.rate) > 1e-9 * rate.rate) {
      throw new UserError(
        `${rate.file}: rates: ${rate.base}/${rate.quote} on ${rate.date} is ${rate.rate}, but ${earlier.file} gives ${earlier.base}/${earlier.quote} ` +
          `${earlier.rate} for the same date; keep one`,
      )
    }
    byPairAndDate.set(key, rate)
  }
  return { rates: [...rates], files: [...files] }
}

/**
 * The freshest rate between two currencies, in either direction, or undefined: the latest date;
 * on the same date (the same rate, buildFxTable refuses two), the one loaded later (a user's or a
 * refreshed file's, which says when it was fetched and from where). The one definition of which
 * rate converts: listings, sizing, TCO and the report all use it through findConversion.
 */
function findRate(fx: FxTable, from: string, to: string): FxRate | undefined {
  let best: FxRate | undefined
  for (const rate of fx.rates) {
    const matches = (rate.base === from && rate.quote === to) || (rate.base === to && rate.quote === from)
    if (matches && (best === undefined || parseIsoDate(rate.date) >= parseIsoDate(best.date))) best = rate
  }
  return best
}

/**
 * How to convert `from` into `to`: the same currency, a direct or inverse rate, or through one
 * other currency (USD first, then EUR).
 * A missing pair is a one-line error naming the currencies, what needed them and where to add a rate.
 */
export function findConversion(from: string, to: string, fx: FxTable, context: string): Conversion {
  if (from === to) return { from, to, factor: 1, rates: [] }
  const direct = findRate(fx, from, to)
  if (direct) return { from, to, factor: directFactor(direct, from, to), rates: [direct] }
  // One intermediate currency: USD first, then EUR (the ECB's base), then any other, alphabetically.
  const others = [...new Set(fx.rates.flatMap((rate) => [rate.base, rate.quote]))].filter((code) => code !== 'USD' && code !== 'EUR').sort()
  for (const via of ['USD', 'EUR', ...others]) {
    if (via === from || via === to) continue
    const first = findRate(fx, from, via)
    const second = findRate(fx, via, to)
    if (first && second) return { from, to, factor: directFactor(first, from, via) * directFactor(second, via, to), rates: [first, second] }
  }
  const entry = `base ${from}, quote ${to}, rate, date, source, confidence`
  const where =
    fx.files.length > 0
      ? `add one (${entry}) to ${fx.files.join(' or ')}, or to your own FX file given with --fx`
      : `add one (${entry}) to an FX file given with --fx`
  throw new UserError(`${context}: no exchange rate from ${from} to ${to} (direct, inverse or via USD or another currency): ${where}`)
}

/** Converts an amount between currencies with the FX table; see {@link findConversion}. */
export function convertCurrency(amount: number, from: string, to: string, fx: FxTable, context: string): number {
  return amount * findConversion(from, to, fx, context).factor
}

/**
 * Rates older than `maxAgeDays` on `asOf`: one warning line each. A rate's age is counted from its
 * own date, also when it was fetched later: a reference rate is the market's on that day, and
 * fetching an old one again does not make it current (unlike a price, which a fetch confirms).
 */
export function staleFxRates(
  rates: readonly FxRate[],
  options: { asOf: Date; maxAgeDays?: number },
): Array<{ pair: string; date: string; ageDays: number; message: string }> {
  const maxAgeDays = options.maxAgeDays ?? STALE_AFTER_DAYS
  return rates
    .map((rate) => ({ rate, ageDays: ageInDays(rate.date, options.asOf) }))
    .filter(({ ageDays }) => ageDays > maxAgeDays)
    .map(({ rate, ageDays }) => ({
      pair: `${rate.base}/${rate.quote}`,
      date: rate.date,
      ageDays,
      message:
        `FX ${rate.base}/${rate.quote} ${rate.rate} dated ` +
        `${rate.date}${rate.fetchedAt !== undefined ? ` (fetched ${rate.fetchedAt.slice(0, 10)}; a rate is the market's on its date)` : ''} is ${ageDays} ` +
        `days old on ${isoDay(options.asOf)} (limit ${maxAgeDays}); update ${rate.file} or add a newer rate with --fx`,
    }))
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

function directFactor(rate: FxRate, from: string, to: string): number {
  if (rate.base === from && rate.quote === to) return rate.rate
  return 1 / rate.rate
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}/${b}` : `${b}/${a}`
}
