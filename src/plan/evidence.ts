import { readBenchSummary } from '../sizing/run.js'
import type { LatencyEvidence } from './recommend.js'

/**
 * Latency evidence per endpoint label from geopat bench run folders: TTFT and TPOT p90 with their
 * 95% intervals, from the lowest load step measured for that endpoint (the canary's situation).
 */
export function latencyEvidence(paths: readonly string[]): Map<string, LatencyEvidence> {
  const evidence = new Map<string, LatencyEvidence>()
  for (const path of paths) {
    const { file, summary } = readBenchSummary(path, 'from')
    for (const run of summary.runs) {
      if (evidence.has(run.endpoint.label)) continue
      const p90 = (metric: 'ttft' | 'tpot') => {
        const estimate = run.metrics[metric]?.p90
        const range = run.intervals[metric]?.p90
        return estimate !== null && estimate !== undefined && range ? { estimate, low: range[0], high: range[1] } : null
      }
      evidence.set(run.endpoint.label, { source: `${file}, ${run.endpoint.label} ${run.stepLabel}`, ttftP90: p90('ttft'), tpotP90: p90('tpot') })
    }
  }
  return evidence
}
