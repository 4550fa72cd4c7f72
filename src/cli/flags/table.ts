import { Flags, type Interfaces } from '@oclif/core'
import type { z } from 'zod'
import { UserError, describeZodIssues } from '../../util/errors.js'
import { type Parser, text } from './parsers.js'

/**
 * Flags as data (issue #19): one table per command names each flag once, with its help text, the
 * scenario path it sets and its parser. From the table come the oclif flags (`oclifFlags`), the
 * typed values (`FlagValues`, `readFlags`), the values set onto a scenario by path (`applyFlags`)
 * and the flag that a schema issue's path names in an error (`flagForIssue`, `validateScenario`).
 *
 * Defaults live in the zod schemas: a flag that sets a scenario path has no default of its own, so
 * an absent flag leaves the field to the file or the schema. Only a flag with no path (an option of
 * the command itself) may carry a default, or a flag whose command-line default deliberately
 * differs from the file's, which says why (`defaultBecause`).
 */

/** What every flag says about itself. */
interface FlagSpec {
  /** Help text (oclif prints it under --help). */
  readonly description: string
  /**
   * The scenario field the value goes to, dot-separated; `*` stands for every element of an array
   * (`endpoints.*.url`). Absent for a flag of the command itself (--out, --json, --sim).
   */
  readonly path?: string
  /**
   * Issue paths besides `path` (and below it) that name this flag in errors: a check across
   * fields that several flags set (`faults`: the fault rates together) names those given.
   */
  readonly issuePaths?: readonly string[]
  /** A command-line default that differs from the schema's on purpose, and why. */
  readonly defaultBecause?: string
}

interface ValueSpec<T> extends FlagSpec {
  /** The words oclif accepts (listed in --help). */
  readonly options?: readonly string[]
  /** Text fed to the parser when the flag is absent: only without `path`, or with `defaultBecause`. */
  readonly default?: string
  readonly required?: boolean
  /** The value as the scenario stores it, when it differs from the parsed value. */
  readonly toScenario?: (value: T) => unknown
}

interface BooleanSpec extends FlagSpec {
  /** Accept --no-NAME too. */
  readonly allowNo?: boolean
  readonly default?: boolean
  readonly toScenario?: (value: boolean) => unknown
}

/** One row of a flag table; `Always` is true when the flag always has a value (default or required). */
export interface FlagDef<T, Always extends boolean = boolean> extends FlagSpec {
  readonly kind: 'boolean' | 'value' | 'list'
  readonly options?: readonly string[]
  readonly allowNo?: boolean
  readonly default?: string | boolean
  readonly required?: boolean
  /** The raw oclif value (text, list of texts or boolean) → the typed value; errors without the flag's name. */
  readonly read: (raw: never) => T
  readonly toScenario?: (value: never) => unknown
  /** Type-only: carries `Always` (never set). */
  readonly always?: Always
}

// biome-ignore lint/suspicious/noExplicitAny: a table holds flags of any value type
export type FlagTable = Readonly<Record<string, FlagDef<any>>>

type Always<S> = S extends { default: string | boolean } ? true : S extends { required: true } ? true : false

/** The typed values of a table's flags: undefined where a flag was not given and has no default. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends FlagDef<infer V, infer A> ? (A extends true ? V : V | undefined) : never
}

/** A flag with a value, parsed by `parse`. */
export function value<T, const S extends ValueSpec<T>>(parse: Parser<T>, spec: S): FlagDef<T, Always<S>> {
  return { ...spec, kind: 'value', read: (raw: string) => parse(raw) }
}

/** The plain row of a table: a flag with a value, parsed by `parse`, that sets the scenario field at `path` (whose default is the schema's). */
export function field<T>(parse: Parser<T>, path: string, description: string): FlagDef<T, false> {
  return value(parse, { description, path })
}

/** A flag whose value is the text as given. */
export function string<const S extends ValueSpec<string>>(spec: S): FlagDef<string, Always<S>> {
  return value(text, spec)
}

/** One of `options` (oclif rejects any other word, listing them). */
export function choice<const O extends string, const S extends ValueSpec<O>>(options: readonly O[], spec: S): FlagDef<O, Always<S>> {
  return { ...spec, options, kind: 'value', read: (raw: string) => raw as O }
}

/** A repeatable flag: `parse` gets every text given, in order. */
export function repeated<T, const S extends ValueSpec<T>>(parse: (texts: readonly string[]) => T, spec: S): FlagDef<T, Always<S>> {
  return { ...spec, kind: 'list', read: (raw: string[]) => parse(raw) }
}

/** An on/off flag. */
export function boolean<const S extends BooleanSpec>(spec: S): FlagDef<boolean, Always<S>> {
  return { ...spec, kind: 'boolean', read: (raw: boolean) => raw }
}

/**
 * A command's table, checked once when the command loads: a flag that sets a scenario path has no
 * default (the schema's holds) unless it says why its command-line default differs.
 */
export function defineFlags<const T extends FlagTable>(table: T): T {
  for (const [name, def] of Object.entries(table)) {
    if (def.path !== undefined && def.default !== undefined && def.kind !== 'boolean' && def.defaultBecause === undefined)
      throw new Error(`flag --${name} sets ${def.path}: its default belongs to the schema (or give defaultBecause)`)
  }
  return table
}

/** The oclif flags of a table (what `static flags` holds; oclif renders --help from them). */
export function oclifFlags(table: FlagTable): Interfaces.FlagInput {
  const flags: Interfaces.FlagInput = {}
  for (const [name, def] of Object.entries(table)) {
    const common = { description: def.description, ...(def.required ? { required: true } : {}) }
    if (def.kind === 'boolean')
      flags[name] = Flags.boolean({
        ...common,
        ...(def.allowNo ? { allowNo: true } : {}),
        ...(def.default !== undefined ? { default: def.default as boolean } : {}),
      })
    else if (def.kind === 'list') flags[name] = Flags.string({ ...common, multiple: true })
    else
      flags[name] = Flags.string({
        ...common,
        ...(def.options ? { options: [...def.options] } : {}),
        ...(def.default !== undefined ? { default: def.default as string } : {}),
      })
  }
  return flags
}

/** One flag's text through its parser; a bad text fails as `--NAME: what is wrong`. */
export function parseFlag<T>(name: string, parse: (raw: never) => T, raw: unknown): T {
  try {
    return (parse as (raw: unknown) => T)(raw)
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`--${name}: ${error.message}`, error.exitCode)
    throw error
  }
}

/** oclif's parsed flags (texts) → the table's typed values; a bad text fails naming its flag. */
export function readFlags<T extends FlagTable>(table: T, raw: Readonly<Record<string, unknown>>): FlagValues<T> {
  const values: Record<string, unknown> = {}
  for (const [name, def] of Object.entries(table)) {
    if (raw[name] !== undefined) values[name] = parseFlag(name, def.read, raw[name])
  }
  return values as FlagValues<T>
}

/** Sets `value` at `path` (dot-separated, `*` = every element) in `target`, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path
  if (head === undefined) return
  if (head === '*') {
    for (const element of Array.isArray(target) ? target : []) setPath(element as Record<string, unknown>, rest, value)
    return
  }
  if (rest.length === 0) {
    target[head] = value
    return
  }
  const next = target[head]
  const child = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {}
  target[head] = child
  setPath(child, rest, value)
}

/** Sets every given flag that has a path onto `target` (a draft scenario, changed in place). */
export function applyFlags<T extends FlagTable>(table: T, values: FlagValues<T>, target: Record<string, unknown>): Record<string, unknown> {
  for (const [name, def] of Object.entries(table)) {
    const given = (values as Record<string, unknown>)[name]
    if (def.path === undefined || given === undefined) continue
    setPath(target, def.path.split('.'), def.toScenario ? (def.toScenario as (v: unknown) => unknown)(given) : given)
  }
  return target
}

/** Does `pattern` (with `*`) match the first segments of `path`? */
function isPrefix(pattern: readonly string[], path: readonly string[]): boolean {
  return pattern.length <= path.length && pattern.every((segment, i) => segment === '*' || segment === path[i])
}

/**
 * The flag(s) a schema issue at `issuePath` names: the flag whose path is the longest prefix of it,
 * or else the flags that list it in `issuePaths` (those given, when any are), as `--a, --b`.
 */
export function flagForIssue<T extends FlagTable>(table: T, issuePath: readonly PropertyKey[], values?: FlagValues<T>): string | undefined {
  const path = issuePath.map(String)
  let best: { name: string; length: number } | undefined
  for (const [name, def] of Object.entries(table)) {
    if (def.path === undefined) continue
    const pattern = def.path.split('.')
    if (isPrefix(pattern, path) && (best === undefined || pattern.length > best.length)) best = { name, length: pattern.length }
  }
  if (best) return `--${best.name}`
  const joined = path.join('.')
  const claiming = Object.entries(table).filter(([, def]) => def.issuePaths?.includes(joined))
  const given = claiming.filter(([name]) => (values as Record<string, unknown> | undefined)?.[name] !== undefined)
  const named = (given.length > 0 ? given : claiming).map(([name]) => `--${name}`)
  return named.length > 0 ? named.join(', ') : undefined
}

/**
 * Validates a scenario built from `source` (a file, or 'flags'): the first issue names its flag
 * when the scenario came from flags alone (`--rate: Number must be greater than 0`), its file and
 * field otherwise.
 */
export function validateWithFlags<S extends z.ZodTypeAny, T extends FlagTable>(
  schema: S,
  raw: unknown,
  context: { table: T; values: FlagValues<T>; source: string },
): z.output<S> {
  const result = schema.safeParse(raw)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const flag = issue && context.source === 'flags' ? flagForIssue(context.table, issue.path, context.values) : undefined
  if (flag && issue) throw new UserError(`${flag}: ${issue.message}`)
  throw new UserError(describeZodIssues(context.source, result.error.issues))
}
