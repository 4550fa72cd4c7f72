import { COMPLETED_RECORD_END, type RequestRecord } from '../io/schema/record.js'
import { UNIT_CHUNK_TIMES, unitChunks } from '../metrics/chunks.js'
import type { SessionTurnFields } from './virtual-sessions.js'

/** A virtual request's record; a session's turn also says which session and turn it is. */
export type VirtualRecord = RequestRecord & Partial<SessionTurnFields>

/** What a finished virtual request turns into a record from. */
export interface FinishedVirtualRequest {
  id: number
  sendMs: number
  /** Arrival at the client − send, per token. */
  arrivals: number[]
  promptTokens: number
  outputTokens: number
  turn?: SessionTurnFields
}

/** The record `geopat bench` would write for a virtual request: one chunk per token, every token on time. */
export function toRecord(request: FinishedVirtualRequest, label: string, model: string, step: number): VirtualRecord {
  const arrivals = request.arrivals
  const first = arrivals[0]
  const last = arrivals[arrivals.length - 1]
  const record: VirtualRecord & { [UNIT_CHUNK_TIMES]: readonly number[] } = {
    id: request.id,
    endpoint: label,
    step,
    api: 'chat',
    model,
    intendedSendMs: request.sendMs,
    sendMs: request.sendMs,
    dispatchWaitMs: 0,
    newConnection: false,
    responseHeadersMs: first ?? null,
    firstByteMs: first ?? null,
    // One chunk per token, kept as arrival times only (src/metrics/chunks.ts).
    get chunks() {
      return unitChunks(arrivals)
    },
    [UNIT_CHUNK_TIMES]: arrivals,
    tokenEvents: arrivals.length,
    timeToFirstTokenMs: first ?? null,
    timeToFirstContentMs: first ?? null,
    endToEndLatencyMs: last ?? null,
    requestedInputTokens: request.promptTokens,
    requestedOutputTokens: request.outputTokens,
    inputTokens: request.promptTokens,
    inputTokensSource: 'server',
    outputTokens: arrivals.length,
    ...COMPLETED_RECORD_END,
    ...(request.turn ? { sessionId: request.turn.sessionId, turnIndex: request.turn.turnIndex } : {}),
  }
  return record
}
