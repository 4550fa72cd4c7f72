import type { RunSummary } from '../../src/io/schema/summary.js'

/**
 * Above this mean write lateness the simulator did not keep its schedule: the figures measured
 * against it are the machine's, not the simulated endpoint's. The client's own read-lateness
 * threshold (README, client self-check) is the same 0.25 ms.
 */
export const SIMULATOR_LATENESS_LIMIT_MS = 0.25

/** The simulator's mean socket-write lateness so far (ms), from its /metrics. */
export async function simulatorWriteLatenessMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    if (line === undefined) throw new Error(`${name} not in the simulator's /metrics`)
    return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  const count = value('geopat_sim_emit_lateness_seconds_count')
  return count > 0 ? (value('geopat_sim_emit_lateness_seconds_sum') / count) * 1000 : 0
}

/**
 * Why a real-clock run's latencies cannot be held to the simulator's schedule, by the design's own
 * self-checks: the client judged itself client-bound, or the simulator wrote late. Empty when
 * both kept up; then the figures must hold.
 */
export function untrustedBecause(run: RunSummary, simulatorLatenessMs?: number): string[] {
  const why: string[] = []
  if (run.client.verdict !== 'ok') why.push(`client-bound: ${run.client.reasons.join('; ')}`)
  if (simulatorLatenessMs !== undefined && simulatorLatenessMs > SIMULATOR_LATENESS_LIMIT_MS) {
    why.push(`the simulator wrote ${simulatorLatenessMs.toFixed(3)} ms late on average (over ${SIMULATOR_LATENESS_LIMIT_MS} ms)`)
  }
  return why
}
