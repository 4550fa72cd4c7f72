/** A benchmark script's command line: the options every measuring script shares, and the parsers of its values. */
import { type ParseArgsConfig, parseArgs } from 'node:util'

/** The options the measuring scripts share: --write (RESULTS.md and bench/results), --json (the data instead of the markdown), --no-reference (no reference client). */
export const OUTPUT_OPTIONS = {
  write: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'no-reference': { type: 'boolean', default: false },
} as const

/** Those options' values as the scripts keep them. */
export interface OutputOptions {
  write: boolean
  json: boolean
  reference: boolean
}

export function outputOptions(values: { write: boolean; json: boolean; 'no-reference': boolean }): OutputOptions {
  return { write: values.write, json: values.json, reference: !values['no-reference'] }
}

/** A script's command line read strictly (an unknown option is an error): its own options and OUTPUT_OPTIONS. */
export function parseScriptArgs<const T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseArgs({ args: argv, options: { ...options, ...OUTPUT_OPTIONS }, strict: true }).values
}

/** Comma-separated integers: `1,100,1000`. */
export function parseIntList(text: string, flag: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()))
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${flag}: expected comma-separated whole numbers >= 1, got "${text}"`)
  }
  return values
}

/** An output length for these benchmarks: `N` or `uniform:MIN-MAX` (passed to geopat as is). */
export interface TokenSpec {
  text: string
  min: number
  max: number
}

export function parseTokenSpec(text: string, flag: string): TokenSpec {
  const fixed = /^\d+$/.exec(text.trim())
  if (fixed) {
    const n = Number(text)
    if (n >= 2) return { text: String(n), min: n, max: n }
  }
  const uniform = /^uniform:(\d+)-(\d+)$/.exec(text.trim())
  if (uniform) {
    const min = Number(uniform[1])
    const max = Number(uniform[2])
    if (min >= 2 && max >= min) return { text: `uniform:${min}-${max}`, min, max }
  }
  throw new Error(`${flag}: expected N or uniform:MIN-MAX with MIN >= 2, got "${text}"`)
}

/** The value after `--name` on this script's command line, else `fallback`. */
export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

export function parsePositive(text: string, flag: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag}: expected a number > 0, got "${text}"`)
  return value
}
