import type { RequestRecord } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'

/**
 * When a request entered the client, ms from the run's origin, as the load engine counts it in
 * flight: a closed loop's intended send time is the moment its slot came free and it was handed
 * to the client; otherwise the write minus the wait inside the client. With retries, the last
 * attempt's times are in the record, so the intended time (the earliest it can have started) stands in.
 */
export function enteredClientMs(record: RequestRecord, mode: 'closed' | 'open'): number {
  if (mode === 'closed' || record.retries > 0) return record.intendedSendMs
  return record.sendMs - record.dispatchWaitMs
}

/** When a request left the client: its last byte, or for a failed one the last event seen (headers, first byte, last chunk). */
export function leftClientMs(record: RequestRecord): number {
  if (record.endToEndLatencyMs !== null) return record.sendMs + record.endToEndLatencyMs
  const lastChunk = record.chunks.length > 0 ? (record.chunks[record.chunks.length - 1] as [number, number])[0] : 0
  return record.sendMs + Math.max(0, record.responseHeadersMs ?? 0, record.firstByteMs ?? 0, lastChunk)
}

/**
 * The load the union of the shards' records achieved, by the load engine's definitions
 * (src/load/runner.ts achievedLoad) read from the records: mean requests in flight over first
 * entry → last exit, the most in flight at once, the send rate between the first and last entry,
 * and the run's length from its origin to the last exit.
 */
export function achievedFromRecords(records: readonly RequestRecord[], mode: 'closed' | 'open', originUnixMs: number): RunSummary['achieved'] {
  const events: Array<[number, number]> = []
  let area = 0
  let first = Number.POSITIVE_INFINITY
  let lastEntry = Number.NEGATIVE_INFINITY
  let lastExit = 0
  for (const record of records) {
    const entered = enteredClientMs(record, mode)
    const left = Math.max(entered, leftClientMs(record))
    events.push([entered, +1], [left, -1])
    area += left - entered
    first = Math.min(first, entered)
    lastEntry = Math.max(lastEntry, entered)
    lastExit = Math.max(lastExit, left)
  }
  // Exits before entries at the same moment: a slot handed on is not two requests in flight.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let inFlight = 0
  let most = 0
  for (const [, change] of events) {
    inFlight += change
    most = Math.max(most, inFlight)
  }
  const sent = records.length
  const span = Math.max(1e-9, lastExit - (Number.isFinite(first) ? first : 0))
  return {
    concurrencyMean: sent > 0 ? area / span : 0,
    concurrencyMax: most,
    sendRatePerS: sent > 1 && lastEntry > first ? (sent - 1) / ((lastEntry - first) / 1000) : null,
    runDurationS: lastExit / 1000,
    runStartedAtUnixMs: originUnixMs,
  }
}
