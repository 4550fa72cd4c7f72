import { meanOrNull } from '../../metrics/distribution.js'
import { PEER_METRICS } from '../../metrics/peers.js'
import type { RequestRecord } from '../../io/schema/record.js'
import type { CalibrationMetric } from '../../io/schema/calibration-set.js'

/** Metrics read from a serving benchmark's records (every metric but the offline one). */
export type ServingMetric = Exclude<CalibrationMetric, 'vllm-offline-request-throughput'>

function peerMetric(name: 'TTFT' | 'ITL' | 'TPOT') {
  const metric = PEER_METRICS.find((m) => m.tool === 'vLLM bench serve' && m.name === name)
  if (!metric) throw new Error(`no vLLM bench serve ${name} in PEER_METRICS`)
  return metric
}
const VLLM_TTFT = peerMetric('TTFT')
const VLLM_ITL = peerMetric('ITL')
const VLLM_TPOT = peerMetric('TPOT')

/** Mean of a vLLM bench serve metric (src/metrics/peers.ts) over the successful records. */
function meanOfPeer(records: readonly RequestRecord[], metric: (typeof PEER_METRICS)[number]): number | null {
  const values: number[] = []
  for (const record of records) if (record.ok) metric.values(record, (v) => values.push(v))
  return meanOrNull(values)
}

/**
 * benchmark_serving's duration: from the start of sending (time 0 of the records) to the last
 * completion, seconds.
 */
function benchmarkDurationS(records: readonly RequestRecord[]): number {
  let endMs = 0
  for (const record of records) if (record.endToEndLatencyMs !== null) endMs = Math.max(endMs, record.sendMs + record.endToEndLatencyMs)
  return endMs / 1000
}

/**
 * Phala's rows (src/stats.py of Phala-Network/h100-llm-benchmark): requests with input + output
 * tokens > 4 and output tokens > 2, with a first token and an end.
 */
function phalaRows(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter(
    (r) => r.ok && r.timeToFirstTokenMs !== null && r.endToEndLatencyMs !== null && (r.inputTokens ?? 0) + r.outputTokens > 4 && r.outputTokens > 2,
  )
}

/**
 * A published serving metric computed from a run's records by its publisher's definition
 * (src/io/schema/calibration-set.ts, CALIBRATION_METRICS). Records' times are ms from the start of
 * sending. null when no record qualifies.
 */
export function servingMetric(metric: ServingMetric, records: readonly RequestRecord[]): number | null {
  switch (metric) {
    case 'vllm-serving-mean-ttft':
      return meanOfPeer(records, VLLM_TTFT)
    case 'vllm-serving-mean-tpot':
      return meanOfPeer(records, VLLM_TPOT)
    case 'vllm-serving-mean-itl':
      return meanOfPeer(records, VLLM_ITL)
    case 'vllm-serving-request-throughput': {
      const durationS = benchmarkDurationS(records)
      return durationS > 0 ? records.filter((r) => r.ok).length / durationS : null
    }
    case 'vllm-serving-output-throughput': {
      const durationS = benchmarkDurationS(records)
      let tokens = 0
      for (const r of records) if (r.ok) tokens += r.outputTokens
      return durationS > 0 ? tokens / durationS : null
    }
    case 'phala-mean-decode-rate':
      // TPS = output tokens / decode time, the decode time being the sum of the request's ITLs (e2e − TTFT).
      return meanOrNull(
        phalaRows(records)
          .map((r) => ({ tokens: r.outputTokens, decodeS: ((r.endToEndLatencyMs as number) - (r.timeToFirstTokenMs as number)) / 1000 }))
          .filter((row) => row.decodeS > 0)
          .map((row) => row.tokens / row.decodeS),
      )
    case 'phala-mean-ttft':
      return meanOrNull(phalaRows(records).map((r) => r.timeToFirstTokenMs as number))
  }
}
