import { readdirSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { z } from 'zod'
import { type CatalogFile, type CatalogRow, catalogFileSchema, fxFileSchema } from '../io/schema/catalog.js'
import { loadYamlFile, parseWithSchema } from '../io/schema/load-file.js'
import { UserError } from '../util/errors.js'
import { PACKAGE_ROOT } from '../util/version.js'
import { type FxRate, buildFxTable } from './fx.js'
import type { Catalog, CatalogEntry, DiscountDefaultEntry, LoadCatalogOptions, LoadedFile } from './catalog-types.js'
import { freshestOf, offerDifference, setRowIndexInFile } from './catalog-supersede.js'

/** The price catalog loaded: catalog and FX files, built-in and the user's, one row per offer. */

const BUILT_IN_CATALOG_DIR = join(PACKAGE_ROOT, 'data', 'catalog')
const BUILT_IN_FX_DIR = join(PACKAGE_ROOT, 'data', 'fx')

/** The built-in catalog files, sorted by name. */
export function builtInCatalogFiles(): string[] {
  return dataFiles(BUILT_IN_CATALOG_DIR)
}

/** The built-in FX files, sorted by name. */
export function builtInFxFiles(): string[] {
  return dataFiles(BUILT_IN_FX_DIR)
}

/**
 * Loads and validates catalog and FX files: the built-in ones (unless `builtIn: false`), then the
 * user's. Any problem is one line naming the file, the field path and the rule.
 *
 * An id names one offer. Rows of one id in several files (a refreshed catalog beside the built-in
 * one) must describe the same offer (see {@link offerDifference}); the freshest prices it: the
 * latest last confirmation (`fetchedAt`, else `effectiveDate`), a tie going to the file loaded
 * later (a user's file after the built-in ones, a later --catalog after an earlier one). The others
 * are kept as its `superseded`. A different offer under the same id is one line naming both files
 * and the field; one id twice in one file fails. A catalog file's `fxRates` join the FX table as an
 * FX file's rates. A user file's default discount for a pricing model replaces the built-in one;
 * two user files giving the same one fail.
 */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  const parts: CatalogParts = { asOf: options.asOf ?? new Date(), rows: [], rowIndex: new Map(), fxRates: [], fxFiles: [], discounts: new Map(), files: [] }
  const seenPaths = new Set<string>()
  for (const input of catalogInputs(options)) {
    const file = displayPath(input.path)
    const absolute = absolutePath(input.path)
    if (seenPaths.has(absolute)) throw new UserError(`${file}: given twice; give each file once`)
    seenPaths.add(absolute)
    const data = loadYamlFile(file, z.unknown())
    const kind = input.kind ?? (looksLikeFxFile(data) ? 'fx' : 'catalog')
    if (kind === 'fx') addFxFile(parts, file, data, input.builtIn)
    else addCatalogFile(parts, file, data, input.builtIn)
  }
  const byId = new Map(parts.rows.map((row) => [row.id, row]))
  return {
    rows: parts.rows,
    byId: (id) => byId.get(id),
    fx: buildFxTable(parts.fxRates, parts.fxFiles),
    pricingDefaults: { discounts: [...parts.discounts.values()].map(({ builtIn: _builtIn, ...discount }) => discount) },
    files: parts.files,
  }
}

/** What the files loaded so far hold, in loading order. */
interface CatalogParts {
  /** The day prices are in force on. */
  asOf: Date
  rows: CatalogEntry[]
  /** A row's position in `rows` by id. */
  rowIndex: Map<string, number>
  fxRates: FxRate[]
  fxFiles: string[]
  discounts: Map<string, DiscountDefaultEntry & { builtIn: boolean }>
  files: LoadedFile[]
}

/** The files to load, in order: the built-in catalog and FX files (unless left out or named by the user), then the user's. */
function catalogInputs(options: LoadCatalogOptions): Array<{ path: string; builtIn: boolean; kind?: 'fx' }> {
  const inputs: Array<{ path: string; builtIn: boolean; kind?: 'fx' }> = []
  const userPaths = new Set([...(options.files ?? []), ...(options.fxFiles ?? [])].map(absolutePath))
  if (options.builtIn ?? true) {
    // A built-in file the user names explicitly is loaded once, as theirs.
    for (const path of builtInCatalogFiles()) if (!userPaths.has(path)) inputs.push({ path, builtIn: true })
    for (const path of builtInFxFiles()) if (!userPaths.has(path)) inputs.push({ path, builtIn: true, kind: 'fx' })
  }
  for (const path of options.files ?? []) inputs.push({ path, builtIn: false })
  for (const path of options.fxFiles ?? []) inputs.push({ path, builtIn: false, kind: 'fx' })
  return inputs
}

function addFxFile(parts: CatalogParts, file: string, data: unknown, builtIn: boolean): void {
  const fxFile = parseWithSchema(file, fxFileSchema, data)
  for (const rate of fxFile.rates) parts.fxRates.push({ ...rate, file })
  parts.fxFiles.push(file)
  parts.files.push({ file, kind: 'fx', builtIn, rows: 0, fxRates: fxFile.rates.length, discounts: 0 })
}

function addCatalogFile(parts: CatalogParts, file: string, data: unknown, builtIn: boolean): void {
  const catalogFile = parseCatalogFile(file, data)
  addRows(parts, file, catalogFile.rows)
  for (const rate of catalogFile.fxRates ?? []) parts.fxRates.push({ ...rate, file })
  if ((catalogFile.fxRates ?? []).length > 0) parts.fxFiles.push(file)
  const fileDiscounts = catalogFile.pricingDefaults?.discounts ?? []
  fileDiscounts.forEach((discount, index) => {
    const earlier = parts.discounts.get(discount.pricingModel)
    if (earlier && earlier.builtIn === builtIn) {
      throw new UserError(
        `${file}: pricingDefaults.discounts.${index}.pricingModel: a ${discount.pricingModel} default is already given in ` +
          `${earlier.file}; give it once (a user file may replace a built-in default)`,
      )
    }
    parts.discounts.set(discount.pricingModel, { ...discount, file, builtIn })
  })
  parts.files.push({
    file,
    kind: 'catalog',
    builtIn,
    rows: catalogFile.rows.length,
    fxRates: catalogFile.fxRates?.length ?? 0,
    discounts: fileDiscounts.length,
  })
}

/** A file's rows: a new id joins the catalog; an id already loaded must be the same offer, and the fresher row prices it. */
function addRows(parts: CatalogParts, file: string, rows: readonly CatalogRow[]): void {
  const inThisFile = new Map<string, number>()
  rows.forEach((row, index) => {
    const earlierHere = inThisFile.get(row.id)
    if (earlierHere !== undefined) {
      throw new UserError(`${file}: rows.${index}.id: "${row.id}" is already rows.${earlierHere}.id in this file; an id names one offer, given once per file`)
    }
    inThisFile.set(row.id, index)
    const entry: CatalogEntry = { ...row, file }
    setRowIndexInFile(entry, index)
    const at = parts.rowIndex.get(row.id)
    const current = at === undefined ? undefined : parts.rows[at]
    if (at === undefined || current === undefined) {
      parts.rowIndex.set(row.id, parts.rows.length)
      parts.rows.push(entry)
      return
    }
    const difference = offerDifference(current, row)
    if (difference !== undefined) {
      throw new UserError(
        `${file}: rows.${index}: "${row.id}" is already defined in ${current.file} for another offer ` +
          `(${difference}); an id names one offer: give this row its own id`,
      )
    }
    parts.rows[at] = freshestOf(current, entry, parts.asOf)
  })
}

/**
 * A catalog file checked against its schema; a problem inside a row names the row's id as well as
 * its path (`rows.3.price: … (row acme-h100)`), so that it can be found in a long file.
 */
function parseCatalogFile(file: string, data: unknown): CatalogFile {
  const result = catalogFileSchema.safeParse(data)
  if (result.success) return result.data
  const issues = result.error.issues
  const first = issues[0]
  const [top, index] = first?.path ?? []
  const rawRows = typeof data === 'object' && data !== null ? (data as { rows?: unknown }).rows : undefined
  const id = top === 'rows' && typeof index === 'number' && Array.isArray(rawRows) ? (rawRows[index] as { id?: unknown } | undefined)?.id : undefined
  if (first === undefined || typeof id !== 'string') return parseWithSchema(file, catalogFileSchema, data)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  throw new UserError(`${file}: ${first.path.map(String).join('.')}: ${first.message} (row ${id})${more}`)
}

function looksLikeFxFile(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'rates' in data && !('rows' in data) && !('pricingDefaults' in data)
}

function dataFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name))
}

function absolutePath(path: string): string {
  return resolve(path)
}

/** A path relative to the working directory when it lies under it, else as given. */
function displayPath(path: string): string {
  if (!isAbsolute(path)) return path
  const fromCwd = relative(process.cwd(), path)
  return fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd
}
