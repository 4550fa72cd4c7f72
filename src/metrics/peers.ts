import type { RequestRecord } from '../io/schema/record.js'
import { describeValues, type Distribution } from './distribution.js'

/**
 * The peer tools' versions of TTFT, ITL and TPOT, computed from the same raw records
 * (shared/reference/metrics.md, "The trap: one name, several formulas"), so that a user can see
 * why two tools disagree on the same server.
 */
export interface PeerMetricDefinition {
  tool: 'vLLM bench serve' | 'GuideLLM' | 'AIPerf' | 'LLMPerf'
  name: string
  formula: string
  /** Values the records give: one per request, or many (pooled) per request. */
  values(record: RequestRecord, push: (value: number) => void): void
}

function lastChunkMs(record: RequestRecord): number | null {
  const chunks = record.chunks
  const last = chunks[chunks.length - 1]
  return last ? last[0] : null
}

/** (end − first) / (output tokens − 1), the time per token after the first, where both times and two tokens are there. */
function perTokenAfterFirst(endMs: number | null, firstMs: number | null, outputTokens: number, push: (value: number) => void): void {
  if (endMs !== null && firstMs !== null && outputTokens > 1) push((endMs - firstMs) / (outputTokens - 1))
}

export const PEER_METRICS: readonly PeerMetricDefinition[] = [
  {
    tool: 'vLLM bench serve',
    name: 'TTFT',
    formula: 'first SSE message with choices, an empty role-only chunk included (≈ first body byte)',
    values: (r, push) => {
      const first = r.firstByteMs ?? r.timeToFirstTokenMs
      if (first !== null) push(first)
    },
  },
  {
    tool: 'vLLM bench serve',
    name: 'ITL',
    formula: 'gaps between successive parsed messages, pooled: events that arrived in one read get a ~0 gap',
    values: (r, push) => {
      // `chunks` read once: a virtual-time record builds them on each read (src/metrics/chunks.ts).
      const chunks = r.chunks
      for (let i = 1; i < chunks.length; i++) {
        const [t, tokens] = chunks[i] as [number, number]
        push(t - (chunks[i - 1] as [number, number])[0])
        for (let k = 1; k < tokens; k++) push(0)
      }
    },
  },
  {
    tool: 'vLLM bench serve',
    name: 'TPOT',
    formula: '(E2E − TTFT) / (output tokens − 1), per request',
    values: (r, push) => perTokenAfterFirst(r.endToEndLatencyMs, r.timeToFirstTokenMs, r.outputTokens, push),
  },
  {
    tool: 'GuideLLM',
    name: 'TTFT',
    formula: 'first delta carrying text, reasoning or a tool call',
    values: (r, push) => {
      if (r.timeToFirstTokenMs !== null) push(r.timeToFirstTokenMs)
    },
  },
  {
    tool: 'GuideLLM',
    name: 'ITL',
    formula: '(t_last − t_first) / (output tokens − 1), per request',
    values: (r, push) => perTokenAfterFirst(lastChunkMs(r), r.timeToFirstTokenMs, r.outputTokens, push),
  },
  {
    tool: 'GuideLLM',
    name: 'TPOT',
    formula: '(t_last − t_start) / output tokens, per request (TTFT included)',
    values: (r, push) => {
      const last = lastChunkMs(r)
      if (last !== null && r.outputTokens > 0) push(last / r.outputTokens)
    },
  },
  {
    tool: 'AIPerf',
    name: 'TTFT',
    formula: 'first non-empty content',
    values: (r, push) => {
      if (r.timeToFirstContentMs !== null) push(r.timeToFirstContentMs)
    },
  },
  {
    tool: 'AIPerf',
    name: 'ITL',
    formula: '(latency − TTFT) / (output tokens − 1), per request',
    values: (r, push) => perTokenAfterFirst(r.endToEndLatencyMs, r.timeToFirstContentMs, r.outputTokens, push),
  },
  {
    tool: 'AIPerf',
    name: 'ICL',
    formula: 'gaps between successive chunks (network reads), pooled',
    values: (r, push) => {
      const chunks = r.chunks
      for (let i = 1; i < chunks.length; i++) push((chunks[i] as [number, number])[0] - (chunks[i - 1] as [number, number])[0])
    },
  },
  {
    tool: 'LLMPerf',
    name: 'ITL',
    formula: '≈ E2E / output tokens, per request (TTFT included)',
    values: (r, push) => {
      if (r.endToEndLatencyMs !== null && r.outputTokens > 0) push(r.endToEndLatencyMs / r.outputTokens)
    },
  },
]

export interface PeerMetricValue {
  tool: PeerMetricDefinition['tool']
  name: string
  formula: string
  distribution: Distribution
}

/** Every peer metric over the successful records given. */
export function peerMetrics(records: Iterable<RequestRecord>): PeerMetricValue[] {
  const values = PEER_METRICS.map(() => [] as number[])
  for (const record of records) {
    if (!record.ok) continue
    PEER_METRICS.forEach((metric, index) => {
      metric.values(record, (v) => (values[index] as number[]).push(v))
    })
  }
  return PEER_METRICS.map((metric, index) => ({
    tool: metric.tool,
    name: metric.name,
    formula: metric.formula,
    distribution: describeValues(values[index] as number[]),
  }))
}
