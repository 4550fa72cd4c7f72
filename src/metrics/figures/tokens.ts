import type { RequestRecord } from '../../io/schema/record.js'
import { chunkView } from '../chunks.js'
import { type RunFigure, type RunView, countOf, measured, numberOf, sumOf } from '../run-figure.js'
import { ratioFigure, totalFigure } from './figure-kinds.js'

/** Tokens per request (asked, counted by the server or the client) and how the stream carried them. */

/** Above this many token events per network read on average, we say the stream is coalesced. */
const COALESCING_EVENTS_PER_READ = 1.2

/** Mean token events per network read of successful records, and whether that means coalescing. */
export function coalescingOf(tokenEvents: number, reads: number): { eventsPerRead: number | null; detected: boolean } {
  const eventsPerRead = reads > 0 ? tokenEvents / reads : null
  return { eventsPerRead, detected: eventsPerRead !== null && eventsPerRead > COALESCING_EVENTS_PER_READ }
}

/** The measured request's input counted by the server, paired with what was asked. */
const inputPaired = (record: RequestRecord, run: RunView): boolean =>
  measured(record, run) && record.requestedInputTokens !== null && record.inputTokensSource === 'server' && record.inputTokens !== null

/** The measured successful request streamed reasoning (its record counts reasoning tokens). */
const reasoned = (record: RequestRecord, run: RunView): boolean => measured(record, run) && record.reasoningTokens !== undefined
/** The measured successful request streamed tool-call deltas. */
const calledTools = (record: RequestRecord, run: RunView): boolean => measured(record, run) && (record.toolCallDeltas ?? 0) > 0

/** The measured successful request asked for tools (--tools). */
const askedForTools = (record: RequestRecord, run: RunView): boolean => measured(record, run) && record.toolsRequested === true

/** A mean over the measured successful requests (requests.succeededInWindow), when any measured request `seen`; null otherwise. */
function meanPerRequestWhenSeen(
  spec: Omit<RunFigure, 'scope' | 'dependsOn' | 'sums' | 'value' | 'onlyWhenSeen'> & { record: ReadonlyArray<keyof RequestRecord> },
  amount: (record: RequestRecord) => number,
  seen: (record: RequestRecord, run: RunView) => boolean,
): RunFigure {
  const { record, ...rest } = spec
  return {
    ...rest,
    scope: 'run',
    onlyWhenSeen: true,
    dependsOn: { record, figures: ['requests.succeededInWindow'] },
    sums: { amount: sumOf((r, run) => (measured(r, run) ? amount(r) : null)), seen: countOf(seen) },
    value: (sums, _, figure) => {
      const succeeded = numberOf(figure, 'requests.succeededInWindow') ?? 0
      return (sums.seen ?? 0) > 0 && succeeded > 0 ? (sums.amount ?? 0) / succeeded : null
    },
  }
}

/**
 * Reasoning and tool calls (issue #21): figures of a run that saw them, absent from a plain run's
 * summary (onlyWhenSeen). Time to first answer token is the latency distribution ttfc (definitions.ts).
 */
const REASONING_AND_TOOL_FIGURES: RunFigure[] = [
  meanPerRequestWhenSeen(
    {
      id: 'reasoningTokensMean',
      label: 'Reasoning tokens per request, mean',
      unit: 'tokens',
      description:
        "reasoning tokens (the server's usage.completion_tokens_details.reasoning_tokens, else the reasoning text counted by the client; " +
        '0 for a request without reasoning) over the measured successful requests; present when any request reasoned',
      record: ['reasoningTokens'],
    },
    (record) => record.reasoningTokens ?? 0,
    reasoned,
  ),
  meanPerRequestWhenSeen(
    {
      id: 'answerTokensMean',
      label: 'Answer tokens per request, mean',
      unit: 'tokens',
      description: 'output tokens less reasoning tokens over the measured successful requests; present when any request reasoned',
      record: ['answerTokens', 'outputTokens', 'reasoningTokens'],
    },
    (record) => record.answerTokens ?? record.outputTokens,
    reasoned,
  ),
  meanPerRequestWhenSeen(
    {
      id: 'toolsRequestedPct',
      label: 'Requests that asked for tools',
      unit: '%',
      description:
        'measured successful requests sent with tools (--tools) / measured successful requests × 100, to read beside the share with tool calls; ' +
        'present when any asked',
      record: ['toolsRequested'],
    },
    (record) => (record.toolsRequested === true ? 100 : 0),
    askedForTools,
  ),
  meanPerRequestWhenSeen(
    {
      id: 'toolCallRequestsPct',
      label: 'Requests with tool calls',
      unit: '%',
      description: 'measured successful requests that streamed tool-call deltas / measured successful requests × 100; present when any did',
      record: ['toolCallDeltas'],
    },
    (record) => ((record.toolCallDeltas ?? 0) > 0 ? 100 : 0),
    calledTools,
  ),
  {
    ...ratioFigure(
      {
        id: 'toolCallDeltasMean',
        label: 'Tool-call deltas per tool-calling request, mean',
        unit: 'deltas',
        description: 'delta.tool_calls entries streamed, over the measured successful requests that streamed any; present when any did',
        record: ['toolCallDeltas'],
      },
      sumOf((record, run) => (calledTools(record, run) ? (record.toolCallDeltas as number) : null)),
      countOf(calledTools),
    ),
    onlyWhenSeen: true,
  },
]

export const TOKEN_FIGURES: RunFigure[] = [
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
  ratioFigure(
    {
      id: 'tokens.inputServerMean',
      label: 'Prompt tokens counted by the server, mean',
      unit: 'tokens',
      description: "the server's prompt token count (usage) over the measured requests that report it",
      record: ['requestedInputTokens', 'inputTokens', 'inputTokensSource'],
      csvColumn: null,
    },
    sumOf((record, run) => (inputPaired(record, run) ? record.inputTokens : null)),
    countOf(inputPaired),
  ),
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
  ratioFigure(
    {
      id: 'tokens.outputRequestedMean',
      label: 'Output tokens asked, mean',
      unit: 'tokens',
      description: 'output tokens asked for (max_tokens), mean over the measured successful requests that asked',
      record: ['requestedOutputTokens'],
      csvColumn: null,
    },
    sumOf((record, run) => (measured(record, run) ? record.requestedOutputTokens : null)),
    countOf((record, run) => measured(record, run) && record.requestedOutputTokens !== null),
  ),
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
  totalFigure(
    {
      id: 'tokens.outputFromServerUsage',
      label: 'Output counted by the server',
      unit: 'requests',
      description: "measured successful requests whose output tokens are the server's usage",
      record: ['outputTokensSource'],
      csvColumn: null,
    },
    countOf((record, run) => measured(record, run) && record.outputTokensSource === 'server'),
  ),
  totalFigure(
    {
      id: 'tokens.outputCountedByClient',
      label: 'Output counted by the client',
      unit: 'requests',
      description: "measured successful requests without usage: output tokens counted with the client's tokenizer",
      record: ['outputTokensSource'],
      csvColumn: null,
    },
    countOf((record, run) => measured(record, run) && record.outputTokensSource !== 'server'),
  ),
  {
    id: 'tokens.eventsPerRead',
    label: 'Token events per network read',
    unit: 'events',
    scope: 'run',
    description:
      'token events / network reads carrying tokens, over measured successful requests; above ' +
      `${COALESCING_EVENTS_PER_READ} the server or a proxy coalesces`,
    dependsOn: { record: ['tokenEvents', 'chunks'], figures: [] },
    csvColumn: 'events_per_read',
    sums: {
      events: sumOf((record, run) => (measured(record, run) ? record.tokenEvents : null)),
      reads: sumOf((record, run) => (measured(record, run) ? chunkView(record).count : null)),
    },
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
  ...REASONING_AND_TOOL_FIGURES,
]
