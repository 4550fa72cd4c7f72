import type { CostLine, Estimate, SizingResult } from '../../io/schema/sizing.js'
import { describeDemand, describeFailure, describeSale, describeTraffic, fixed as number } from '../../report/sizing-words.js'
import type { WorkloadSizing } from '../../app/size-workloads.js'
import { describePriceUsed } from './price-used.js'
import { forTerminal } from '../../util/terminal-text.js'

type EndpointSizing = SizingResult['endpoints'][number]

const range = (estimate: Estimate, digits: number): string =>
  `${number(estimate.estimate, digits)} [${number(estimate.low, digits)}, ${estimate.high === null ? '∞' : number(estimate.high, digits)}]`

const perMtok = (split: CostLine['perMtokFleetAtDemand']): string =>
  `total ${split.total ? range(split.total, 3) : '–'}, output ${split.output ? range(split.output, 3) : '–'}, ` +
  `input ${split.input ? range(split.input, 3) : '–'}`

/** The human answer of `geopat size`: per endpoint, capacity per replica, the policy's terms, GPUs, costs. */
export function formatSizing(result: SizingResult): string {
  const slo = Object.entries(result.slo)
    .map(([key, value]) => `${key.replace(/Ms$/, '')} ≤ ${value} ms`)
    .join(', ')
  const policy = result.policy
  const lines = [
    `${describeDemand(result.demand)} · SLO ${slo} for ${(result.attainment * 100).toFixed(0)}% of requests · ` +
      `utilization ${policy.targetUtilization} · ${describeFailure(policy)} · surge ` +
      `${(policy.surgeFraction * 100).toFixed(0)}% during ${number(policy.rolloutMonths, 1).replace(/\.0$/, '')} ` +
      'month(s) of rollouts only',
  ]
  for (const endpoint of result.endpoints) lines.push('', ...endpointLines(endpoint, result))
  return lines.join('\n')
}

/** One endpoint: capacity per replica, model error, replicas with their terms, GPUs, then each price's costs. */
function endpointLines(endpoint: EndpointSizing, result: SizingResult): string[] {
  const capacity = endpoint.capacityPerReplica
  const lines = [
    `${endpoint.label} (${endpoint.source}: ${endpoint.detail})`,
    `  capacity per replica: ${range(capacity.ratePerS, 2)} req/s${capacity.lowerBoundOnly ? ' (at least)' : ''}, ` +
      `${range(capacity.outputTokensPerS, 0)} good output tok/s · ${capacity.ratePerS.method}`,
    `  model error: ${modelErrorLine(endpoint)}`,
    // A trace's detail names its file, as the user wrote it: made safe for the terminal.
    ...(endpoint.traffic ? [`  traffic: ${forTerminal(describeTraffic(endpoint.traffic, capacity.ratePerS.estimate))}`] : []),
  ]
  if (endpoint.firstCut) {
    lines.push(
      `  first cut (mean-value model of the profile, no queueing or noise): ${number(endpoint.firstCut.ratePerS, 2)} ` +
        `req/s, limited by ${endpoint.firstCut.limitedBy}, step ${number(endpoint.firstCut.stepMs, 1)} ms at batch ${number(endpoint.firstCut.batch, 0)}`,
    )
  }
  const r = endpoint.replicas
  lines.push(
    `  replicas: ${r.total} steady = ${r.base} base + ${r.spare} spare (${r.low}–${r.high ?? '∞'} over the ` +
      `capacity interval); + ${r.surge} surge during rollouts only`,
  )
  lines.push(`    base: ${r.terms.base}`, `    spare: ${r.terms.spare}`, `    surge: ${r.terms.surge}`)
  const g = endpoint.gpus
  lines.push(`  GPUs needed: ${g.total} steady (${g.low}–${g.high ?? '∞'}), ${endpoint.gpusPerReplica} per replica, + ${g.surge} during rollouts only`)
  for (const cost of endpoint.costs) lines.push(...costLines(cost, endpoint, result))
  for (const warning of endpoint.warnings) lines.push(`  warning: ${warning}`)
  return lines
}

/** One price's costs of an endpoint's fleet: GPUs bought, the fleet a month, fleet and marginal $/Mtok, in a year. */
function costLines(cost: CostLine, endpoint: EndpointSizing, result: SizingResult): string[] {
  const b = cost.gpusBought
  const nodes = b.nodes !== null ? ` (${b.nodes} node${b.nodes === 1 ? '' : 's'})` : ''
  const energy = cost.joulesPerOutputToken !== null ? ` · ${number(cost.joulesPerOutputToken, 2)} J/output token` : ''
  const lines = [
    `  ${cost.catalogRow} (${cost.provider}, ${cost.region}, ${cost.sovereignty}) at ` +
      `${number(cost.pricePerGpuHour, 2)} ${cost.currency}/GPU-h, ${describeSale(cost)}: ${b.estimate} GPUs ` +
      `bought${nodes} (${b.low}–${b.high ?? '∞'})${energy}`,
  ]
  if (cost.catalogPrice !== undefined) lines.push(`    price: ${describePriceUsed(cost.catalogPrice)}`)
  const surge =
    cost.surge.gpus === 0 && endpoint.gpus.surge > 0
      ? 'the rollout surge fits in the idle GPUs of the nodes bought'
      : `rollout surge ${cost.surge.gpus} GPUs, ${number(cost.surge.perMonth, 0)} ${cost.currency} per month of ` +
        `rollouts × ${number(cost.surge.months, 1).replace(/\.0$/, '')} = ${number(cost.surge.total, 0)} ` +
        `${cost.currency}, not in the steady fleet`
  lines.push(`    fleet: ${range(cost.fleetPerMonth, 0)} ${cost.currency}/month steady · ${surge}`)
  lines.push(
    `    fleet $/Mtok at the demand (${number(result.demand.averageRequestsPerS, 2).replace(/\.00$/, '')} req/s ` +
      `average): ${perMtok(cost.perMtokFleetAtDemand)} ${cost.currency}`,
  )
  lines.push(`    $/Mtok at full load, one replica (marginal): ${perMtok(cost.perMtokOneReplicaAtFullLoad)} ${cost.currency}`)
  if (cost.inOneYear) {
    lines.push(
      `    in a year, re-sized for the grown demand: ${cost.inOneYear.gpusBought} GPUs bought, ` +
        `${number(cost.inOneYear.fleetPerMonth, 0)} ${cost.currency}/month, fleet $/Mtok at the demand total ` +
        `${number(cost.inOneYear.perMtokFleetAtDemandTotal, 3)} ${cost.currency}`,
    )
  }
  for (const note of cost.notes) lines.push(`    note: ${note}`)
  return lines
}

/** The model's error beside a capacity: the sentence, and the interval before and after the band. */
function modelErrorLine(endpoint: EndpointSizing): string {
  const band = endpoint.modelError
  if (endpoint.source === 'measured') return "none: measured, the interval is the measurement's"
  if (!band) return 'not recorded (a sizing.json written before the band existed)'
  const interval = (i: { low: number; high: number | null }): string => `[${number(i.low, 2)}, ${i.high === null ? '∞' : number(i.high, 2)}]`
  if (band.fraction === null) return `${band.sentence}: no band, searches ${interval(band.sampling)} req/s only`
  return (
    `${band.sentence}: searches ${interval(band.sampling)} req/s, with the band ${interval(band.widened)} req/s ` +
    `(low ÷ (1 + e), high ÷ (1 − e), e = ${number(band.fraction, 3)})`
  )
}

/** `geopat run`'s line on a workload sized for the plan: its GPUs, how, at what demand and SLO, and the inventory's figure. */
export function workloadSizingLine(s: WorkloadSizing): string {
  return (
    `  ${s.workload}: ${s.gpus} GPUs (${s.replicas} × ${s.gpusPerReplica}, ` +
    `${s.capacityPerReplica.estimate.toFixed(2)} req/s per replica on ${s.profile}) for ${s.peakRequestsPerS} ` +
    `req/s at TTFT ≤ ${s.slo.ttftMs} ms, TPOT ≤ ${s.slo.tpotMs} ms; the inventory says ${s.inventoryGpus}`
  )
}
