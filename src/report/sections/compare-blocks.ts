import { COMPARED_METRICS, type CompareSummary, STATISTICS } from '../../io/schema/compare.js'
import type { ChartBook } from '../chart-book.js'
import { intervalChart } from '../charts.js'
import { estimate, num, range, ratioChange, signed, withUnit } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type ChartBlock, type ComparisonBlock, type RowInput, type Table, type Tone, n, table } from '../model.js'

type Point = CompareSummary['operatingPoints'][number]
type Contrast = Point['contrasts'][number]
type Interval = { estimate: number; low: number; high: number; confidence: number } | null

export const METRIC_SHORT: Record<string, string> = { ttft: 'TTFT', tpot: 'TPOT', itl: 'ITL', e2e: 'E2E', ttfc: 'TTFC' }

export const ci = (interval: Interval, unit = ''): string => (interval ? estimate(interval.estimate, interval, unit) : '–')

export const round = (value: number): number => Number(value.toPrecision(6))

function loadOf(point: Point): string {
  if (point.load.concurrency !== null) return `concurrency ${point.load.concurrency}`
  return point.load.ratePerS !== null ? `${num(point.load.ratePerS)} req/s` : 'load unknown'
}

function resamplesOf(contrast: Contrast): string {
  for (const metric of COMPARED_METRICS) {
    for (const statistic of STATISTICS) {
      const r = contrast.metrics[metric][statistic].ratio
      if (r) return num(r.resamples, 0)
    }
  }
  return '–'
}

/** One metric × statistic of a contrast: both arms, the change, the difference, the A/A floor, the verdict. */
function contrastRow(
  point: Point,
  contrast: Contrast,
  metric: (typeof COMPARED_METRICS)[number],
  statistic: (typeof STATISTICS)[number],
): Table['rows'][number] {
  const baseArm = point.arms.find((a) => a.label === contrast.baseline)
  const armArm = point.arms.find((a) => a.label === contrast.arm)
  const entry = contrast.metrics[metric][statistic]
  const floor = !contrast.arm.endsWith('(A/A)') && point.aaFloor ? point.aaFloor[metric][statistic] : null
  const tone: Tone = entry.verdict === 'slower' ? 'warn' : entry.verdict === 'faster' ? 'good' : null
  return {
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
  }
}

function contrastTable(point: Point, contrast: Contrast): Table {
  const isAa = contrast.arm.endsWith('(A/A)')
  const rows = COMPARED_METRICS.flatMap((metric) => STATISTICS.map((statistic) => contrastRow(point, contrast, metric, statistic)))
  return table(
    `${contrast.arm} against ${contrast.baseline}${isAa ? ' (A/A: the same endpoint twice, the noise floor)' : ''} ` +
      `· ${contrast.paired ? `paired, ${num(contrast.pairs, 0)} pairs` : 'unpaired'}`,
    ['Metric', n(`${contrast.baseline} (ms)`), n(`${contrast.arm} (ms)`), n('Change (95% CI)'), n('Difference (95% CI)'), n('A/A floor'), 'Verdict'],
    rows,
    `Bootstrap intervals (${resamplesOf(contrast)} resamples, paired by prompt when paired); the ` +
      'verdict needs the interval to clear both no change and the A/A floor.',
  )
}

/** The overhead split of each contrast: a chart per contrast and the rows of one table. */
function overheadOf(book: ChartBook, point: Point, file: string): { charts: ChartBlock[]; rows: RowInput[] } {
  const charts: ChartBlock[] = []
  const rows: RowInput[] = []
  for (const split of point.overhead) {
    const parts: Array<[string, Interval]> = [
      ['Front end (probe)', split.frontEndMs],
      ['Prefill (TTFT − front end)', split.prefillMs],
      ['Decode: ITL per token', split.decodeItlMs],
      ['Decode: TPOT per token', split.decodeTpotMs],
    ]
    const bars = parts.flatMap(([label, i]) => (i ? [{ label, estimate: round(i.estimate), low: round(i.low), high: round(i.high) }] : []))
    if (bars.length > 0) {
      charts.push({
        chart: intervalChart(book, {
          title: `Overhead of ${split.arm} over ${split.baseline}, split`,
          xName: 'Added latency (ms), 95% CI',
          yName: 'Component',
          rows: bars,
          reference: 0,
        }),
        caption:
          `Operating point ${point.label} (${loadOf(point)}): where the extra latency comes from; ` +
          `dot = estimate, bar = 95% interval, dashed line = no difference. From ${file}.`,
        notes: [],
      })
    }
    for (const [label, interval] of parts)
      rows.push([
        `${split.arm} − ${split.baseline}`,
        label,
        interval ? `${signed(interval.estimate, 'ms')} (${signed(interval.low)} to ${signed(interval.high)})` : '–',
      ])
    if (split.decodeItlRatio)
      rows.push([
        `${split.arm} ÷ ${split.baseline}`,
        'Decode ITL ratio',
        `×${num(split.decodeItlRatio.estimate, 3)} (${range(split.decodeItlRatio.low, split.decodeItlRatio.high)})`,
      ])
  }
  return { charts, rows }
}

function gap(value: { clientMeanMs: number | null; serverMeanMs: number | null; gapPct: number | null }): string {
  if (value.clientMeanMs === null && value.serverMeanMs === null) return '–'
  return `${num(value.clientMeanMs)} / ${num(value.serverMeanMs)}${value.gapPct !== null ? ` (${signed(value.gapPct, '%')})` : ''}`
}

function reconciliationTable(point: Point): Table | null {
  const rows = point.reconciliation.map((r) => ({
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
  if (rows.length === 0) return null
  return table(
    'Client against the server’s own /metrics',
    [
      'Arm',
      '/metrics read',
      n('TTFT client / server (gap)'),
      n('ITL client / server (gap)'),
      n('E2E client / server (gap)'),
      n('Requests client / server'),
      n('Output tokens client / server'),
      n('Simulator write lateness'),
    ],
    rows,
    'Gap = (client − server) / server. The client’s TTFT includes the network; the server’s does not.',
  )
}

function peersTable(point: Point): Table | null {
  if (point.peers.length === 0) return null
  const peerNames = [...new Set(point.peers.map((p) => `${p.tool}\u0000${p.name}`))]
  const arms = point.arms.map((a) => a.label)
  return table(
    'The same records under the peer tools’ formulas (mean, ms)',
    ['Tool', 'Name', 'Formula', ...arms.map((a) => n(a))],
    peerNames.map((key) => {
      const [tool, name] = key.split('\u0000') as [string, string]
      const first = point.peers.find((p) => p.tool === tool && p.name === name)
      return [
        tool,
        name,
        first?.formula ?? '',
        ...arms.map((arm) => num(point.peers.find((p) => p.tool === tool && p.name === name && p.arm === arm)?.distribution.mean ?? null)),
      ]
    }),
    'Why two tools disagree on the same server: each computes its TTFT/ITL/TPOT differently (src/metrics/peers.ts).',
  )
}

function pointBlock(book: ChartBook, data: CompareSummary, file: string, point: Point): ComparisonBlock {
  const overhead = overheadOf(book, point, file)
  return {
    title: `geopat compare ${data.runId} · operating point ${point.label} (${loadOf(point)})`,
    design: `${data.design} design, ${point.blockOrder.length} rounds, block order per round: ${point.blockOrder.map((r) => r.join(' → ')).join(' | ')}`,
    contrasts: point.contrasts.map((contrast) => contrastTable(point, contrast)),
    overheadCharts: overhead.charts,
    overheadTable:
      overhead.rows.length > 0
        ? table(
            'Overhead split (arm − baseline)',
            ['Contrast', 'Component', n('Estimate (95% CI)')],
            overhead.rows,
            'Front end from the probe (difference of means, normal interval); prefill = TTFT difference ' +
              'minus the front-end share; decode from per-request ITL and TPOT (bootstrap).',
          )
        : null,
    aaFloor: point.aaFloor
      ? `A/A floor (TTFT mean ±${num(point.aaFloor.ttft.mean * 100, 1)}%, TPOT mean ` +
        `±${num(point.aaFloor.tpot.mean * 100, 1)}%): the widest change that the same endpoint measured twice cannot rule out; ` +
        'smaller effects are not claimed.'
      : null,
    clientVerdicts: table(
      'Client check per arm',
      ['Arm', 'Verdict', 'Reasons'],
      point.clientVerdicts.map((v) => ({
        tone: (v.verdict === 'client-bound' ? 'bad' : null) as Tone,
        cells: [v.arm, v.verdict, v.reasons.join('; ') || '–'],
      })),
    ),
    reconciliation: reconciliationTable(point),
    peers: peersTable(point),
    coalescing: point.coalescing.map((c) => {
      const perRead = c.eventsPerRead === null ? 'events per read unknown' : `${num(c.eventsPerRead, 2)} token events per network read`
      return `${c.arm}: ${perRead}${c.detected ? ' — the server or a proxy coalesces events: per-chunk gaps understate token latency' : ''}`
    }),
    probe:
      point.probe.length > 0
        ? table(
            'Front-end probe (tiny non-streaming requests)',
            ['Arm', n('Latency mean'), n('Std'), n('Requests')],
            point.probe.map((p) => [p.arm, withUnit(p.latencyMeanMs, 'ms'), withUnit(p.latencyStdMs, 'ms'), num(p.requests, 0)]),
          )
        : null,
  }
}

/** One block per operating point of each `geopat compare` run: contrasts, overhead split, reconciliation, peers, probe. */
export function comparisonBlocks(book: ChartBook, compare: Array<Loaded<CompareSummary>>): ComparisonBlock[] {
  const blocks: ComparisonBlock[] = []
  for (const { data, file } of compare) {
    use(file, 'endpoints')
    for (const point of data.operatingPoints) blocks.push(pointBlock(book, data, file.path, point))
  }
  return blocks
}
