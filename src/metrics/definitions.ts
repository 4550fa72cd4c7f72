import type { RequestRecord } from '../io/schema/record.js'
import { chunkView, unitChunkTimes } from './chunks.js'

/**
 * Every latency metric geopat reports, defined once: the distributions of summary.json's `metrics`.
 * The summary, the CSV, the README glossary, SLOs and the report all read this list, so a new
 * metric is one entry here. The run-level figures (throughput, goodput, tokens) are in
 * run-figures.ts.
 *
 * `request` metrics give one value per successful request; `chunk` and `token` ones pool many
 * values per request over the whole run.
 */
export interface MetricDefinition {
  id: MetricId
  label: string
  unit: 'ms'
  scope: 'request' | 'chunk' | 'token'
  formula: string
  /** The same quantity's name in the peer tools (see the README's glossary). */
  peerNames: string
  /**
   * A per-request objective on this metric (`tpot<=50`) is met by a request for which the metric is
   * undefined (a one-token answer has no TPOT: it cannot breach a TPOT objective). Otherwise such
   * a request misses it (no first token: no TTFT to meet the objective with).
   */
  undefinedMeetsObjective?: boolean
  /** Per-request metrics: the value for a successful record, or null when undefined for it. */
  perRequest?: (record: RequestRecord) => number | null
  /** Pooled metrics: calls `add(value, times)` for each value the record contributes. */
  pooled?: (record: RequestRecord, add: (valueMs: number, times?: number) => void) => void
  /**
   * Pooled metrics, for a record of one-token chunks (virtual time: millions of tokens per search):
   * the arrival times whose successive gaps, each once, are exactly the values `pooled` gives, where
   * that is so; undefined otherwise. Consumers add those gaps straight from the array (no call per value).
   */
  unitChunkGaps?: (record: RequestRecord) => readonly number[] | undefined
}

export type MetricId = 'ttft' | 'ttfc' | 'tpot' | 'itl' | 'e2e' | 'interTokenLatency' | 'interChunkLatency'

/**
 * By how much a record's chunk token counts are scaled to its output tokens: when the server's final
 * usage differs from what the events suggested (`chunkTokens`), the difference is spread; 1 otherwise.
 */
function spreadScale(record: RequestRecord, chunkTokens: number): number {
  return record.outputTokensSource === 'server' && chunkTokens > 0 ? record.outputTokens / chunkTokens : 1
}

export const METRICS: readonly MetricDefinition[] = [
  {
    id: 'ttft',
    label: 'Time to first token',
    unit: 'ms',
    scope: 'request',
    formula: 'arrival of the first chunk carrying a token on any channel (content, reasoning, tool call) − send time',
    peerNames: 'vLLM/SGLang "TTFT" (vLLM also counts an empty role-only chunk), GuideLLM "time_to_first_token", AIPerf "Time to First Token"',
    perRequest: (record) => record.timeToFirstTokenMs,
  },
  {
    id: 'ttfc',
    label: 'Time to first content token',
    unit: 'ms',
    scope: 'request',
    formula: 'arrival of the first chunk with non-empty answer text − send time (differs from TTFT for reasoning models)',
    peerNames: 'AIPerf "TTFT" (first non-empty content), LLMPerf "ttft"',
    perRequest: (record) => record.timeToFirstContentMs,
  },
  {
    id: 'tpot',
    label: 'Time per output token',
    unit: 'ms',
    scope: 'request',
    formula: '(E2E − TTFT) / (output tokens − 1), output tokens from server usage when sent',
    peerNames: 'vLLM "TPOT" and AIPerf "Inter Token Latency" (same formula); GuideLLM\'s "TPOT" differs: (t_last − t_start) / out, TTFT included',
    undefinedMeetsObjective: true,
    perRequest: (record) =>
      record.endToEndLatencyMs !== null && record.timeToFirstTokenMs !== null && record.outputTokens > 1
        ? (record.endToEndLatencyMs - record.timeToFirstTokenMs) / (record.outputTokens - 1)
        : null,
  },
  {
    id: 'itl',
    label: 'Inter-token latency (per request)',
    unit: 'ms',
    scope: 'request',
    formula:
      '(arrival of the last token chunk − arrival of the first) / (output tokens − tokens in the ' +
      'first chunk): the tokens that arrived after the first chunk, over the time they took; TPOT without the tail after the last token',
    peerNames: 'GuideLLM "ITL" (t_last − t_first) / (out − 1); vLLM has no per-request ITL; LLMPerf\'s "ITL" is ≈ E2E / out',
    undefinedMeetsObjective: true,
    perRequest: (record) => {
      const chunks = chunkView(record)
      if (chunks.count < 2) return null
      // With coalescing the first read carries several tokens; scale to the server's token count.
      const chunkTokens = chunks.totalTokens
      const firstTokens = chunks.tokens(0)
      const firstChunkTokens = record.outputTokensSource === 'server' && chunkTokens > 0 ? (firstTokens * record.outputTokens) / chunkTokens : firstTokens
      const later = record.outputTokens - firstChunkTokens
      return later > 0 ? (chunks.timeMs(chunks.count - 1) - chunks.timeMs(0)) / later : null
    },
  },
  {
    id: 'e2e',
    label: 'End-to-end latency',
    unit: 'ms',
    scope: 'request',
    formula: 'end of the response body − send time',
    peerNames: 'vLLM "E2EL", GuideLLM "request_latency", AIPerf "Request Latency"',
    perRequest: (record) => record.endToEndLatencyMs,
  },
  {
    id: 'interTokenLatency',
    label: 'Inter-token latency (per token)',
    unit: 'ms',
    scope: 'token',
    formula:
      'for each network read after the first carrying k tokens, k values of (gap since the previous ' +
      'read) / k; k from per-chunk usage when the server sends it, else one per event',
    peerNames: 'no peer reports it; it recovers token latency when a server or proxy coalesces events',
    pooled: (record, add) => {
      const chunks = chunkView(record)
      const chunkTokens = chunks.totalTokens
      const scale = spreadScale(record, chunkTokens)
      let previous = chunks.count > 0 ? chunks.timeMs(0) : 0
      for (let i = 1; i < chunks.count; i++) {
        const time = chunks.timeMs(i)
        const tokens = scale === 1 ? chunks.tokens(i) || 1 : Math.max(1, Math.round(chunks.tokens(i) * scale))
        add((time - previous) / tokens, tokens)
        previous = time
      }
    },
    // One token per chunk and nothing to spread (scale 1 above): each gap once, as it is.
    unitChunkGaps: (record) => {
      const times = unitChunkTimes(record)
      return times && spreadScale(record, times.length) === 1 ? times : undefined
    },
  },
  {
    id: 'interChunkLatency',
    label: 'Inter-chunk latency',
    unit: 'ms',
    scope: 'chunk',
    formula: 'gaps between successive network reads carrying tokens, pooled over all requests',
    peerNames: 'vLLM/SGLang "ITL" (per parsed message), AIPerf "ICL"',
    pooled: (record, add) => {
      const chunks = chunkView(record)
      let previous = chunks.count > 0 ? chunks.timeMs(0) : 0
      for (let i = 1; i < chunks.count; i++) {
        const time = chunks.timeMs(i)
        add(time - previous)
        previous = time
      }
    },
    unitChunkGaps: unitChunkTimes,
  },
]

export function metricById(id: MetricId): MetricDefinition {
  const metric = METRICS.find((m) => m.id === id)
  if (!metric) throw new Error(`unknown metric ${id}`)
  return metric
}
