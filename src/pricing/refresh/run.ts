import { existsSync } from 'node:fs'
import {
  type CatalogFile,
  type CatalogRow,
  type FxRateRow,
  type RefreshSource,
  catalogFileSchema,
  catalogRowSchema,
  fxRateSchema,
  refreshSourceSchema,
} from '../../io/schema/catalog.js'
import { type PriceMappingFile, priceProviderSchema } from '../../io/schema/price-mapping.js'
import { UserError, describeZodIssues } from '../../util/errors.js'
import { redactText, secretList } from '../../util/redact.js'
import { type HttpClientOptions, createHttpClient, proxyCredentials } from './http.js'
import { loadPriceMapping } from './mapping.js'
import { type SavedSource, SourceResponseSaver, checkSaveDirectory, removeIfEmpty, writeSavedResponsesManifest } from './saved-responses.js'
import { type PriceSource, type SourceContext, type SourceName, type SourceResult, findRegion } from './source.js'
import { type PriceSourceRegistry, SOURCE_NAMES, isSourceName, priceSources } from './sources.js'

/**
 * `geopat catalog refresh`'s orchestration: which sources run and how (API, a mirror's URL, or a
 * price file for air-gapped sites), all at once, each all or nothing, every row and rate checked
 * against the catalog schema, and one catalog file object, validated whole, for the caller to write.
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

export interface RefreshOutcome {
  /** The catalog file to write: rows of the sources that succeeded, sorted by id; validated whole. */
  catalog: CatalogFile
  /** Each source that ran, in run order: ok or failed (with its one-line error). */
  sources: RefreshSource[]
  skipped: SkippedSource[]
  failed: RefreshSource[]
  /** FX rates each source that succeeded contributed (the file's refresh.sources count rows only). */
  fxRatesBySource: Partial<Record<SourceName, number>>
  /** With `saveResponsesTo`: the sources whose downloads were saved there (none: no manifest, the folder left as found). */
  saved?: { dir: string; sources: SavedSource[] }
}

interface PlannedSource {
  name: SourceName
  source: PriceSource
  via: 'api' | 'file'
  baseUrl?: string
  files?: readonly string[]
  /** Where and when `files` were downloaded (their base URL and fetch time), when known. */
  origin?: { baseUrl: string; fetchedAt: Date }
  regions?: string[]
}

/** Error lines longer than this are cut (a server's message may be long). */
const MAX_ERROR_LENGTH = 400

/** Refreshes the chosen sources concurrently; a source that fails contributes nothing, the others still count. */
export async function refreshCatalog(options: RefreshOptions = {}): Promise<RefreshOutcome> {
  const now = options.now ?? new Date()
  const env = options.env ?? process.env
  const mapping = options.mapping ?? loadPriceMapping(options.mappingFiles ?? [])
  const { planned, skipped } = planRefresh(options, mapping)
  const fetchedAt = now.toISOString()

  const saveDir = options.saveResponsesTo
  const createdSaveDir = saveDir !== undefined && !existsSync(saveDir)
  const runs = await Promise.all(planned.map((plan) => runSource(plan, { mapping, env, now, options })))

  // The same row id from two sources: the later one (in SOURCE_NAMES order) fails; its mapping clashes.
  const owner = new Map<string, SourceName>()
  for (const run of runs) {
    if (run.record.status !== 'ok') continue
    const clash = run.rows.find((row) => owner.has(row.id))
    if (clash) {
      failRun(run, `row id ${clash.id} is also produced by source ${owner.get(clash.id)}; ids must be unique (check the mapping's idStem)`)
      continue
    }
    for (const row of run.rows) owner.set(row.id, run.record.source as SourceName)
  }
  const saved = saveDir !== undefined ? await keepSavedResponses(runs, saveDir, createdSaveDir, now) : undefined

  const okRuns = runs.filter((run) => run.record.status === 'ok')
  const rows = okRuns.flatMap((run) => run.rows).sort((a, b) => compareText(a.id, b.id))
  const fxRates = okRuns.flatMap((run) => run.fxRates).sort((a, b) => compareText(`${a.base}/${a.quote}/${a.date}`, `${b.base}/${b.quote}/${b.date}`))
  const sources = runs.map((run) => run.record)
  const names = okRuns.map((run) => run.record.source)
  const candidate: CatalogFile = {
    description: `Prices and rates fetched by geopat catalog refresh at ${fetchedAt} from ${names.length > 0 ? names.join(', ') : 'no source (every source failed)'}`,
    refresh: { generatedAt: fetchedAt, sources },
    rows,
    ...(fxRates.length > 0 ? { fxRates } : {}),
  }
  const checked = catalogFileSchema.safeParse(candidate)
  // Every row and rate was checked per source, so this is a fault of the refresh itself.
  if (!checked.success) throw new Error(describeZodIssues('the refreshed catalog', checked.error.issues))
  const fxRatesBySource = Object.fromEntries(okRuns.filter((run) => run.fxRates.length > 0).map((run) => [run.record.source, run.fxRates.length]))
  return { catalog: checked.data, sources, skipped, failed: sources.filter((source) => source.status === 'failed'), fxRatesBySource, ...(saved ? { saved } : {}) }
}

/**
 * Each saving source's files: kept (renamed into the folder) when the source succeeded, removed when
 * it failed; a source whose files cannot be kept fails. Then the manifest and README of what was kept.
 */
async function keepSavedResponses(runs: SourceRun[], dir: string, createdDir: boolean, now: Date): Promise<{ dir: string; sources: SavedSource[] }> {
  const sources: SavedSource[] = []
  for (const run of runs) {
    const saver = run.saver
    if (!saver) continue
    if (run.record.status !== 'ok') {
      await saver.discard()
      continue
    }
    try {
      const files = await saver.commit()
      if (files.length > 0) sources.push({ source: saver.source, baseUrl: run.baseUrl, fetchedAt: run.record.fetchedAt, files })
    } catch (error) {
      await saver.discard()
      failRun(run, `saving its responses to ${dir}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const failed = runs.filter((run) => run.saver && run.record.status === 'failed').map((run) => ({ source: run.record.source, error: run.record.error ?? 'failed' }))
  if (sources.length > 0) await writeSavedResponsesManifest(dir, now, sources, failed)
  else if (createdDir) await removeIfEmpty(dir)
  return { dir, sources }
}

/**
 * Parses repeated `SOURCE=VALUE` flags (`--source-url azure=http://…`, `--from-file aws=prices.csv`):
 * a known source name and a value; each source once, unless `several` (then each value once).
 */
export function parseSourceAssignments(flag: string, values: readonly string[], options: { several?: boolean } = {}): Partial<Record<SourceName, string[]>> {
  const assigned: Partial<Record<SourceName, string[]>> = {}
  for (const text of values) {
    const equals = text.indexOf('=')
    const name = equals > 0 ? text.slice(0, equals).trim().toLowerCase() : ''
    const value = equals > 0 ? text.slice(equals + 1).trim() : ''
    if (name === '' || value === '') throw new UserError(`${flag} ${text}: must be SOURCE=VALUE, SOURCE one of ${SOURCE_NAMES.join(', ')}`)
    if (!isSourceName(name)) throw new UserError(`${flag} ${text}: "${name}" is not a price source (${SOURCE_NAMES.join(', ')})`)
    const earlier = assigned[name] ?? []
    if (earlier.length > 0 && !options.several) throw new UserError(`${flag}: ${name} is given twice; give each source once`)
    if (earlier.includes(value)) throw new UserError(`${flag} ${text}: given twice; give each file once`)
    assigned[name] = [...earlier, value]
  }
  return assigned
}

/** `--source-url SOURCE=URL` values: one base URL per source. */
export function parseSourceUrls(values: readonly string[]): Partial<Record<SourceName, string>> {
  return Object.fromEntries(Object.entries(parseSourceAssignments('--source-url', values)).map(([name, urls]) => [name, urls[0] as string]))
}

/** Refuses a `--source` name that is not a price source, in one line. */
export function checkSourceNames(names: readonly string[]): void {
  for (const name of names) if (!isSourceName(name)) throw new UserError(`--source: "${name}" is not a price source (${SOURCE_NAMES.join(', ')})`)
}

/** Refuses a `--region` that no provider of the mapping table knows (by id or display name), in one line. */
export function checkRegions(regions: readonly string[], mapping: PriceMappingFile): void {
  for (const region of regions) {
    const known = priceProviderSchema.options.some((provider) => findRegion(mapping, provider, region) !== undefined)
    if (!known) throw new UserError(`--region ${region}: not a region of the mapping table (data/price-sources/*.yaml; add one with --mapping FILE)`)
  }
}

/** The sources to run and how; every input problem is one line before anything is fetched. */
function planRefresh(options: RefreshOptions, mapping: PriceMappingFile): { planned: PlannedSource[]; skipped: SkippedSource[] } {
  const registry = options.registry ?? priceSources()
  const explicit = [...(options.sources ?? [])]
  checkSourceNames(explicit)
  const fromFiles = options.fromFiles ?? {}
  const sourceUrls = options.sourceUrls ?? {}
  const byFile = Object.keys(fromFiles) as SourceName[]
  const chosenExplicitly = explicit.length > 0 || byFile.length > 0
  const selected = chosenExplicitly ? SOURCE_NAMES.filter((name) => explicit.includes(name) || byFile.includes(name)) : SOURCE_NAMES.filter((name) => registry[name] !== undefined)

  for (const [name, url] of Object.entries(sourceUrls) as Array<[SourceName, string]>) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new UserError(`--source-url ${name}=${url}: must be an http(s) URL`)
    }
    // Credentials in the URL would be written into every row's sourceUrl, the saved responses and the terminal: refused, and not echoed.
    if (parsed.username !== '' || parsed.password !== '') throw new UserError(`--source-url ${name}=${parsed.protocol}//…@${parsed.host}: must not carry a user name or password (they would be written into the catalog's URLs); a mirror that needs credentials is not supported`)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`--source-url ${name}=${url}: must be an http(s) URL`)
    if (!selected.includes(name)) throw new UserError(`--source-url ${name}=${url}: ${name} is not being refreshed (add --source ${name})`)
    if (fromFiles[name] !== undefined) throw new UserError(`--source-url ${name}=… and --from-file ${name}=…: a source reads its API or a file, not both`)
  }
  for (const [name, paths] of Object.entries(fromFiles) as Array<[SourceName, readonly string[]]>) {
    for (const path of paths) if (!existsSync(path)) throw new UserError(`--from-file ${name}=${path}: no such file`)
  }

  const fileOrigins = options.fileOrigins ?? {}
  for (const name of Object.keys(fileOrigins) as SourceName[]) {
    if (fromFiles[name] === undefined) throw new Error(`fileOrigins.${name}: ${name} reads no file (a fault of the caller)`)
  }

  const regions = [...new Set(options.regions ?? [])]
  checkRegions(regions, mapping)

  const planned: PlannedSource[] = []
  const skipped: SkippedSource[] = []
  for (const name of selected) {
    const source = registry[name]
    if (!source) {
      const available = SOURCE_NAMES.filter((known) => registry[known] !== undefined)
      throw new UserError(`--source ${name}: not available in this build (available: ${available.length > 0 ? available.join(', ') : 'none'})`, 1)
    }
    let sourceRegions: string[] | undefined
    if (regions.length > 0 && name !== 'ecb') {
      sourceRegions = [...new Set(regions.flatMap((region) => findRegion(mapping, name, region)?.region ?? []))]
      if (sourceRegions.length === 0) {
        const reason = `none of --region ${regions.join(', ')} is a ${name} region in the mapping table`
        if (chosenExplicitly) throw new UserError(`--source ${name}: ${reason}`)
        skipped.push({ source: name, reason })
        continue
      }
    }
    const files = fromFiles[name]
    const baseUrl = sourceUrls[name]
    const origin = fileOrigins[name]
    planned.push({
      name,
      source,
      via: files !== undefined ? 'file' : 'api',
      ...(files !== undefined ? { files } : {}),
      ...(origin !== undefined ? { origin } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(sourceRegions !== undefined ? { regions: sourceRegions } : {}),
    })
  }
  if (planned.length === 0) {
    if (skipped.length > 0) throw new UserError(`--region ${regions.join(', ')}: no source has such a region to refresh`)
    throw new UserError('no price source is registered in this build (src/pricing/refresh/sources.ts)', 1)
  }
  if (options.saveResponsesTo !== undefined) {
    checkSaveDirectory(options.saveResponsesTo)
    if (!planned.some((plan) => plan.via === 'api')) throw new UserError(`--save-responses ${options.saveResponsesTo}: every source reads a file, so nothing is downloaded to save`)
  }
  return { planned, skipped }
}

interface SourceRun {
  record: RefreshSource
  rows: CatalogRow[]
  fxRates: FxRateRow[]
  redact(text: string): string
  /** The API base URL the source used. */
  baseUrl: string
  /** With `saveResponsesTo`, for a source that calls its API: its saved files, kept only if it succeeds. */
  saver?: SourceResponseSaver
}

async function runSource(
  plan: PlannedSource,
  shared: { mapping: PriceMappingFile; env: NodeJS.ProcessEnv; now: Date; options: RefreshOptions },
): Promise<SourceRun> {
  const { env, now, options } = shared
  const secretValues = (plan.source.secretEnv ?? []).map((name) => ({ name, value: env[name] })).filter((entry): entry is { name: string; value: string } => typeof entry.value === 'string' && entry.value.trim() !== '')
  const secrets = secretList([...secretValues.map((entry) => entry.value), ...proxyCredentials(env)])
  const redact = (text: string): string => redactText(text, secrets)
  const location = plan.files?.join(', ') ?? plan.baseUrl ?? plan.source.defaultBaseUrl
  // Files downloaded earlier: read as of their download (its time, its base URL), when known.
  const fetchedAt = plan.origin?.fetchedAt ?? now
  const baseUrl = plan.origin?.baseUrl ?? plan.baseUrl
  const saver = options.saveResponsesTo !== undefined && plan.via === 'api' ? new SourceResponseSaver(options.saveResponsesTo, plan.name, secrets) : undefined
  const run: SourceRun = {
    record: { source: plan.name, via: plan.via, location: redact(location) || plan.name, fetchedAt: fetchedAt.toISOString(), status: 'ok', rows: 0, unmapped: [] },
    rows: [],
    fxRates: [],
    redact,
    baseUrl: baseUrl ?? plan.source.defaultBaseUrl,
    ...(saver ? { saver } : {}),
  }
  const http = createHttpClient({ ...options.http, secrets: secretValues.map((entry) => entry.value) })
  const context: SourceContext = {
    http,
    mapping: shared.mapping,
    fetchedAt,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(plan.regions !== undefined ? { regions: plan.regions } : {}),
    env,
    ...(saver ? { saveResponses: saver } : {}),
    // Sources may name themselves already ("azure: 12 items from …"): prefixed once.
    log: (line) => {
      const text = oneLine(redact(line))
      options.log?.(text.startsWith(`${plan.name}: `) ? text : `${plan.name}: ${text}`)
    },
  }
  try {
    const result = plan.files !== undefined ? await readFiles(plan.source, plan.files, context) : await plan.source.fetch(context)
    const checked = checkSourceResult(result)
    const carried = secretValues.find((entry) => JSON.stringify(result).includes(entry.value.trim()))
    if (carried) throw new Error(`a row or rate it returned carries the value of ${carried.name} (a secret); none is kept`)
    run.rows = checked.rows
    run.fxRates = checked.fxRates
    run.record = { ...run.record, location: redact(checked.location), rows: checked.rows.length, unmapped: checked.unmapped }
  } catch (error) {
    failRun(run, error instanceof Error ? error.message : String(error))
  } finally {
    await http.close().catch(() => undefined)
  }
  return run
}

/** A source's price files, read one after the other, as one result (any file failing fails them all). */
async function readFiles(source: PriceSource, files: readonly string[], context: SourceContext): Promise<SourceResult> {
  const results: SourceResult[] = []
  for (const file of files) results.push(checkShape(await source.readFile(file, context)))
  if (results.length === 1) return results[0] as SourceResult
  const fxRates = results.flatMap((result) => result.fxRates ?? [])
  return {
    rows: results.flatMap((result) => result.rows),
    ...(fxRates.length > 0 ? { fxRates } : {}),
    unmapped: results.flatMap((result) => result.unmapped),
    location: results.map((result) => result.location).join(', '),
  }
}

/** Marks a run failed with one line (secrets out); it then contributes no row, rate or unmapped item. */
function failRun(run: SourceRun, message: string): void {
  let line = oneLine(run.redact(message)) || 'failed without a message'
  if (line.length > MAX_ERROR_LENGTH) line = `${line.slice(0, MAX_ERROR_LENGTH - 1)}…`
  run.rows = []
  run.fxRates = []
  run.record = { ...run.record, status: 'failed', error: line, rows: 0, unmapped: [] }
}

const unmappedListSchema = refreshSourceSchema.shape.unmapped

/**
 * A source's result, every row and rate checked against the catalog's schemas: the first problem
 * throws one line naming the row and field. Two rows with one id, or two rates for one pair and
 * date, mean the mapping (or the source's reading of its format) is wrong: the source fails whole
 * rather than keep one of the two at random.
 */
function checkSourceResult(returned: SourceResult | undefined): { rows: CatalogRow[]; fxRates: FxRateRow[]; unmapped: RefreshSource['unmapped']; location: string } {
  const result = checkShape(returned)
  const rows: CatalogRow[] = []
  const ids = new Map<string, CatalogRow>()
  result.rows.forEach((row, index) => {
    const id = typeof (row as { id?: unknown })?.id === 'string' ? (row as { id: string }).id : `#${index + 1}`
    const parsed = catalogRowSchema.safeParse(row)
    if (!parsed.success) throw new Error(describeZodIssues(`row ${id}`, parsed.error.issues))
    const earlier = ids.get(parsed.data.id)
    if (earlier) {
      const skus = [earlier.providerSkuId, parsed.data.providerSkuId].filter((sku) => sku !== undefined)
      throw new Error(`two rows with id ${parsed.data.id}${skus.length === 2 ? ` (provider SKU ids ${skus[0]} and ${skus[1]})` : ''}: two priced items map to one catalog row; none of this source's rows is kept (fix the mapping)`)
    }
    ids.set(parsed.data.id, parsed.data)
    rows.push(parsed.data)
  })
  const fxRates: FxRateRow[] = []
  const pairs = new Set<string>()
  ;(result.fxRates ?? []).forEach((rate, index) => {
    const parsed = fxRateSchema.safeParse(rate)
    if (!parsed.success) throw new Error(describeZodIssues(`fxRates.${index}`, parsed.error.issues))
    const key = `${parsed.data.base}/${parsed.data.quote} on ${parsed.data.date}`
    if (pairs.has(key)) throw new Error(`two rates for ${key}; none of this source's rates is kept`)
    pairs.add(key)
    fxRates.push(parsed.data)
  })
  const unmapped = unmappedListSchema.safeParse(result.unmapped)
  if (!unmapped.success) throw new Error(describeZodIssues('unmapped', unmapped.error.issues))
  return { rows, fxRates, unmapped: unmapped.data, location: result.location }
}

/** A result with its lists and location, or one line saying it is not (a fault of the source). */
function checkShape(result: SourceResult | undefined): SourceResult {
  if (result === null || typeof result !== 'object' || !Array.isArray(result.rows) || !Array.isArray(result.unmapped) || (result.fxRates !== undefined && !Array.isArray(result.fxRates))) {
    throw new Error('the source returned no rows and unmapped lists (a fault of the source)')
  }
  if (typeof result.location !== 'string' || result.location.trim() === '') throw new Error('the source returned no location (a fault of the source)')
  return result
}


function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
