import { attestationTable } from './attestation.js'
import { KNEE_TTFT_FACTOR } from '../../compare/saturation.js'
import { percentileOfSorted } from '../../metrics/distribution.js'
import { metricById } from '../../metrics/definitions.js'
import { COMPARED_METRICS, type CompareSummary, STATISTICS } from '../../io/schema/compare.js'
import type { BenchSummary, RunSummary } from '../../io/schema/summary.js'
import type { ChartBook } from '../chart-book.js'
import { type LineSeries, intervalChart, lineChart } from '../charts.js'
import { estimate, num, pct, range, ratioChange, signed, withUnit } from '../format.js'
import { type Loaded, type ReportInputs, use } from '../inputs.js'
import { CDF_METRICS, type LatencyGroup } from '../latencies.js'
import { type ChartBlock, type ComparisonBlock, type EndpointsSection, type RowInput, type Table, type Tone, m, n, table } from '../model.js'

const METRIC_SHORT: Record<string, string> = { ttft: 'TTFT', tpot: 'TPOT', itl: 'ITL', e2e: 'E2E', ttfc: 'TTFC' }

type Interval = { estimate: number; low: number; high: number; confidence: number } | null

const ci = (interval: Interval, unit = ''): string => (interval ? estimate(interval.estimate, interval, unit) : '–')

/** The run's figure with the summary's interval for it ("111 ms (95% CI 109–116)"). */
function runFigure(run: RunSummary, metric: string, statistic: 'mean' | 'p50' | 'p90' | 'p99'): string {
  const value = run.metrics[metric]?.[statistic] ?? null
  const intervals = run.intervals[metric]
  const bounds = intervals?.[statistic] ?? null
  return estimate(value, bounds ? { low: bounds[0], high: bounds[1], confidence: intervals?.confidence ?? 0.95 } : null, 'ms')
}

export function runsTable(bench: Array<Loaded<BenchSummary>>): Table | null {
  const rows: Table['rows'] = []
  for (const { data, file } of bench) {
    use(file, 'endpoints')
    for (const run of data.runs) {
      const failed = run.requests.failed
      const tone: Tone = run.client.verdict === 'client-bound' ? 'bad' : failed > 0 || run.interrupted || run.warnings.length > 0 ? 'warn' : null
      rows.push({
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
          run.client.verdict === 'ok' ? 'ok' : run.client.verdict === 'server-lost' ? `not judged: ${run.client.reasons.join('; ')}` : `client-bound: ${run.client.reasons.join('; ')}${run.client.advice ? ` → ${run.client.advice}` : ''}`,
        ],
      })
    }
  }
  if (rows.length === 0) return null
  return table(
    'Runs measured (one row per endpoint and load step)',
    ['Endpoint', 'Model · API', m('URL'), 'Load step', n('Requests ok / sent'), n('Throughput'), n('Output tokens'), 'Goodput', n('TTFT p50'), n('TTFT p90'), n('TPOT mean'), n('E2E p90'), 'Client check'],
    rows,
    'Intervals: 95% for each run’s mean and percentiles, from summary.json (an interval needs enough requests: “–” when there were too few). Client check: whether geopat itself, not the server, limited the run (see Methodology).',
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

const round = (value: number): number => Number(value.toPrecision(6))

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

/**
 * The knee of a sweep: the highest offered rate whose median TTFT stays within KNEE_TTFT_FACTOR×
 * the synchronous step's (the rule of src/compare/saturation.ts), and the next rate tried.
 */
export function kneeOf(steps: Array<{ label: string; offeredRatePerS: number | null; ttftP50Ms: number | null }>): { ratePerS: number | null; nextRatePerS: number | null } {
  const synchronous = steps.find((s) => s.label === 'synchronous')?.ttftP50Ms ?? null
  let knee: number | null = null
  let next: number | null = null
  for (const step of steps) {
    if (step.offeredRatePerS === null || synchronous === null || step.ttftP50Ms === null) continue
    if (step.ttftP50Ms <= KNEE_TTFT_FACTOR * synchronous && next === null) knee = step.offeredRatePerS
    else if (next === null) next = step.offeredRatePerS
  }
  return { ratePerS: knee, nextRatePerS: next }
}

interface CurveStep {
  label: string
  offeredRatePerS: number | null
  requestsPerS: number
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
        label: r.stepLabel,
        offeredRatePerS: r.requested.ratePerS,
        requestsPerS: r.throughput.requestsPerS,
        outputTokensPerS: r.throughput.outputTokensPerS,
        ttftP50Ms: r.metrics.ttft?.p50 ?? null,
      }))
      const knee = kneeOf(steps)
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

function describeKnee(knee: { ratePerS: number | null; nextRatePerS: number | null }): string {
  if (knee.ratePerS === null) return `no knee found (median TTFT past ${KNEE_TTFT_FACTOR}× the one-at-a-time value from the first rate tried, or no synchronous step)`
  return `knee at ${withUnit(knee.ratePerS, 'req/s')} offered${knee.nextRatePerS !== null ? ` (median TTFT over ${KNEE_TTFT_FACTOR}× the one-at-a-time value by ${withUnit(knee.nextRatePerS, 'req/s')})` : ' (never passed within the sweep)'}`
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
        arm.knee.ratePerS === null ? 'none found' : `${withUnit(arm.knee.ratePerS, 'req/s')}${arm.knee.nextRatePerS !== null ? ` (past it by ${num(arm.knee.nextRatePerS)})` : ''}`,
        ratio?.outputTokensPerS ? `${ratioChange(ratio.outputTokensPerS.estimate)} vs ${ratio.baseline} (95% CI ${ratioChange(ratio.outputTokensPerS.low)} to ${ratioChange(ratio.outputTokensPerS.high)})` : '–',
      ])
    }
    notes.push(`geopat compare ${data.runId}`)
  }
  if (rows.length === 0) return null
  return table('Throughput at saturation', ['Arm', n('Output tokens at saturation'), n('Requests'), 'Knee (offered rate)', 'Against the baseline'], rows, `Interval: bootstrap of the maximum-throughput step’s 1-second bins (${notes.join(', ')}).`)
}

export function comparisonBlocks(book: ChartBook, compare: Array<Loaded<CompareSummary>>): ComparisonBlock[] {
  const blocks: ComparisonBlock[] = []
  for (const { data, file } of compare) {
    use(file, 'endpoints')
    for (const point of data.operatingPoints) {
      const load = point.load.concurrency !== null ? `concurrency ${point.load.concurrency}` : point.load.ratePerS !== null ? `${num(point.load.ratePerS)} req/s` : 'load unknown'
      const contrasts = point.contrasts.map((contrast) => {
        const baseArm = point.arms.find((a) => a.label === contrast.baseline)
        const armArm = point.arms.find((a) => a.label === contrast.arm)
        const isAa = contrast.arm.endsWith('(A/A)')
        const rows: Table['rows'] = []
        for (const metric of COMPARED_METRICS) {
          for (const statistic of STATISTICS) {
            const entry = contrast.metrics[metric][statistic]
            const floor = !isAa && point.aaFloor ? point.aaFloor[metric][statistic] : null
            const tone: Tone = entry.verdict === 'slower' ? 'warn' : entry.verdict === 'faster' ? 'good' : null
            rows.push({
              tone,
              cells: [
                `${METRIC_SHORT[metric]} ${statistic}`,
                ci(baseArm?.metrics[metric][statistic] ?? null),
                ci(armArm?.metrics[metric][statistic] ?? null),
                entry.ratio ? `${ratioChange(entry.ratio.estimate)} (${ratioChange(entry.ratio.low)} to ${ratioChange(entry.ratio.high)})` : '–',
                entry.difference ? `${signed(entry.difference.estimate, 'ms')} (${signed(entry.difference.low)} to ${signed(entry.difference.high)})` : '–',
                floor !== null ? `±${num(floor * 100, 1)}%` : '–',
                `${entry.verdict}${entry.runLongerRequests !== null ? ` (±5% needs ~${num(entry.runLongerRequests, 0)} requests per arm)` : ''}`,
              ],
            })
          }
        }
        return table(
          `${contrast.arm} against ${contrast.baseline}${isAa ? ' (A/A: the same endpoint twice, the noise floor)' : ''} · ${contrast.paired ? `paired, ${num(contrast.pairs, 0)} pairs` : 'unpaired'}`,
          ['Metric', n(`${contrast.baseline} (ms)`), n(`${contrast.arm} (ms)`), n('Change (95% CI)'), n('Difference (95% CI)'), n('A/A floor'), 'Verdict'],
          rows,
          `Bootstrap intervals (${resamplesOf(contrast)} resamples, paired by prompt when paired); the verdict needs the interval to clear both no change and the A/A floor.`,
        )
      })
      const overheadCharts: ChartBlock[] = []
      const overheadRows: RowInput[] = []
      for (const split of point.overhead) {
        const parts: Array<[string, Interval]> = [
          ['Front end (probe)', split.frontEndMs],
          ['Prefill (TTFT − front end)', split.prefillMs],
          ['Decode: ITL per token', split.decodeItlMs],
          ['Decode: TPOT per token', split.decodeTpotMs],
        ]
        const rows = parts.filter(([, i]) => i !== null).map(([label, i]) => ({ label, estimate: round((i as NonNullable<Interval>).estimate), low: round((i as NonNullable<Interval>).low), high: round((i as NonNullable<Interval>).high) }))
        if (rows.length > 0) {
          overheadCharts.push({
            chart: intervalChart(book, { title: `Overhead of ${split.arm} over ${split.baseline}, split`, xName: 'Added latency (ms), 95% CI', yName: 'Component', rows, reference: 0 }),
            caption: `Operating point ${point.label} (${load}): where the extra latency comes from; dot = estimate, bar = 95% interval, dashed line = no difference. From ${file.path}.`,
            notes: [],
          })
        }
        for (const [label, interval] of parts) overheadRows.push([`${split.arm} − ${split.baseline}`, label, interval ? `${signed(interval.estimate, 'ms')} (${signed(interval.low)} to ${signed(interval.high)})` : '–'])
        if (split.decodeItlRatio) overheadRows.push([`${split.arm} ÷ ${split.baseline}`, 'Decode ITL ratio', `×${num(split.decodeItlRatio.estimate, 3)} (${range(split.decodeItlRatio.low, split.decodeItlRatio.high)})`])
      }
      const reconciliationRows = point.reconciliation.map((r) => ({
        tone: (r.available ? null : 'warn') as Tone,
        cells: [
          r.arm,
          r.available ? 'yes' : `no${r.note ? `: ${r.note}` : ''}`,
          gap(r.ttft),
          gap(r.itl),
          gap(r.e2e),
          `${num(r.requests.client, 0)} / ${r.requests.server === null ? '–' : num(r.requests.server, 0)}`,
          `${num(r.generationTokens.client, 0)} / ${r.generationTokens.server === null ? '–' : num(r.generationTokens.server, 0)}`,
          r.simulatorEmitLatenessMs === null ? '–' : withUnit(r.simulatorEmitLatenessMs, 'ms', 3),
        ],
      }))
      const peerNames = [...new Set(point.peers.map((p) => `${p.tool}\u0000${p.name}`))]
      const arms = point.arms.map((a) => a.label)
      const peers =
        point.peers.length > 0
          ? table(
              'The same records under the peer tools’ formulas (mean, ms)',
              ['Tool', 'Name', 'Formula', ...arms.map((a) => n(a))],
              peerNames.map((key) => {
                const [tool, name] = key.split('\u0000') as [string, string]
                const first = point.peers.find((p) => p.tool === tool && p.name === name)
                return [tool, name, first?.formula ?? '', ...arms.map((arm) => num(point.peers.find((p) => p.tool === tool && p.name === name && p.arm === arm)?.distribution.mean ?? null))]
              }),
              'Why two tools disagree on the same server: each computes its TTFT/ITL/TPOT differently (src/metrics/peers.ts).',
            )
          : null
      blocks.push({
        title: `geopat compare ${data.runId} · operating point ${point.label} (${load})`,
        design: `${data.design} design, ${point.blockOrder.length} rounds, block order per round: ${point.blockOrder.map((r) => r.join(' → ')).join(' | ')}`,
        contrasts,
        overheadCharts,
        overheadTable: overheadRows.length > 0 ? table('Overhead split (arm − baseline)', ['Contrast', 'Component', n('Estimate (95% CI)')], overheadRows, 'Front end from the probe (difference of means, normal interval); prefill = TTFT difference minus the front-end share; decode from per-request ITL and TPOT (bootstrap).') : null,
        aaFloor: point.aaFloor ? `A/A floor (TTFT mean ±${num(point.aaFloor.ttft.mean * 100, 1)}%, TPOT mean ±${num(point.aaFloor.tpot.mean * 100, 1)}%): the widest change that the same endpoint measured twice cannot rule out; smaller effects are not claimed.` : null,
        clientVerdicts: table(
          'Client check per arm',
          ['Arm', 'Verdict', 'Reasons'],
          point.clientVerdicts.map((v) => ({ tone: (v.verdict === 'client-bound' ? 'bad' : null) as Tone, cells: [v.arm, v.verdict, v.reasons.join('; ') || '–'] })),
        ),
        reconciliation:
          reconciliationRows.length > 0
            ? table('Client against the server’s own /metrics', ['Arm', '/metrics read', n('TTFT client / server (gap)'), n('ITL client / server (gap)'), n('E2E client / server (gap)'), n('Requests client / server'), n('Output tokens client / server'), n('Simulator write lateness')], reconciliationRows, 'Gap = (client − server) / server. The client’s TTFT includes the network; the server’s does not.')
            : null,
        peers,
        coalescing: point.coalescing.map((c) => `${c.arm}: ${c.eventsPerRead === null ? 'events per read unknown' : `${num(c.eventsPerRead, 2)} token events per network read`}${c.detected ? ' — the server or a proxy coalesces events: per-chunk gaps understate token latency' : ''}`),
        probe: point.probe.length > 0 ? table('Front-end probe (tiny non-streaming requests)', ['Arm', n('Latency mean'), n('Std'), n('Requests')], point.probe.map((p) => [p.arm, withUnit(p.latencyMeanMs, 'ms'), withUnit(p.latencyStdMs, 'ms'), num(p.requests, 0)])) : null,
      })
    }
  }
  return blocks
}

function gap(value: { clientMeanMs: number | null; serverMeanMs: number | null; gapPct: number | null }): string {
  if (value.clientMeanMs === null && value.serverMeanMs === null) return '–'
  return `${num(value.clientMeanMs)} / ${num(value.serverMeanMs)}${value.gapPct !== null ? ` (${signed(value.gapPct, '%')})` : ''}`
}

function resamplesOf(contrast: CompareSummary['operatingPoints'][number]['contrasts'][number]): string {
  for (const metric of COMPARED_METRICS) for (const statistic of STATISTICS) {
    const r = contrast.metrics[metric][statistic].ratio
    if (r) return num(r.resamples, 0)
  }
  return '–'
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
      ...data.runs.filter((r) => r.interrupted).map((r) => `${file.path} · ${r.endpoint.label}: interrupted (Ctrl-C): the figures cover what was measured before`),
      ...data.runs.filter((r) => r.tokens.coalescingDetected).map((r) => `${file.path} · ${r.endpoint.label} · ${r.stepLabel}: the server or a proxy coalesces token events (${num(r.tokens.eventsPerRead, 2)} per read)`),
    ]),
    ...inputs.compare.flatMap(({ data, file }) => data.warnings.map((w) => `${file.path}: ${w}`)),
  ]
  if (!runs && cdfs.length === 0 && curves.length === 0 && comparisons.length === 0) return null
  const attested = attestationTable(inputs)
  return { runs, cdfs, curves, saturation, comparisons, attestation: attested.rows.length > 0 ? attested : null, warnings }
}
