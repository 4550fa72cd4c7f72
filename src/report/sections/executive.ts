import type { CompareSummary } from '../../io/schema/compare.js'
import type { Plan } from '../../io/schema/plan.js'
import type { SizingResult } from '../../io/schema/sizing.js'
import type { BenchSummary, RunSummary } from '../../io/schema/summary.js'
import type { TcoResult } from '../../io/schema/tco-result.js'
import { headlineSavings } from '../../tco/headline.js'
import { estimate, num, pct, range, ratioChange, signed, withUnit } from '../format.js'
import { type Loaded, type ReportInputs, use } from '../inputs.js'
import type { ExecutiveSection, KeyFigure } from '../model.js'
import { describeEstimate, offerName } from './capacity.js'
import { complianceTaxOf, headlineSaving, rankedOptions } from './tco.js'

type Interval = { estimate: number; low: number; high: number; confidence: number }

/** Each endpoint's first (lowest-load) step of each bench run: the like-for-like comparison. */
function firstSteps(bench: Array<Loaded<BenchSummary>>): Array<{ run: RunSummary; file: string }> {
  const result: Array<{ run: RunSummary; file: string }> = []
  for (const { data, file } of bench) {
    const seen = new Set<string>()
    for (const run of [...data.runs].sort((a, b) => a.step - b.step)) {
      if (seen.has(run.endpoint.label)) continue
      seen.add(run.endpoint.label)
      result.push({ run, file: file.path })
    }
  }
  return result
}

function runInterval(run: RunSummary, metric: string, statistic: 'mean' | 'p50' | 'p90' | 'p99'): { value: number | null; text: string } {
  const value = run.metrics[metric]?.[statistic] ?? null
  const bounds = run.intervals[metric]?.[statistic] ?? null
  return { value, text: estimate(value, bounds ? { low: bounds[0], high: bounds[1], confidence: run.intervals[metric]?.confidence ?? 0.95 } : null, 'ms') }
}

function benchFigures(inputs: ReportInputs, figures: KeyFigure[], recommendation: string[], caveats: string[]): { fastest: string | null } {
  const runs = firstSteps(inputs.bench)
  for (const { file } of inputs.bench) use(file, 'summary')
  for (const { run, file } of runs) if (run.client.verdict === 'client-bound') caveats.push(`${run.endpoint.label} (${file}): the client was the bottleneck (${run.client.reasons.join('; ')}); its latencies are upper bounds.`)
  if (runs.length < 2) {
    const only = runs[0]
    if (only) {
      figures.push({ label: `TTFT p90, ${only.run.endpoint.label}`, value: runInterval(only.run, 'ttft', 'p90').text, detail: only.run.stepLabel, source: `${only.file} · runs[].metrics.ttft`, tone: null })
      figures.push({ label: `TPOT mean, ${only.run.endpoint.label}`, value: runInterval(only.run, 'tpot', 'mean').text, detail: only.run.stepLabel, source: `${only.file} · runs[].metrics.tpot`, tone: null })
    }
    return { fastest: null }
  }
  const rank = (metric: string, statistic: 'mean' | 'p90') =>
    runs
      .map((r) => ({ ...r, figure: runInterval(r.run, metric, statistic) }))
      .filter((r) => r.figure.value !== null)
      .sort((a, b) => (a.figure.value as number) - (b.figure.value as number))
  const ttft = rank('ttft', 'p90')
  const tpot = rank('tpot', 'mean')
  const bestTtft = ttft[0]
  const bestTpot = tpot[0]
  if (bestTtft) {
    const others = ttft.slice(1).map((r) => `${r.run.endpoint.label} ${r.figure.text}`).join('; ')
    figures.push({ label: 'Fastest to first token (TTFT p90)', value: `${bestTtft.run.endpoint.label}: ${bestTtft.figure.text}`, detail: others ? `against ${others}` : null, source: `${bestTtft.file} · runs[].metrics.ttft.p90, intervals.ttft.p90`, tone: 'good' })
  }
  if (bestTpot) {
    const others = tpot.slice(1).map((r) => `${r.run.endpoint.label} ${r.figure.text}`).join('; ')
    figures.push({ label: 'Fastest decode (TPOT mean)', value: `${bestTpot.run.endpoint.label}: ${bestTpot.figure.text}`, detail: others ? `against ${others}` : null, source: `${bestTpot.file} · runs[].metrics.tpot.mean, intervals.tpot.mean`, tone: 'good' })
  }
  const withGoodput = runs.filter((r) => r.run.goodput !== null).sort((a, b) => (b.run.goodput?.fractionOfRequests ?? 0) - (a.run.goodput?.fractionOfRequests ?? 0))
  const bestGoodput = withGoodput[0]
  if (bestGoodput?.run.goodput) {
    figures.push({
      label: 'Most requests within the SLO',
      value: `${bestGoodput.run.endpoint.label}: ${pct(bestGoodput.run.goodput.fractionOfRequests)} (${withUnit(bestGoodput.run.goodput.requestsPerS, 'req/s')} goodput)`,
      detail: withGoodput.slice(1).map((r) => `${r.run.endpoint.label} ${pct(r.run.goodput?.fractionOfRequests ?? null)}`).join('; ') || null,
      source: `${bestGoodput.file} · runs[].goodput`,
      tone: null,
    })
  }
  if (bestTtft && bestTpot) {
    if (bestTtft.run.endpoint.label === bestTpot.run.endpoint.label) {
      recommendation.push(`Fastest endpoint measured: ${bestTtft.run.endpoint.label}, first to the first token (p90 ${bestTtft.figure.text}) and in decode (TPOT mean ${bestTpot.figure.text}).`)
    } else {
      recommendation.push(`No endpoint is fastest on both counts: ${bestTtft.run.endpoint.label} reaches the first token first (p90 ${bestTtft.figure.text}); ${bestTpot.run.endpoint.label} decodes faster (TPOT mean ${bestTpot.figure.text}). Interactive chat weighs TTFT; long answers weigh TPOT.`)
    }
  }
  return { fastest: bestTtft?.run.endpoint.label ?? null }
}

function compareFigures(compare: Array<Loaded<CompareSummary>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): void {
  for (const { data, file } of compare) {
    use(file, 'summary')
    for (const point of data.operatingPoints) {
      for (const contrast of point.contrasts) {
        if (!contrast.arm.endsWith('(A/A)')) contrastFigures(point, contrast, file.path, { figures, recommendation, caveats })
      }
      for (const v of point.clientVerdicts) if (v.verdict === 'client-bound') caveats.push(`compare ${point.label}, ${v.arm}: the client was the bottleneck (${v.reasons.join('; ')}).`)
    }
    if (data.interrupted) caveats.push(`${file.path}: the comparison was interrupted; its intervals cover the requests measured before.`)
  }
}

/** What the executive summary collects: key figures, the recommendation's sentences, caveats. */
interface Findings {
  figures: KeyFigure[]
  recommendation: string[]
  caveats: string[]
}

type OperatingPoint = CompareSummary['operatingPoints'][number]
type Contrast = OperatingPoint['contrasts'][number]

/** One arm against its baseline at one operating point: the TTFT and TPOT change, the overhead split, and how many requests would narrow a wide interval. */
function contrastFigures(point: OperatingPoint, contrast: Contrast, filePath: string, { figures, recommendation, caveats }: Findings): void {
  const ttft = contrast.metrics.ttft.mean
  const tpot = contrast.metrics.tpot.mean
  const describe = (entry: typeof ttft): string =>
    entry.ratio ? `${ratioChange(entry.ratio.estimate)} (95% CI ${ratioChange(entry.ratio.low)} to ${ratioChange(entry.ratio.high)}), ${entry.verdict}` : entry.verdict
  figures.push({
    label: `${contrast.arm} against ${contrast.baseline}, ${point.label}`,
    value: `TTFT mean ${describe(ttft)}; TPOT mean ${describe(tpot)}`,
    detail: point.aaFloor ? `A/A floor ±${num(point.aaFloor.ttft.mean * 100, 1)}% (TTFT), ±${num(point.aaFloor.tpot.mean * 100, 1)}% (TPOT)` : null,
    source: `${filePath} · operatingPoints[${point.label}].contrasts`,
    tone: ttft.verdict === 'slower' || tpot.verdict === 'slower' ? 'warn' : null,
  })
  const split = point.overhead.find((o) => o.arm === contrast.arm && o.baseline === contrast.baseline)
  if (split) {
    const part = (name: string, i: Interval | null): string | null => (i ? `${name} ${signed(i.estimate, 'ms')} (${signed(i.low)} to ${signed(i.high)})` : null)
    const parts = [part('front end', split.frontEndMs), part('prefill', split.prefillMs), part('decode', split.decodeTpotMs)].filter((p): p is string => p !== null)
    if (parts.length > 0) recommendation.push(`${contrast.arm} over ${contrast.baseline} at ${point.label}: ${parts.join(', ')} per request (per token for decode), 95% intervals.`)
  }
  for (const [metric, entry] of [['TTFT', ttft], ['TPOT', tpot]] as const) {
    if (entry.runLongerRequests !== null) caveats.push(`${contrast.arm} vs ${contrast.baseline} at ${point.label}: the ${metric} mean interval is wide; about ${num(entry.runLongerRequests, 0)} requests per arm would narrow it to ±5%.`)
  }
}

/** The offer each figure calls cheapest: the executive summary says why they differ when they do. */
interface Cheapest {
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

function sizingFigures(sizing: Array<Loaded<SizingResult>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): Cheapest | null {
  const costed: CostedOffer[] = []
  for (const { data, file } of sizing) {
    use(file, 'summary')
    if (data.demand.averageBasis === 'assumed-peak') caveats.push(`${file.path}: no average demand given, so the average is taken as the peak (${withUnit(data.demand.peakRequestsPerS, 'req/s')}); fleet $/Mtok at the demand is then a lower bound.`)
    for (const e of data.endpoints) {
      endpointFleetFigures(data, e, file.path, { figures, recommendation, caveats })
      for (const c of e.costs) {
        if (c.perMtokFleetAtDemand.total) costed.push(costedOffer(data, e, c, c.perMtokFleetAtDemand.total, file.path))
      }
    }
  }
  return cheapestFleetFigures(costed, { figures, recommendation, caveats })
}

/** An endpoint's GPUs bought (or needed), with its replicas and capacity, and the caveats on its count. */
function endpointFleetFigures(data: SizingResult, e: SizingEndpoint, filePath: string, { figures, caveats }: Findings): void {
  const first = e.costs[0]
  const bought = first
    ? `${num(first.gpusBought.estimate, 0)} GPUs bought on ${offerName(first)} (${e.replicas.total} steady replicas × ${e.gpusPerReplica}${first.gpusBought.nodes !== null ? `, rounded to ${first.gpusBought.nodes} node${first.gpusBought.nodes === 1 ? '' : 's'} of ${first.gpusPerNode}` : ', rented GPU by GPU'})`
    : `${num(e.gpus.total, 0)} GPUs needed (${e.replicas.total} steady replicas × ${e.gpusPerReplica})`
  figures.push({
    label: `GPUs, ${e.label}`,
    value: bought,
    detail: `${first ? range(first.gpusBought.low, first.gpusBought.high) : range(e.gpus.low, e.gpus.high)} GPUs over the capacity interval${e.modelError && e.modelError.fraction !== null ? ' (the model’s error band included)' : ''}; replicas ${e.replicas.base} base + ${e.replicas.spare} spare, + ${e.replicas.surge} during rollouts only; capacity per replica ${describeEstimate(e.capacityPerReplica.ratePerS, 'req/s')} at peak ${withUnit(data.demand.peakRequestsPerS, 'req/s')}${e.modelError ? `, ${e.modelError.sentence}` : ''}`,
    source: `${filePath} · endpoints[${e.label}].replicas, gpus, costs[].gpusBought, capacityPerReplica`,
    tone: null,
  })
  if (e.capacityPerReplica.lowerBoundOnly) caveats.push(`${e.label}: the capacity is a lower bound (the sweep never breached the SLO), so the GPU count is an upper bound.`)
  if (e.modelError && e.modelError.fraction === null) caveats.push(`${e.label}: ${e.modelError.sentence}; its GPU count carries the simulated searches’ interval only, not the model’s own error.`)
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

/** The cheapest fleet per million tokens among the offers sized, against the others. */
function cheapestFleetFigures(costed: CostedOffer[], { figures, recommendation, caveats }: Findings): Cheapest | null {
  const currencies = new Set(costed.map((c) => c.currency))
  const sorted = [...costed].sort((a, b) => a.fleet.estimate - b.fleet.estimate)
  const cheapest = sorted[0]
  if (!cheapest) return null
  figures.push({
    label: 'Lowest fleet cost per million tokens at the demand (total), among the GPU offers sized',
    value: `${cheapest.label}: ${describeEstimate(cheapest.fleet, cheapest.currency)}`,
    detail: `for the size step's workload (peak ${withUnit(cheapest.peak, 'req/s')}, average ${withUnit(cheapest.average, 'req/s')}); basis: the fleet that is bought (its steady monthly cost ÷ the tokens the average demand sends in a month)${cheapest.marginal ? `; one replica at full SLO load would cost ${num(cheapest.marginal.estimate)} ${cheapest.currency}, a marginal figure no fleet pays` : ''}${sorted.length > 1 ? `; against ${sorted.slice(1).map((c) => `${c.label} ${num(c.fleet.estimate)} ${c.currency}`).join('; ')}` : ''}`,
    source: `${cheapest.file} · endpoints[].costs[].perMtokFleetAtDemand.total`,
    tone: 'good',
  })
  if (currencies.size > 1) caveats.push(`Costs are in several currencies (${[...currencies].join(', ')}) and are compared without conversion.`)
  recommendation.push(`Cheapest GPU fleet per million tokens among the offers sized, on what the fleet that is bought costs at the demand: ${cheapest.label}, ${describeEstimate(cheapest.fleet, cheapest.currency)}, with ${cheapest.gpus} GPUs.`)
  return { catalogRow: cheapest.catalogRow === 'command line' ? null : cheapest.catalogRow, label: cheapest.label }
}

function planFigures(plans: Array<Loaded<Plan>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): void {
  for (const { data, file } of plans) {
    use(file, 'summary')
    const last = data.waves[data.waves.length - 1]
    const missed = data.workloads.flatMap((w) => w.deadlines.filter((d) => d.met === false).map((d) => `${w.name}: ${d.id} (${d.date})`))
    figures.push({
      label: `Migration plan, ${data.organisation}`,
      value: `${data.workloads.length} workloads in ${data.waves.length} waves, ${data.start} to ${last?.end ?? '–'}`,
      detail: `${data.conflicts.length} conflict${data.conflicts.length === 1 ? '' : 's'}; ${missed.length} deadline${missed.length === 1 ? '' : 's'} missed`,
      source: `${file.path} · waves, conflicts, workloads[].deadlines`,
      tone: missed.length > 0 || data.conflicts.length > 0 ? 'bad' : null,
    })
    if (missed.length > 0) caveats.push(`Deadlines the plan misses: ${missed.join('; ')}.`)
    for (const c of data.conflicts) caveats.push(`Plan conflict (${c.kind}) for ${c.workload}: ${c.detail}`)
    if (last) recommendation.push(`Move in ${data.waves.length} wave${data.waves.length === 1 ? '' : 's'} from ${data.start}; the last cut-over is ${last.cutover}${missed.length === 0 ? ', every deadline met' : ''}.`)
  }
}

type TcoOptionResult = TcoResult['options'][number]

function tcoFigures(tco: Array<Loaded<TcoResult>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): (Cheapest & { years: number }) | null {
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
    if (excluded.length > 0) figures.push({ label: 'Options excluded by the sovereignty gate', value: excluded.map((o) => o.id).join(', '), detail: excluded.map((o) => `${o.id}: ${o.excludedReason ?? 'excluded'}`).join('; '), source: `${file.path} · options[].feasible, excludedReason`, tone: 'warn' })
    for (const w of data.warnings) caveats.push(`TCO: ${w}`)
  }
  return cheapest
}

/**
 * One estate (a plan): each option is the part of the plan that moves workloads to that offer,
 * so the story is today's estate and what the plan's moves save, not one option against another.
 */
function estateFigures(data: TcoResult, estate: NonNullable<TcoResult['estate']>, ranked: TcoOptionResult[], filePath: string, { figures, recommendation }: Findings): void {
  const c = data.model.currency
  const baseline = data.options.find((o) => o.baseline)
  const parts = ranked.filter((o) => !o.baseline && o.feasible)
  const saving = headlineSavings
  const basis = parts.some((o) => o.monteCarlo?.savings) ? 'P50 of the per-draw savings' : 'deterministic: inputs at their modes'
  const total = parts.reduce((sum, o) => sum + (saving(o) ?? 0), 0)
  const baselineCost = baseline?.monteCarlo ? `${withUnit(Math.round(baseline.monteCarlo.npvCost.p50), c)} P50 (P10–P90 ${range(Math.round(baseline.monteCarlo.npvCost.p10), Math.round(baseline.monteCarlo.npvCost.p90))})` : `${withUnit(Math.round(baseline?.deterministic?.npvCost ?? 0), c)} (deterministic: inputs at their modes)`
  const perMtok = estate.tokensPerMonth ? (estate.monthlyCost / estate.tokensPerMonth) * 1e6 : null
  figures.push({
    label: `Today's estate, ${data.model.horizonYears}-year cost if nothing moves`,
    value: `${estate.workloads} workloads, ${withUnit(Math.round(estate.monthlyCost), c)} a month today; ${baselineCost} NPV`,
    detail: `priced from the catalog rows of ${estate.inventoryFile}${perMtok !== null ? `; ${withUnit(perMtok, c)} per million tokens served today (the month's compute ÷ the tokens the workloads' average rates send in a month)` : ''}`,
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
  recommendation.push(`Follow the plan: its moves save ${signed(Math.round(total), c)} NPV over ${data.model.horizonYears} years against today's estate (the sum of each part's ${basis}); by offer: ${parts.map((o) => `${o.id} ${signed(Math.round(saving(o) ?? 0), c)}`).join(', ')}.`)
}

/** Options to choose between: the lowest cost that passes the sovereignty gate, and its compliance tax. */
function bestOptionFigures(data: TcoResult, best: TcoOptionResult, filePath: string, { figures, recommendation }: Findings): void {
  const c = data.model.currency
  const baseline = data.options.find((o) => o.baseline)
  const mc = best.monteCarlo
  const saving = headlineSaving(data, best)
  const cost = mc ? `${withUnit(Math.round(mc.npvCost.p50), c)} P50 (P10–P90 ${range(Math.round(mc.npvCost.p10), Math.round(mc.npvCost.p90))})` : `${withUnit(Math.round(best.deterministic?.npvCost ?? 0), c)} (deterministic: inputs at their modes)`
  figures.push({
    label: `Lowest ${data.model.horizonYears}-year cost that passes the sovereignty gate`,
    value: `${best.name || best.id}: ${cost}`,
    detail: baseline && baseline.id !== best.id ? saving : null,
    source: `${filePath} · options[${best.id}].${mc ? 'monteCarlo.npvCost' : 'deterministic.npvCost'}`,
    tone: 'good',
  })
  const tax = complianceTaxOf(best)
  if (tax !== null) figures.push({ label: `Compliance tax, ${best.id}`, value: `${withUnit(Math.round(tax), c)} present value (deterministic: inputs at their modes)`, detail: best.complianceComponents.join(', ') || null, source: `${filePath} · options[${best.id}].deterministic.presentValueByCategory (its own C1–C17 lines)`, tone: null })
  recommendation.push(`Lowest ${data.model.horizonYears}-year cost among the options that pass the sovereignty gate: ${best.name || best.id}, ${cost}${saving ? `, ${saving}` : ''}.`)
}

export function executiveSection(inputs: ReportInputs, simulatorNotes: string[]): ExecutiveSection | null {
  const figures: KeyFigure[] = []
  const recommendation: string[] = []
  const caveats: string[] = []
  benchFigures(inputs, figures, recommendation, caveats)
  compareFigures(inputs.compare, figures, recommendation, caveats)
  const fleet = sizingFigures(inputs.sizing, figures, recommendation, caveats)
  const tco = tcoFigures(inputs.tco, figures, recommendation, caveats)
  if (fleet && tco && fleet.catalogRow !== tco.catalogRow) {
    recommendation.push(
      `The two name different offers because they rank different things: fleet $/Mtok ranks the GPU offers sized by their fleet alone at the catalog price (${fleet.label}); the TCO ranks every option that passes the sovereignty gate, token APIs and owned servers included, by its whole ${tco.years}-year cost (pricing model and commitments, staff, migration, dual running, compliance and risk), and names ${tco.label}.`,
    )
  }
  planFigures(inputs.plan, figures, recommendation, caveats)
  if (figures.length === 0 && recommendation.length === 0) return null
  if (simulatorNotes.length > 0) caveats.unshift('Some or all endpoints are simulated (see Methodology): the figures demonstrate the method, not a provider’s performance.')
  if (recommendation.length === 0) recommendation.push('The inputs hold measurements but no choice between options: see the figures below and the sections that follow.')
  return { recommendation, figures, caveats }
}
