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

/** The record of a catalog row used to price a figure (sizing.json, tco.json, the report). */
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
    effectiveDate: row.effectiveDate,
    fetchedAt: row.fetchedAt ?? null,
    confirmedOn: confirmation.date,
    confirmedBy: confirmation.by,
    ageDays: ageInDays(confirmation.date, asOf),
    asOf: isoDay(asOf),
    source: row.source,
    sourceUrl: row.sourceUrl ?? null,
    confidence: row.confidence,
    file: row.file,
    providerSkuId: row.providerSkuId ?? null,
    superseded: (row.superseded ?? []).map((older) => ({ file: older.file, effectiveDate: older.effectiveDate, fetchedAt: older.fetchedAt ?? null })),
  }
}

/** The record of an exchange rate used to convert a figure; its age is counted from the rate's own date. */
export function fxRateUsed(rate: FxRate, asOf: Date): FxRateUsed {
  return {
    base: rate.base,
    quote: rate.quote,
    rate: rate.rate,
    date: rate.date,
    fetchedAt: rate.fetchedAt ?? null,
    ageDays: ageInDays(rate.date, asOf),
    asOf: isoDay(asOf),
    source: rate.source,
    sourceUrl: rate.sourceUrl ?? null,
    file: rate.file,
  }
}
