import { csvTable } from '../io/output/csv.js'
import type { BenchSummary, RunSummary } from '../io/schema/summary.js'
import { METRICS } from './definitions.js'
import { type RunFigure, csvColumnOf, figureOf, seenInRuns } from './run-figure.js'
import { RUN_FIGURES } from './run-figures.js'

/** The statistics of each latency distribution that summary.csv has a column for. */
const STATS = ['mean', 'std', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const

/** summary.csv's columns of one run figure (one per class for counts by class), with how to read each from a run. */
function figureColumns(figure: RunFigure): Array<[string, (run: RunSummary) => unknown]> {
  const column = csvColumnOf(figure)
  if (column === null) return []
  if (figure.classes) {
    return figure.classes.map((c) => [`${column}_${c}`, (run) => (figureOf(run, figure) as Record<string, number> | null | undefined)?.[c]])
  }
  return [[column, (run) => figureOf(run, figure)]]
}

/** Columns that describe the run (the load asked and achieved) before its figures. */
const RUN_COLUMNS: Array<[string, (run: RunSummary) => unknown]> = [
  ['endpoint', (run) => run.endpoint.label],
  ['model', (run) => run.endpoint.model],
  ['step', (run) => run.step],
  ['step_label', (run) => run.stepLabel],
  ['mode', (run) => run.requested.mode],
  ['concurrency_requested', (run) => run.requested.concurrency],
  ['rate_requested_per_s', (run) => run.requested.ratePerS],
  ['concurrency_achieved_mean', (run) => run.achieved.concurrencyMean],
  ['send_rate_achieved_per_s', (run) => run.achieved.sendRatePerS],
]

/**
 * summary.csv: one row per run (endpoint × load step), one column per figure: the run's load, its
 * run-level figures (run-figures.ts, in order), the client's verdict, then each latency distribution.
 */
export function summaryToCsv(summary: BenchSummary): string {
  const columns: Array<[string, (run: RunSummary) => unknown]> = [
    ...RUN_COLUMNS,
    ...RUN_FIGURES.filter((figure) => !figure.onlyWhenSeen || seenInRuns(figure, summary.runs)).flatMap(figureColumns),
    ['client_verdict', (run) => run.client.verdict],
    ...METRICS.flatMap((m) => STATS.map((s): [string, (run: RunSummary) => unknown] => [`${m.id}_${s}_ms`, (run) => run.metrics[m.id]?.[s]])),
  ]
  return csvTable(
    columns.map(([name]) => name),
    summary.runs.map((run) => columns.map(([, read]) => read(run))),
  )
}
