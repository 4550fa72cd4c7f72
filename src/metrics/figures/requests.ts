import { ERROR_CLASSES } from '../../io/schema/record.js'
import { type RunFigure, countOf, measured, numberOf, sumOf } from '../run-figure.js'
import { totalFigure } from './figure-kinds.js'

/** The requests of a run (sent, failed by class, measured) and its measurement window, as run figures. */

const none = { record: [], figures: [] } as const
const WINDOW_RULE =
  'with no --warmup/--cooldown: first send → last completion (vLLM, drain tail included); otherwise ' +
  '[warm-up end, cool-down start] (GuideLLM). Requests sent outside it stay in records.jsonl and leave the statistics'

export const REQUEST_FIGURES: RunFigure[] = [
  totalFigure(
    {
      id: 'requests.sent',
      label: 'Requests sent',
      unit: 'requests',
      description: 'requests sent, warm-up and cool-down included',
      record: [],
      csvColumn: 'sent',
    },
    countOf(() => true),
  ),
  totalFigure(
    {
      id: 'requests.succeeded',
      label: 'Requests succeeded',
      unit: 'requests',
      description: 'requests answered in full (a complete stream)',
      record: ['ok'],
      csvColumn: 'succeeded',
    },
    countOf((record) => record.ok),
  ),
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
  totalFigure(
    {
      id: 'requests.inWindow',
      label: 'Requests measured',
      unit: 'requests',
      description: 'requests sent after the warm-up and before the cool-down: the ones the statistics count',
      record: ['sendMs'],
      csvColumn: null,
    },
    countOf((record, run) => run.window.counts(record)),
  ),
  totalFigure(
    {
      id: 'requests.succeededInWindow',
      label: 'Requests measured and succeeded',
      unit: 'requests',
      description: 'measured requests that succeeded: the samples of the latency distributions',
      record: ['ok', 'sendMs'],
      csvColumn: null,
    },
    countOf(measured),
  ),
  totalFigure(
    {
      id: 'requests.excludedWarmup',
      label: 'Requests in the warm-up',
      unit: 'requests',
      description: 'requests sent before the warm-up ended (left out of the statistics)',
      record: ['sendMs'],
      csvColumn: null,
    },
    countOf((record, run) => run.window.inWarmup(record)),
  ),
  totalFigure(
    {
      id: 'requests.excludedCooldown',
      label: 'Requests in the cool-down',
      unit: 'requests',
      description: 'requests sent after the cool-down started (left out of the statistics)',
      record: ['sendMs'],
      csvColumn: null,
    },
    countOf((record, run) => run.window.inCooldown(record)),
  ),
  totalFigure(
    {
      id: 'requests.retries',
      label: 'Retries',
      unit: 'requests',
      description: 'retries of all requests (a retried request counts once in requests sent)',
      record: ['retries'],
      csvColumn: null,
    },
    sumOf((record) => record.retries),
  ),
]

export const WINDOW_FIGURES: RunFigure[] = [
  {
    id: 'window.startMs',
    label: 'Window start',
    unit: 'ms',
    scope: 'run',
    description: `start of the window, ms from the run's start; ${WINDOW_RULE}`,
    dependsOn: { record: ['sendMs'], figures: [] },
    csvColumn: null,
    value: (_, run) => run.window.startMs,
  },
  {
    id: 'window.endMs',
    label: 'Window end',
    unit: 'ms',
    scope: 'run',
    description: "end of the window, ms from the run's start",
    dependsOn: { record: ['sendMs', 'endToEndLatencyMs'], figures: [] },
    csvColumn: null,
    value: (_, run) => run.window.endMs,
  },
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
  {
    id: 'window.rule',
    label: 'Window rule',
    unit: 'text',
    scope: 'run',
    description: 'the window in words',
    dependsOn: none,
    csvColumn: null,
    value: (_, run) => run.window.rule,
  },
]
