import type { RunSummary } from '../../io/schema/summary.js'

function ms(value: number | null): string {
  return value === null ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
}

/**
 * The terminal lines of a run of multi-turn sessions (summary.json's `sessions`): sessions started
 * and completed, turns per session, how long a completed session took, the server's prefix-cache
 * hit rate, and TTFT p50/p99 by turn index (the first turns, then the rest on one line). None for a
 * run of independent requests.
 */
export function sessionLines(run: RunSummary): string[] {
  const sessions = run.sessions
  if (sessions === undefined) return []
  const turns = sessions.turnsPerSession
  const hitRate = sessions.prefixCacheHitRate === null ? '' : `, prefix-cache hit rate ${(sessions.prefixCacheHitRate * 100).toFixed(1)}% (server)`
  const duration = sessions.durationS.count > 0 ? `, duration p50 ${ms(sessions.durationS.p50)} s / p99 ${ms(sessions.durationS.p99)} s` : ''
  const byTurn = sessions.ttftByTurn.slice(0, 8).map((t) => `${t.turn + 1}: ${ms(t.p50)}/${ms(t.p99)}`)
  const more = sessions.ttftByTurn.length > 8 ? ` … (${sessions.ttftByTurn.length} turns; summary.json has each)` : ''
  return [
    `  sessions: ${sessions.started} started, ${sessions.completed} completed, ${ms(turns.mean)} turns mean (max ${turns.max ?? '–'})${duration}${hitRate}`,
    `  TTFT by turn, p50/p99 ms: ${byTurn.join(' · ')}${more}`,
  ]
}
