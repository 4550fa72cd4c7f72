import { createHash } from 'node:crypto'
import { type Stats, createReadStream, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import type { z } from 'zod'
import { type CompareSummary, compareSummarySchema } from '../io/schema/compare.js'
import { parseWithSchema } from '../io/schema/load-file.js'
import { type Plan, planSchema } from '../io/schema/plan.js'
import { type SizingResult, sizingResultSchema } from '../io/schema/sizing.js'
import { type BenchSummary, benchSummarySchema } from '../io/schema/summary.js'
import { type TcoResult, tcoResultSchema } from '../io/schema/tco-result.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'

/** The report's sections, in reading order; a file read says which of them used it. */
export const SECTION_IDS = ['summary', 'endpoints', 'capacity', 'tco', 'plan', 'methodology', 'appendix'] as const
export type SectionId = (typeof SECTION_IDS)[number]

export type InputKind = 'bench' | 'records' | 'compare' | 'sizing' | 'tco' | 'plan' | 'sim-profile'

/** One file the report read: enough for an auditor to find it again and check it is the same. */
export interface InputFile {
  kind: InputKind
  /** As the user would type it: relative to the working directory when inside it. */
  path: string
  absolutePath: string
  bytes: number
  sha256: string
  /** Sections whose figures came from it (filled while the report is built). */
  usedBy: Set<SectionId>
}

export interface Loaded<T> {
  file: InputFile
  data: T
  /** The folder it was found in: runs from different folders are told apart by it. */
  folder: string
}

export interface RecordsSource {
  file: InputFile
  folder: string
  /** The summary it belongs to (same folder, its recordsFile), if any. */
  owner: { kind: 'bench'; summary: BenchSummary } | { kind: 'compare'; summary: CompareSummary } | null
}

export interface ReportInputs {
  folders: string[]
  bench: Array<Loaded<BenchSummary>>
  compare: Array<Loaded<CompareSummary>>
  sizing: Array<Loaded<SizingResult>>
  plan: Array<Loaded<Plan>>
  tco: Array<Loaded<TcoResult>>
  records: RecordsSource[]
  /** Every file read, in the order read. */
  files: InputFile[]
}

interface KnownJson<T> {
  name: string
  kind: Exclude<InputKind, 'records' | 'sim-profile'>
  schema: z.ZodType<T>
  /** The list of the inputs that a file of this name goes into. */
  loaded(inputs: ReportInputs): Array<Loaded<T>>
}

const BENCH: KnownJson<BenchSummary> = { name: 'summary.json', kind: 'bench', schema: benchSummarySchema, loaded: (inputs) => inputs.bench }
const COMPARE: KnownJson<CompareSummary> = { name: 'compare-summary.json', kind: 'compare', schema: compareSummarySchema, loaded: (inputs) => inputs.compare }
const SIZING: KnownJson<SizingResult> = { name: 'sizing.json', kind: 'sizing', schema: sizingResultSchema, loaded: (inputs) => inputs.sizing }
const PLAN: KnownJson<Plan> = { name: 'plan.json', kind: 'plan', schema: planSchema, loaded: (inputs) => inputs.plan }
const TCO: KnownJson<TcoResult> = { name: 'tco.json', kind: 'tco', schema: tcoResultSchema, loaded: (inputs) => inputs.tco }

/** The file names `geopat report` looks for in each folder. */
const KNOWN_FILES = [BENCH.name, 'records.jsonl', COMPARE.name, SIZING.name, TCO.name, PLAN.name] as const

/**
 * Finds and validates every geopat output in the folders given (each folder, and the folders
 * directly inside it, so that a `geopat run` folder with one sub-folder per step works too). A
 * file may also be named directly. Every file is checked against its schema; the first bad one
 * stops the report with one line naming the file, the field and the rule. An error about a path
 * names the option `from` (the cli names the flag).
 */
export async function loadReportInputs(paths: readonly string[]): Promise<ReportInputs> {
  if (paths.length === 0) throw new OptionMessageError('{from}: give at least one run folder')
  const inputs: ReportInputs = { folders: [], bench: [], compare: [], sizing: [], plan: [], tco: [], records: [], files: [] }
  const seen = new Set<string>()
  for (const path of paths) {
    const absolute = resolve(path)
    const stat = statInput(path, absolute)
    const found = await loadCandidates(inputCandidates(path, absolute, stat.isDirectory()), seen, inputs)
    if (found === 0) throw new OptionMessageError(`{from} ${path}: no geopat output found (looked for ${KNOWN_FILES.join(', ')})`)
    const folder = stat.isDirectory() ? absolute : dirname(absolute)
    if (!inputs.folders.includes(folder)) inputs.folders.push(folder)
  }
  attachRecordOwners(inputs)
  return inputs
}

function statInput(path: string, absolute: string): Stats {
  try {
    return statSync(absolute)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new OptionMessageError(`{from} ${path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read (${code ?? 'error'})`}`)
  }
}

/** The files a `from` path names: a known file itself, or every known file name in a folder and its sub-folders. */
function inputCandidates(path: string, absolute: string, isDirectory: boolean): string[] {
  if (isDirectory) return [absolute, ...subfolders(absolute)].flatMap((folder) => KNOWN_FILES.map((name) => join(folder, name)))
  if (!(KNOWN_FILES as readonly string[]).includes(basename(absolute))) {
    throw new OptionMessageError(`{from} ${path}: not a run folder nor one of ${KNOWN_FILES.join(', ')}`)
  }
  return [absolute]
}

/** Loads each candidate that exists and was not loaded before; returns how many exist. */
async function loadCandidates(candidates: string[], seen: Set<string>, inputs: ReportInputs): Promise<number> {
  let found = 0
  for (const candidate of candidates) {
    if (!isFile(candidate)) continue
    found++
    if (seen.has(candidate)) continue
    seen.add(candidate)
    await loadOne(candidate, inputs)
  }
  return found
}

function subfolders(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => join(folder, entry.name))
      .sort()
  } catch {
    return []
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

async function loadOne(absolutePath: string, inputs: ReportInputs): Promise<void> {
  const name = basename(absolutePath)
  const folder = dirname(absolutePath)
  if (name === 'records.jsonl') {
    const { bytes, sha256 } = await hashFile(absolutePath)
    const file = makeFile('records', absolutePath, bytes, sha256)
    inputs.files.push(file)
    inputs.records.push({ file, folder, owner: null })
    return
  }
  const known = ([BENCH, COMPARE, SIZING, TCO, PLAN] as Array<KnownJson<unknown>>).find((k) => k.name === name)
  if (!known) return
  let buffer: Buffer
  try {
    buffer = readFileSync(absolutePath)
  } catch (error) {
    throw new UserError(`${displayPath(absolutePath)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const file = makeFile(known.kind, absolutePath, buffer.length, createHash('sha256').update(buffer).digest('hex'))
  const data = parseJsonFile(file.path, buffer, known.schema)
  inputs.files.push(file)
  known.loaded(inputs).push({ file, folder, data })
}

/** JSON.parse and the schema, each failure as one line: `FILE: field.path: rule`. */
function parseJsonFile<T>(displayName: string, content: Buffer | string, schema: z.ZodType<T> | null): T | unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'))
  } catch (error) {
    throw new UserError(`${displayName}: not valid JSON (${(error as Error).message.split('\n')[0]})`)
  }
  return schema ? parseWithSchema(displayName, schema, parsed) : parsed
}

export function makeFile(kind: InputKind, absolutePath: string, bytes: number, sha256: string): InputFile {
  return { kind, path: displayPath(absolutePath), absolutePath, bytes, sha256, usedBy: new Set() }
}

/** Relative to the working directory when the file is inside it, else absolute. */
export function displayPath(absolutePath: string): string {
  const rel = relative(process.cwd(), absolutePath)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/') ? rel : absolutePath
}

export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  try {
    for await (const chunk of createReadStream(path)) {
      bytes += (chunk as Buffer).length
      hash.update(chunk as Buffer)
    }
  } catch (error) {
    throw new UserError(`${displayPath(path)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return { bytes, sha256: hash.digest('hex') }
}

/** A records.jsonl belongs to the summary in its folder that names it. */
function attachRecordOwners(inputs: ReportInputs): void {
  for (const source of inputs.records) {
    const name = basename(source.file.absolutePath)
    const bench = inputs.bench.find((b) => b.folder === source.folder && b.data.recordsFile === name)
    const compare = inputs.compare.find((c) => c.folder === source.folder && c.data.recordsFile === name)
    source.owner = bench ? { kind: 'bench', summary: bench.data } : compare ? { kind: 'compare', summary: compare.data } : null
  }
}

/** Marks a file as used by a section (the appendix lists it). */
export function use(file: InputFile, section: SectionId): void {
  file.usedBy.add(section)
}
