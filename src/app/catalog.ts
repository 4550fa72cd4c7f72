import type { CatalogFilter } from '../pricing/catalog-queries.js'
import {
  type CatalogEntry,
  type CatalogListResult,
  type CatalogValidation,
  type ListedRow,
  listCatalog,
  loadCatalog,
  notInForce,
  similarIds,
  staleRows,
  validateCatalogFiles,
} from '../pricing/catalog.js'
import { UserError } from '../util/errors.js'

/** The catalog files to read: the built-in ones (unless builtIn is false) and the user's. */
export interface CatalogFiles {
  catalogFiles?: string[]
  fxFiles?: string[]
  builtIn?: boolean
}

export interface CatalogListRequest extends CatalogFiles {
  currency: string
  asOf: Date
  maxAgeDays: number
  filter: CatalogFilter
}

/** `geopat catalog list`: the rows that pass the filter and are in force on asOf, priced in one currency. */
export function listCatalogPrices(request: CatalogListRequest): CatalogListResult {
  const catalog = loadCatalog({ files: request.catalogFiles ?? [], fxFiles: request.fxFiles ?? [], builtIn: request.builtIn ?? true, asOf: request.asOf })
  return listCatalog(catalog, { currency: request.currency, asOf: request.asOf, maxAgeDays: request.maxAgeDays, filter: request.filter })
}

export interface CatalogShowRequest extends CatalogFiles {
  id: string
  /** Also the price converted to this currency. */
  currency?: string
}

export type CatalogShowResult = CatalogEntry & { inCurrency?: ListedRow['inCurrency'] }

/** `geopat catalog show`: one row in full (and in `currency`), with its warnings (not in force yet, stale). */
export function showCatalogRow(request: CatalogShowRequest): { row: CatalogShowResult; warnings: string[] } {
  const catalog = loadCatalog({ files: request.catalogFiles ?? [], fxFiles: request.fxFiles ?? [], builtIn: request.builtIn ?? true })
  const row = catalog.byId(request.id)
  if (!row) {
    const similar = similarIds(catalog, request.id)
    throw new UserError(
      `no catalog row with id "${request.id}"${similar.length > 0 ? `; similar: ${similar.join(', ')}` : ''} (geopat catalog list shows every id)`,
    )
  }
  let shown: CatalogShowResult = row
  if (request.currency !== undefined) {
    const listed = listCatalog({ ...catalog, rows: [row] }, { currency: request.currency, asOf: new Date() }).rows[0]
    if (listed) shown = { ...row, inCurrency: listed.inCurrency }
  }
  const warnings = [notInForce(row, new Date()) ?? [], staleRows([row], { asOf: new Date() })].flat().map((warning) => warning.message)
  return { row: shown, warnings }
}

export interface CatalogValidateRequest {
  files: string[]
  builtIn: boolean
  asOf: Date
  maxAgeDays: number
}

/** `geopat catalog validate`: each file against its schema, ids unique across files, row counts and warnings. */
export function validateCatalog(request: CatalogValidateRequest): CatalogValidation {
  return validateCatalogFiles(request)
}
