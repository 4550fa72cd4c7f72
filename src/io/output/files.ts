import { type Dirent, accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { UserError } from '../../util/errors.js'
import { takeLock } from './run-lock.js'

/** A run id that sorts by time and says what ran: 20261124-061502-bench (the kind made path-safe). */
export function makeRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${safePathSegment(kind)}`
}

/** The longest path segment made from a name: well under every file system's 255-byte limit. */
const MAX_SEGMENT = 80

/**
 * A name from a scenario, an endpoint label, a workload or a run id made into one safe path
 * segment: letters, digits, '.', '_' and '-' only (separators, control characters and anything
 * else become '_'), no '..' and no leading '.' or '_' (so never a parent folder or a hidden
 * file), at most 80 characters; `fallback` when nothing is left.
 */
export function safePathSegment(name: string, fallback = 'run'): string {
  const segment = name
    .replace(/\.{2,}/g, '.')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/[._]*_[._]*/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_SEGMENT)
    .replace(/[._]+$/, '')
  return segment.length > 0 ? segment : fallback
}

/** `folder` joined with `segments`, after checking the result stays strictly inside `folder`. */
export function pathInside(folder: string, ...segments: string[]): string {
  const base = resolve(folder)
  const path = resolve(base, ...segments)
  const rel = relative(base, path)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new UserError(`output path ${path} would leave the folder ${base}`)
  return path
}

/**
 * Checks before anything is measured that the output folder can be created and written, so a bad
 * --out fails at once with one line instead of after a long run.
 */
export function prepareOutputDir(outDir: string): string {
  const absolute = resolve(outDir)
  let existing = absolute
  while (!exists(existing)) {
    const parent = dirname(existing)
    if (parent === existing) break
    existing = parent
  }
  try {
    if (!statSync(existing).isDirectory()) throw new UserError(`--out ${outDir}: ${existing} is a file, not a folder`)
    accessSync(existing, constants.W_OK)
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`--out ${outDir}: folder is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    mkdirSync(absolute, { recursive: true })
    accessSync(absolute, constants.W_OK)
  } catch (error) {
    throw new UserError(`--out ${outDir}: cannot create or write the folder (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return absolute
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

/**
 * Writes a whole file or nothing: a reader never sees half of it. A failed write (a full disk)
 * removes its temporary file and throws one line naming the file.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = join(dirname(path), `.${Date.now()}-${process.pid}.tmp`)
  try {
    writeFileSync(temporary, content)
    renameSync(temporary, path)
  } catch (error) {
    try {
      unlinkSync(temporary)
    } catch {
      // never created, or already renamed
    }
    throw new UserError(`cannot write ${path}: ${describeWriteError(error)}`, 1)
  }
}

/**
 * A run's summary files, each written whole. When the records already failed to write
 * (`recordsFailure`, a full disk) and a summary fails too, one line says both.
 */
export function writeSummaryFiles(outDir: string, files: Record<string, string>, recordsFailure: string | undefined): void {
  try {
    for (const [name, content] of Object.entries(files)) writeFileAtomic(join(outDir, name), content)
  } catch (error) {
    if (recordsFailure) throw new UserError(`${recordsFailure}; ${(error as Error).message}`, 1)
    throw error
  }
}

/** A write error in words: "disk full (ENOSPC)", "I/O error (EIO)", … */
export function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const words: Record<string, string> = {
    ENOSPC: 'disk full',
    EDQUOT: 'disk quota exceeded',
    EIO: 'I/O error',
    EFBIG: 'file too large',
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
  }
  return code ? `${words[code] ?? 'write failed'} (${code})` : ((error as Error).message ?? String(error))
}

/**
 * A step's output file given as the file itself, the step's folder (NAME inside it), or a
 * `geopat run` folder (STEP/NAME inside it, for each step folder given); undefined when none exists.
 */
export function locateOutputFile(path: string, name: string, stepFolders: readonly string[] = []): string | undefined {
  const candidates = existsSync(path) && statSync(path).isDirectory() ? [join(path, name), ...stepFolders.map((step) => join(path, step, name))] : [path]
  return candidates.find((candidate) => existsSync(candidate))
}

/** The files geopat writes into a run folder (or into a step folder of a `geopat run` folder). */
const RUN_ARTEFACTS = [
  'records.jsonl',
  // bench --scrape-metrics appends its scrapes: an earlier run's left in place would mix into the new run's.
  'metrics.jsonl',
  'shard.json',
  'summary.json',
  'summary.csv',
  'compare-summary.json',
  'compare-summary.csv',
  'sizing.json',
  'tco.json',
  'cashflows.csv',
  'focus.csv',
  'risk-estimates.csv',
  'plan.json',
  'waves.csv',
  'workloads.csv',
  'gantt.csv',
  'dependencies.dot',
  'attestation.json',
  'report.html',
] as const
/** The step folders of a `geopat run` folder. */
const STEP_FOLDERS = ['bench', 'compare', 'size', 'plan', 'tco'] as const
/** Attestation evidence kept beside a run: attestation/<endpoint>-<phase>.<suffix>. */
const EVIDENCE_FOLDER = 'attestation'
const EVIDENCE_SUFFIXES = ['.snp-report.bin', '.vcek.pem', '.nvidia-token.jwt', '.nvidia-evidence.json', '.tdx-quote.bin']
/** writeFileAtomic's temporary files. */
const TEMPORARY = /^\.\d+-\d+\.tmp$/

/** geopat's own files in `folder` (and in its step and evidence folders), relative to it. */
export function runArtefactsIn(folder: string): string[] {
  const found: string[] = []
  scanArtefacts(folder, '', 0, found)
  return found.sort()
}

/** Adds geopat's files in `dir` to `found` (named `prefix` + name); goes into the evidence folder, and at the top into the step folders. */
function scanArtefacts(dir: string, prefix: string, depth: number, found: string[]): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const name = `${prefix}${entry.name}`
    if (entry.isFile() && isRunArtefact(entry.name)) found.push(name)
    else if (entry.isDirectory() && entry.name === EVIDENCE_FOLDER) found.push(...evidenceFiles(join(dir, entry.name)).map((file) => `${name}/${file}`))
    else if (entry.isDirectory() && depth === 0 && (STEP_FOLDERS as readonly string[]).includes(entry.name))
      scanArtefacts(join(dir, entry.name), `${name}/`, 1, found)
  }
}

function isRunArtefact(fileName: string): boolean {
  return (RUN_ARTEFACTS as readonly string[]).includes(fileName) || TEMPORARY.test(fileName)
}

function evidenceFiles(evidenceDir: string): string[] {
  return readdirSync(evidenceDir).filter((file) => EVIDENCE_SUFFIXES.some((suffix) => file.endsWith(suffix)))
}

export interface RunFolder {
  /** The folder, absolute. */
  dir: string
  /** Removes the lock (once; also on process exit). */
  release(): void
}

export interface ClaimOptions {
  /** --out (or the scenario's out:); undefined: reports/<run-id>, made unique. */
  outDir: string | undefined
  runId: string
  /** Remove geopat's own files there first (RUN_ARTEFACTS, evidence, step folders), nothing else. */
  overwrite?: boolean
  /** The caller (`geopat run`) already holds the run folder this one is a step folder of. */
  heldByCaller?: boolean
  log: (line: string) => void
}

/**
 * The folder a run writes into, for that run alone: it must not hold another run's files (unless
 * `overwrite`, which removes geopat's own files and nothing else), and a lock file created with
 * O_EXCL keeps a second process out for the life of the run. A lock left by a process that is gone
 * (same host, pid no longer alive) is taken over with one line.
 */
export function claimRunFolder(options: ClaimOptions): RunFolder {
  if (options.heldByCaller) return { dir: prepareOutputDir(options.outDir ?? defaultRunFolder(options.runId)), release: () => undefined }
  const created = options.outDir !== undefined ? firstMissing(resolve(options.outDir)) : undefined
  const dir = options.outDir !== undefined ? prepareOutputDir(options.outDir) : defaultRunFolder(options.runId)
  const display = options.outDir !== undefined ? `--out ${options.outDir}` : dir
  const unlock = takeLock(dir, display, options.runId, options.log)
  // A run that fails before writing anything (a bad endpoint) leaves no folder behind.
  const release = (): void => {
    unlock()
    const top = created ?? (options.outDir === undefined ? dir : undefined)
    if (top === undefined) return
    for (let folder = dir; ; folder = dirname(folder)) {
      removeIfEmpty(folder)
      if (folder === top || dirname(folder) === folder) break
    }
  }
  try {
    const existing = runArtefactsIn(dir)
    if (existing.length > 0 && !options.overwrite) {
      const more = existing.length > 1 ? ` and ${existing.length - 1} more` : ''
      throw new UserError(`${display}: already holds a run (${existing[0]}${more}); give a new folder, or --overwrite to replace geopat's files there`)
    }
    for (const name of existing) unlinkSync(join(dir, name))
    for (const sub of [EVIDENCE_FOLDER, ...STEP_FOLDERS.flatMap((step) => [join(step, EVIDENCE_FOLDER), step])]) removeIfEmpty(join(dir, sub))
  } catch (error) {
    release()
    if (error instanceof UserError) throw error
    throw new UserError(`${display}: cannot clear the folder (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return { dir, release }
}

/** The topmost folder of `path` that does not exist yet (what mkdir -p creates), or undefined. */
function firstMissing(path: string): string | undefined {
  if (exists(path)) return undefined
  let missing = path
  while (!exists(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing)
  return missing
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir)
  } catch {
    // absent, or not ours to remove
  }
}

/** reports/<run-id>, or reports/<run-id>-2, -3, … when a run of the same second has it: mkdir is atomic. */
function defaultRunFolder(runId: string): string {
  const parent = prepareOutputDir('reports')
  for (let n = 1; n <= 1000; n++) {
    const candidate = pathInside(parent, safePathSegment(n === 1 ? runId : `${runId}-${n}`))
    try {
      mkdirSync(candidate)
      return candidate
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UserError(`reports: cannot create ${candidate} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  throw new UserError(`reports: no free folder name for ${runId}; give --out`)
}
