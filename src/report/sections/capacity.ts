import { describeDemand, describeFailure, describeSale, describeTraffic } from '../sizing-words.js'
import type { Estimate, SizingResult } from '../../io/schema/sizing.js'
import type { ChartBook } from '../chart-book.js'
import { scatterChart } from '../charts.js'
import { num, pct, range, withUnit } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type CapacitySection, type SizingBlock, type Tone, n, table } from '../model.js'

/** A count or rate as written in a file: 48, 0.5, 16.81 (no padding to significant figures). */
const plain = (value: number): string => String(Number(value.toFixed(2)))

/** "26.0 req/s (24.7–27.3; 95% t-interval over 5 searches)". */
export function describeEstimate(value: Estimate | null, unit: string, withMethod = false): string {
  if (!value) return '–'
  const bounds = range(value.low, value.high)
  // A point estimate (no uncertainty carried through): no interval to show.
  if (!withMethod && value.high !== null && Math.abs(value.high - value.low) <= 1e-9 * Math.max(1, Math.abs(value.estimate)))
    return withUnit(value.estimate, unit)
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
  const peak = withUnit(data.demand.peakRequestsPerS, 'req/s')
  const computedAt = data.createdAt.slice(0, 16).replace('T', ' ')
  return {
    title: `Sizing for a peak of ${peak}, average ${plain(data.demand.averageRequestsPerS)} req/s (${computedAt} UTC)`,
    facts: sizingFacts(data),
    capacity: capacityTable(data),
    fleet: fleetTable(data),
    costs: costsTable(data),
    attainmentChart: attainmentChart(book, data, file.path),
    warnings: data.endpoints.flatMap((e) => e.warnings.map((w) => `${e.label}: ${w}`)),
  }
}

/** " · 512 input / 128 output tokens per request", or nothing where the demand has no token counts. */
function tokensPerRequest(demand: SizingResult['demand']): string {
  if (demand.inputTokensMean === null) return ''
  return ` · ${num(demand.inputTokensMean)} input / ${num(demand.outputTokensMean)} output tokens per request`
}

/** " · 120 M input + 30 M output tokens a month (…)", or nothing where the demand has no monthly tokens. */
function tokensPerMonth(demand: SizingResult['demand']): string {
  if (!demand.tokensPerMonth) return ''
  const input = num(demand.tokensPerMonth.input / 1e6, 0)
  const output = num(demand.tokensPerMonth.output / 1e6, 0)
  return ` · ${input} M input + ${output} M output tokens a month (average × tokens per request × 730 h)`
}

/** The sizing policy in words, one clause per term of the fleet. */
function describePolicy(p: SizingResult['policy']): string {
  return [
    `target utilization ${pct(p.targetUtilization, 0)}, the only head-room on the peak`,
    `${describeFailure(p)}: spares only where the head-room cannot carry the peak at full capacity after that failure`,
    `rollout surge ${pct(p.surgeFraction, 0)}, paid during ${plain(p.rolloutMonths)} month(s) of rollouts only`,
    'GPUs rounded to whole nodes only where the offer sells nodes',
  ].join(' · ')
}

/** The demand, SLO and policy the sizing answers, and when it was computed. */
function sizingFacts(data: SizingResult): SizingBlock['facts'] {
  return [
    { label: 'Demand', value: `${describeDemand(data.demand)}${tokensPerRequest(data.demand)}${tokensPerMonth(data.demand)}` },
    { label: 'SLO', value: `${describeSlo(data.slo)}, met by at least ${pct(data.attainment)} of requests` },
    { label: 'Policy', value: describePolicy(data.policy) },
    ...data.endpoints.flatMap((e) =>
      e.traffic
        ? [{ label: data.endpoints.length > 1 ? `Traffic, ${e.label}` : 'Traffic', value: describeTraffic(e.traffic, e.capacityPerReplica.ratePerS.estimate) }]
        : [],
    ),
    { label: 'Computed', value: `${data.createdAt} by geopat ${data.tool.version}` },
  ]
}

const CAPACITY_CAPTION =
  'Capacity per replica: the highest request rate at which the share of requests meeting every SLO stays at or above the attainment asked for. ' +
  'A simulated capacity’s interval carries the profile’s validation error e under load: low ÷ (1 + e), high ÷ (1 − e) of the searches’ interval; ' +
  'the GPU range and the cost intervals below follow from it.'

/** A replica's capacity, with a warning where the sweep never found the SLO's limit. */
function describeCapacity(capacity: SizingResult['endpoints'][number]['capacityPerReplica']): string {
  const atLeast = capacity.lowerBoundOnly ? ' — at least: the sweep never breached the SLO' : ''
  return `${describeEstimate(capacity.ratePerS, 'req/s')}${atLeast}`
}

function capacityTable(data: SizingResult): SizingBlock['capacity'] {
  return table(
    'Capacity of one replica at the SLO',
    [
      'Endpoint',
      'Source',
      n('Requests per second'),
      n('Input tokens per second'),
      n('Output tokens per second'),
      'Model error',
      'Interval method',
      'Mean-value model (upper bound)',
    ],
    data.endpoints.map((e) => ({
      tone: (e.capacityPerReplica.lowerBoundOnly ? 'warn' : null) as Tone,
      cells: [
        e.label,
        `${e.source}: ${e.detail}`,
        describeCapacity(e.capacityPerReplica),
        describeEstimate(e.capacityPerReplica.inputTokensPerS, 'tok/s'),
        describeEstimate(e.capacityPerReplica.outputTokensPerS, 'tok/s'),
        describeModelError(e),
        e.capacityPerReplica.ratePerS.method,
        e.firstCut
          ? `${withUnit(e.firstCut.ratePerS, 'req/s')}, limited by ${e.firstCut.limitedBy} (step ${num(e.firstCut.stepMs)} ms, batch ${num(e.firstCut.batch)})`
          : '–',
      ],
    })),
    CAPACITY_CAPTION,
  )
}

const FLEET_CAPTION =
  'The steady fleet is base + spare: the utilization target is the only head-room on the peak; ' +
  'a spare is added only where the survivors of the failure guarded against (one replica in one failure domain, one whole domain of several) ' +
  'could not carry the peak at full SLO capacity. The rollout surge is bought during rollouts only, never in the steady fleet. ' +
  'The range comes from the capacity interval’s ends, the model’s error band included for a simulated capacity ' +
  '(∞: the interval reaches zero capacity). ' +
  'GPUs needed are before rounding to what an offer sells.'

function fleetTable(data: SizingResult): SizingBlock['fleet'] {
  return table(
    'Replicas and GPUs at peak, term by term',
    [
      'Endpoint',
      n('GPUs per replica'),
      n('Steady replicas: base + spare'),
      n('Steady replicas (range)'),
      'Base (utilization head-room)',
      'Spare (failure)',
      'Surge (rollouts only)',
      n('GPUs needed, steady'),
      n('GPUs needed (range)'),
    ],
    data.endpoints.map((e) => [
      e.label,
      num(e.gpusPerReplica, 0),
      `${e.replicas.base} + ${e.replicas.spare} = ${e.replicas.total}`,
      range(e.replicas.low, e.replicas.high),
      e.replicas.terms.base,
      e.replicas.terms.spare,
      e.replicas.terms.surge,
      num(e.gpus.total, 0),
      range(e.gpus.low, e.gpus.high),
    ]),
    FLEET_CAPTION,
  )
}

type OfferCost = SizingResult['endpoints'][number]['costs'][number]

/** The GPUs a rollout adds and what they cost over the rollout months. */
function describeSurge(c: OfferCost): string {
  if (c.surge.gpus === 0) return 'fits in the idle GPUs of the nodes bought'
  const perMonth = withUnit(Math.round(c.surge.perMonth), c.currency)
  return `${c.surge.gpus} GPUs: ${perMonth} per month of rollouts × ${plain(c.surge.months)} = ${withUnit(Math.round(c.surge.total), c.currency)}`
}

/** The fleet a year of demand growth asks for, its monthly cost and its $/Mtok. */
function describeInOneYear(c: OfferCost): string {
  if (!c.inOneYear) return '–'
  const perMtok = c.inOneYear.perMtokFleetAtDemandTotal === null ? '–' : withUnit(c.inOneYear.perMtokFleetAtDemandTotal, c.currency)
  return `${num(c.inOneYear.gpusBought, 0)} GPUs, ${withUnit(Math.round(c.inOneYear.fleetPerMonth), c.currency)}/month, ${perMtok} per Mtok`
}

const FULL_LOAD_CAPTION =
  '$/Mtok at full load, one replica: one replica’s price ÷ its goodput at the SLO (InferenceX’s formula), the marginal figure, ' +
  'reached only by a replica kept at full SLO load around the clock. ' +
  'Input, output and total each carry the whole cost (InferenceX’s split), so they are not added.'

/** How both $/Mtok figures of the cost table are computed. */
function costsCaption(demand: SizingResult['demand']): string {
  const average = withUnit(demand.averageRequestsPerS, 'req/s')
  const lowerBound = demand.averageBasis === 'assumed-peak' ? ' (no average demand given: taken as the peak, so this is a lower bound)' : ''
  return [
    'Fleet $/Mtok at the demand: what the steady fleet costs in a month ÷ the tokens the demand sends in a month',
    `(average ${average} × tokens per request × 730 h):`,
    `what a token costs with the fleet that is bought, head-room, spares and node rounding included${lowerBound}.`,
    FULL_LOAD_CAPTION,
  ].join(' ')
}

function costsTable(data: SizingResult): SizingBlock['costs'] {
  const costRows = data.endpoints.flatMap((e) =>
    e.costs.map((c) => [
      e.label,
      offerName(c),
      c.sovereignty,
      `${num(c.pricePerGpuHour)} ${c.currency}`,
      `${describeSale(c)}: ${num(c.gpusBought.estimate, 0)} (${range(c.gpusBought.low, c.gpusBought.high)})`,
      describeEstimate(c.fleetPerMonth, c.currency),
      describeSurge(c),
      describeEstimate(c.perMtokFleetAtDemand.total, c.currency),
      describeEstimate(c.perMtokFleetAtDemand.output, c.currency),
      describeEstimate(c.perMtokOneReplicaAtFullLoad.total, c.currency),
      describeEstimate(c.perMtokOneReplicaAtFullLoad.output, c.currency),
      describeEstimate(c.perMtokOneReplicaAtFullLoad.input, c.currency),
      describeInOneYear(c),
      c.joulesPerOutputToken === null ? '–' : withUnit(c.joulesPerOutputToken, 'J'),
      c.notes.join('; ') || '–',
    ]),
  )
  return costRows.length > 0
    ? table(
        'Cost of the fleet and per million tokens',
        [
          'Endpoint',
          'Offer',
          'Sovereignty',
          n('Price per GPU-hour'),
          n('GPUs bought'),
          n('Fleet per month, steady (730 h)'),
          n('Rollout surge'),
          n('Fleet $/Mtok at the demand, total'),
          n('Fleet $/Mtok at the demand, output'),
          n('$/Mtok at full load, one replica, total'),
          n('… output'),
          n('… input'),
          n('In a year (demand growth): fleet and its $/Mtok'),
          n('Energy per output token'),
          'Notes',
        ],
        costRows,
        costsCaption(data.demand),
      )
    : null
}

const CROSSING = 'the capacity is where attainment crosses the target.'

/** Attainment at each rate tried, with the target and (for one endpoint) the capacity found. */
function attainmentChart(book: ChartBook, data: SizingResult, filePath: string): SizingBlock['attainmentChart'] {
  const series = data.endpoints
    .filter((e) => e.evaluations.some((v) => v.attainment !== null))
    .map((e) => ({
      name: e.label,
      points: e.evaluations
        .filter((v) => v.attainment !== null)
        .map((v) => [Number(v.ratePerS.toPrecision(6)), Number(((v.attainment as number) * 100).toPrecision(6))] as [number, number]),
    }))
  const first = data.endpoints[0]
  const capacityLine = data.endpoints.length === 1 && first ? [{ x: Number(first.capacityPerReplica.ratePerS.estimate.toPrecision(6)), label: 'capacity' }] : []
  return series.length > 0
    ? {
        chart: scatterChart(book, {
          title: 'SLO attainment at each request rate tried',
          xName: 'Request rate per replica (req/s)',
          yName: 'Requests meeting the SLO (%)',
          series,
          hLines: [{ y: data.attainment * 100, label: `target ${pct(data.attainment, 0)}` }],
          vLines: capacityLine,
          yMin: 0,
          yMax: 100,
        }),
        caption: `Each point is one load level measured or simulated (${describeSlo(data.slo)}); ${CROSSING} From ${filePath}.`,
        notes: [],
      }
    : null
}

/**
 * The model's error beside a simulated capacity: "simulated (validated to ±8% under load on 6
 * published points): searches 24.7–27.3 req/s, with the band 22.9–29.7 req/s".
 */
function describeModelError(e: SizingResult['endpoints'][number]): string {
  if (e.source === 'measured') return 'none: measured (the interval is the measurement’s)'
  const band = e.modelError
  if (!band) return 'not recorded (sizing.json written before the band existed)'
  const searches = range(band.sampling.low, band.sampling.high, 'req/s')
  if (band.fraction === null) return `${band.sentence}: no band, the searches’ interval ${searches} only`
  return `${band.sentence}: searches ${searches}, with the band ${range(band.widened.low, band.widened.high, 'req/s')}`
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
