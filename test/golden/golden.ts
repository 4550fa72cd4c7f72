import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { afterAll, beforeAll, vi } from 'vitest'
import { REPO_ROOT } from '../helpers/cli.js'

/**
 * Golden outputs (test/fixtures/golden/README.md): what the shipped scenarios produce, recorded
 * once, compared on every run. `npm run golden:update` (GOLDEN_UPDATE=1) writes them instead.
 */
export const GOLDEN_DIR = join(REPO_ROOT, 'test', 'fixtures', 'golden')
export const UPDATING = process.env.GOLDEN_UPDATE === '1'

/**
 * "Today" for every golden run (the clock is faked to it): catalog staleness, prices' ages and the
 * in-force checks depend on the date, so the same inputs give the same output on any later day.
 */
export const GOLDEN_TODAY = new Date('2026-12-06T12:00:00.000Z')

/** Fields whose value is the clock or the run's id, not behaviour. */
const MASKED_KEYS: Record<string, string> = {
  createdAt: '<clock>',
  startedAt: '<clock>',
  finishedAt: '<clock>',
  runId: '<run-id>',
}
/** Inside `tool` (the build that wrote a file): its version and Node's, not behaviour. */
const MASKED_TOOL_KEYS: Record<string, string> = { version: '<version>', node: '<node-version>' }

/** Folders replaced by a placeholder wherever they appear in a string (absolute paths). */
export type Roots = Array<[path: string, placeholder: string]>

/** The repository's own absolute path, written into outputs as inputs' paths. */
export const REPO_ROOTS: Roots = [[REPO_ROOT, '<repo>']]

function maskString(text: string, roots: Roots): string {
  // The longest root first: a temporary folder may sit inside the repository.
  let out = text
  for (const [path, placeholder] of [...roots].sort((a, b) => b[0].length - a[0].length)) out = out.split(path).join(placeholder)
  return out
}

/** A JSON value with masked keys replaced and root folders written as placeholders. */
export function masked(value: unknown, roots: Roots, keys: Record<string, string> = MASKED_KEYS): unknown {
  if (typeof value === 'string') return maskString(value, roots)
  if (Array.isArray(value)) return value.map((item) => masked(item, roots))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const scalar = item !== null && typeof item !== 'object'
      const inner = key === 'tool' ? { ...MASKED_KEYS, ...MASKED_TOOL_KEYS } : MASKED_KEYS
      out[key] = scalar && keys[key] !== undefined ? keys[key] : masked(item, roots, inner)
    }
    return out
  }
  return value
}

/** The same text with root folders as placeholders and geopat's version string (FOCUS x_GeneratedBy) masked. */
export function maskedText(text: string, roots: Roots, version: string): string {
  return maskString(text, roots).split(`geopat ${version}`).join('geopat <version>')
}

/** Pretty JSON with every object's keys sorted: a stable file whatever order the code builds it in. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort)
    if (v === null || typeof v !== 'object') return v
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    )
  }
  return `${JSON.stringify(sort(value), null, 2)}\n`
}

const LIMIT = 15

/** An array item's own name, shown after its index: `$.options[2](own-dc)`, `$.endpoints[0](eu-regional)`. */
function itemName(item: unknown): string {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return ''
  const record = item as Record<string, unknown>
  const name = ['id', 'name', 'label', 'workload'].map((key) => record[key]).find((value) => typeof value === 'string')
  return name === undefined ? '' : `(${name})`
}

/** Where two JSON values differ, as `$.path: golden … ≠ now …` lines (at most `limit`, then a count). */
export function jsonDifferences(golden: unknown, actual: unknown, path = '$', out: string[] = []): string[] {
  const show = (v: unknown): string => {
    const text = JSON.stringify(v)
    return text === undefined ? 'absent' : text.length > 80 ? `${text.slice(0, 77)}...` : text
  }
  if (Array.isArray(golden) && Array.isArray(actual)) {
    if (golden.length !== actual.length) out.push(`${path}: ${golden.length} items in the golden ≠ ${actual.length} now`)
    for (let i = 0; i < Math.min(golden.length, actual.length); i++) jsonDifferences(golden[i], actual[i], `${path}[${i}]${itemName(golden[i])}`, out)
    return out
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (isObject(golden) && isObject(actual)) {
    for (const key of [...new Set([...Object.keys(golden), ...Object.keys(actual)])].sort()) {
      const child = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
      if (!(key in actual)) out.push(`${child}: in the golden ${show(golden[key])}, absent now`)
      else if (!(key in golden)) out.push(`${child}: absent in the golden, now ${show(actual[key])}`)
      else jsonDifferences(golden[key], actual[key], child, out)
    }
    return out
  }
  // Exact: the same inputs on the same Node give the same doubles (no tolerance; README says why).
  if (!Object.is(golden, actual)) out.push(`${path}: golden ${show(golden)} ≠ now ${show(actual)}`)
  return out
}

/** Where two texts differ, as `line N: golden … ≠ now …` lines. */
export function textDifferences(golden: string, actual: string): string[] {
  const a = golden.split('\n')
  const b = actual.split('\n')
  const out: string[] = []
  if (a.length !== b.length) out.push(`${a.length} lines in the golden ≠ ${b.length} now`)
  const cut = (s: string | undefined): string => (s === undefined ? 'absent' : s.length > 100 ? `${s.slice(0, 97)}...` : s)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push(`line ${i + 1}: golden ${JSON.stringify(cut(a[i]))} ≠ now ${JSON.stringify(cut(b[i]))}`)
  }
  return out
}

function report(file: string, differences: string[]): string {
  const shown = differences.slice(0, LIMIT)
  const more = differences.length > LIMIT ? [`… and ${differences.length - LIMIT} more`] : []
  return [
    `golden mismatch in ${relative(REPO_ROOT, file)} (${differences.length} difference(s)):`,
    ...shown.map((d) => `  ${d}`),
    ...more,
    'A refactor must leave golden outputs unchanged. Re-record (npm run golden:update) only for a deliberate behaviour change, said in the commit.',
  ].join('\n')
}

function goldenFile(name: string): string {
  return join(GOLDEN_DIR, name)
}

function missing(file: string): Error {
  return new Error(`no golden file ${relative(REPO_ROOT, file)}: record it with npm run golden:update`)
}

/** Compares a JSON output (already masked) with its golden file; writes it under GOLDEN_UPDATE=1. */
export function expectGoldenJson(name: string, value: unknown): void {
  const file = goldenFile(name)
  // Through JSON once: what a written file would hold (no undefined, no -0 surprises in the diff).
  const actual: unknown = JSON.parse(JSON.stringify(value))
  if (UPDATING) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, stableJson(actual))
    return
  }
  if (!existsSync(file)) throw missing(file)
  const differences = jsonDifferences(JSON.parse(readFileSync(file, 'utf8')), actual)
  if (differences.length > 0) throw new Error(report(file, differences))
}

/** Compares a text output (already masked: a CSV) with its golden file; writes it under GOLDEN_UPDATE=1. */
export function expectGoldenText(name: string, text: string): void {
  const file = goldenFile(name)
  if (UPDATING) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return
  }
  if (!existsSync(file)) throw missing(file)
  const differences = textDifferences(readFileSync(file, 'utf8'), text)
  if (differences.length > 0) throw new Error(report(file, differences))
}

/**
 * A large text output (focus.csv, about 1 MB) by its line count, header and SHA-256: any change is
 * found; to see which lines, write the file before and after the change and diff them.
 */
export function textDigest(text: string): { lines: number; header: string; sha256: string } {
  return { lines: text.split('\n').length, header: text.split('\n')[0] ?? '', sha256: createHash('sha256').update(text).digest('hex') }
}

/**
 * A golden run's setting, for the describe it is called in: the clock at GOLDEN_TODAY, a fresh
 * output folder (masked as <out>) and the roots to mask with it, set before the tests and undone after.
 */
export function useGoldenRun(name: string): { out: string; roots: Roots } {
  const run = { out: '', roots: REPO_ROOTS }
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: GOLDEN_TODAY })
    run.out = mkdtempSync(join(tmpdir(), `geopat-golden-${name}-`))
    run.roots = [[run.out, '<out>'], ...REPO_ROOTS]
  })
  afterAll(() => {
    vi.useRealTimers()
    rmSync(run.out, { recursive: true, force: true })
  })
  return run
}
