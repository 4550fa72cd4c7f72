import { existsSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import { PROFILE_DIR, listProfiles, loadProfile } from '../io/schema/sim-profile.js'
import { OptionMessageError } from '../util/option-error.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { ChartBook } from './chart-book.js'
import { num } from './format.js'
import { type ReportInputs, type SectionId, displayPath, hashFile, loadReportInputs, makeFile, use } from './inputs.js'
import { type LatencyGroup, collectLatencies } from './latencies.js'
import { reconcileCounts } from './reconcile.js'
import { tlsOffLines } from '../load/run-safety.js'
import type { ReportModel } from './model.js'
import { createRenderer } from './render.js'
import { SECTION_TITLES, appendixSection } from './sections/appendix.js'
import { capacitySection } from './sections/capacity.js'
import { endpointsSection } from './sections/endpoints.js'
import { executiveSection } from './sections/executive.js'
import { type SourcedFigure, methodologySection, simulatorNotes } from './sections/methodology.js'
import { planSection } from './sections/plan.js'
import { tcoSection } from './sections/tco.js'

export interface ReportOptions {
  /** Run folders (or files) to read. */
  from: string[]
  /** A file (….html) or a folder for report.html; default: the first --from folder. */
  out?: string
  title?: string
  /** The report's date (default now): staleness is judged against it. Fixed in tests for identical bytes. */
  now?: Date
}

export interface ReportResult {
  file: string
  bytes: number
  /** Ids of the sections the report holds, in order. */
  sections: SectionId[]
  /** The report's alerts (TLS verification off, counts that do not match the records), also shown at its top. */
  warnings: string[]
}

const DEFAULT_TITLE = 'LLM inference: latency, capacity, cost and migration evidence'

/** Builds the report's model from the files: every figure formatted, every chart rendered. */
export async function buildReportModel(inputs: ReportInputs, options: { title?: string; now?: Date; command?: string } = {}): Promise<ReportModel> {
  const now = options.now ?? new Date()
  const book = new ChartBook()
  const latencyGroups: Array<{ group: LatencyGroup; file: string }> = []
  for (const source of inputs.records) {
    const groups = await collectLatencies(source)
    if (groups.length > 0) use(source.file, 'endpoints')
    for (const group of groups) latencyGroups.push({ group, file: source.file.path })
  }
  const alerts = [
    ...[...inputs.bench, ...inputs.compare].flatMap(({ data, file }) => tlsOffLines(data.safety).map((line) => `${file.path}: ${line}`)),
    ...(await reconcileCounts(inputs)).map((mismatch) => mismatch.message),
  ]
  const figures = await sourcedFigures(inputs)
  const simulator = simulatorNotes(inputs)
  const executive = executiveSection(inputs, simulator)
  const endpoints = endpointsSection(book, inputs, latencyGroups)
  const capacity = capacitySection(book, inputs.sizing)
  const tco = tcoSection(book, inputs.tco)
  const plan = planSection(book, inputs.plan)
  const methodology = methodologySection(inputs, figures, now)
  const notRendered: string[] = []
  const command = `geopat report ${inputs.folders.map((f) => `--from ${quoteArg(displayPath(f))}`).join(' ')}`
  const appendix = appendixSection(inputs.files, notRendered, command)
  const present: SectionId[] = [
    ...(executive ? (['summary'] as const) : []),
    ...(endpoints ? (['endpoints'] as const) : []),
    ...(capacity ? (['capacity'] as const) : []),
    ...(tco ? (['tco'] as const) : []),
    ...(plan ? (['plan'] as const) : []),
    'methodology',
    'appendix',
  ]
  const runs = [
    ...inputs.bench.map(({ data }) => `bench ${data.runId}`),
    ...inputs.compare.map(({ data }) => `compare ${data.runId}`),
    ...inputs.sizing.map(({ data }) => `sizing ${data.createdAt.slice(0, 10)}`),
    ...inputs.tco.map(({ data }) => `TCO ${data.model.name}`),
    ...inputs.plan.map(({ data }) => `plan ${data.organisation}`),
  ]
  return {
    title: options.title ?? DEFAULT_TITLE,
    subtitle: runs.length > 0 ? `From ${runs.join(' · ')}` : 'From the files listed in the appendix',
    generatedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    tool: `geopat ${GEOPAT_VERSION}`,
    toc: present.map((id) => ({ id, title: SECTION_TITLES[id] })),
    alerts,
    executive,
    endpoints,
    capacity,
    tco,
    plan,
    methodology,
    appendix,
  }
}

function quoteArg(text: string): string {
  return /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/**
 * Prices and figures the inputs carry, with their sources and dates, for the methodology's table
 * and its staleness warnings. Simulator profiles a sizing searched are read for their sources
 * (and listed in the appendix).
 */
async function sourcedFigures(inputs: ReportInputs): Promise<SourcedFigure[]> {
  const figures: SourcedFigure[] = []
  const profiles = new Set(listProfiles())
  const readProfiles = new Set<string>()
  for (const { data, file } of inputs.sizing) {
    for (const e of data.endpoints) {
      for (const c of e.costs) figures.push(gpuHourPriceFigure(e.label, c, file.path))
      const profileName = e.profile?.name ?? null
      if (profileName && profiles.has(profileName) && !readProfiles.has(profileName)) {
        readProfiles.add(profileName)
        figures.push(...(await profileFigures(inputs, profileName)))
      }
    }
  }
  for (const { data, file } of inputs.tco) figures.push(...data.drivers.map((driver) => tcoDriverFigure(driver, data.pricesUsed !== undefined, file.path)))
  return figures
}

type SizingCost = ReportInputs['sizing'][number]['data']['endpoints'][number]['costs'][number]
type TcoDriver = ReportInputs['tco'][number]['data']['drivers'][number]

/** A sizing's price per GPU-hour, dated by its last confirmation (the fetch's day, else its effective date). */
function gpuHourPriceFigure(endpointLabel: string, c: SizingCost, foundIn: string): SourcedFigure {
  const fromCommandLine = c.catalogRow === 'command line'
  return {
    figure: `Price per GPU-hour${fromCommandLine ? '' : `, ${c.provider} ${c.region}`} (sizing of ${endpointLabel})`,
    value: `${num(c.pricePerGpuHour)} ${c.currency}`,
    source: c.priceSource
      ? `catalog row ${c.catalogRow}: ${c.priceSource.source}`
      : fromCommandLine
        ? 'given on the command line (geopat size --gpu-hour-price)'
        : `catalog row ${c.catalogRow}`,
    date: c.catalogPrice?.confirmedOn ?? c.priceSource?.date ?? null,
    confidence: c.priceSource?.confidence ?? null,
    foundIn,
    ...(c.catalogPrice !== undefined ? { agedInPricesUsed: true } : {}),
  }
}

/** A simulator profile a sizing searched: listed among the inputs (appendix), its calibration sources as figures. */
async function profileFigures(inputs: ReportInputs, profileName: string): Promise<SourcedFigure[]> {
  const path = join(PROFILE_DIR, `${profileName}.yaml`)
  const profile = loadProfile(profileName)
  const { bytes, sha256 } = await hashFile(path)
  const profileFile = makeFile('sim-profile', path, bytes, sha256)
  profileFile.usedBy.add('methodology')
  inputs.files.push(profileFile)
  return profile.sources.map((s) => ({
    figure: s.claim,
    value: 'simulator calibration',
    source: s.source,
    date: s.date,
    confidence: null,
    foundIn: profileFile.path,
  }))
}

/** A TCO driver, dated and rated from its origin text; a catalog price is aged in "Prices used" when the result lists them. */
function tcoDriverFigure(driver: TcoDriver, hasPricesUsed: boolean, foundIn: string): SourcedFigure {
  const date = /\b(\d{4}-\d{2}(?:-\d{2})?)\b/.exec(driver.origin)?.[1] ?? null
  const confidence = /\b(high|medium|low|assumption)\b/.exec(driver.origin)?.[1] ?? null
  const agedInPricesUsed = hasPricesUsed && driver.origin.startsWith('catalog row ')
  return {
    figure: driver.name,
    value: `${num(driver.central)} (P10 ${num(driver.p10)}, P90 ${num(driver.p90)})`,
    source: driver.origin,
    date,
    confidence,
    foundIn,
    ...(agedInPricesUsed ? { agedInPricesUsed } : {}),
  }
}

/** Where report.html goes: `out` as a file (….html) or folder, else the first `from` folder. */
function resolveOutput(out: string | undefined, inputs: ReportInputs): string {
  if (out === undefined) {
    const first = inputs.folders[0]
    if (!first) throw new OptionMessageError('{from}: no folder to write report.html into; give {out}')
    return join(first, 'report.html')
  }
  const absolute = resolve(out)
  const isDir = existsSync(absolute) ? statSync(absolute).isDirectory() : !['.html', '.htm'].includes(extname(absolute).toLowerCase())
  if (isDir) return join(prepareOutputDir(absolute), 'report.html')
  prepareOutputDir(dirname(absolute))
  return absolute
}

export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const inputs = await loadReportInputs(options.from)
  const file = resolveOutput(options.out, inputs)
  const model = await buildReportModel(inputs, {
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  const html = createRenderer()(model)
  writeFileAtomic(file, html)
  return { file: displayPath(file), bytes: Buffer.byteLength(html), sections: model.toc.map((t) => t.id as SectionId), warnings: model.alerts }
}
