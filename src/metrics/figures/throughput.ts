import type { RequestRecord } from '../../io/schema/record.js'
import { chunkView } from '../chunks.js'
import { type Accumulate, type RunFigure, type RunView, completionMs, countOf, measured, sumOf } from '../run-figure.js'

/** Throughput and goodput: what the run served inside its window, per second. */

/** Output tokens of a successful request that arrived inside the throughput window (any request, warm-up ones included). */
const outputTokensArrived: Accumulate = (record, run, add) => {
  if (!record.ok) return
  if (run.window.inside(record.sendMs) && run.window.inside(completionMs(record))) {
    // The whole request is inside the window: every token counts, no need to look at chunks.
    add(record.outputTokens)
    return
  }
  const chunks = chunkView(record)
  const scale = chunks.totalTokens > 0 ? record.outputTokens / chunks.totalTokens : 0
  for (let i = 0; i < chunks.count; i++) if (run.window.inside(record.sendMs + chunks.timeMs(i))) add(chunks.tokens(i) * scale)
}

/** Prompt tokens of a successful request whose first token arrived inside the throughput window. */
const inputTokensArrived: Accumulate = (record, run, add) => {
  if (record.ok && record.timeToFirstTokenMs !== null && run.window.inside(record.sendMs + record.timeToFirstTokenMs)) add(record.inputTokens ?? 0)
}

const completedInside = (record: RequestRecord, run: RunView): boolean => record.ok && run.window.inside(completionMs(record))
const goodInside = (record: RequestRecord, run: RunView): boolean => completedInside(record, run) && run.isGood(record)

export const THROUGHPUT_FIGURES: RunFigure[] = [
  {
    id: 'throughput.requestsPerS',
    label: 'Request throughput',
    unit: 'req/s',
    scope: 'run',
    description: 'successful requests completed inside the window / window length',
    peerNames: 'vLLM "Request throughput", GuideLLM "requests_per_second", AIPerf "Request Throughput"',
    dependsOn: { record: ['ok', 'sendMs', 'endToEndLatencyMs'], figures: [] },
    csvColumn: 'requests_per_s',
    sums: { completed: countOf(completedInside) },
    value: (sums, run) => run.perSecond(sums.completed ?? 0),
  },
  {
    id: 'throughput.outputTokensPerS',
    label: 'Output token throughput',
    unit: 'tok/s',
    scope: 'run',
    description: 'output tokens whose chunk arrived inside the window (any request, warm-up ones included) / window length',
    peerNames: 'vLLM "Output token throughput", GuideLLM "output_tokens_per_second", AIPerf "Output Token Throughput"',
    dependsOn: { record: ['ok', 'sendMs', 'chunks', 'outputTokens'], figures: [] },
    csvColumn: 'output_tokens_per_s',
    sums: { output: outputTokensArrived },
    value: (sums, run) => run.perSecond(sums.output ?? 0),
  },
  {
    id: 'throughput.totalTokensPerS',
    label: 'Total token throughput',
    unit: 'tok/s',
    scope: 'run',
    description: 'output token throughput + prompt tokens of requests whose first token arrived inside the window / window length',
    peerNames: 'vLLM "Total Token throughput", GuideLLM "tokens_per_second"',
    dependsOn: { record: ['ok', 'sendMs', 'chunks', 'outputTokens', 'timeToFirstTokenMs', 'inputTokens'], figures: [] },
    csvColumn: 'total_tokens_per_s',
    sums: { output: outputTokensArrived, input: inputTokensArrived },
    value: (sums, run) => run.perSecond((sums.output ?? 0) + (sums.input ?? 0)),
  },
]

export const GOODPUT_FIGURES: RunFigure[] = [
  {
    id: 'goodput.requestsPerS',
    label: 'Goodput',
    unit: 'req/s',
    scope: 'run',
    description: 'requests completed inside the window that succeeded and met every per-request objective of the SLO (--slo) / window length (DistServe)',
    peerNames: 'vLLM "Request goodput" (--goodput), AIPerf "Goodput"',
    dependsOn: { record: ['ok', 'sendMs', 'endToEndLatencyMs'], figures: [] },
    csvColumn: 'goodput_requests_per_s',
    sums: { good: countOf(goodInside) },
    value: (sums, run) => run.perSecond(sums.good ?? 0),
  },
  {
    id: 'goodput.outputTokensPerS',
    label: 'Output token goodput',
    unit: 'tok/s',
    scope: 'run',
    description: 'output tokens of the requests goodput counts / window length',
    dependsOn: { record: ['ok', 'sendMs', 'endToEndLatencyMs', 'outputTokens'], figures: [] },
    csvColumn: null,
    sums: { tokens: sumOf((record, run) => (goodInside(record, run) ? record.outputTokens : null)) },
    value: (sums, run) => run.perSecond(sums.tokens ?? 0),
  },
  {
    id: 'goodput.fractionOfRequests',
    label: 'SLO attainment',
    unit: 'share',
    scope: 'run',
    description: 'measured successful requests that met every per-request objective / measured successful requests (null when none)',
    dependsOn: { record: ['ok', 'sendMs'], figures: [] },
    csvColumn: 'goodput_fraction',
    sums: { candidates: countOf(measured), good: countOf((record, run) => measured(record, run) && run.isGood(record)) },
    value: (sums) => ((sums.candidates ?? 0) > 0 ? (sums.good ?? 0) / (sums.candidates ?? 0) : null),
  },
]
