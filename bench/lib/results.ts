/**
 * What a benchmark prints and writes: its figures as text, its tables, where they go (stdout,
 * bench/RESULTS.md, bench/results/), its log lines on stderr, and its failure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PACKAGE_ROOT } from '../../src/util/version.js'

/** bench/RESULTS.md in the source tree (not in dist/), where --write puts the tables. */
export const RESULTS_FILE = join(PACKAGE_ROOT, 'bench', 'RESULTS.md')
/** Raw per-case results (JSON) beside RESULTS.md, so that every table figure can be recomputed. */
export const RESULTS_DATA_DIR = join(PACKAGE_ROOT, 'bench', 'results')

/** A markdown table; cells are printed as given. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const escapeCell = (cell: string): string => cell.replace(/\|/g, '\\|')
  const lines = [`| ${headers.map(escapeCell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`]
  for (const row of rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`)
  return lines.join('\n')
}

/** A number with `digits` decimals, '–' for null/undefined/NaN; `signed` adds '+' to positives. */
export function fmt(value: number | null | undefined, digits = 2, signed = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  const text = value.toFixed(digits)
  return signed && value > 0 ? `+${text}` : text
}

/** a − b, or null when either is unknown: a client's figure against a truth that a run may lack. */
export function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b
}

/** Replaces what lies between `<!-- NAME:start -->` and `<!-- NAME:end -->` in RESULTS.md. */
export function writeResultsSection(name: string, markdown: string, file = RESULTS_FILE): void {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const text = readFileSync(file, 'utf8')
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file}: markers ${start} … ${end} not found`)
  const updated = `${text.slice(0, from + start.length)}\n${markdown.trim()}\n${text.slice(to)}`
  writeFileSync(file, updated)
}

/** Writes the raw results as bench/results/NAME.json. */
export function writeResultsData(name: string, data: unknown): string {
  const path = join(RESULTS_DATA_DIR, `${name}.json`)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`)
  return path
}

/**
 * A benchmark's output: on stdout its data as JSON (`json`) or else its markdown; with `write`, its
 * section of bench/RESULTS.md and its data in bench/results/NAME.json, and a line saying so.
 */
export function showAndWriteResults(name: string, markdown: string, data: unknown, options: { json: boolean; write: boolean }): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${markdown}\n`)
  if (!options.write) return
  writeResultsSection(name, markdown)
  log(`wrote the ${name} section of bench/RESULTS.md and ${writeResultsData(name, data)}`)
}

/** A line on stderr (stdout is kept for the final table or JSON). */
export function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** Lets the machine settle between cases (sockets in TIME_WAIT, GC, the simulator's exit). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs a benchmark script's main; a failure is one line on stderr naming the benchmark (with its stack) and exit code 1. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
