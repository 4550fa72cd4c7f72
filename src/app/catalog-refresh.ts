import { isAbsolute, relative } from 'node:path'
import type { RefreshSource } from '../io/schema/catalog.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { type Catalog, loadCatalog } from '../pricing/catalog.js'
import { type CatalogDiff, diffAgainstCatalog, formatCatalogDiff } from '../pricing/refresh/diff.js'
import type { HttpClientOptions } from '../pricing/refresh/http.js'
import { downloadScript } from '../pricing/refresh/download-script.js'
import { loadPriceMapping } from '../pricing/refresh/mapping.js'
import {
  type RefreshOutcome,
  type SkippedSource,
  checkRegions,
  checkSourceNames,
  parseSourceAssignments,
  parseSourceUrls,
  refreshCatalog,
} from '../pricing/refresh/run.js'
import { type SavedSource, readSavedResponses } from '../pricing/refresh/saved-responses.js'
import type { SourceName } from '../pricing/refresh/source.js'
import { type PriceSourceRegistry, SOURCE_NAMES, priceSources } from '../pricing/refresh/sources.js'
import { checkRefreshOut, defaultRefreshOut, refreshedCatalogText, writeRefreshedCatalog } from '../pricing/refresh/write.js'

/** `geopat catalog refresh`'s flags, as given. */
export interface RefreshCommandInput {
  sources?: string[]
  sourceUrls?: string[]
  fromFiles?: string[]
  /** A folder written by --save-responses: its manifest names each source's files. */
  fromDir?: string
  /** A new or empty folder to save each source's downloads in, in the form --from-file reads. */
  saveResponses?: string
  regions?: string[]
  mappingFiles?: string[]
  out?: string
  overwrite?: boolean
  dryRun?: boolean
  /** The user's catalog files the dry run compares with (besides the built-in ones). */
  catalogFiles?: string[]
  strict?: boolean
  timeoutSeconds?: number
  retries?: number
}

export interface RefreshCommandDeps {
  registry?: PriceSourceRegistry
  env?: NodeJS.ProcessEnv
  now?: Date
  cwd?: string
  http?: Omit<HttpClientOptions, 'headers' | 'secrets' | 'timeoutMs' | 'retries'>
  /** Human output (stdout). */
  print(line: string): void
  /** Warnings (stderr). */
  warn(line: string): void
  /** The sources' progress lines (stderr, with --verbose). */
  progress?(line: string): void
}

export interface RefreshCommandResult {
  dryRun: boolean
  /** The file written (absent on a dry run). */
  written?: string
  generatedAt: string
  sources: RefreshSource[]
  skipped: SkippedSource[]
  rows: number
  fxRates: number
  /** On a dry run: the refreshed rows against the current catalog. */
  diff?: CatalogDiff
  /** With --save-responses: the folder and what each source saved in it. */
  saved?: { dir: string; sources: SavedSource[] }
}

/** The refresh's input, checked before anything is fetched. */
interface CheckedRefresh {
  now: Date
  cwd: string
  timeoutSeconds: number
  retries: number
  sourceUrls: ReturnType<typeof parseSourceUrls>
  fromFiles: Partial<Record<SourceName, string[]>>
  fileOrigins: Partial<Record<SourceName, { baseUrl: string; fetchedAt: Date }>>
  dryRun: boolean
  /** The file to write (absent on a dry run). */
  outPath: string | undefined
  /** On a dry run: the current catalog (built-in + catalogFiles) the refreshed rows are compared with. */
  current: Catalog | undefined
}

/**
 * Checks the options (and the output path) before anything is fetched, refreshes, prints one line
 * per source, then writes the file or, on a dry run, prints the diff. Every source failed: exit 1
 * and nothing written; some failed: a warning each and the others' rows written (`strict`: exit 1,
 * nothing written).
 */
export async function runCatalogRefresh(input: RefreshCommandInput, deps: RefreshCommandDeps): Promise<RefreshCommandResult> {
  const checked = checkRefreshInput(input, deps)
  const outcome = await refreshCatalog({
    ...(input.sources !== undefined && input.sources.length > 0 ? { sources: input.sources as SourceName[] } : {}),
    sourceUrls: checked.sourceUrls,
    fromFiles: checked.fromFiles,
    fileOrigins: checked.fileOrigins,
    ...(input.saveResponses !== undefined ? { saveResponsesTo: input.saveResponses } : {}),
    ...(input.regions !== undefined && input.regions.length > 0 ? { regions: input.regions } : {}),
    mappingFiles: input.mappingFiles ?? [],
    http: { ...deps.http, timeoutMs: checked.timeoutSeconds * 1000, retries: checked.retries },
    ...(deps.env !== undefined ? { env: deps.env } : {}),
    ...(deps.registry !== undefined ? { registry: deps.registry } : {}),
    now: checked.now,
    ...(deps.progress !== undefined ? { log: deps.progress } : {}),
  })
  printSources(outcome, deps, checked.cwd)
  failUnlessWritable(outcome, input.strict ?? false)
  for (const source of outcome.failed)
    deps.warn(`warning: ${source.source} failed: ${source.error}; none of its rows is in the ${checked.dryRun ? 'diff' : 'file'}`)
  const result: RefreshCommandResult = {
    dryRun: checked.dryRun,
    generatedAt: outcome.catalog.refresh?.generatedAt ?? checked.now.toISOString(),
    sources: outcome.sources,
    skipped: outcome.skipped,
    rows: outcome.catalog.rows.length,
    fxRates: outcome.catalog.fxRates?.length ?? 0,
    ...(outcome.saved !== undefined ? { saved: outcome.saved } : {}),
  }
  if (checked.current !== undefined) {
    result.diff = diffAgainstCatalog(outcome.catalog.rows, checked.current)
    deps.print(formatCatalogDiff(result.diff))
    deps.print(`dry run: nothing written (${rowCount(result.rows)}, ${rateCount(result.fxRates)} refreshed)`)
    return result
  }
  const path = checked.outPath as string
  writeRefreshedCatalog(path, refreshedCatalogText(outcome.catalog, path, outcome.fxRatesBySource))
  const shown = displayPath(path, checked.cwd)
  deps.print(`wrote ${shown}: ${rowCount(result.rows)}, ${rateCount(result.fxRates)}; use it with --catalog ${shown}`)
  result.written = path
  return result
}

/** Every option checked, the output path too, and the dry run's catalog loaded (a bad file fails at once), before anything is fetched. */
function checkRefreshInput(input: RefreshCommandInput, deps: Pick<RefreshCommandDeps, 'now' | 'cwd'>): CheckedRefresh {
  const now = deps.now ?? new Date()
  const cwd = deps.cwd ?? process.cwd()
  const timeoutSeconds = input.timeoutSeconds ?? 30
  const retries = input.retries ?? 4
  if (!(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) throw new OptionMessageError('{timeoutSeconds}: must be a number of seconds above 0')
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new OptionMessageError('{retries}: must be an integer from 0 to 20')
  checkSourceNames(input.sources ?? [])
  const sourceUrls = parseSourceUrls(input.sourceUrls ?? [])
  // Several files for one source: AWS publishes one offer file per region.
  const fromFiles = parseSourceAssignments('fromFiles', input.fromFiles ?? [], { several: true })
  const fileOrigins = input.fromDir !== undefined ? addSavedFiles(input.fromDir, (input.sources ?? []) as SourceName[], fromFiles) : {}
  const dryRun = input.dryRun ?? false
  if (!dryRun && (input.catalogFiles ?? []).length > 0)
    throw new OptionMessageError('{catalogFiles}: only for {dryRun} (the catalog the refreshed rows are compared with)')
  const outPath = dryRun ? undefined : checkRefreshOut(input.out ?? defaultRefreshOut(now, cwd), { overwrite: input.overwrite ?? false, cwd })
  const current = dryRun ? loadCatalog({ files: input.catalogFiles ?? [] }) : undefined
  return { now, cwd, timeoutSeconds, retries, sourceUrls, fromFiles, fileOrigins, dryRun, outPath, current }
}

/**
 * fromDir: the saved folder's sources (those `wanted`, if any) join `fromFiles`, read as of their
 * download; returns where and when each was downloaded.
 */
function addSavedFiles(dir: string, wanted: SourceName[], fromFiles: Partial<Record<SourceName, string[]>>): CheckedRefresh['fileOrigins'] {
  const saved = readSavedResponses(dir)
  const names = (Object.keys(saved.fromFiles) as SourceName[]).filter((name) => wanted.length === 0 || wanted.includes(name))
  if (names.length === 0)
    throw new OptionMessageError(`{fromDir} ${dir}: holds none of {sources} ${wanted.join(', ')} (it holds ${Object.keys(saved.fromFiles).join(', ')})`)
  const origins: CheckedRefresh['fileOrigins'] = {}
  for (const name of names) {
    if (fromFiles[name] !== undefined) throw new OptionMessageError(`{fromDir} ${dir} and {fromFiles} ${name}=…: ${name} is in both; give it once`)
    fromFiles[name] = saved.fromFiles[name] as string[]
    origins[name] = saved.origins[name] as { baseUrl: string; fetchedAt: Date }
  }
  return origins
}

/** One line per source (ok, failed, skipped), then what was saved for an air-gapped machine. */
function printSources(outcome: RefreshOutcome, deps: Pick<RefreshCommandDeps, 'print'>, cwd: string): void {
  const width = Math.max(...outcome.sources.map((source) => source.source.length), ...outcome.skipped.map((source) => source.source.length))
  for (const source of outcome.sources) deps.print(sourceLine(source, width, outcome.fxRatesBySource[source.source as SourceName] ?? 0))
  for (const source of outcome.skipped) deps.print(`${source.source.padEnd(width)}  skipped  ${source.reason}`)
  if (outcome.saved === undefined) return
  const { dir, sources } = outcome.saved
  const files = sources.reduce((sum, source) => sum + source.files.length, 0)
  deps.print(
    sources.length > 0
      ? `saved ${files} response file${files === 1 ? '' : 's'} of ${sources.map((source) => source.source).join(', ')} ` +
          `to ${displayPath(dir, cwd)} (README.txt, manifest.json); on the air-gapped machine: geopat catalog refresh ` +
          '--from-dir <that folder>'
      : `saved nothing to ${displayPath(dir, cwd)}: no source that called its API succeeded`,
  )
}

/** Every source failed, or one did under `strict`: exit 1, nothing written. */
function failUnlessWritable(outcome: RefreshOutcome, strict: boolean): void {
  const failed = outcome.failed
  const reasons = failed.map((source) => `${source.source}: ${source.error}`).join('; ')
  if (failed.length === outcome.sources.length) throw new UserError(`every price source failed, nothing written: ${reasons}`, 1)
  if (strict && failed.length > 0)
    throw new OptionMessageError(`{strict}: ${failed.map((source) => source.source).join(', ')} failed, nothing written: ${reasons}`, 1)
}

/**
 * `--print-requests`: the sh script (curl, jq) that downloads what the refresh would, for a site
 * that cannot run geopat on its connected side. Honours --source, --region, --mapping and
 * --source-url; fetches nothing.
 */
export function printRequestsScript(
  input: Pick<RefreshCommandInput, 'sources' | 'regions' | 'mappingFiles' | 'sourceUrls'>,
  registry: PriceSourceRegistry = priceSources(),
): string {
  checkSourceNames(input.sources ?? [])
  const mapping = loadPriceMapping(input.mappingFiles ?? [])
  checkRegions(input.regions ?? [], mapping)
  const sourceUrls = parseSourceUrls(input.sourceUrls ?? [])
  const sources =
    (input.sources ?? []).length > 0
      ? SOURCE_NAMES.filter((name) => input.sources?.includes(name))
      : SOURCE_NAMES.filter((name) => registry[name] !== undefined)
  return downloadScript({ sources, mapping, ...(input.regions !== undefined && input.regions.length > 0 ? { regions: input.regions } : {}), sourceUrls })
}

function sourceLine(source: RefreshSource, width: number, fxRates: number): string {
  const name = source.source.padEnd(width)
  if (source.status === 'failed') return `${name}  failed   ${source.error ?? ''}`
  const counts =
    fxRates > 0 && source.rows === 0
      ? rateCount(fxRates)
      : `${rowCount(source.rows)}${fxRates > 0 ? `, ${rateCount(fxRates)}` : ''}, ${source.unmapped.length} unmapped`
  return `${name}  ok       ${counts}, from ${source.via === 'file' ? 'file ' : ''}${source.location}`
}

const rowCount = (rows: number): string => `${rows} row${rows === 1 ? '' : 's'}`
const rateCount = (rates: number): string => `${rates} FX rate${rates === 1 ? '' : 's'}`

function displayPath(path: string, cwd: string): string {
  const inside = relative(cwd, path)
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path
}
