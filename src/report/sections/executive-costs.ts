import type { SizingResult } from '../../io/schema/sizing.js'
import type { TcoResult } from '../../io/schema/tco-result.js'
import { headlineSavings } from '../../tco/headline.js'
import { num, range, signed, withUnit } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import type { KeyFigure } from '../model.js'
import { describeEstimate, offerName } from './capacity.js'
import { complianceTaxOf, headlineSaving, rankedOptions } from './tco.js'

/** The executive summary's cost figures: the cheapest GPU fleet per million tokens (sizing) and the lowest multi-year cost (TCO). */

/** What the executive summary collects: key figures, the recommendation's sentences, caveats. */
export interface Findings {
  figures: KeyFigure[]
  recommendation: string[]
  caveats: string[]
}

/** The offer each figure calls cheapest: the executive summary says why they differ when they do. */
export interface Cheapest {
  catalogRow: string | null
  label: string
}

type SizingEndpoint = SizingResult['endpoints'][number]
type SizingCost = SizingEndpoint['costs'][number]

/** A GPU offer sized, on the comparison's basis: the fleet that is bought (its steady monthly cost ÷ the demand's tokens), not one replica at full load. */
interface CostedOffer {
  label: string
  catalogRow: string
  currency: string
  fleet: NonNullable<SizingCost['perMtokFleetAtDemand']['total']>
  marginal: SizingCost['perMtokOneReplicaAtFullLoad']['total']
  gpus: string
  file: string
  peak: number
  average: number
}

export function sizingFigures(sizing: Array<Loaded<SizingResult>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): Cheapest | null {
  const costed: CostedOffer[] = []
  for (const { data, file } of sizing) {
    use(file, 'summary')
    if (data.demand.averageBasis === 'assumed-peak') caveats.push(assumedPeakCaveat(file.path, data.demand.peakRequestsPerS))
    for (const e of data.endpoints) {
      endpointFleetFigures(data, e, file.path, { figures, recommendation, caveats })
      for (const c of e.costs) {
        if (c.perMtokFleetAtDemand.total) costed.push(costedOffer(data, e, c, c.perMtokFleetAtDemand.total, file.path))
      }
    }
  }
  return cheapestFleetFigures(costed, { figures, recommendation, caveats })
}

/** The caveat of a sizing given no average demand: its fleet $/Mtok is a lower bound. */
function assumedPeakCaveat(filePath: string, peakRequestsPerS: number): string {
  const asPeak = `no average demand given, so the average is taken as the peak (${withUnit(peakRequestsPerS, 'req/s')})`
  return `${filePath}: ${asPeak}; fleet $/Mtok at the demand is then a lower bound.`
}

/** How an offer sells its GPUs: ", rounded to 2 nodes of 8" or ", rented GPU by GPU". */
function describeRounding(c: SizingCost): string {
  if (c.gpusBought.nodes === null) return ', rented GPU by GPU'
  return `, rounded to ${c.gpusBought.nodes} node${c.gpusBought.nodes === 1 ? '' : 's'} of ${c.gpusPerNode}`
}

/** The GPU range, the replicas term by term and the capacity behind an endpoint's GPU count. */
function fleetDetail(data: SizingResult, e: SizingEndpoint): string {
  const first = e.costs[0]
  const gpuRange = first ? range(first.gpusBought.low, first.gpusBought.high) : range(e.gpus.low, e.gpus.high)
  const band = e.modelError && e.modelError.fraction !== null ? ' (the model’s error band included)' : ''
  const replicas = `replicas ${e.replicas.base} base + ${e.replicas.spare} spare, + ${e.replicas.surge} during rollouts only`
  const capacity = `capacity per replica ${describeEstimate(e.capacityPerReplica.ratePerS, 'req/s')} at peak ${withUnit(data.demand.peakRequestsPerS, 'req/s')}`
  const modelError = e.modelError ? `, ${e.modelError.sentence}` : ''
  return `${gpuRange} GPUs over the capacity interval${band}; ${replicas}; ${capacity}${modelError}`
}

const NO_BAND_CAVEAT = 'its GPU count carries the simulated searches’ interval only, not the model’s own error.'

/** An endpoint's GPUs bought (or needed), with its replicas and capacity, and the caveats on its count. */
function endpointFleetFigures(data: SizingResult, e: SizingEndpoint, filePath: string, { figures, caveats }: Findings): void {
  const first = e.costs[0]
  const replicas = `${e.replicas.total} steady replicas × ${e.gpusPerReplica}`
  const bought = first
    ? `${num(first.gpusBought.estimate, 0)} GPUs bought on ${offerName(first)} (${replicas}${describeRounding(first)})`
    : `${num(e.gpus.total, 0)} GPUs needed (${replicas})`
  figures.push({
    label: `GPUs, ${e.label}`,
    value: bought,
    detail: fleetDetail(data, e),
    source: `${filePath} · endpoints[${e.label}].replicas, gpus, costs[].gpusBought, capacityPerReplica`,
    tone: null,
  })
  if (e.capacityPerReplica.lowerBoundOnly)
    caveats.push(`${e.label}: the capacity is a lower bound (the sweep never breached the SLO), so the GPU count is an upper bound.`)
  if (e.modelError && e.modelError.fraction === null) caveats.push(`${e.label}: ${e.modelError.sentence}; ${NO_BAND_CAVEAT}`)
  if (e.replicas.high === null) caveats.push(`${e.label}: the capacity interval reaches zero; the fleet size has no upper bound on this evidence.`)
}

function costedOffer(data: SizingResult, e: SizingEndpoint, c: SizingCost, fleet: CostedOffer['fleet'], filePath: string): CostedOffer {
  return {
    label: c.catalogRow === 'command line' ? `${e.label} at ${num(c.pricePerGpuHour)} ${c.currency} per GPU-hour` : `${e.label} on ${offerName(c)}`,
    catalogRow: c.catalogRow,
    currency: c.currency,
    fleet,
    marginal: c.perMtokOneReplicaAtFullLoad.total,
    gpus: num(c.gpusBought.estimate, 0),
    file: filePath,
    peak: data.demand.peakRequestsPerS,
    average: data.demand.averageRequestsPerS,
  }
}

const FLEET_BASIS = 'basis: the fleet that is bought (its steady monthly cost ÷ the tokens the average demand sends in a month)'

/** The workload, basis and marginal cost of the cheapest fleet, against the other offers. */
function cheapestDetail(cheapest: CostedOffer, others: CostedOffer[]): string {
  const workload = `for the size step's workload (peak ${withUnit(cheapest.peak, 'req/s')}, average ${withUnit(cheapest.average, 'req/s')})`
  const marginal = cheapest.marginal
    ? `; one replica at full SLO load would cost ${num(cheapest.marginal.estimate)} ${cheapest.currency}, a marginal figure no fleet pays`
    : ''
  const against = others.length > 0 ? `; against ${others.map((c) => `${c.label} ${num(c.fleet.estimate)} ${c.currency}`).join('; ')}` : ''
  return `${workload}; ${FLEET_BASIS}${marginal}${against}`
}

const CHEAPEST_FLEET = 'Cheapest GPU fleet per million tokens among the offers sized, on what the fleet that is bought costs at the demand'

/** The cheapest fleet per million tokens among the offers sized, against the others. */
function cheapestFleetFigures(costed: CostedOffer[], { figures, recommendation, caveats }: Findings): Cheapest | null {
  const currencies = new Set(costed.map((c) => c.currency))
  const sorted = [...costed].sort((a, b) => a.fleet.estimate - b.fleet.estimate)
  const cheapest = sorted[0]
  if (!cheapest) return null
  figures.push({
    label: 'Lowest fleet cost per million tokens at the demand (total), among the GPU offers sized',
    value: `${cheapest.label}: ${describeEstimate(cheapest.fleet, cheapest.currency)}`,
    detail: cheapestDetail(cheapest, sorted.slice(1)),
    source: `${cheapest.file} · endpoints[].costs[].perMtokFleetAtDemand.total`,
    tone: 'good',
  })
  if (currencies.size > 1) caveats.push(`Costs are in several currencies (${[...currencies].join(', ')}) and are compared without conversion.`)
  recommendation.push(`${CHEAPEST_FLEET}: ${cheapest.label}, ${describeEstimate(cheapest.fleet, cheapest.currency)}, with ${cheapest.gpus} GPUs.`)
  return { catalogRow: cheapest.catalogRow === 'command line' ? null : cheapest.catalogRow, label: cheapest.label }
}

type TcoOptionResult = TcoResult['options'][number]

/** "1,234,567 EUR P50 (P10–P90 1,100,000–1,400,000)": a Monte Carlo NPV cost, rounded. */
function describeNpvP50(npv: { p10: number; p50: number; p90: number }, currency: string): string {
  return `${withUnit(Math.round(npv.p50), currency)} P50 (P10–P90 ${range(Math.round(npv.p10), Math.round(npv.p90))})`
}

const TODAY_PER_MTOK_BASIS = "(the month's compute ÷ the tokens the workloads' average rates send in a month)"

export function tcoFigures(
  tco: Array<Loaded<TcoResult>>,
  figures: KeyFigure[],
  recommendation: string[],
  caveats: string[],
): (Cheapest & { years: number }) | null {
  let cheapest: (Cheapest & { years: number }) | null = null
  for (const { data, file } of tco) {
    use(file, 'summary')
    const ranked = rankedOptions(data)
    const best = ranked.find((o) => !o.baseline) ?? ranked[0]
    const excluded = data.options.filter((o) => !o.feasible)
    if (data.estate) {
      estateFigures(data, data.estate, ranked, file.path, { figures, recommendation, caveats })
    } else if (best) {
      bestOptionFigures(data, best, file.path, { figures, recommendation, caveats })
      cheapest ??= { catalogRow: best.catalogRow, label: best.name || best.id, years: data.model.horizonYears }
    }
    if (excluded.length > 0)
      figures.push({
        label: 'Options excluded by the sovereignty gate',
        value: excluded.map((o) => o.id).join(', '),
        detail: excluded.map((o) => `${o.id}: ${o.excludedReason ?? 'excluded'}`).join('; '),
        source: `${file.path} · options[].feasible, excludedReason`,
        tone: 'warn',
      })
    for (const w of data.warnings) caveats.push(`TCO: ${w}`)
  }
  return cheapest
}

/**
 * One estate (a plan): each option is the part of the plan that moves workloads to that offer,
 * so the story is today's estate and what the plan's moves save, not one option against another.
 */
function estateFigures(
  data: TcoResult,
  estate: NonNullable<TcoResult['estate']>,
  ranked: TcoOptionResult[],
  filePath: string,
  { figures, recommendation }: Findings,
): void {
  const c = data.model.currency
  const baseline = data.options.find((o) => o.baseline)
  const parts = ranked.filter((o) => !o.baseline && o.feasible)
  const saving = headlineSavings
  const basis = parts.some((o) => o.monteCarlo?.savings) ? 'P50 of the per-draw savings' : 'deterministic: inputs at their modes'
  const total = parts.reduce((sum, o) => sum + (saving(o) ?? 0), 0)
  const baselineCost = baseline?.monteCarlo
    ? describeNpvP50(baseline.monteCarlo.npvCost, c)
    : `${withUnit(Math.round(baseline?.deterministic?.npvCost ?? 0), c)} (deterministic: inputs at their modes)`
  const perMtok = estate.tokensPerMonth ? (estate.monthlyCost / estate.tokensPerMonth) * 1e6 : null
  const perMtokToday = perMtok !== null ? `; ${withUnit(perMtok, c)} per million tokens served today ${TODAY_PER_MTOK_BASIS}` : ''
  figures.push({
    label: `Today's estate, ${data.model.horizonYears}-year cost if nothing moves`,
    value: `${estate.workloads} workloads, ${withUnit(Math.round(estate.monthlyCost), c)} a month today; ${baselineCost} NPV`,
    detail: `priced from the catalog rows of ${estate.inventoryFile}${perMtokToday}`,
    source: `${filePath} · estate, options[${baseline?.id ?? data.model.baseline}].monteCarlo.npvCost`,
    tone: null,
  })
  figures.push({
    label: `What the plan's moves save over ${data.model.horizonYears} years (NPV)`,
    value: `${signed(Math.round(total), c)} together (the sum of each part's ${basis})`,
    detail: parts.map((o) => `${o.id} (${(estate.moves[o.id] ?? []).join(', ') || 'no workload'}): ${headlineSaving(data, o) ?? '–'}`).join('; ') || null,
    source: `${filePath} · options[].monteCarlo.savings, estate.moves`,
    tone: total > 0 ? 'good' : 'warn',
  })
  const byOffer = parts.map((o) => `${o.id} ${signed(Math.round(saving(o) ?? 0), c)}`).join(', ')
  const against = `against today's estate (the sum of each part's ${basis})`
  recommendation.push(
    `Follow the plan: its moves save ${signed(Math.round(total), c)} NPV over ${data.model.horizonYears} years ${against}; by offer: ${byOffer}.`,
  )
}

/** Options to choose between: the lowest cost that passes the sovereignty gate, and its compliance tax. */
function bestOptionFigures(data: TcoResult, best: TcoOptionResult, filePath: string, { figures, recommendation }: Findings): void {
  const c = data.model.currency
  const baseline = data.options.find((o) => o.baseline)
  const mc = best.monteCarlo
  const saving = headlineSaving(data, best)
  const cost = mc ? describeNpvP50(mc.npvCost, c) : `${withUnit(Math.round(best.deterministic?.npvCost ?? 0), c)} (deterministic: inputs at their modes)`
  figures.push({
    label: `Lowest ${data.model.horizonYears}-year cost that passes the sovereignty gate`,
    value: `${best.name || best.id}: ${cost}`,
    detail: baseline && baseline.id !== best.id ? saving : null,
    source: `${filePath} · options[${best.id}].${mc ? 'monteCarlo.npvCost' : 'deterministic.npvCost'}`,
    tone: 'good',
  })
  const tax = complianceTaxOf(best)
  if (tax !== null)
    figures.push({
      label: `Compliance tax, ${best.id}`,
      value: `${withUnit(Math.round(tax), c)} present value (deterministic: inputs at their modes)`,
      detail: best.complianceComponents.join(', ') || null,
      source: `${filePath} · options[${best.id}].deterministic.presentValueByCategory (its own C1–C17 lines)`,
      tone: null,
    })
  const lowest = `Lowest ${data.model.horizonYears}-year cost among the options that pass the sovereignty gate`
  recommendation.push(`${lowest}: ${best.name || best.id}, ${cost}${saving ? `, ${saving}` : ''}.`)
}
