import { ERROR_CLASSES } from '../../io/schema/record.js'
import type { RunSummary } from '../../io/schema/summary.js'
import { METRICS, type MetricId } from '../../metrics/definitions.js'
import { minimumSampleForPercentileInterval } from '../../metrics/distribution.js'
import { type FigureValue, figureOf, summaryPathOf } from '../../metrics/run-figure.js'
import { RUN_FIGURES } from '../../metrics/run-figures.js'
import type { BenchViews } from '../../app/bench.js'
import { formatSafety } from './safety.js'
import { sessionLines } from './sessions.js'
import { SESSION_FIGURES } from '../../metrics/figures/sessions.js'

const MIN_REQUESTS_FOR_P99_INTERVAL = minimumSampleForPercentileInterval(0.99)

function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function pad(text: string, width: number, right = true): string {
  return right ? text.padStart(width) : text.padEnd(width)
}

/** A registered run figure's value in the run, as a number (undefined where the run has none). */
function figure(run: RunSummary, id: string): number | null | undefined {
  const value = figureOf(run, { id })
  return typeof value === 'number' || value === null ? value : undefined
}

function loadLine(run: RunSummary): string {
  const load =
    run.requested.mode === 'closed'
      ? `closed loop, concurrency ${run.requested.concurrency} (achieved ${num(run.achieved.concurrencyMean, 1)})`
      : `open loop, ${run.requested.arrival} ${num(run.requested.ratePerS, 2)} ${run.sessions ? 'sessions/s (requests ' : 'req/s ('}sent at ` +
        `${num(run.achieved.sendRatePerS, 2)} req/s${run.requested.maxConcurrency ? `, cap ${run.requested.maxConcurrency}` : ''}; ` +
        `concurrency ${num(run.achieved.concurrencyMean, 1)})`
  return `${run.endpoint.label} · ${run.endpoint.model} · ${run.endpoint.api} · ${run.stepLabel}: ${load}`
}

function requestsLine(run: RunSummary): string {
  const r = run.requests
  const errors = ERROR_CLASSES.filter((c) => (r.errors[c] ?? 0) > 0).map((c) => `${c} ${r.errors[c]}`)
  const excluded = r.excludedWarmup + r.excludedCooldown > 0 ? `; ${r.excludedWarmup} warm-up and ${r.excludedCooldown} cool-down excluded` : ''
  return (
    `  requests: ${r.sent} sent, ${r.succeeded} ok, ${r.failed} ` +
    `failed${errors.length ? ` (${errors.join(', ')})` : ''}${excluded}${run.interrupted ? ' · INTERRUPTED' : ''}`
  )
}

/** One line per latency metric of the registry that the run measured. */
function latencyLines(run: RunSummary): string[] {
  const lines = [`  ${pad('metric (ms)', 34, false)}${['mean', 'p50', 'p90', 'p99', 'max', 'n'].map((h) => pad(h, 10)).join('')}   p99 95% CI`]
  for (const metric of METRICS) {
    const d = run.metrics[metric.id]
    if (!d || d.count === 0) continue
    const p99 = run.intervals[metric.id]?.p99
    const interval = p99
      ? `   [${num(p99[0], 1)}, ${num(p99[1], 1)}]`
      : run.intervals[metric.id]
        ? `   (needs ≥ ${MIN_REQUESTS_FOR_P99_INTERVAL} requests)`
        : ''
    const cells = [d.mean, d.p50, d.p90, d.p99, d.max].map((v) => pad(num(v, 2), 10)).join('')
    lines.push(`  ${pad(metric.label, 34, false)}${cells}${pad(String(d.count), 10)}${interval}`)
  }
  return lines
}

function throughputLine(run: RunSummary): string {
  const goodput = run.goodput
    ? ` · goodput ${num(figure(run, 'goodput.requestsPerS'), 2)} req/s ` +
      `(${num((figure(run, 'goodput.fractionOfRequests') ?? 0) * 100, 0)}% of requests meet the SLO)`
    : ''
  return (
    `  throughput over ${num(figure(run, 'window.durationS'), 1)} s: ${num(figure(run, 'throughput.requestsPerS'), 2)} req/s · ` +
    `${num(figure(run, 'throughput.outputTokensPerS'), 0)} output tok/s · ${num(figure(run, 'throughput.totalTokensPerS'), 0)} total tok/s${goodput}`
  )
}

function tokensLine(run: RunSummary): string | null {
  const requested = figure(run, 'tokens.inputRequestedMean')
  if (requested === null || requested === undefined) return null
  const server = figure(run, 'tokens.inputServerMean')
  const counted =
    server !== null && server !== undefined ? ` / ${num(server, 0)} counted by the server (${num(figure(run, 'tokens.inputDiscrepancyPct'), 1)}%)` : ''
  return `  tokens: input ${num(requested, 0)} requested${counted}, output ${num(figure(run, 'tokens.outputMean'), 1)} mean`
}

/** The figures registered after summary.json's first groups (figures.<id>), one line, when the run has any. */
function otherFiguresLine(run: RunSummary): string | null {
  // A kind of run's own figures (sessions) have lines of their own (sessions.ts).
  const shown = RUN_FIGURES.filter((f) => summaryPathOf(f)[0] === 'figures' && !SESSION_FIGURES.includes(f)).flatMap((f) => {
    const value: FigureValue | undefined = figureOf(run, f)
    if (value === undefined) return []
    return [`${f.label} ${typeof value === 'number' ? num(value, 2) : value === null ? '–' : String(value)}${f.unit === 'text' ? '' : ` ${f.unit}`}`]
  })
  return shown.length > 0 ? `  ${shown.join(' · ')}` : null
}

function clientLines(run: RunSummary): string[] {
  const c = run.client
  const verdict = c.verdict === 'ok' ? 'ok' : c.verdict === 'server-lost' ? 'not judged (server lost)' : 'CLIENT-BOUND'
  const lateness = c.sendLatenessMs.count > 0 ? `, send lateness ${num(c.sendLatenessMs.mean, 2)} ms mean` : ''
  const gc = c.gcPauses ? `, GC pauses ${num(c.gcPauses.totalMs, 0)} ms (longest ${num(c.gcPauses.maxMs, 1)}${c.workers > 1 ? ', worst thread' : ''})` : ''
  const lines = [
    `  client: ${verdict} (event-loop delay ${num(c.eventLoopDelayMeanMs, 2)} ms mean / ` +
      `${num(c.eventLoopDelayP99Ms, 1)} ms p99${lateness}${gc}, CPU ${num(c.cpuCores, 2)} cores)`,
  ]
  for (const reason of c.reasons) lines.push(`    ! ${reason}`)
  if (c.advice) lines.push(`    → ${c.advice}`)
  return lines
}

/** The human table printed after a run. */
export function formatRunTable(run: RunSummary): string {
  const lines = [loadLine(run), requestsLine(run), ...latencyLines(run), throughputLine(run)]
  for (const line of [tokensLine(run), otherFiguresLine(run)]) if (line !== null) lines.push(line)
  lines.push(...sessionLines(run), ...clientLines(run))
  for (const warning of run.warnings) lines.push(`  note: ${warning}`)
  return lines.join('\n')
}

/** A row of the side-by-side table: a latency statistic, or a run figure, with its digits. */
type ComparisonRow = [label: string, value: (run: RunSummary) => string]
const latencyRow = (label: string, metric: MetricId, statistic: 'mean' | 'p50' | 'p99', digits: number): ComparisonRow => [
  label,
  (run) => num(run.metrics[metric]?.[statistic], digits),
]
const figureRow = (label: string, id: string, digits: number): ComparisonRow => [label, (run) => num(figure(run, id), digits)]

const COMPARISON_ROWS: ComparisonRow[] = [
  latencyRow('TTFT mean (ms)', 'ttft', 'mean', 1),
  latencyRow('TTFT p50 (ms)', 'ttft', 'p50', 1),
  latencyRow('TTFT p99 (ms)', 'ttft', 'p99', 1),
  latencyRow('TPOT mean (ms)', 'tpot', 'mean', 2),
  latencyRow('ITL per token p50 (ms)', 'interTokenLatency', 'p50', 2),
  latencyRow('ITL per token p99 (ms)', 'interTokenLatency', 'p99', 2),
  latencyRow('E2E p50 (ms)', 'e2e', 'p50', 0),
  latencyRow('E2E p99 (ms)', 'e2e', 'p99', 0),
  figureRow('requests/s', 'throughput.requestsPerS', 2),
  figureRow('output tok/s', 'throughput.outputTokensPerS', 0),
  ['goodput req/s', (r) => (r.goodput ? num(figure(r, 'goodput.requestsPerS'), 2) : '–')],
  ['ok / sent', (r) => `${r.requests.succeeded}/${r.requests.sent}`],
  ['client', (r) => r.client.verdict],
]

/** Runs side by side, one column each: printed when a bench covers several endpoints. */
export function formatComparisonTable(runs: readonly RunSummary[]): string {
  const columns = runs.map((run) =>
    runs.some((r) => r !== run && r.endpoint.label === run.endpoint.label) ? `${run.endpoint.label} ${run.stepLabel}` : run.endpoint.label,
  )
  const labelWidth = Math.max(...COMPARISON_ROWS.map(([label]) => label.length)) + 2
  const width = Math.max(12, ...columns.map((c) => c.length + 2))
  const lines = [`${pad('', labelWidth, false)}${columns.map((c) => pad(c, width)).join('')}`]
  for (const [label, value] of COMPARISON_ROWS) lines.push(`${pad(label, labelWidth, false)}${runs.map((run) => pad(value(run), width)).join('')}`)
  return lines.join('\n')
}

/** What a bench shows on the terminal as it goes: each step's table, then the endpoints side by side, then the run's safety lines. */
export function benchViews(log: (line: string) => void): Required<BenchViews> {
  return {
    onStepSummary: (summary) => log(formatRunTable(summary)),
    onRunsCompared: (runs) => log(`\nside by side:\n${formatComparisonTable(runs)}`),
    onSafety: (safety) => {
      for (const line of formatSafety(safety)) log(line)
    },
  }
}
