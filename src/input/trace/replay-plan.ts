/**
 * Which rows of a trace a replay sends, and when: the rows inside the window (seconds from the
 * trace's first arrival), the first `limit` of them, each sent at its arrival time less the
 * window's start, divided by the speedup.
 */
import { UserError } from '../../util/errors.js'
import type { TraceFormat } from '../../io/schema/trace.js'
import type { TraceRow } from './read-trace.js'

export interface TraceSelection {
  /** Time scaling: 2 sends the trace twice as fast. */
  speedup: number
  /** Seconds from the trace's first arrival: rows with startS <= t < endS. */
  startS?: number
  endS?: number
  limit?: number
}

export interface TraceReplayPlan {
  file: string
  format: TraceFormat
  /** Rows in the file. */
  fileRows: number
  /** The rows replayed, in send order. */
  rows: TraceRow[]
  /** When each of `rows` is sent, ms from the run's start (the window's start is 0). */
  sendTimesMs: number[]
  speedup: number
  startS: number
  endS: number | null
  /** The replay's mean send rate, requests per second ((n − 1) over the span from first to last send); null with one row or no span. */
  ratePerS: number | null
}

export function planTraceReplay(trace: { file: string; format: TraceFormat; rows: readonly TraceRow[] }, selection: TraceSelection): TraceReplayPlan {
  const { speedup } = selection
  if (!(Number.isFinite(speedup) && speedup > 0)) throw new UserError(`trace speedup: must be a positive number (got ${speedup})`)
  // A stable sort: rows of one arrival time keep their file order.
  const ordered = [...trace.rows].sort((a, b) => a.timeMs - b.timeMs)
  const originMs = (ordered[0] as TraceRow).timeMs
  const startS = selection.startS ?? 0
  const windowStartMs = originMs + startS * 1000
  const windowEndMs = selection.endS === undefined ? Number.POSITIVE_INFINITY : originMs + selection.endS * 1000
  const inWindow = ordered.filter((row) => row.timeMs >= windowStartMs && row.timeMs < windowEndMs)
  const rows = selection.limit === undefined ? inWindow : inWindow.slice(0, selection.limit)
  if (rows.length === 0) {
    const span = (((ordered[ordered.length - 1] as TraceRow).timeMs - originMs) / 1000).toFixed(3)
    throw new UserError(`${trace.file}: no row falls in the window ${startS}:${selection.endS ?? ''} s (the trace spans 0 to ${span} s from its first arrival)`)
  }
  const sendTimesMs = rows.map((row) => (row.timeMs - windowStartMs) / speedup)
  const spanMs = (sendTimesMs[sendTimesMs.length - 1] as number) - (sendTimesMs[0] as number)
  return {
    file: trace.file,
    format: trace.format,
    fileRows: trace.rows.length,
    rows,
    sendTimesMs,
    speedup,
    startS,
    endS: selection.endS ?? null,
    ratePerS: rows.length > 1 && spanMs > 0 ? (rows.length - 1) / (spanMs / 1000) : null,
  }
}
