import type { PriceUsed } from '../../io/schema/price-provenance.js'

/**
 * One line on a price used: its basis, last confirmation, age and source ("published, effective
 * 2026-03, not confirmed since, 280 days old on 2026-12-06; https://… (file)").
 */
export function describePriceUsed(price: PriceUsed): string {
  const confirmed =
    price.confirmedBy === 'fetched'
      ? `confirmed ${price.confirmedOn} by a price fetch (effective since ${price.effectiveDate})`
      : `effective ${price.effectiveDate}, not confirmed since`
  return `${price.basis ?? 'basis not given'}, ${confirmed}, ${price.ageDays} days old on ${price.asOf}; ${price.sourceUrl ?? price.source} (${price.file})`
}
