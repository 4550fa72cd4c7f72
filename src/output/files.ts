import { accessSync, constants, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UserError } from '../util/errors.js'

/** A run id that sorts by time and says what ran: 20261124-061502-bench. */
export function makeRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${kind}`
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

/** Writes a whole file or nothing: a reader never sees half of it. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = join(dirname(path), `.${Date.now()}-${process.pid}.tmp`)
  writeFileSync(temporary, content)
  renameSync(temporary, path)
}

/**
 * A step's output file given as the file itself, the step's folder (NAME inside it), or a
 * `geopat run` folder (STEP/NAME inside it, for each step folder given); undefined when none exists.
 */
export function locateOutputFile(path: string, name: string, stepFolders: readonly string[] = []): string | undefined {
  const candidates = existsSync(path) && statSync(path).isDirectory() ? [join(path, name), ...stepFolders.map((step) => join(path, step, name))] : [path]
  return candidates.find((candidate) => existsSync(candidate))
}
