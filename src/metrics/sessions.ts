/**
 * The `sessions` block of a run summary (src/io/schema/summary.ts) from the records of a run of
 * multi-turn sessions: a record of a turn carries its session's id, its turn index and the turns the
 * session has (src/io/schema/record.ts). All records count (the warm-up and cool-down too: a
 * session spans them); TTFT by turn index over the successful turns.
 */
import type { RequestRecord } from '../io/schema/record.js'
import type { SessionsSummary } from '../io/schema/summary.js'
import { describeValues, percentileOfSorted } from './distribution.js'

interface SessionSeen {
  turnsSent: number
  answered: number
  turns: number | undefined
  firstSendMs: number
  lastEndMs: number
}

/** Collects the session records of a run, one at a time; `describe` gives the block (undefined when no record was a session's). */
export function sessionsCollector(): { add(record: RequestRecord): void; describe(prefixCacheHitRate: number | null): SessionsSummary | undefined } {
  const sessions = new Map<number, SessionSeen>()
  const ttftByTurn: number[][] = []
  return {
    add(record) {
      if (record.sessionId === undefined || record.sessionTurn === undefined) return
      let seen = sessions.get(record.sessionId)
      if (!seen) {
        seen = { turnsSent: 0, answered: 0, turns: record.sessionTurns, firstSendMs: record.sendMs, lastEndMs: record.sendMs }
        sessions.set(record.sessionId, seen)
      }
      seen.turnsSent++
      seen.firstSendMs = Math.min(seen.firstSendMs, record.sendMs)
      if (!record.ok) return
      seen.answered++
      seen.lastEndMs = Math.max(seen.lastEndMs, record.sendMs + (record.endToEndLatencyMs ?? 0))
      if (record.timeToFirstTokenMs === null) return
      const ofTurn = ttftByTurn[record.sessionTurn] ?? []
      ofTurn.push(record.timeToFirstTokenMs)
      ttftByTurn[record.sessionTurn] = ofTurn
    },
    describe(prefixCacheHitRate) {
      if (sessions.size === 0) return undefined
      const completed = [...sessions.values()].filter((s) => s.turns !== undefined && s.answered === s.turns && s.turnsSent === s.turns)
      return {
        started: sessions.size,
        completed: completed.length,
        turnsPerSession: describeValues([...sessions.values()].map((s) => s.turnsSent)),
        ttftByTurn: Array.from(ttftByTurn, (values, turn) => {
          const sorted = Float64Array.from(values ?? []).sort()
          return { turn, count: sorted.length, p50: percentileOfSorted(sorted, 50), p90: percentileOfSorted(sorted, 90), p99: percentileOfSorted(sorted, 99) }
        }),
        durationS: describeValues(completed.map((s) => (s.lastEndMs - s.firstSendMs) / 1000)),
        prefixCacheHitRate,
      }
    },
  }
}
