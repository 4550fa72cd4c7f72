/**
 * Reads a request trace (Mooncake JSONL, the Azure LLM inference trace CSV, BurstGPT CSV, geopat
 * JSONL) into rows of arrival time and token lengths, each row checked by its format's schema
 * (src/io/schema/trace.ts): a bad row is one line naming file:line, the field and the rule. CSV is
 * parsed by csv-parse (quoted fields, CRLF, a byte-order mark), streamed, so a large trace is never
 * one string.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { parse as parseCsv } from 'csv-parse'
import type { z } from 'zod'
import { type TraceFormat, azureTraceRowSchema, burstGptTraceRowSchema, geopatTraceRowSchema, mooncakeTraceRowSchema } from '../../io/schema/trace.js'
import { UserError } from '../../util/errors.js'
import { jsonLines, parseJson, reasonOf, validate } from '../prompt-file.js'

/** One request of a trace. */
export interface TraceRow {
  /** Arrival time, ms, on the trace's own time axis (its origin is the format's). */
  timeMs: number
  inputTokens: number
  outputTokens: number
  /** Ids of the prompt's leading blocks of TRACE_BLOCK_TOKENS tokens; rows sharing an id share that block's text. */
  prefixBlocks: readonly number[]
  /** 1-based line of the row in its file. */
  line: number
}

/** Tokens in one block of a Mooncake hash id (the FAST'25 traces' block size), and of a geopat prefixBlocks id. */
export const TRACE_BLOCK_TOKENS = 512

const NO_BLOCKS: readonly number[] = []

/** The rows of a trace file, in file order. */
export async function readTrace(path: string, format?: TraceFormat): Promise<{ format: TraceFormat; rows: TraceRow[] }> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw new UserError(`${path}: cannot read trace file (${reasonOf(error)})`)
  }
  try {
    const chosen = format ?? detectTraceFormat(await firstLine(handle), path)
    const rows = chosen === 'mooncake' || chosen === 'geopat' ? await readJsonRows(handle, path, chosen) : await readCsvRows(handle, path, chosen)
    if (rows.length === 0) throw new UserError(`${path}: the trace has no rows`)
    return { format: chosen, rows }
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`${path}: cannot read trace file (${reasonOf(error)})`)
  } finally {
    await handle.close()
  }
}

/** The format a trace's first non-blank line says it is in: JSON keys, or a CSV header's column names. */
export function detectTraceFormat(line: string | undefined, path: string): TraceFormat {
  const text = (line ?? '').replace(/^\uFEFF/, '').trim()
  if (text.startsWith('{')) {
    if (/"timestampMs"\s*:/.test(text)) return 'geopat'
    if (/"(timestamp|input_length|hash_ids)"\s*:/.test(text)) return 'mooncake'
  } else if (/\bContextTokens\b/.test(text)) return 'azure'
  else if (/\bRequest tokens\b/.test(text)) return 'burstgpt'
  throw new UserError(
    `${path}:1: cannot tell the trace format from the first line (a Mooncake or geopat JSON line, or an Azure or BurstGPT CSV header); ` +
      'name the format (mooncake, azure, burstgpt, geopat)',
  )
}

async function firstLine(handle: FileHandle): Promise<string | undefined> {
  for await (const { text } of jsonLines(handle)) return text
  return undefined
}

async function readJsonRows(handle: FileHandle, path: string, format: 'mooncake' | 'geopat'): Promise<TraceRow[]> {
  const rows: TraceRow[] = []
  for await (const { line, text } of jsonLines(handle)) {
    const where = `${path}:${line}`
    const value = parseJson(text, where)
    if (format === 'mooncake') {
      const row = validate(mooncakeTraceRowSchema, value, where)
      rows.push({ timeMs: row.timestamp, inputTokens: row.input_length, outputTokens: row.output_length, prefixBlocks: row.hash_ids, line })
    } else {
      const row = validate(geopatTraceRowSchema, value, where)
      rows.push({ timeMs: row.timestampMs, inputTokens: row.inputTokens, outputTokens: row.outputTokens, prefixBlocks: row.prefixBlocks ?? NO_BLOCKS, line })
    }
  }
  return rows
}

/** What a CSV format's row becomes, and the columns its header must have. */
const CSV_FORMATS: Record<'azure' | 'burstgpt', { columns: string[]; schema: z.ZodType; toRow: (row: never) => Omit<TraceRow, 'line' | 'prefixBlocks'> }> = {
  azure: {
    columns: ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'],
    schema: azureTraceRowSchema,
    toRow: (row: z.infer<typeof azureTraceRowSchema>) => ({
      timeMs: azureTimeMs(row.TIMESTAMP),
      inputTokens: row.ContextTokens,
      outputTokens: row.GeneratedTokens,
    }),
  },
  burstgpt: {
    columns: ['Timestamp', 'Request tokens', 'Response tokens'],
    schema: burstGptTraceRowSchema,
    toRow: (row: z.infer<typeof burstGptTraceRowSchema>) => ({
      timeMs: row.Timestamp * 1000,
      inputTokens: row['Request tokens'],
      outputTokens: row['Response tokens'],
    }),
  },
}

async function readCsvRows(handle: FileHandle, path: string, format: 'azure' | 'burstgpt'): Promise<TraceRow[]> {
  const { columns, schema, toRow } = CSV_FORMATS[format]
  const parser = handle.createReadStream({ start: 0, autoClose: false }).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, info: true }))
  const rows: TraceRow[] = []
  let checkedHeader = false
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!checkedHeader) {
        const missing = columns.find((column) => !(column in record))
        if (missing) throw new UserError(`${path}:1: ${missing}: the ${format} trace's header must name this column`)
        checkedHeader = true
      }
      const row = validate(schema, record, `${path}:${info.lines}`)
      rows.push({ ...toRow(row as never), prefixBlocks: NO_BLOCKS, line: info.lines })
    }
  } catch (error) {
    if (error instanceof UserError) throw error
    const line = (error as { lines?: number }).lines
    throw new UserError(`${path}:${line ?? '?'}: (row): ${reasonOf(error)}`)
  }
  return rows
}

const AZURE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?/

/** An Azure trace TIMESTAMP (UTC, up to 7 fractional digits) as Unix ms, the fraction kept below the ms. */
export function azureTimeMs(text: string): number {
  const match = AZURE_TIME.exec(text.trim())
  if (!match) return Number.NaN
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second)
  return wholeMs + (match[7] ? Number(`0${match[7]}`) * 1000 : 0)
}
