import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'

/** A run folder's records.jsonl in file order, every line checked against the record schema: a bad or torn line fails the test. */
export function recordsIn(dir: string): RequestRecord[] {
  return readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => requestRecordSchema.parse(JSON.parse(line)))
}
