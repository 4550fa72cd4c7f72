import { existsSync } from 'node:fs'
import { type PriceMappingFile, priceProviderSchema } from '../../io/schema/price-mapping.js'
import { UserError } from '../../util/errors.js'
import { OptionMessageError } from '../../util/option-error.js'
import type { HttpClientOptions } from './http.js'
import { checkSaveDirectory } from './saved-responses.js'
import { type PriceSource, type SourceName, findRegion } from './source.js'
import { type PriceSourceRegistry, SOURCE_NAMES, isSourceName, priceSources } from './sources.js'

/**
 * `geopat catalog refresh`'s options and their plan: which sources run and how (API, a mirror's
 * URL, or a price file), each input problem one line before anything is fetched.
 */

export interface RefreshOptions {
  /** Sources to refresh (default: every registered one; with only `fromFiles`, those sources). */
  sources?: readonly SourceName[]
  /** A source's API base URL in place of the provider's (a mirror; tests' 127.0.0.1). */
  sourceUrls?: Partial<Record<SourceName, string>>
  /**
   * A source reads these price files instead of calling its API (several: one per region, as AWS
   * publishes them; their results are merged, and the source is still all or nothing).
   */
  fromFiles?: Partial<Record<SourceName, readonly string[]>>
  /**
   * Where and when a source's `fromFiles` were downloaded (a `--save-responses` manifest says): the
   * source reads them with that base URL and fetch time, so its rows are the download's rows.
   */
  fileOrigins?: Partial<Record<SourceName, { baseUrl: string; fetchedAt: Date }>>
  /**
   * A new or empty folder where every source that calls its API saves what it downloads, in the
   * form its `fromFiles` reads, plus manifest.json and README.txt (src/pricing/refresh/saved-responses.ts).
   * A source that fails leaves no file there.
   */
  saveResponsesTo?: string
  /** Provider regions to refresh (ids or display names of the mapping table); absent: every mapped region. */
  regions?: readonly string[]
  /** The mapping table (default: the built-in one plus `mappingFiles`). */
  mapping?: PriceMappingFile
  /** The user's mapping files (`--mapping`), merged over the built-in table. */
  mappingFiles?: readonly string[]
  /** Timeouts and retries of every source's HTTP client. */
  http?: Omit<HttpClientOptions, 'headers' | 'secrets'>
  /** Environment the sources read API keys from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** The refresh's moment (default now): every row's fetchedAt. */
  now?: Date
  /** The sources by name (default: the registered ones, src/pricing/refresh/sources.ts). */
  registry?: PriceSourceRegistry
  /** Progress lines of the sources, each prefixed with the source's name, secrets out. */
  log?(line: string): void
}

/** A source the refresh did not run because none of the asked regions is one of its provider's. */
export interface SkippedSource {
  source: SourceName
  reason: string
}

export interface PlannedSource {
  name: SourceName
  source: PriceSource
  via: 'api' | 'file'
  baseUrl?: string
  files?: readonly string[]
  /** Where and when `files` were downloaded (their base URL and fetch time), when known. */
  origin?: { baseUrl: string; fetchedAt: Date }
  regions?: string[]
}

/**
 * Parses repeated `SOURCE=VALUE` flags (`--source-url azure=http://…`, `--from-file aws=prices.csv`):
 * a known source name and a value; each source once, unless `several` (then each value once). An
 * error names `option`, the key of the option that gave the values (`fromFiles`; the cli names the flag).
 */
export function parseSourceAssignments(option: string, values: readonly string[], options: { several?: boolean } = {}): Partial<Record<SourceName, string[]>> {
  const assigned: Partial<Record<SourceName, string[]>> = {}
  for (const text of values) {
    const equals = text.indexOf('=')
    const name = equals > 0 ? text.slice(0, equals).trim().toLowerCase() : ''
    const value = equals > 0 ? text.slice(equals + 1).trim() : ''
    if (name === '' || value === '') throw new OptionMessageError(`{${option}} ${text}: must be SOURCE=VALUE, SOURCE one of ${SOURCE_NAMES.join(', ')}`)
    if (!isSourceName(name)) throw new OptionMessageError(`{${option}} ${text}: "${name}" is not a price source (${SOURCE_NAMES.join(', ')})`)
    const earlier = assigned[name] ?? []
    if (earlier.length > 0 && !options.several) throw new OptionMessageError(`{${option}}: ${name} is given twice; give each source once`)
    if (earlier.includes(value)) throw new OptionMessageError(`{${option}} ${text}: given twice; give each file once`)
    assigned[name] = [...earlier, value]
  }
  return assigned
}

/** `--source-url SOURCE=URL` values: one base URL per source. */
export function parseSourceUrls(values: readonly string[]): Partial<Record<SourceName, string>> {
  return Object.fromEntries(Object.entries(parseSourceAssignments('sourceUrls', values)).map(([name, urls]) => [name, urls[0] as string]))
}

/** Refuses a `--source` name that is not a price source, in one line. */
export function checkSourceNames(names: readonly string[]): void {
  for (const name of names) if (!isSourceName(name)) throw new OptionMessageError(`{sources}: "${name}" is not a price source (${SOURCE_NAMES.join(', ')})`)
}

/** Refuses a `--region` that no provider of the mapping table knows (by id or display name), in one line. */
export function checkRegions(regions: readonly string[], mapping: PriceMappingFile): void {
  for (const region of regions) {
    const known = priceProviderSchema.options.some((provider) => findRegion(mapping, provider, region) !== undefined)
    if (!known)
      throw new OptionMessageError(`{regions} ${region}: not a region of the mapping table (data/price-sources/*.yaml; add one with {mappingFiles} FILE)`)
  }
}

/** The sources to run and how; every input problem is one line before anything is fetched. */
export function planRefresh(options: RefreshOptions, mapping: PriceMappingFile): { planned: PlannedSource[]; skipped: SkippedSource[] } {
  const registry = options.registry ?? priceSources()
  const explicit = [...(options.sources ?? [])]
  checkSourceNames(explicit)
  const fromFiles = options.fromFiles ?? {}
  const sourceUrls = options.sourceUrls ?? {}
  const byFile = Object.keys(fromFiles) as SourceName[]
  const chosenExplicitly = explicit.length > 0 || byFile.length > 0
  const selected = chosenExplicitly
    ? SOURCE_NAMES.filter((name) => explicit.includes(name) || byFile.includes(name))
    : SOURCE_NAMES.filter((name) => registry[name] !== undefined)
  checkSourceUrlsAndFiles(sourceUrls, fromFiles, selected)
  const fileOrigins = options.fileOrigins ?? {}
  for (const name of Object.keys(fileOrigins) as SourceName[]) {
    if (fromFiles[name] === undefined) throw new Error(`fileOrigins.${name}: ${name} reads no file (a fault of the caller)`)
  }
  const regions = [...new Set(options.regions ?? [])]
  checkRegions(regions, mapping)
  const planned: PlannedSource[] = []
  const skipped: SkippedSource[] = []
  for (const name of selected) {
    const entry = planSource(name, { options, registry, mapping, regions, chosenExplicitly })
    if ('reason' in entry) skipped.push(entry)
    else planned.push(entry)
  }
  checkPlanned(options, planned, { skipped, regions })
  return { planned, skipped }
}

/** How one selected source runs (its files or API, mirror URL and regions), or why it is skipped. */
function planSource(
  name: SourceName,
  {
    options,
    registry,
    mapping,
    regions,
    chosenExplicitly,
  }: { options: RefreshOptions; registry: PriceSourceRegistry; mapping: PriceMappingFile; regions: readonly string[]; chosenExplicitly: boolean },
): PlannedSource | SkippedSource {
  const source = registry[name]
  if (!source) {
    const available = SOURCE_NAMES.filter((known) => registry[known] !== undefined)
    throw new OptionMessageError(`{sources} ${name}: not available in this build (available: ${available.length > 0 ? available.join(', ') : 'none'})`, 1)
  }
  const sourceRegions = regionsOf(name, regions, mapping)
  if (sourceRegions !== undefined && sourceRegions.length === 0) {
    const reason = `none of --region ${regions.join(', ')} is a ${name} region in the mapping table`
    if (chosenExplicitly) throw new OptionMessageError(`{sources} ${name}: none of {regions} ${regions.join(', ')} is a ${name} region in the mapping table`)
    return { source: name, reason }
  }
  const files = options.fromFiles?.[name]
  const baseUrl = options.sourceUrls?.[name]
  const origin = options.fileOrigins?.[name]
  return {
    name,
    source,
    via: files !== undefined ? 'file' : 'api',
    ...(files !== undefined ? { files } : {}),
    ...(origin !== undefined ? { origin } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(sourceRegions !== undefined ? { regions: sourceRegions } : {}),
  }
}

/** A source's own regions among the asked ones (undefined: every mapped region; the ECB has none). */
function regionsOf(name: SourceName, regions: readonly string[], mapping: PriceMappingFile): string[] | undefined {
  if (regions.length === 0 || name === 'ecb') return undefined
  return [...new Set(regions.flatMap((region) => findRegion(mapping, name, region)?.region ?? []))]
}

/** Why a source URL with a user name or password is refused. */
const NO_CREDENTIALS_IN_URL =
  "must not carry a user name or password (they would be written into the catalog's URLs); a mirror that needs credentials is not supported"

/** Each `--source-url` an http(s) URL without credentials, of a source being refreshed from its API; each `--from-file` there. */
function checkSourceUrlsAndFiles(
  sourceUrls: Partial<Record<SourceName, string>>,
  fromFiles: Partial<Record<SourceName, readonly string[]>>,
  selected: readonly SourceName[],
): void {
  for (const [name, url] of Object.entries(sourceUrls) as Array<[SourceName, string]>) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new OptionMessageError(`{sourceUrls} ${name}=${url}: must be an http(s) URL`)
    }
    // Credentials in the URL would be written into every row's sourceUrl, the saved responses and the terminal: refused, and not echoed.
    if (parsed.username !== '' || parsed.password !== '') {
      throw new OptionMessageError(`{sourceUrls} ${name}=${parsed.protocol}//…@${parsed.host}: ${NO_CREDENTIALS_IN_URL}`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OptionMessageError(`{sourceUrls} ${name}=${url}: must be an http(s) URL`)
    if (!selected.includes(name)) throw new OptionMessageError(`{sourceUrls} ${name}=${url}: ${name} is not being refreshed (add {sources} ${name})`)
    if (fromFiles[name] !== undefined)
      throw new OptionMessageError(`{sourceUrls} ${name}=… and {fromFiles} ${name}=…: a source reads its API or a file, not both`)
  }
  for (const [name, paths] of Object.entries(fromFiles) as Array<[SourceName, readonly string[]]>) {
    for (const path of paths) if (!existsSync(path)) throw new OptionMessageError(`{fromFiles} ${name}=${path}: no such file`)
  }
}

/** Something to refresh, and a folder to save downloads into only when something is downloaded. */
function checkPlanned(
  options: RefreshOptions,
  planned: readonly PlannedSource[],
  { skipped, regions }: { skipped: readonly SkippedSource[]; regions: readonly string[] },
): void {
  if (planned.length === 0) {
    if (skipped.length > 0) throw new OptionMessageError(`{regions} ${regions.join(', ')}: no source has such a region to refresh`)
    throw new UserError('no price source is registered in this build (src/pricing/refresh/sources.ts)', 1)
  }
  if (options.saveResponsesTo !== undefined) {
    checkSaveDirectory(options.saveResponsesTo)
    if (!planned.some((plan) => plan.via === 'api'))
      throw new OptionMessageError(`{saveResponses} ${options.saveResponsesTo}: every source reads a file, so nothing is downloaded to save`)
  }
}
