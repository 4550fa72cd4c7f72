import { attestationTable } from './attestation.js'
import { shardsTables } from './shards.js'
import { METRIC_SHORT, ci, comparisonBlocks, round } from './compare-blocks.js'
import { KNEE_TTFT_FACTOR, type Knee, kneeOf, kneeStepOf } from '../../metrics/knee.js'
import { percentileOfSorted } from '../../metrics/distribution.js'
import { metricById } from '../../metrics/definitions.js'
import { type RunFigure, figureOf, seenInRuns } from '../../metrics/run-figure.js'
import { RUN_FIGURES } from '../../metrics/run-figures.js'
import type { CompareSummary } from '../../io/schema/compare.js'
import type { BenchSummary, RunSummary } from '../../io/schema/summary.js'
import type { ChartBook } from '../chart-book.js'
import { type LineSeries, lineChart } from '../charts.js'
import { estimate, num, pct, ratioChange, withUnit } from '../format.js'
import { type Loaded, type ReportInputs, use } from '../inputs.js'
import { CDF_METRICS, type LatencyGroup } from '../latencies.js'
import { type ChartBlock, type EndpointsSection, type RowInput, type Table, type Tone, m, n, table } from '../model.js'

/** The run's figure with the summary's interval for it ("111 ms (95% CI 109–116)"). */
function runFigure(run: RunSummary, metric: string, statistic: 'mean' | 'p50' | 'p90' | 'p99'): string {
  const value = run.metrics[metric]?.[statistic] ?? null
  const intervals = run.intervals[metric]
  const bounds = intervals?.[statistic] ?? null
  return estimate(value, bounds ? { low: bounds[0], high: bounds[1], confidence: intervals?.confidence ?? 0.95 } : null, 'ms')
}

function clientCheckCell(run: RunSummary): string {
  const c = run.client
  if (c.verdict === 'ok') return 'ok'
  if (c.verdict === 'server-lost') return `not judged: ${c.reasons.join('; ')}`
  return `client-bound: ${c.reasons.join('; ')}${c.advice ? ` → ${c.advice}` : ''}`
}

/** Figures of what only some runs have (reasoning, tool calls: onlyWhenSeen) that some run of the report has: a column each, none otherwise. */
function seenFigures(bench: Array<Loaded<BenchSummary>>): RunFigure[] {
  return RUN_FIGURES.filter((figure) => figure.onlyWhenSeen && bench.some(({ data }) => seenInRuns(figure, data.runs)))
}

function seenFigureCell(run: RunSummary, figure: RunFigure): string {
  const value = figureOf(run, figure)
  return typeof value === 'number' ? withUnit(value, figure.unit) : '–'
}

function runRow(run: RunSummary, seen: readonly RunFigure[] = []): Table['rows'][number] {
  const failed = run.requests.failed
  const tone: Tone = run.client.verdict === 'client-bound' ? 'bad' : failed > 0 || run.interrupted || run.warnings.length > 0 ? 'warn' : null
  return {
    tone,
    cells: [
      run.endpoint.label,
      `${run.endpoint.model} · ${run.endpoint.api}`,
      run.endpoint.url,
      run.stepLabel,
      `${num(run.requests.succeeded, 0)} / ${num(run.requests.sent, 0)}${failed > 0 ? ` (${num(failed, 0)} failed)` : ''}`,
      withUnit(run.throughput.requestsPerS, 'req/s'),
      withUnit(run.throughput.outputTokensPerS, 'tok/s'),
      run.goodput ? `${withUnit(run.goodput.requestsPerS, 'req/s')} (${pct(run.goodput.fractionOfRequests)} meet the SLO)` : 'no SLO given',
      runFigure(run, 'ttft', 'p50'),
      runFigure(run, 'ttft', 'p90'),
      runFigure(run, 'tpot', 'mean'),
      runFigure(run, 'e2e', 'p90'),
      ...seen.map((figure) => seenFigureCell(run, figure)),
      clientCheckCell(run),
    ],
  }
}

export function runsTable(bench: Array<Loaded<BenchSummary>>): Table | null {
  const rows: Table['rows'] = []
  const seen = seenFigures(bench)
  for (const { data, file } of bench) {
    use(file, 'endpoints')
    for (const run of data.runs) rows.push(runRow(run, seen))
  }
  if (rows.length === 0) return null
  return table(
    'Runs measured (one row per endpoint and load step)',
    [
      'Endpoint',
      'Model · API',
      m('URL'),
      'Load step',
      n('Requests ok / sent'),
      n('Throughput'),
      n('Output tokens'),
      'Goodput',
      n('TTFT p50'),
      n('TTFT p90'),
      n('TPOT mean'),
      n('E2E p90'),
      ...seen.map((figure) => n(figure.label)),
      'Client check',
    ],
    rows,
    'Intervals: 95% for each run’s mean and percentiles, from summary.json (an interval needs enough ' +
      'requests: “–” when there were too few). Client check: whether geopat itself, not the server, limited the run (see Methodology).',
  )
}

/** 201 points of the empirical CDF: the value at each half percent. */
export function cdfPoints(sorted: Float64Array): Array<[number, number]> {
  const points: Array<[number, number]> = []
  if (sorted.length === 0) return points
  for (let i = 0; i <= 200; i++) {
    const share = i / 2
    points.push([round(percentileOfSorted(sorted, share) as number), share])
  }
  return points
}

export function cdfCharts(book: ChartBook, groups: Array<{ group: LatencyGroup; file: string }>): ChartBlock[] {
  const blocks: ChartBlock[] = []
  for (const { group, file } of groups) {
    for (const id of CDF_METRICS) {
      const metric = metricById(id)
      const series: LineSeries[] = []
      let min = Number.POSITIVE_INFINITY
      let max = 0
      for (const s of group.series) {
        const sorted = s.samples.get(id)?.sorted()
        if (!sorted || sorted.length === 0) continue
        min = Math.min(min, sorted[0] as number)
        max = Math.max(max, sorted[sorted.length - 1] as number)
        series.push({ name: `${s.name} (n=${num(s.samples.get(id)?.count ?? 0, 0)})`, points: cdfPoints(sorted) })
      }
      if (series.length === 0) continue
      const log = min > 0 && max / min > 30
      const short = METRIC_SHORT[id] ?? id
      blocks.push({
        chart: lineChart(book, {
          title: `${metric.label} (${short}), cumulative distribution`,
          xName: `${short} (${metric.unit}${log ? ', log scale' : ''})`,
          yName: 'Requests at or below (%)',
          series,
          xLog: log,
          yMin: 0,
          yMax: 100,
        }),
        caption: `${group.title}: share of successful requests with ${short} at or below each value, per endpoint; from ${file}.`,
        notes: group.notes,
      })
    }
  }
  return blocks
}

interface CurveStep {
  offeredRatePerS: number | null
  outputTokensPerS: number
  ttftP50Ms: number | null
}

function curveSeries(name: string, steps: CurveStep[], knee: { ratePerS: number | null }): LineSeries | null {
  const points = steps.filter((s) => s.ttftP50Ms !== null).map((s) => [round(s.outputTokensPerS), round(s.ttftP50Ms as number)] as [number, number])
  if (points.length < 2) return null
  const kneeStep = knee.ratePerS !== null ? steps.find((s) => s.offeredRatePerS === knee.ratePerS && s.ttftP50Ms !== null) : undefined
  return {
    name,
    points: points.sort((a, b) => a[0] - b[0]),
    symbols: true,
    ...(kneeStep ? { marks: [{ x: round(kneeStep.outputTokensPerS), y: round(kneeStep.ttftP50Ms as number), label: 'knee' }] } : {}),
  }
}

export function curveCharts(book: ChartBook, bench: Array<Loaded<BenchSummary>>, compare: Array<Loaded<CompareSummary>>): ChartBlock[] {
  const blocks: ChartBlock[] = []
  for (const { data, file } of bench) {
    const byEndpoint = new Map<string, RunSummary[]>()
    for (const run of data.runs) byEndpoint.set(run.endpoint.label, [...(byEndpoint.get(run.endpoint.label) ?? []), run])
    const series: LineSeries[] = []
    const knees: string[] = []
    for (const [label, runs] of byEndpoint) {
      if (runs.length < 2) continue
      const steps: CurveStep[] = runs.map((r) => ({
        offeredRatePerS: r.requested.ratePerS,
        outputTokensPerS: r.throughput.outputTokensPerS,
        ttftP50Ms: r.metrics.ttft?.p50 ?? null,
      }))
      const knee = kneeOf(runs.map((run) => kneeStepOf(run)))
      const s = curveSeries(label, steps, knee)
      if (s) series.push(s)
      knees.push(`${label}: ${describeKnee(knee)}`)
    }
    if (series.length === 0) continue
    blocks.push({
      chart: lineChart(book, { title: 'Throughput against latency across the load steps', xName: 'Output throughput (tok/s)', yName: 'TTFT p50 (ms)', series }),
      caption: `geopat bench ${data.runId}: each point is one load step (achieved output tokens per second, median time to first token); from ${file.path}.`,
      notes: knees,
    })
    use(file, 'endpoints')
  }
  for (const { data, file } of compare) {
    if (!data.saturation) continue
    const series: LineSeries[] = []
    const knees: string[] = []
    for (const arm of data.saturation.arms) {
      const s = curveSeries(arm.arm, arm.steps, arm.knee)
      if (s) series.push(s)
      knees.push(`${arm.arm}: ${describeKnee(arm.knee)}`)
    }
    if (series.length === 0) continue
    blocks.push({
      chart: lineChart(book, { title: 'Saturation sweep: throughput against latency', xName: 'Output throughput (tok/s)', yName: 'TTFT p50 (ms)', series }),
      caption: `geopat compare ${data.runId}: one point per sweep step and arm; from ${file.path}.`,
      notes: knees,
    })
    use(file, 'endpoints')
  }
  return blocks
}

function describeKnee(knee: Knee): string {
  if (knee.ratePerS === null)
    return `no knee found (median TTFT past ${KNEE_TTFT_FACTOR}× the one-at-a-time value from the first rate tried, or no synchronous step)`
  const passed =
    knee.nextRatePerS !== null
      ? ` (median TTFT over ${KNEE_TTFT_FACTOR}× the one-at-a-time value by ${withUnit(knee.nextRatePerS, 'req/s')})`
      : ' (never passed within the sweep)'
  return `knee at ${withUnit(knee.ratePerS, 'req/s')} offered${passed}`
}

export function saturationTable(compare: Array<Loaded<CompareSummary>>): Table | null {
  const rows: RowInput[] = []
  const notes: string[] = []
  for (const { data } of compare) {
    if (!data.saturation) continue
    for (const arm of data.saturation.arms) {
      const ratio = data.saturation.ratios.find((r) => r.arm === arm.arm)
      rows.push([
        arm.arm,
        ci(arm.outputTokensPerS, 'tok/s'),
        withUnit(arm.requestsPerS, 'req/s'),
        arm.knee.ratePerS === null
          ? 'none found'
          : `${withUnit(arm.knee.ratePerS, 'req/s')}${arm.knee.nextRatePerS !== null ? ` (past it by ${num(arm.knee.nextRatePerS)})` : ''}`,
        ratio?.outputTokensPerS
          ? `${ratioChange(ratio.outputTokensPerS.estimate)} vs ${ratio.baseline} (95% CI ` +
            `${ratioChange(ratio.outputTokensPerS.low)} to ${ratioChange(ratio.outputTokensPerS.high)})`
          : '–',
      ])
    }
    notes.push(`geopat compare ${data.runId}`)
  }
  if (rows.length === 0) return null
  return table(
    'Throughput at saturation',
    ['Arm', n('Output tokens at saturation'), n('Requests'), 'Knee (offered rate)', 'Against the baseline'],
    rows,
    `Interval: bootstrap of the maximum-throughput step’s 1-second bins (${notes.join(', ')}).`,
  )
}

export function endpointsSection(book: ChartBook, inputs: ReportInputs, latencyGroups: Array<{ group: LatencyGroup; file: string }>): EndpointsSection | null {
  const runs = runsTable(inputs.bench)
  const cdfs = cdfCharts(book, latencyGroups)
  const curves = curveCharts(book, inputs.bench, inputs.compare)
  const saturation = saturationTable(inputs.compare)
  const comparisons = comparisonBlocks(book, inputs.compare)
  const warnings = [
    ...inputs.bench.flatMap(({ data, file }) => [
      ...data.runs.flatMap((run) => run.warnings.map((w) => `${file.path} · ${run.endpoint.label} · ${run.stepLabel}: ${w}`)),
      ...data.runs
        .filter((r) => r.interrupted)
        .map((r) => `${file.path} · ${r.endpoint.label}: interrupted (Ctrl-C): the figures cover what was measured before`),
      ...data.runs
        .filter((r) => r.tokens.coalescingDetected)
        .map(
          (r) =>
            `${file.path} · ${r.endpoint.label} · ${r.stepLabel}: the server or a proxy coalesces token events (${num(r.tokens.eventsPerRead, 2)} per read)`,
        ),
    ]),
    ...inputs.compare.flatMap(({ data, file }) => data.warnings.map((w) => `${file.path}: ${w}`)),
  ]
  if (!runs && cdfs.length === 0 && curves.length === 0 && comparisons.length === 0) return null
  const attested = attestationTable(inputs)
  return { runs, cdfs, curves, saturation, comparisons, attestation: attested.rows.length > 0 ? attested : null, shards: shardsTables(inputs.bench), warnings }
}
