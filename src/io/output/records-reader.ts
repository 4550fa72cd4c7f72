import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { RequestRecord } from '../schema/record.js'
import { requestRecordSchema } from '../schema/record.js'
import { UserError, describeZodIssues } from '../../util/errors.js'

/**
 * Streams records.jsonl line by line (memory stays flat whatever its size). `validate` checks each
 * line against the record schema, for files that did not come from this process.
 *
 * A torn last line (no newline at the end of the file and not valid JSON: a full disk or a crash
 * in the middle of a write) is skipped and `onWarning` is told; a bad line anywhere else is an error.
 */
export async function* readRecords(
  path: string,
  options: { validate?: boolean; filter?: (record: RequestRecord) => boolean; onWarning?: (message: string) => void } = {},
): AsyncGenerator<RequestRecord> {
  const endsWithNewline = lastByteIsNewline(path)
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY })
  let lineNumber = 0
  // One line is held back: only once the next arrives (or the file ends) is it known not to be the last.
  let held: { text: string; number: number } | undefined
  const parse = (line: { text: string; number: number }, last: boolean): RequestRecord | undefined => {
    if (line.text.trim().length === 0) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(line.text)
    } catch {
      if (last && !endsWithNewline) {
        options.onWarning?.(
          `${path}:${line.number}: torn last line skipped (${Buffer.byteLength(line.text)} bytes, no newline, not valid JSON: the write was cut off)`,
        )
        return undefined
      }
      throw new UserError(`${path}:${line.number}: not valid JSON`)
    }
    if (!options.validate) return parsed as RequestRecord
    const result = requestRecordSchema.safeParse(parsed)
    if (!result.success) throw new UserError(describeZodIssues(`${path}:${line.number}`, result.error.issues))
    return result.data
  }
  for await (const text of lines) {
    lineNumber++
    const previous = held
    held = { text, number: lineNumber }
    if (!previous) continue
    const record = parse(previous, false)
    if (record && (!options.filter || options.filter(record))) yield record
  }
  if (held) {
    const record = parse(held, true)
    if (record && (!options.filter || options.filter(record))) yield record
  }
}

function lastByteIsNewline(path: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    // The stream reports it, with its own error.
    return true
  }
  try {
    const size = fstatSync(fd).size
    if (size === 0) return true
    const byte = Buffer.alloc(1)
    readSync(fd, byte, 0, 1, size - 1)
    return byte[0] === 0x0a
  } finally {
    closeSync(fd)
  }
}
