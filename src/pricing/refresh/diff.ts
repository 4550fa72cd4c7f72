import type { CatalogRow } from '../../io/schema/catalog.js'
import type { Catalog } from '../catalog.js'

/**
 * `geopat catalog refresh --dry-run`: the refreshed rows against the current catalog (the built-in
 * files and the user's `--catalog` files). A refreshed row with an id the catalog already has is the
 * same offer: it supersedes that row (the freshest row for an offer wins), with its price changed or
 * not. Prices are compared per GPU-hour, so a built-in row quoted per GPU-hour and a refreshed one
 * quoted per instance-hour compare like for like; rows in different currencies are never compared.
 */
export interface DiffPrice {
  price: number
  currency: string
  unit: CatalogRow['unit']
  gpuCount: number
  /** The price of one GPU for an hour (an instance's price divided by its GPUs); absent for a token price. */
  perGpuHour?: number
  effectiveDate: string
}

export interface AddedRow extends DiffPrice {
  id: string
  provider: string
  sku: string
  region: string
  pricingModel: CatalogRow['pricingModel']
}

export interface ChangedRow {
  id: string
  /** The catalog file that holds the current row. */
  file: string
  old: DiffPrice
  new: DiffPrice
  /** (new − old) / old per GPU-hour, in percent; absent when the currencies differ. */
  changePercent?: number
}

export interface SupersededRow {
  id: string
  file: string
  builtIn: boolean
  effectiveDate: string
  basis?: CatalogRow['basis']
}

export interface CatalogDiff {
  added: AddedRow[]
  changed: ChangedRow[]
  /** Same price per GPU-hour and currency (the date may be newer). */
  unchanged: Array<{ id: string; file: string; oldDate: string; newDate: string }>
  /** The current rows the refreshed rows would supersede (same id): every changed and unchanged row. */
  superseded: SupersededRow[]
}

/** Prices closer than this (relative) are the same price (a rounding of the provider's figure). */
const SAME_PRICE = 1e-9

export function diffAgainstCatalog(refreshed: readonly CatalogRow[], current: Pick<Catalog, 'byId' | 'files'>): CatalogDiff {
  const builtInFiles = new Set(current.files.filter((file) => file.builtIn).map((file) => file.file))
  const diff: CatalogDiff = { added: [], changed: [], unchanged: [], superseded: [] }
  for (const row of refreshed) {
    const old = current.byId(row.id)
    if (!old) {
      diff.added.push({ id: row.id, provider: row.provider, sku: row.sku, region: row.region, pricingModel: row.pricingModel, ...diffPrice(row) })
      continue
    }
    diff.superseded.push({
      id: row.id,
      file: old.file,
      builtIn: builtInFiles.has(old.file),
      effectiveDate: old.effectiveDate,
      ...(old.basis !== undefined ? { basis: old.basis } : {}),
    })
    const before = diffPrice(old)
    const after = diffPrice(row)
    const comparable = before.currency === after.currency && before.perGpuHour !== undefined && after.perGpuHour !== undefined
    if (comparable && Math.abs((after.perGpuHour as number) - (before.perGpuHour as number)) <= SAME_PRICE * Math.abs(before.perGpuHour as number)) {
      diff.unchanged.push({ id: row.id, file: old.file, oldDate: old.effectiveDate, newDate: row.effectiveDate })
      continue
    }
    diff.changed.push({
      id: row.id,
      file: old.file,
      old: before,
      new: after,
      ...(comparable ? { changePercent: (((after.perGpuHour as number) - (before.perGpuHour as number)) / (before.perGpuHour as number)) * 100 } : {}),
    })
  }
  return diff
}

function diffPrice(row: CatalogRow): DiffPrice {
  const perGpuHour =
    row.price === undefined ? undefined : row.unit === 'instance-hour' ? row.price / row.gpuCount : row.unit === 'gpu-hour' ? row.price : undefined
  return {
    price: row.price ?? 0,
    currency: row.currency,
    unit: row.unit,
    gpuCount: row.gpuCount,
    ...(perGpuHour !== undefined ? { perGpuHour } : {}),
    effectiveDate: row.effectiveDate,
  }
}

/** The diff as the terminal shows it: one section per kind, one line per row. */
export function formatCatalogDiff(diff: CatalogDiff): string {
  const lines: string[] = []
  lines.push(`added (${diff.added.length}):`)
  for (const row of diff.added) {
    lines.push(
      `  ${row.id}  ${row.provider} ${row.sku} ${row.region} ${row.pricingModel}: ${money(row.price)} ${row.currency}/${row.unit}${perGpu(row)}, ` +
        `${row.effectiveDate}`,
    )
  }
  lines.push(`price changed (${diff.changed.length}):`)
  for (const row of diff.changed) {
    const change = row.changePercent !== undefined ? ` (${percent(row.changePercent)})` : ' (currencies differ: not compared)'
    lines.push(`  ${row.id}  ${gpuHour(row.old)} → ${gpuHour(row.new)}${change}, ${row.old.effectiveDate} → ${row.new.effectiveDate}`)
  }
  lines.push(`unchanged (${diff.unchanged.length}):`)
  for (const row of diff.unchanged) lines.push(`  ${row.id}  same price, ${row.oldDate} → ${row.newDate}`)
  lines.push(`would supersede (${diff.superseded.length}):`)
  for (const row of diff.superseded)
    lines.push(`  ${row.id}  ${row.file}${row.builtIn ? ' (built-in)' : ''}, dated ${row.effectiveDate}${row.basis ? `, ${row.basis}` : ''}`)
  return lines.join('\n')
}

function gpuHour(price: DiffPrice): string {
  return price.perGpuHour !== undefined ? `${money(price.perGpuHour)} ${price.currency}/GPU-hour` : `${money(price.price)} ${price.currency}/${price.unit}`
}

function perGpu(price: DiffPrice): string {
  return price.unit === 'instance-hour' && price.perGpuHour !== undefined
    ? ` (${money(price.perGpuHour)}/GPU-hour, ${price.gpuCount} GPU${price.gpuCount === 1 ? '' : 's'})`
    : ''
}

/** +5.3%, −0.05% (a change under 1% keeps two decimals, so a small change never reads as 0.0%). */
function percent(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(Math.abs(value) < 1 ? 2 : 1)}%`
}

function money(value: number): string {
  return Number(value.toFixed(4)).toString()
}
