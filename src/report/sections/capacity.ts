import type { Estimate, SizingResult } from '../../schema/sizing.js'
import { type ChartBook, scatterChart } from '../charts.js'
import { num, pct, range, withUnit } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type CapacitySection, type SizingBlock, type Tone, n, table } from '../model.js'

/** "26.0 req/s (24.7–27.3; 95% t-interval over 5 searches)". */
export function describeEstimate(value: Estimate | null, unit: string, withMethod = false): string {
  if (!value) return '–'
  const bounds = range(value.low, value.high)
  // A point estimate (no uncertainty carried through): no interval to show.
  if (!withMethod && value.high !== null && Math.abs(value.high - value.low) <= 1e-9 * Math.max(1, Math.abs(value.estimate))) return withUnit(value.estimate, unit)
  return `${withUnit(value.estimate, unit)} (${bounds}${withMethod ? `; ${value.method}` : ''})`
}

export function describeSlo(slo: { ttftMs?: number; tpotMs?: number; e2eMs?: number }): string {
  const parts = [
    slo.ttftMs !== undefined ? `TTFT ≤ ${num(slo.ttftMs)} ms` : null,
    slo.tpotMs !== undefined ? `TPOT ≤ ${num(slo.tpotMs)} ms` : null,
    slo.e2eMs !== undefined ? `E2E ≤ ${num(slo.e2eMs)} ms` : null,
  ].filter((p): p is string => p !== null)
  return parts.length > 0 ? parts.join(', ') : 'none'
}

function sizingBlock(book: ChartBook, loaded: Loaded<SizingResult>): SizingBlock {
  const { data, file } = loaded
  use(file, 'capacity')
  const p = data.policy
  const facts = [
    { label: 'Peak demand', value: `${withUnit(data.demand.peakRequestsPerS, 'req/s')}${data.demand.inputTokensMean !== null ? ` · ${num(data.demand.inputTokensMean)} input / ${num(data.demand.outputTokensMean)} output tokens per request` : ''}` },
    { label: 'SLO', value: `${describeSlo(data.slo)}, met by at least ${pct(data.attainment)} of requests` },
    {
      label: 'Policy',
      value: `target utilization ${pct(p.targetUtilization, 0)} · ${p.failureDomains} failure domain${p.failureDomains === 1 ? '' : 's'} × ${p.sparePerFailureDomain} spare · rollout surge ${pct(p.surgeFraction, 0)} · ${p.gpusPerNode} GPUs per node`,
    },
    { label: 'Computed', value: `${data.createdAt} by geopat ${data.tool.version}` },
  ]
  const capacity = table(
    'Capacity of one replica at the SLO',
    ['Endpoint', 'Source', n('Requests per second'), n('Input tokens per second'), n('Output tokens per second'), 'Model error', 'Interval method', 'Mean-value model (upper bound)'],
    data.endpoints.map((e) => ({
      tone: (e.capacityPerReplica.lowerBoundOnly ? 'warn' : null) as Tone,
      cells: [
        e.label,
        `${e.source}: ${e.detail}`,
        `${describeEstimate(e.capacityPerReplica.ratePerS, 'req/s')}${e.capacityPerReplica.lowerBoundOnly ? ' — at least: the sweep never breached the SLO' : ''}`,
        describeEstimate(e.capacityPerReplica.inputTokensPerS, 'tok/s'),
        describeEstimate(e.capacityPerReplica.outputTokensPerS, 'tok/s'),
        describeModelError(e),
        e.capacityPerReplica.ratePerS.method,
        e.firstCut ? `${withUnit(e.firstCut.ratePerS, 'req/s')}, limited by ${e.firstCut.limitedBy} (step ${num(e.firstCut.stepMs)} ms, batch ${num(e.firstCut.batch)})` : '–',
      ],
    })),
    'Capacity per replica: the highest request rate at which the share of requests meeting every SLO stays at or above the attainment asked for. A simulated capacity’s interval carries the profile’s validation error e under load: low ÷ (1 + e), high ÷ (1 − e) of the searches’ interval; the GPU range and the cost intervals below follow from it.',
  )
  const fleet = table(
    'Replicas and GPUs at peak',
    ['Endpoint', n('GPUs per replica'), n('Replicas: base + spare + surge'), n('Replicas (range)'), n('GPUs'), n('GPUs (range)'), n('Nodes → GPUs rounded to nodes')],
    data.endpoints.map((e) => [
      e.label,
      num(e.gpusPerReplica, 0),
      `${e.replicas.base} + ${e.replicas.spare} + ${e.replicas.surge} = ${e.replicas.total}`,
      range(e.replicas.low, e.replicas.high),
      num(e.gpus.total, 0),
      range(e.gpus.low, e.gpus.high),
      `${e.gpus.nodes} → ${e.gpus.roundedToNodes}`,
    ]),
    'replicas = ⌈peak / (capacity × utilization)⌉ + spares per failure domain + rollout surge; the range comes from the capacity interval’s ends, the model’s error band included for a simulated capacity (∞: the interval reaches zero capacity).',
  )
  const costRows = data.endpoints.flatMap((e) =>
    e.costs.map((c) => [
      e.label,
      offerName(c),
      c.sovereignty,
      `${num(c.pricePerGpuHour)} ${c.currency}`,
      describeEstimate(c.fleetPerMonth, c.currency),
      describeEstimate(c.perMtok.input, c.currency),
      describeEstimate(c.perMtok.output, c.currency),
      describeEstimate(c.perMtok.total, c.currency),
      c.joulesPerOutputToken === null ? '–' : withUnit(c.joulesPerOutputToken, 'J'),
      c.notes.join('; ') || '–',
    ]),
  )
  const costs =
    costRows.length > 0
      ? table(
          'Cost of the fleet and per million tokens',
          ['Endpoint', 'Offer', 'Sovereignty', n('Price per GPU-hour'), n('Fleet per month (730 h)'), n('Per Mtok input'), n('Per Mtok output'), n('Per Mtok total'), n('Energy per output token'), 'Notes'],
          costRows,
          '$/Mtok at one replica’s goodput; input, output and total each carry the whole cost (InferenceX’s split), so they are not added.',
        )
      : null
  const series = data.endpoints
    .filter((e) => e.evaluations.some((v) => v.attainment !== null))
    .map((e) => ({ name: e.label, points: e.evaluations.filter((v) => v.attainment !== null).map((v) => [Number(v.ratePerS.toPrecision(6)), Number(((v.attainment as number) * 100).toPrecision(6))] as [number, number]) }))
  const first = data.endpoints[0]
  const attainmentChart =
    series.length > 0
      ? {
          chart: scatterChart(book, {
            title: 'SLO attainment at each request rate tried',
            xName: 'Request rate per replica (req/s)',
            yName: 'Requests meeting the SLO (%)',
            series,
            hLines: [{ y: data.attainment * 100, label: `target ${pct(data.attainment, 0)}` }],
            vLines: data.endpoints.length === 1 && first ? [{ x: Number(first.capacityPerReplica.ratePerS.estimate.toPrecision(6)), label: 'capacity' }] : [],
            yMin: 0,
            yMax: 100,
          }),
          caption: `Each point is one load level measured or simulated (${describeSlo(data.slo)}); the capacity is where attainment crosses the target. From ${file.path}.`,
          notes: [],
        }
      : null
  return {
    title: `Sizing for a peak of ${withUnit(data.demand.peakRequestsPerS, 'req/s')} (${data.createdAt.slice(0, 16).replace('T', ' ')} UTC)`,
    facts,
    capacity,
    fleet,
    costs,
    attainmentChart,
    warnings: data.endpoints.flatMap((e) => e.warnings.map((w) => `${e.label}: ${w}`)),
  }
}

/**
 * The model's error beside a simulated capacity: "simulated (validated to ±8% under load on 6
 * published points): searches 24.7–27.3 req/s, with the band 22.9–29.7 req/s".
 */
export function describeModelError(e: SizingResult['endpoints'][number]): string {
  if (e.source === 'measured') return 'none: measured (the interval is the measurement’s)'
  const band = e.modelError
  if (!band) return 'not recorded (sizing.json written before the band existed)'
  if (band.fraction === null) return `${band.sentence}: no band, the searches’ interval ${range(band.sampling.low, band.sampling.high, 'req/s')} only`
  return `${band.sentence}: searches ${range(band.sampling.low, band.sampling.high, 'req/s')}, with the band ${range(band.widened.low, band.widened.high, 'req/s')}`
}

export function capacitySection(book: ChartBook, sizing: Array<Loaded<SizingResult>>): CapacitySection | null {
  if (sizing.length === 0) return null
  return { sizings: sizing.map((s) => sizingBlock(book, s)) }
}

/** An offer in words: "AWS eu-central-1 (catalog row …)", or the price given on the command line. */
export function offerName(c: { provider: string; region: string; catalogRow: string }): string {
  if (c.catalogRow === 'command line') return 'price given on the command line'
  return `${c.provider} ${c.region} (catalog row ${c.catalogRow})`
}
