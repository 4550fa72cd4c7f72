import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import YAML from 'yaml'
import { type CatalogFile, catalogFileSchema } from '../../io/schema/catalog.js'
import { writeFileAtomic } from '../../io/output/files.js'
import { UserError, describeZodIssues } from '../../util/errors.js'
import { OptionMessageError } from '../../util/option-error.js'
import { PACKAGE_ROOT } from '../../util/version.js'

/**
 * Where and how `geopat catalog refresh` writes its catalog file: a dated file of the user's
 * (`catalog/prices-YYYY-MM-DD.yaml` in the working directory unless `--out`), never inside the
 * package's data/ folder (the built-in catalog is never edited), never over an existing file unless
 * asked, written whole or not at all.
 */
export const PACKAGE_DATA_DIR = join(PACKAGE_ROOT, 'data')

/** The default file: catalog/prices-<UTC date of the refresh>.yaml under `cwd`. */
export function defaultRefreshOut(now: Date, cwd = process.cwd()): string {
  return join(cwd, 'catalog', `prices-${now.toISOString().slice(0, 10)}.yaml`)
}

/** Checks an output path before anything is fetched: one line naming the option `out` and the rule. */
export function checkRefreshOut(out: string, options: { overwrite: boolean; cwd?: string }): string {
  const path = resolve(options.cwd ?? process.cwd(), out)
  const data = realPathOf(PACKAGE_DATA_DIR)
  const where = relative(data, realPathOf(path))
  if (where === '' || (!where.startsWith('..') && !isAbsolute(where))) {
    throw new OptionMessageError(
      `{out} ${out}: inside geopat's data folder ` +
        `(${PACKAGE_DATA_DIR}); the built-in catalog is never edited: write your file elsewhere and pass it with {catalogFiles}`,
    )
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new OptionMessageError(`{out} ${out}: is a folder; name the file to write`)
    if (!options.overwrite) throw new OptionMessageError(`{out} ${out}: already exists; pass {overwrite} to replace it, or choose another {out}`)
  }
  return path
}

/** The file's text: a header comment saying when, from which sources and how to use it, then the YAML. */
export function refreshedCatalogText(catalog: CatalogFile, path: string, fxRatesBySource: Partial<Record<string, number>> = {}): string {
  const checked = catalogFileSchema.safeParse(catalog)
  if (!checked.success) throw new Error(describeZodIssues('the refreshed catalog', checked.error.issues))
  const refresh = catalog.refresh
  const sources = (refresh?.sources ?? []).map((source) =>
    (source.status === 'ok'
      ? `${source.source} ok (${source.via} ${source.location}: ` +
        `${counted(source.rows, 'row')}${fxRatesBySource[source.source] ? `, ${counted(fxRatesBySource[source.source] as number, 'FX rate')}` : ''}, ` +
        `${source.unmapped.length} unmapped)`
      : `${source.source} FAILED (${source.via}; its rows are absent)`
    ).replace(/\s+/g, ' '),
  )
  const header = [
    `# Written by geopat catalog refresh at ${refresh?.generatedAt ?? 'an unknown time'}: ` +
      `${counted(catalog.rows.length, 'catalog row')}${catalog.fxRates ? `, ${counted(catalog.fxRates.length, 'FX rate')}` : ''}.`,
    ...sources.map((line) => `#   ${line}`),
    "# Each row carries its sourceUrl (the request it came from), fetchedAt, the provider's effectiveDate and",
    '# its providerSkuId; refresh.sources lists what each source could not map (listed, never guessed).',
    `# Use it: geopat catalog list --catalog ${basename(path)}   (or geopat run / tco / size … --catalog ${basename(path)});`,
    '# for an offer in several loaded files, the freshest row wins. Do not edit the rows: refresh again.',
    '# Schema: scenarios/catalog.schema.json',
  ]
  return `${header.join('\n')}\n${YAML.stringify(checked.data, { lineWidth: 0 })}`
}

const counted = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

/** Writes the file whole (a temporary file renamed), creating its folder. */
export function writeRefreshedCatalog(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true })
  } catch (error) {
    throw new UserError(`cannot create ${dirname(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 1)
  }
  writeFileAtomic(path, text)
}

/** The real path of `path`, resolving the links of its deepest existing folder (the file may not exist yet). */
function realPathOf(path: string): string {
  let existing = resolve(path)
  const rest: string[] = []
  while (!existsSync(existing)) {
    const parent = dirname(existing)
    if (parent === existing) break
    rest.unshift(basename(existing))
    existing = parent
  }
  try {
    return join(realpathSync(existing), ...rest)
  } catch {
    return resolve(path)
  }
}
