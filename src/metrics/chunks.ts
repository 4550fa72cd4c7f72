import type { RequestRecord } from '../io/schema/record.js'

/**
 * Read access to a record's chunks ([arrival ms, tokens] per network read) without building them.
 * Records from the HTTP client hold real tuples. Virtual-time records carry one token per chunk
 * and keep only the arrival times: building millions of small tuples just to read them once cost
 * more in garbage collection than the simulation itself. `record.chunks` still yields the tuples
 * for anything that wants them (records.jsonl, peers' metrics); the hot paths read through here.
 */
export interface ChunkView {
  readonly count: number
  timeMs(index: number): number
  tokens(index: number): number
  /** Sum of tokens over the chunks. */
  readonly totalTokens: number
}

/**
 * Key of the arrival times on a record whose chunks are one token each. Set it in the record's
 * object literal, beside `get chunks() { return unitChunks(times) }`: an object literal keeps V8's
 * fast properties, where Object.defineProperty afterwards would not.
 */
export const UNIT_CHUNK_TIMES = Symbol('geopat.unitChunkTimes')

type WithUnitChunks = RequestRecord & { [UNIT_CHUNK_TIMES]?: readonly number[] }

/** The tuples of one-token chunks at `arrivalsMs`. */
export function unitChunks(arrivalsMs: readonly number[]): Array<[number, number]> {
  return arrivalsMs.map((t) => [t, 1])
}

/** The arrival times of a record whose chunks are one token each (virtual time), undefined for any other record. */
export function unitChunkTimes(record: RequestRecord): readonly number[] | undefined {
  return (record as WithUnitChunks)[UNIT_CHUNK_TIMES]
}

export function chunkView(record: RequestRecord): ChunkView {
  const unit = unitChunkTimes(record)
  if (unit) return { count: unit.length, timeMs: (i) => unit[i] as number, tokens: () => 1, totalTokens: unit.length }
  const chunks = record.chunks
  let totalTokens = 0
  for (const chunk of chunks) totalTokens += chunk[1]
  return { count: chunks.length, timeMs: (i) => (chunks[i] as [number, number])[0], tokens: (i) => (chunks[i] as [number, number])[1], totalTokens }
}
