import type { CatalogRow, DiscountDefault } from '../io/schema/catalog.js'
import type { FxTable } from './fx.js'

/** The loaded catalog's shapes: its rows (with the file each came from), files and defaults. */

/** A catalog row and the file it came from, not used because a fresher row of its offer is (see CatalogEntry). */
export type SupersededRow = CatalogRow & { file: string }

/**
 * A catalog row that prices its offer, and the file it came from. Rows of the same id (the same
 * offer) in other files that were confirmed earlier are kept in `superseded`, freshest first.
 */
export type CatalogEntry = CatalogRow & { file: string; superseded?: SupersededRow[] }

/** A default discount off on-demand and the file it came from. */
export type DiscountDefaultEntry = DiscountDefault & { file: string }

/** One loaded file: what it held. */
export interface LoadedFile {
  file: string
  kind: 'catalog' | 'fx'
  builtIn: boolean
  rows: number
  fxRates: number
  discounts: number
}

export interface Catalog {
  rows: CatalogEntry[]
  byId(id: string): CatalogEntry | undefined
  fx: FxTable
  /** Discounts off on-demand by pricing model, where an offer publishes none. */
  pricingDefaults: { discounts: DiscountDefaultEntry[] }
  files: LoadedFile[]
}

export interface LoadCatalogOptions {
  /** Catalog or FX files (told apart by content: an FX file has `rates:`). */
  files?: string[]
  /** FX files. */
  fxFiles?: string[]
  /** Load the built-in data/catalog/*.yaml and data/fx/*.yaml first (default true). */
  builtIn?: boolean
  /**
   * The day prices are in force on (default: today). Among rows of one offer, one that takes effect
   * after it (an announced price) does not supersede one in force: it is kept as superseded.
   */
  asOf?: Date
}
