import { UserError } from '../util/errors.js'
import type { CatalogEntry } from './catalog-types.js'
import { STALE_AFTER_DAYS, ageInDays, isoDay } from './fx.js'
import { lastConfirmation } from './provenance.js'

/** Whether a catalog row is fresh and in force on a day: staleness warnings and the in-force check. */

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
    const what =
      confirmation.by === 'fetched'
        ? `price confirmed ${confirmation.date} (fetched; effective since ${row.effectiveDate})`
        : `price effective ${row.effectiveDate} (not confirmed since)`
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
  throw new UserError(
    `${where}: catalog row ${row.id} (${row.file}) has effectiveDate ${row.effectiveDate}, after ${isoDay(asOf)}: a price not yet in force cannot be used`,
  )
}
