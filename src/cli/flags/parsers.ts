import { type ThinkTimeSpec, thinkTimeSchema } from '../../io/schema/session.js'
import { parseLengthFlag } from '../../input/distributions.js'
import type { LengthSpec } from '../../io/schema/length-spec.js'
import type { Scenario } from '../../io/schema/scenario.js'
import { parseSloExpression } from '../../metrics/slo.js'
import { UserError, describeZodIssues } from '../../util/errors.js'

/**
 * The parsers of flag text, one definition each. A parser gets the text of one flag and returns its
 * value, or throws a UserError that says what is wrong with the text without naming the flag: the
 * flag table (./table.ts) puts `--NAME: ` in front. Ranges are the zod schemas' job wherever the
 * value lands in a schema; a parser only checks the form.
 */
export type Parser<T> = (text: string) => T

/** The text as it is. */
export const text: Parser<string> = (value) => value

/** Any finite number. */
export const number: Parser<number> = (value) => {
  const parsed = value.trim() === '' ? Number.NaN : Number(value)
  if (!Number.isFinite(parsed)) throw new UserError(`"${value}" is not a number`)
  return parsed
}

/** A whole number. */
export const integer: Parser<number> = (value) => {
  const parsed = value.trim() === '' ? Number.NaN : Number(value)
  if (!Number.isInteger(parsed)) throw new UserError(`"${value}" is not an integer`)
  return parsed
}

/** A number above 0 (for values no schema checks). */
export const positiveNumber: Parser<number> = (value) => {
  const parsed = number(value)
  if (!(parsed > 0)) throw new UserError(`"${value}" is not a positive number`)
  return parsed
}

/** A whole number of at least `min` (for values no schema checks). */
export function integerAtLeast(min: number): Parser<number> {
  return (value) => {
    const parsed = integer(value)
    if (parsed < min) throw new UserError(`"${value}" is not an integer >= ${min}`)
    return parsed
  }
}

/** A whole number of at least 1 (for values no schema checks). */
export const positiveInteger: Parser<number> = integerAtLeast(1)

/** Seconds on the command line, milliseconds in the scenario. */
export const secondsToMs: Parser<number> = (value) => number(value) * 1000

/** `a, b,c` → ['a', 'b', 'c'] (empty parts dropped). */
export const commaList: Parser<string[]> = (value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)

/** A token length: N, uniform:MIN-MAX, normal:MEAN,STD or lognormal:MEAN,STD. */
export const lengthSpec: Parser<LengthSpec> = (value) => parseLengthFlag(value)

/** One of the given words (oclif's `options` lists them in --help and rejects others first). */
export function oneOf<const T extends string>(options: readonly T[]): Parser<T> {
  return (value) => {
    if (!(options as readonly string[]).includes(value)) throw new UserError(`"${value}" is not one of ${options.join(', ')}`)
    return value as T
  }
}

/** A repeated flag's texts as given (a list flag's parser: `repeated(texts, …)`). */
export const texts = (values: readonly string[]): string[] => [...values]

/** `Name: value` → ['Name', 'value']. */
export const header: Parser<[string, string]> = (value) => {
  const colon = value.indexOf(':')
  if (colon <= 0) throw new UserError(`"${value}" must look like "Name: value"`)
  return [value.slice(0, colon).trim(), value.slice(colon + 1).trim()]
}

/** Repeated `--header "Name: value"` → { Name: value, ... }. */
export const headers = (values: readonly string[]): Record<string, string> => Object.fromEntries(values.map(header))

/**
 * `--slo`: objectives joined with commas, `ttft=500,tpot=50,e2e=10000` (per request, ms) or any
 * registered metric and statistic, `ttft.p99<=500` (one definition: src/metrics/slo.ts).
 */
export const slo: Parser<Scenario['slo']> = (value) => parseSloExpression(value, '')

/** `START:END` seconds (either side may be empty: `60:` to the end, `:120` from the start) → a trace window. */
export const traceWindow: Parser<{ startS?: number; endS?: number }> = (value) => {
  const match = /^\s*([^:]*):([^:]*)\s*$/.exec(value)
  if (!match) throw new UserError(`"${value}" must look like START:END (seconds of the trace, e.g. 60:120)`)
  const [start, end] = [match[1]?.trim() ?? '', match[2]?.trim() ?? '']
  return { ...(start !== '' ? { startS: number(start) } : {}), ...(end !== '' ? { endS: number(end) } : {}) }
}

export const THINK_TIME_RULE = 'SECONDS, exponential:MEAN, uniform:MIN-MAX or lognormal:MEAN,STD (seconds)'
const SECONDS = String.raw`(\d+(?:\.\d+)?)`
const THINK_TIME_FORMS: Array<[RegExp, (match: RegExpExecArray) => unknown]> = [
  [new RegExp(`^${SECONDS}$`), (match) => Number(match[1])],
  [new RegExp(`^exponential:${SECONDS}$`), (match) => ({ dist: 'exponential', mean: Number(match[1]) })],
  [new RegExp(`^uniform:${SECONDS}-${SECONDS}$`), (match) => ({ dist: 'uniform', min: Number(match[1]), max: Number(match[2]) })],
  [new RegExp(`^lognormal:${SECONDS},${SECONDS}$`), (match) => ({ dist: 'lognormal', mean: Number(match[1]), std: Number(match[2]) })],
]

/** `--think-time`: seconds between an answer and the next turn, fixed or a distribution, checked by the schema (src/io/schema/session.ts). */
export const thinkTime: Parser<ThinkTimeSpec> = (value) => {
  for (const [form, spec] of THINK_TIME_FORMS) {
    const match = form.exec(value.trim())
    if (!match) continue
    const parsed = thinkTimeSchema.safeParse(spec(match))
    if (!parsed.success) throw new UserError(describeZodIssues(`invalid think time "${value}"`, parsed.error.issues))
    return parsed.data
  }
  throw new UserError(`invalid think time "${value}": expected ${THINK_TIME_RULE}`)
}
