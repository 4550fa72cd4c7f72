import { METRICS } from '../../metrics/definitions.js'
import { minimumSampleForPercentileInterval } from '../../metrics/distribution.js'

const MIN_REQUESTS_FOR_P99_INTERVAL = minimumSampleForPercentileInterval(0.99)
import { ERROR_CLASSES } from '../schema/record.js'
import type { BenchSummary, RunSummary } from '../schema/summary.js'
import { csvCell } from './csv.js'

const STATS = ['mean', 'std', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const


/** summary.csv: one row per run (endpoint × load step), one column per figure. */
export function summaryToCsv(summary: BenchSummary): string {
  const header = [
    'endpoint', 'model', 'step', 'step_label', 'mode', 'concurrency_requested', 'rate_requested_per_s',
    'concurrency_achieved_mean', 'send_rate_achieved_per_s', 'sent', 'succeeded', 'failed',
    ...ERROR_CLASSES.map((c) => `errors_${c}`),
    'window_s', 'requests_per_s', 'output_tokens_per_s', 'total_tokens_per_s', 'goodput_requests_per_s',
    'goodput_fraction', 'input_tokens_discrepancy_pct', 'events_per_read', 'client_verdict',
    ...METRICS.flatMap((m) => STATS.map((s) => `${m.id}_${s}_ms`)),
  ]
  const rows = summary.runs.map((run) => [
    run.endpoint.label, run.endpoint.model, run.step, run.stepLabel, run.requested.mode, run.requested.concurrency,
    run.requested.ratePerS, run.achieved.concurrencyMean, run.achieved.sendRatePerS, run.requests.sent,
    run.requests.succeeded, run.requests.failed, ...ERROR_CLASSES.map((c) => run.requests.errors[c]),
    run.window.durationS, run.throughput.requestsPerS, run.throughput.outputTokensPerS, run.throughput.totalTokensPerS,
    run.goodput?.requestsPerS, run.goodput?.fractionOfRequests, run.tokens.inputDiscrepancyPct, run.tokens.eventsPerRead,
    run.client.verdict, ...METRICS.flatMap((m) => STATS.map((s) => run.metrics[m.id]?.[s])),
  ])
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`
}

function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function pad(text: string, width: number, right = true): string {
  return right ? text.padStart(width) : text.padEnd(width)
}

/** The human table printed after a run. */
export function formatRunTable(run: RunSummary): string {
  const lines: string[] = []
  const load =
    run.requested.mode === 'closed'
      ? `closed loop, concurrency ${run.requested.concurrency} (achieved ${num(run.achieved.concurrencyMean, 1)})`
      : `open loop, ${run.requested.arrival} ${num(run.requested.ratePerS, 2)} req/s (sent at ${num(run.achieved.sendRatePerS, 2)} req/s${run.requested.maxConcurrency ? `, cap ${run.requested.maxConcurrency}` : ''}; concurrency ${num(run.achieved.concurrencyMean, 1)})`
  lines.push(`${run.endpoint.label} · ${run.endpoint.model} · ${run.endpoint.api} · ${run.stepLabel}: ${load}`)
  const errors = ERROR_CLASSES.filter((c) => (run.requests.errors[c] ?? 0) > 0).map((c) => `${c} ${run.requests.errors[c]}`)
  lines.push(
    `  requests: ${run.requests.sent} sent, ${run.requests.succeeded} ok, ${run.requests.failed} failed${errors.length ? ` (${errors.join(', ')})` : ''}` +
      `${run.requests.excludedWarmup + run.requests.excludedCooldown > 0 ? `; ${run.requests.excludedWarmup} warm-up and ${run.requests.excludedCooldown} cool-down excluded` : ''}${run.interrupted ? ' · INTERRUPTED' : ''}`,
  )
  lines.push(`  ${pad('metric (ms)', 34, false)}${['mean', 'p50', 'p90', 'p99', 'max', 'n'].map((h) => pad(h, 10)).join('')}   p99 95% CI`)
  for (const metric of METRICS) {
    const d = run.metrics[metric.id]
    if (!d || d.count === 0) continue
    const p99 = run.intervals[metric.id]?.p99
    const interval = p99 ? `   [${num(p99[0], 1)}, ${num(p99[1], 1)}]` : run.intervals[metric.id] ? `   (needs ≥ ${MIN_REQUESTS_FOR_P99_INTERVAL} requests)` : ''
    lines.push(`  ${pad(metric.label, 34, false)}${[d.mean, d.p50, d.p90, d.p99, d.max].map((v) => pad(num(v, 2), 10)).join('')}${pad(String(d.count), 10)}${interval}`)
  }
  const goodput = run.goodput
    ? ` · goodput ${num(run.goodput.requestsPerS, 2)} req/s (${num((run.goodput.fractionOfRequests ?? 0) * 100, 0)}% of requests meet the SLO)`
    : ''
  lines.push(
    `  throughput over ${num(run.window.durationS, 1)} s: ${num(run.throughput.requestsPerS, 2)} req/s · ${num(run.throughput.outputTokensPerS, 0)} output tok/s · ${num(run.throughput.totalTokensPerS, 0)} total tok/s${goodput}`,
  )
  const tokens = run.tokens
  if (tokens.inputRequestedMean !== null) {
    lines.push(
      `  tokens: input ${num(tokens.inputRequestedMean, 0)} requested${tokens.inputServerMean !== null ? ` / ${num(tokens.inputServerMean, 0)} counted by the server (${num(tokens.inputDiscrepancyPct, 1)}%)` : ''}, output ${num(tokens.outputMean, 1)} mean`,
    )
  }
  const c = run.client
  lines.push(
    `  client: ${c.verdict === 'ok' ? 'ok' : c.verdict === 'server-lost' ? 'not judged (server lost)' : 'CLIENT-BOUND'} (event-loop delay ${num(c.eventLoopDelayMeanMs, 2)} ms mean / ${num(c.eventLoopDelayP99Ms, 1)} ms p99${c.sendLatenessMs.count > 0 ? `, send lateness ${num(c.sendLatenessMs.mean, 2)} ms mean` : ''}${c.gcPauses ? `, GC pauses ${num(c.gcPauses.totalMs, 0)} ms (longest ${num(c.gcPauses.maxMs, 1)}${c.workers > 1 ? ', worst thread' : ''})` : ''}, CPU ${num(c.cpuCores, 2)} cores)`,
  )
  for (const reason of c.reasons) lines.push(`    ! ${reason}`)
  if (c.advice) lines.push(`    → ${c.advice}`)
  for (const warning of run.warnings) lines.push(`  note: ${warning}`)
  return lines.join('\n')
}

/** Runs side by side, one column each: printed when a bench covers several endpoints. */
export function formatComparisonTable(runs: readonly RunSummary[]): string {
  const columns = runs.map((run) => (runs.some((r) => r !== run && r.endpoint.label === run.endpoint.label) ? `${run.endpoint.label} ${run.stepLabel}` : run.endpoint.label))
  const rows: Array<[string, (run: RunSummary) => string]> = [
    ['TTFT mean (ms)', (r) => num(r.metrics.ttft?.mean, 1)],
    ['TTFT p50 (ms)', (r) => num(r.metrics.ttft?.p50, 1)],
    ['TTFT p99 (ms)', (r) => num(r.metrics.ttft?.p99, 1)],
    ['TPOT mean (ms)', (r) => num(r.metrics.tpot?.mean, 2)],
    ['ITL per token p50 (ms)', (r) => num(r.metrics.interTokenLatency?.p50, 2)],
    ['ITL per token p99 (ms)', (r) => num(r.metrics.interTokenLatency?.p99, 2)],
    ['E2E p50 (ms)', (r) => num(r.metrics.e2e?.p50, 0)],
    ['E2E p99 (ms)', (r) => num(r.metrics.e2e?.p99, 0)],
    ['requests/s', (r) => num(r.throughput.requestsPerS, 2)],
    ['output tok/s', (r) => num(r.throughput.outputTokensPerS, 0)],
    ['goodput req/s', (r) => (r.goodput ? num(r.goodput.requestsPerS, 2) : '–')],
    ['ok / sent', (r) => `${r.requests.succeeded}/${r.requests.sent}`],
    ['client', (r) => r.client.verdict],
  ]
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2
  const width = Math.max(12, ...columns.map((c) => c.length + 2))
  const lines = [`${pad('', labelWidth, false)}${columns.map((c) => pad(c, width)).join('')}`]
  for (const [label, value] of rows) lines.push(`${pad(label, labelWidth, false)}${runs.map((run) => pad(value(run), width)).join('')}`)
  return lines.join('\n')
}
