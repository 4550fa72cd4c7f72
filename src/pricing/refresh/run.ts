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
import type { PriceMappingFile } from '../../io/schema/price-mapping.js'
import { describeZodIssues } from '../../util/errors.js'
import { redactText, secretList } from '../../util/redact.js'
import { createHttpClient, proxyCredentials } from './http.js'
import { loadPriceMapping } from './mapping.js'
import { type SavedSource, SourceResponseSaver, removeIfEmpty, writeSavedResponsesManifest } from './saved-responses.js'
import type { PriceSource, SourceContext, SourceName, SourceResult } from './source.js'
import { type PlannedSource, type RefreshOptions, type SkippedSource, planRefresh } from './refresh-plan.js'

/**
 * `geopat catalog refresh`'s orchestration: which sources run and how (API, a mirror's URL, or a
 * price file for air-gapped sites), all at once, each all or nothing, every row and rate checked
 * against the catalog schema, and one catalog file object, validated whole, for the caller to write.
 * Which sources run and how is planned by refresh-plan.ts.
 */

export { type RefreshOptions, type SkippedSource, checkRegions, checkSourceNames, parseSourceAssignments, parseSourceUrls } from './refresh-plan.js'

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
    description:
      `Prices and rates fetched by geopat catalog refresh at ${fetchedAt} from ` + `${names.length > 0 ? names.join(', ') : 'no source (every source failed)'}`,
    refresh: { generatedAt: fetchedAt, sources },
    rows,
    ...(fxRates.length > 0 ? { fxRates } : {}),
  }
  const checked = catalogFileSchema.safeParse(candidate)
  // Every row and rate was checked per source, so this is a fault of the refresh itself.
  if (!checked.success) throw new Error(describeZodIssues('the refreshed catalog', checked.error.issues))
  const fxRatesBySource = Object.fromEntries(okRuns.filter((run) => run.fxRates.length > 0).map((run) => [run.record.source, run.fxRates.length]))
  return {
    catalog: checked.data,
    sources,
    skipped,
    failed: sources.filter((source) => source.status === 'failed'),
    fxRatesBySource,
    ...(saved ? { saved } : {}),
  }
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
  const failed = runs
    .filter((run) => run.saver && run.record.status === 'failed')
    .map((run) => ({ source: run.record.source, error: run.record.error ?? 'failed' }))
  if (sources.length > 0) await writeSavedResponsesManifest(dir, now, sources, failed)
  else if (createdDir) await removeIfEmpty(dir)
  return { dir, sources }
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
  const secretValues = (plan.source.secretEnv ?? [])
    .map((name) => ({ name, value: env[name] }))
    .filter((entry): entry is { name: string; value: string } => typeof entry.value === 'string' && entry.value.trim() !== '')
  const secrets = secretList([...secretValues.map((entry) => entry.value), ...proxyCredentials(env)])
  const redact = (text: string): string => redactText(text, secrets)
  const location = plan.files?.join(', ') ?? plan.baseUrl ?? plan.source.defaultBaseUrl
  // Files downloaded earlier: read as of their download (its time, its base URL), when known.
  const fetchedAt = plan.origin?.fetchedAt ?? now
  const baseUrl = plan.origin?.baseUrl ?? plan.baseUrl
  const saver = options.saveResponsesTo !== undefined && plan.via === 'api' ? new SourceResponseSaver(options.saveResponsesTo, plan.name, secrets) : undefined
  const run: SourceRun = {
    record: {
      source: plan.name,
      via: plan.via,
      location: redact(location) || plan.name,
      fetchedAt: fetchedAt.toISOString(),
      status: 'ok',
      rows: 0,
      unmapped: [],
    },
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
function checkSourceResult(returned: SourceResult | undefined): {
  rows: CatalogRow[]
  fxRates: FxRateRow[]
  unmapped: RefreshSource['unmapped']
  location: string
} {
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
      throw new Error(
        `two rows with id ${parsed.data.id}${skus.length === 2 ? ` (provider SKU ids ${skus[0]} and ${skus[1]})` : ''}: ` +
          "two priced items map to one catalog row; none of this source's rows is kept (fix the mapping)",
      )
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
  if (
    result === null ||
    typeof result !== 'object' ||
    !Array.isArray(result.rows) ||
    !Array.isArray(result.unmapped) ||
    (result.fxRates !== undefined && !Array.isArray(result.fxRates))
  ) {
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
