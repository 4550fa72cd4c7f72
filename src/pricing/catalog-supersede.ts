import type { CatalogRow } from '../io/schema/catalog.js'
import type { CatalogEntry, SupersededRow } from './catalog-types.js'
import { ageInDays } from './fx.js'
import { confirmedTime } from './provenance.js'
import { saleUnitOf } from './sale-unit.js'

/** Rows of one offer in several files: whether they are one offer, and which prices it (the others kept as superseded). */

/** Where each loaded row stood in its file (rows.N), for messages about it; not part of the row. */
const filePosition = new WeakMap<object, number>()

/** The row's index in its file's `rows`, as loaded. */
export function rowIndexInFile(row: SupersededRow): number | undefined {
  return filePosition.get(row)
}

/** Remembers where a loaded row stood in its file. */
export function setRowIndexInFile(row: SupersededRow, index: number): void {
  filePosition.set(row, index)
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

/**
 * The row that prices an offer given twice, the other kept (with the current row's own superseded
 * rows) in its `superseded`, freshest first. A row in force on `asOf` always beats one that is not
 * yet; then the later confirmation wins; on a tie the row loaded later (the user's).
 */
export function freshestOf(current: CatalogEntry, entry: CatalogEntry, asOf: Date): CatalogEntry {
  const { superseded: older = [], ...currentRow } = current
  filePosition.set(currentRow, filePosition.get(current) ?? -1)
  const inForce = (candidate: CatalogRow): boolean => ageInDays(candidate.effectiveDate, asOf) >= 0
  const newer = inForce(entry) !== inForce(current) ? inForce(entry) : confirmedTime(entry) >= confirmedTime(current)
  const [winner, loser] = newer ? [entry, currentRow] : [currentRow, entry]
  const superseded = [loser, ...older].sort((a, b) => confirmedTime(b) - confirmedTime(a))
  const merged: CatalogEntry = { ...winner, superseded }
  filePosition.set(merged, filePosition.get(winner) ?? -1)
  return merged
}
