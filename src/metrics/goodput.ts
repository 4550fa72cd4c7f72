import type { RequestRecord } from '../io/schema/record.js'
import type { SloConfig } from '../io/schema/scenario.js'
import { metricById } from './definitions.js'

/**
 * DistServe's goodput rule, as vLLM and AIPerf use it: a request is good when it succeeded and meets
 * every SLO given (TTFT, TPOT, E2E, in ms). TPOT is the definition in src/metrics/definitions.ts.
 */
export function meetsSlo(record: RequestRecord, slo: SloConfig): boolean {
  if (!record.ok) return false
  if (slo.ttftMs !== undefined && !(record.timeToFirstTokenMs !== null && record.timeToFirstTokenMs <= slo.ttftMs)) return false
  if (slo.e2eMs !== undefined && !(record.endToEndLatencyMs !== null && record.endToEndLatencyMs <= slo.e2eMs)) return false
  if (slo.tpotMs !== undefined) {
    const tpot = tpotOf(record)
    // A one-token answer has no TPOT: it cannot breach a TPOT objective.
    if (tpot !== null && tpot > slo.tpotMs) return false
  }
  return true
}

const tpotMetric = metricById('tpot')
function tpotOf(record: RequestRecord): number | null {
  return tpotMetric.perRequest ? tpotMetric.perRequest(record) : null
}
