import type { CatalogRow } from '../io/schema/catalog.js'
import type { FxRateUsed, PriceUsed } from '../io/schema/price-provenance.js'
import { type FxRate, ageInDays, isoDay, parseIsoDate } from './fx.js'

/** A row with the file it came from (CatalogEntry's shape, without importing catalog.ts). */
type RowWithFile = CatalogRow & { file: string; superseded?: Array<CatalogRow & { file: string }> }

/**
 * When a price was last confirmed: the day `geopat catalog refresh` fetched it, else its effective
 * date. A price the provider's API returned yesterday with an effective date in 2024 is current:
 * the API said so yesterday. A price copied from a page, never fetched again, is as old as its
 * effective date says.
 */
export function lastConfirmation(row: Pick<CatalogRow, 'fetchedAt' | 'effectiveDate'>): { date: string; by: 'fetched' | 'effective' } {
  if (row.fetchedAt !== undefined) return { date: isoDay(new Date(row.fetchedAt)), by: 'fetched' }
  return { date: row.effectiveDate, by: 'effective' }
}

/** The instant a price was last confirmed, for ordering rows of one offer (the freshest prices it). */
export function confirmedTime(row: Pick<CatalogRow, 'fetchedAt' | 'effectiveDate'>): number {
  return row.fetchedAt !== undefined ? Date.parse(row.fetchedAt) : parseIsoDate(row.effectiveDate).getTime()
}

/** "confirmed 2026-12-05 (fetched)" or "effective 2026-03": what a row's age is counted from, in words. */
export function describeConfirmation(row: Pick<CatalogRow, 'fetchedAt' | 'effectiveDate'>): string {
  const confirmation = lastConfirmation(row)
  return confirmation.by === 'fetched'
    ? `confirmed ${confirmation.date} by a price fetch (effective since ${row.effectiveDate})`
    : `effective ${row.effectiveDate}, not confirmed since`
}

/** What a catalog row and an exchange rate both carry about where they came from. */
type SourcedEntry = Pick<CatalogRow, 'fetchedAt' | 'source' | 'sourceUrl'> & { file: string }

/**
 * The dated part of a used price or rate: when `geopat catalog refresh` fetched it (null if never),
 * its age in whole days on the day of use counted from `countedFrom` (a price's last confirmation, a
 * rate's own date), that day, and its source and file.
 */
function datedUse(
  entry: SourcedEntry,
  countedFrom: string,
  asOf: Date,
): Pick<PriceUsed & FxRateUsed, 'fetchedAt' | 'ageDays' | 'asOf' | 'source' | 'sourceUrl' | 'file'> {
  return {
    fetchedAt: entry.fetchedAt ?? null,
    ageDays: ageInDays(countedFrom, asOf),
    asOf: isoDay(asOf),
    source: entry.source,
    sourceUrl: entry.sourceUrl ?? null,
    file: entry.file,
  }
}

/** The record of a catalog row used to price a figure (sizing.json, tco.json, the report); its age is counted from its last confirmation. */
export function priceUsed(row: RowWithFile, asOf: Date): PriceUsed {
  const confirmation = lastConfirmation(row)
  return {
    id: row.id,
    provider: row.provider,
    sku: row.sku,
    region: row.region,
    price: row.price ?? null,
    pricePerMtok: row.pricePerMtok ?? null,
    currency: row.currency,
    unit: row.unit,
    gpuCount: row.gpuCount,
    pricingModel: row.pricingModel,
    basis: row.basis ?? null,
    confidence: row.confidence,
    effectiveDate: row.effectiveDate,
    confirmedOn: confirmation.date,
    confirmedBy: confirmation.by,
    ...datedUse(row, confirmation.date, asOf),
    providerSkuId: row.providerSkuId ?? null,
    superseded: (row.superseded ?? []).map((older) => ({ file: older.file, effectiveDate: older.effectiveDate, fetchedAt: older.fetchedAt ?? null })),
  }
}

/** The record of an exchange rate used to convert a figure; its age is counted from the rate's own date. */
export function fxRateUsed(rate: FxRate, asOf: Date): FxRateUsed {
  return { base: rate.base, quote: rate.quote, rate: rate.rate, date: rate.date, ...datedUse(rate, rate.date, asOf) }
}
