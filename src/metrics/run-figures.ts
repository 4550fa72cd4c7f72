import { ERROR_CLASSES } from '../io/schema/record.js'
import { chunkView } from './chunks.js'
import { type Accumulate, type RunFigure, completionMs, countOf, measured, numberOf, sumOf } from './run-figure.js'

/**
 * Every run-level figure of a run summary, defined once (the latency distributions are in
 * definitions.ts). summarizeRun computes the summary by walking this list in order; summary.json,
 * summary.csv, the README glossary, SLOs and the terminal tables read it. A new figure is one entry
 * here: summary.json keeps it under `figures.<id>`, summary.csv gives it a column.
 */

/** Above this many token events per network read on average, we say the stream is coalesced. */
const COALESCING_EVENTS_PER_READ = 1.2

/** Mean token events per network read of successful records, and whether that means coalescing. */
export function coalescingOf(tokenEvents: number, reads: number): { eventsPerRead: number | null; detected: boolean } {
  const eventsPerRead = reads > 0 ? tokenEvents / reads : null
  return { eventsPerRead, detected: eventsPerRead !== null && eventsPerRead > COALESCING_EVENTS_PER_READ }
}

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

const completedInside = (record: Parameters<Accumulate>[0], run: Parameters<Accumulate>[1]): boolean => record.ok && run.window.inside(completionMs(record))
const goodInside = (record: Parameters<Accumulate>[0], run: Parameters<Accumulate>[1]): boolean => completedInside(record, run) && run.isGood(record)
/** The measured request's input counted by the server, paired with what was asked. */
const inputPaired = (record: Parameters<Accumulate>[0], run: Parameters<Accumulate>[1]): boolean =>
  measured(record, run) && record.requestedInputTokens !== null && record.inputTokensSource === 'server' && record.inputTokens !== null

const none = { record: [], figures: [] } as const
const WINDOW_RULE =
  'with no --warmup/--cooldown: first send → last completion (vLLM, drain tail included); otherwise [warm-up end, cool-down start] (GuideLLM). Requests sent outside it stay in records.jsonl and leave the statistics'

const REQUEST_FIGURES: RunFigure[] = [
  {
    id: 'requests.sent',
    label: 'Requests sent',
    unit: 'requests',
    scope: 'run',
    description: 'requests sent, warm-up and cool-down included',
    dependsOn: none,
    csvColumn: 'sent',
    sums: { sent: countOf(() => true) },
    value: (sums) => sums.sent ?? 0,
  },
  {
    id: 'requests.succeeded',
    label: 'Requests succeeded',
    unit: 'requests',
    scope: 'run',
    description: 'requests answered in full (a complete stream)',
    dependsOn: { record: ['ok'], figures: [] },
    csvColumn: 'succeeded',
    sums: { ok: countOf((record) => record.ok) },
    value: (sums) => sums.ok ?? 0,
  },
  {
    id: 'requests.failed',
    label: 'Requests failed',
    unit: 'requests',
    scope: 'run',
    description: 'requests sent − requests succeeded',
    dependsOn: { record: [], figures: ['requests.sent', 'requests.succeeded'] },
    csvColumn: 'failed',
    value: (_, __, figure) => (numberOf(figure, 'requests.sent') ?? 0) - (numberOf(figure, 'requests.succeeded') ?? 0),
  },
  {
    id: 'requests.errors',
    label: 'Errors by class',
    unit: 'requests',
    scope: 'run',
    description: `failed requests by error class (${ERROR_CLASSES.join(', ')})`,
    dependsOn: { record: ['ok', 'errorClass'], figures: [] },
    csvColumn: 'errors',
    classes: ERROR_CLASSES,
    sums: Object.fromEntries(ERROR_CLASSES.map((c) => [c, countOf((record) => !record.ok && record.errorClass === c)])),
    value: (sums) => Object.fromEntries(ERROR_CLASSES.map((c) => [c, sums[c] ?? 0])),
  },
  {
    id: 'requests.inWindow',
    label: 'Requests measured',
    unit: 'requests',
    scope: 'run',
    description: 'requests sent after the warm-up and before the cool-down: the ones the statistics count',
    dependsOn: { record: ['sendMs'], figures: [] },
    csvColumn: null,
    sums: { counted: countOf((record, run) => run.window.counts(record)) },
    value: (sums) => sums.counted ?? 0,
  },
  {
    id: 'requests.succeededInWindow',
    label: 'Requests measured and succeeded',
    unit: 'requests',
    scope: 'run',
    description: 'measured requests that succeeded: the samples of the latency distributions',
    dependsOn: { record: ['ok', 'sendMs'], figures: [] },
    csvColumn: null,
    sums: { counted: countOf(measured) },
    value: (sums) => sums.counted ?? 0,
  },
  {
    id: 'requests.excludedWarmup',
    label: 'Requests in the warm-up',
    unit: 'requests',
    scope: 'run',
    description: 'requests sent before the warm-up ended (left out of the statistics)',
    dependsOn: { record: ['sendMs'], figures: [] },
    csvColumn: null,
    sums: { warmup: countOf((record, run) => run.window.inWarmup(record)) },
    value: (sums) => sums.warmup ?? 0,
  },
  {
    id: 'requests.excludedCooldown',
    label: 'Requests in the cool-down',
    unit: 'requests',
    scope: 'run',
    description: 'requests sent after the cool-down started (left out of the statistics)',
    dependsOn: { record: ['sendMs'], figures: [] },
    csvColumn: null,
    sums: { cooldown: countOf((record, run) => run.window.inCooldown(record)) },
    value: (sums) => sums.cooldown ?? 0,
  },
  {
    id: 'requests.retries',
    label: 'Retries',
    unit: 'requests',
    scope: 'run',
    description: 'retries of all requests (a retried request counts once in requests sent)',
    dependsOn: { record: ['retries'], figures: [] },
    csvColumn: null,
    sums: { retries: sumOf((record) => record.retries) },
    value: (sums) => sums.retries ?? 0,
  },
]

const WINDOW_FIGURES: RunFigure[] = [
  { id: 'window.startMs', label: 'Window start', unit: 'ms', scope: 'run', description: `start of the window, ms from the run's start; ${WINDOW_RULE}`, dependsOn: { record: ['sendMs'], figures: [] }, csvColumn: null, value: (_, run) => run.window.startMs },
  { id: 'window.endMs', label: 'Window end', unit: 'ms', scope: 'run', description: "end of the window, ms from the run's start", dependsOn: { record: ['sendMs', 'endToEndLatencyMs'], figures: [] }, csvColumn: null, value: (_, run) => run.window.endMs },
  {
    id: 'window.durationS',
    label: 'Window',
    unit: 's',
    scope: 'run',
    description: 'window end − window start: what throughput divides by',
    peerNames: 'vLLM: benchmark duration; GuideLLM: warmup/cooldown',
    dependsOn: { record: ['sendMs', 'endToEndLatencyMs'], figures: [] },
    csvColumn: 'window_s',
    value: (_, run) => run.window.durationS,
  },
  { id: 'window.rule', label: 'Window rule', unit: 'text', scope: 'run', description: 'the window in words', dependsOn: none, csvColumn: null, value: (_, run) => run.window.rule },
]

const THROUGHPUT_FIGURES: RunFigure[] = [
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

const GOODPUT_FIGURES: RunFigure[] = [
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

const TOKEN_FIGURES: RunFigure[] = [
  {
    id: 'tokens.inputRequestedMean',
    label: 'Prompt tokens asked, mean',
    unit: 'tokens',
    scope: 'run',
    description: 'prompt tokens geopat asked for, summed over measured successful requests / their number (null when none was asked)',
    dependsOn: { record: ['requestedInputTokens'], figures: ['requests.succeededInWindow'] },
    csvColumn: null,
    sums: { requested: sumOf((record, run) => (measured(record, run) ? record.requestedInputTokens : null)) },
    value: (sums, _, figure) => {
      const succeeded = numberOf(figure, 'requests.succeededInWindow') ?? 0
      const requested = sums.requested ?? 0
      return succeeded > 0 && requested > 0 ? requested / succeeded : null
    },
  },
  {
    id: 'tokens.inputServerMean',
    label: 'Prompt tokens counted by the server, mean',
    unit: 'tokens',
    scope: 'run',
    description: "the server's prompt token count (usage) over the measured requests that report it",
    dependsOn: { record: ['requestedInputTokens', 'inputTokens', 'inputTokensSource'], figures: [] },
    csvColumn: null,
    sums: { server: sumOf((record, run) => (inputPaired(record, run) ? record.inputTokens : null)), pairs: countOf(inputPaired) },
    value: (sums) => ((sums.pairs ?? 0) > 0 ? (sums.server ?? 0) / (sums.pairs ?? 0) : null),
  },
  {
    id: 'tokens.inputDiscrepancyPct',
    label: 'Prompt token discrepancy',
    unit: '%',
    scope: 'run',
    description: '(server − requested) / requested × 100, over the measured requests where both are known',
    dependsOn: { record: ['requestedInputTokens', 'inputTokens', 'inputTokensSource'], figures: [] },
    csvColumn: 'input_tokens_discrepancy_pct',
    sums: {
      server: sumOf((record, run) => (inputPaired(record, run) ? record.inputTokens : null)),
      requested: sumOf((record, run) => (inputPaired(record, run) ? record.requestedInputTokens : null)),
    },
    value: (sums) => {
      const requested = sums.requested ?? 0
      return requested > 0 ? (((sums.server ?? 0) - requested) / requested) * 100 : null
    },
  },
  {
    id: 'tokens.outputRequestedMean',
    label: 'Output tokens asked, mean',
    unit: 'tokens',
    scope: 'run',
    description: 'output tokens asked for (max_tokens), mean over the measured successful requests that asked',
    dependsOn: { record: ['requestedOutputTokens'], figures: [] },
    csvColumn: null,
    sums: {
      requested: sumOf((record, run) => (measured(record, run) ? record.requestedOutputTokens : null)),
      asked: countOf((record, run) => measured(record, run) && record.requestedOutputTokens !== null),
    },
    value: (sums) => ((sums.asked ?? 0) > 0 ? (sums.requested ?? 0) / (sums.asked ?? 0) : null),
  },
  {
    id: 'tokens.outputMean',
    label: 'Output tokens, mean',
    unit: 'tokens',
    scope: 'run',
    description: "output tokens per measured successful request (the server's usage when sent, else counted by the client)",
    dependsOn: { record: ['outputTokens'], figures: ['requests.succeededInWindow'] },
    csvColumn: null,
    sums: { output: sumOf((record, run) => (measured(record, run) ? record.outputTokens : null)) },
    value: (sums, _, figure) => {
      const succeeded = numberOf(figure, 'requests.succeededInWindow') ?? 0
      return succeeded > 0 ? (sums.output ?? 0) / succeeded : null
    },
  },
  {
    id: 'tokens.outputFromServerUsage',
    label: 'Output counted by the server',
    unit: 'requests',
    scope: 'run',
    description: "measured successful requests whose output tokens are the server's usage",
    dependsOn: { record: ['outputTokensSource'], figures: [] },
    csvColumn: null,
    sums: { server: countOf((record, run) => measured(record, run) && record.outputTokensSource === 'server') },
    value: (sums) => sums.server ?? 0,
  },
  {
    id: 'tokens.outputCountedByClient',
    label: 'Output counted by the client',
    unit: 'requests',
    scope: 'run',
    description: "measured successful requests without usage: output tokens counted with the client's tokenizer",
    dependsOn: { record: ['outputTokensSource'], figures: [] },
    csvColumn: null,
    sums: { client: countOf((record, run) => measured(record, run) && record.outputTokensSource !== 'server') },
    value: (sums) => sums.client ?? 0,
  },
  {
    id: 'tokens.eventsPerRead',
    label: 'Token events per network read',
    unit: 'events',
    scope: 'run',
    description: `token events / network reads carrying tokens, over measured successful requests; above ${COALESCING_EVENTS_PER_READ} the server or a proxy coalesces`,
    dependsOn: { record: ['tokenEvents', 'chunks'], figures: [] },
    csvColumn: 'events_per_read',
    sums: { events: sumOf((record, run) => (measured(record, run) ? record.tokenEvents : null)), reads: sumOf((record, run) => (measured(record, run) ? chunkView(record).count : null)) },
    value: (sums) => coalescingOf(sums.events ?? 0, sums.reads ?? 0).eventsPerRead,
  },
  {
    id: 'tokens.coalescingDetected',
    label: 'Coalescing detected',
    unit: 'yes/no',
    scope: 'run',
    description: `token events per network read above ${COALESCING_EVENTS_PER_READ}: per-chunk gaps understate token latency`,
    dependsOn: { record: [], figures: ['tokens.eventsPerRead'] },
    csvColumn: null,
    value: (_, __, figure) => {
      const eventsPerRead = numberOf(figure, 'tokens.eventsPerRead')
      return eventsPerRead !== null && eventsPerRead > COALESCING_EVENTS_PER_READ
    },
  },
]

export const RUN_FIGURES: readonly RunFigure[] = [...REQUEST_FIGURES, ...WINDOW_FIGURES, ...THROUGHPUT_FIGURES, ...GOODPUT_FIGURES, ...TOKEN_FIGURES]

export function runFigureById(id: string): RunFigure | undefined {
  return RUN_FIGURES.find((figure) => figure.id === id)
}
