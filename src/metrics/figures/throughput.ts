import type { RequestRecord } from '../../io/schema/record.js'
import { chunkView, unitChunkTimes } from '../chunks.js'
import { type Accumulate, type RunFigure, type RunView, completionMs, countOf, measured, sumOf } from '../run-figure.js'
import { perSecondFigure, ratioFigure } from './figure-kinds.js'

/** Throughput and goodput: what the run served inside its window, per second. */

/** Output tokens of a successful request that arrived inside the throughput window (any request, warm-up ones included). */
const outputTokensArrived: Accumulate = (record, run, add) => {
  if (!record.ok) return
  if (run.window.inside(record.sendMs) && run.window.inside(completionMs(record))) {
    // The whole request is inside the window: every token counts, no need to look at chunks.
    add(record.outputTokens)
    return
  }
  const times = unitChunkTimes(record)
  if (times) {
    // One token per chunk (virtual time, where warm-up and cool-down leave many requests across the window's edges):
    // the same adds, read straight from the arrival times.
    const unitScale = times.length > 0 ? record.outputTokens / times.length : 0
    for (let i = 0; i < times.length; i++) if (run.window.inside(record.sendMs + (times[i] as number))) add(unitScale)
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
/** The record fields completedInside reads (goodInside too, besides what the SLO's objectives read). */
const COMPLETION_FIELDS = ['ok', 'sendMs', 'endToEndLatencyMs'] as const satisfies ReadonlyArray<keyof RequestRecord>
/** A measured request whose outcome the SLO judges: it succeeded, or failed (a failure misses every objective); a cancelled one is not judged. */
const judgedBySlo = (record: RequestRecord, run: RunView): boolean => run.window.counts(record) && (record.ok || record.errorClass !== 'cancelled')
const goodInside = (record: RequestRecord, run: RunView): boolean => completedInside(record, run) && run.isGood(record)

export const THROUGHPUT_FIGURES: RunFigure[] = [
  perSecondFigure(
    {
      id: 'throughput.requestsPerS',
      label: 'Request throughput',
      unit: 'req/s',
      description: 'successful requests completed inside the window / window length',
      peerNames: 'vLLM "Request throughput", GuideLLM "requests_per_second", AIPerf "Request Throughput"',
      record: COMPLETION_FIELDS,
      csvColumn: 'requests_per_s',
    },
    { completed: countOf(completedInside) },
  ),
  perSecondFigure(
    {
      id: 'throughput.outputTokensPerS',
      label: 'Output token throughput',
      unit: 'tok/s',
      description: 'output tokens whose chunk arrived inside the window (any request, warm-up ones included) / window length',
      peerNames: 'vLLM "Output token throughput", GuideLLM "output_tokens_per_second", AIPerf "Output Token Throughput"',
      record: ['ok', 'sendMs', 'chunks', 'outputTokens'],
      csvColumn: 'output_tokens_per_s',
    },
    { output: outputTokensArrived },
  ),
  perSecondFigure(
    {
      id: 'throughput.totalTokensPerS',
      label: 'Total token throughput',
      unit: 'tok/s',
      description: 'output token throughput + prompt tokens of requests whose first token arrived inside the window / window length',
      peerNames: 'vLLM "Total Token throughput", GuideLLM "tokens_per_second"',
      record: ['ok', 'sendMs', 'chunks', 'outputTokens', 'timeToFirstTokenMs', 'inputTokens'],
      csvColumn: 'total_tokens_per_s',
    },
    { output: outputTokensArrived, input: inputTokensArrived },
  ),
]

export const GOODPUT_FIGURES: RunFigure[] = [
  perSecondFigure(
    {
      id: 'goodput.requestsPerS',
      label: 'Goodput',
      unit: 'req/s',
      description: 'requests completed inside the window that succeeded and met every per-request objective of the SLO (--slo) / window length (DistServe)',
      peerNames: 'vLLM "Request goodput" (--goodput), AIPerf "Goodput"',
      record: COMPLETION_FIELDS,
      csvColumn: 'goodput_requests_per_s',
    },
    { good: countOf(goodInside) },
  ),
  perSecondFigure(
    {
      id: 'goodput.outputTokensPerS',
      label: 'Output token goodput',
      unit: 'tok/s',
      description: 'output tokens of the requests goodput counts / window length',
      record: [...COMPLETION_FIELDS, 'outputTokens'],
      csvColumn: null,
    },
    { tokens: sumOf((record, run) => (goodInside(record, run) ? record.outputTokens : null)) },
  ),
  ratioFigure(
    {
      id: 'goodput.fractionOfRequests',
      label: 'SLO attainment',
      unit: 'share',
      description:
        'measured successful requests that met every per-request objective / measured requests that ended: a failed request misses the SLO; ' +
        'one cancelled (cut by the end of the run or Ctrl-C) is left out, its outcome unknown (null when none)',
      record: ['ok', 'sendMs', 'errorClass'],
      csvColumn: 'goodput_fraction',
    },
    countOf((record, run) => measured(record, run) && run.isGood(record)),
    countOf(judgedBySlo),
  ),
]
