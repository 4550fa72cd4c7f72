import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { RequestRecord } from '../schema/record.js'
import { requestRecordSchema } from '../schema/record.js'
import { UserError, describeZodIssues } from '../util/errors.js'

/**
 * Streams records.jsonl line by line (memory stays flat whatever its size). `validate` checks each
 * line against the record schema, for files that did not come from this process.
 */
export async function* readRecords(
  path: string,
  options: { validate?: boolean; filter?: (record: RequestRecord) => boolean } = {},
): AsyncGenerator<RequestRecord> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY })
  let lineNumber = 0
  for await (const line of lines) {
    lineNumber++
    if (line.trim().length === 0) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new UserError(`${path}:${lineNumber}: not valid JSON`)
    }
    let record: RequestRecord
    if (options.validate) {
      const result = requestRecordSchema.safeParse(parsed)
      if (!result.success) throw new UserError(describeZodIssues(`${path}:${lineNumber}`, result.error.issues))
      record = result.data
    } else {
      record = parsed as RequestRecord
    }
    if (!options.filter || options.filter(record)) yield record
  }
}
