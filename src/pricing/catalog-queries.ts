import { type CatalogRow, type SealLevel, sealRank } from '../io/schema/catalog.js'
import { UserError } from '../util/errors.js'
import type { Catalog, CatalogEntry, DiscountDefaultEntry } from './catalog-types.js'
import { type Conversion, type FxTable, findConversion } from './fx.js'

/** Queries on a loaded catalog: prices in a currency, default discounts, filters and ids like an unknown one. */

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
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
])

export function filterRows<Row extends CatalogRow>(rows: readonly Row[], filter: CatalogFilter): Row[] {
  const provider = filter.provider?.toLowerCase()
  const gpu = filter.gpu?.toLowerCase()
  const jurisdiction = filter.jurisdiction?.toUpperCase()
  const inJurisdiction = (country: string): boolean => (jurisdiction === 'EU' ? country === 'EU' || EU_MEMBER_STATES.has(country) : country === jurisdiction)
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
