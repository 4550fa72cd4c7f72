import type { CostLine, Estimate, SizingResult } from '../schema/sizing.js'
import { describePriceUsed } from './price-used-format.js'

const number = (value: number | null | undefined, digits: number): string => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits))
const range = (estimate: Estimate, digits: number): string => `${number(estimate.estimate, digits)} [${number(estimate.low, digits)}, ${estimate.high === null ? '∞' : number(estimate.high, digits)}]`

/** The demand in words: "peak 120 req/s, average 60 req/s (given)". */
export function describeDemand(demand: SizingResult['demand']): string {
  const basis = { given: 'given', ratio: 'peak × average-to-peak', 'assumed-peak': 'none given: taken as the peak, so fleet $/Mtok is a lower bound' }[demand.averageBasis]
  const rate = (value: number): string => number(value, 2).replace(/\.00$/, '')
  const growth = demand.inOneYear ? `, growing ${(demand.growthPerYear * 100).toFixed(0)}% a year (in a year: peak ${rate(demand.inOneYear.peakRequestsPerS)}, average ${rate(demand.inOneYear.averageRequestsPerS)} req/s)` : ''
  return `peak ${rate(demand.peakRequestsPerS)} req/s, average ${rate(demand.averageRequestsPerS)} req/s (${basis})${growth}`
}

/** The failure the policy guards against, in words. */
export function describeFailure(policy: SizingResult['policy']): string {
  if (policy.sparePerFailureDomain === 0) return `${policy.failureDomains} failure domain(s), no failure guarded against`
  if (policy.failureDomains > 1) return `${policy.failureDomains} failure domains, survives losing one`
  return `1 failure domain, survives losing ${policy.sparePerFailureDomain} replica${policy.sparePerFailureDomain === 1 ? '' : 's'} (N+${policy.sparePerFailureDomain})`
}

/** How an offer is sold: "sold by the GPU", "sold by the node of 8 GPUs". */
export function describeSale(cost: CostLine): string {
  return cost.soldBy === 'node' ? `sold by the node of ${cost.gpusPerNode} GPUs` : 'sold by the GPU'
}

const perMtok = (split: CostLine['perMtokFleetAtDemand']): string =>
  `total ${split.total ? range(split.total, 3) : '–'}, output ${split.output ? range(split.output, 3) : '–'}, input ${split.input ? range(split.input, 3) : '–'}`

/** The human answer of `geopat size`: per endpoint, capacity per replica, the policy's terms, GPUs, costs. */
export function formatSizing(result: SizingResult): string {
  const slo = Object.entries(result.slo).map(([key, value]) => `${key.replace(/Ms$/, '')} ≤ ${value} ms`).join(', ')
  const policy = result.policy
  const lines = [
    `${describeDemand(result.demand)} · SLO ${slo} for ${(result.attainment * 100).toFixed(0)}% of requests · utilization ${policy.targetUtilization} · ${describeFailure(policy)} · surge ${(policy.surgeFraction * 100).toFixed(0)}% during ${number(policy.rolloutMonths, 1).replace(/\.0$/, '')} month(s) of rollouts only`,
  ]
  for (const endpoint of result.endpoints) {
    const capacity = endpoint.capacityPerReplica
    lines.push('')
    lines.push(`${endpoint.label} (${endpoint.source}: ${endpoint.detail})`)
    lines.push(`  capacity per replica: ${range(capacity.ratePerS, 2)} req/s${capacity.lowerBoundOnly ? ' (at least)' : ''}, ${range(capacity.outputTokensPerS, 0)} good output tok/s · ${capacity.ratePerS.method}`)
    lines.push(`  model error: ${modelErrorLine(endpoint)}`)
    if (endpoint.firstCut) {
      lines.push(`  first cut (mean-value model of the profile, no queueing or noise): ${number(endpoint.firstCut.ratePerS, 2)} req/s, limited by ${endpoint.firstCut.limitedBy}, step ${number(endpoint.firstCut.stepMs, 1)} ms at batch ${number(endpoint.firstCut.batch, 0)}`)
    }
    const r = endpoint.replicas
    lines.push(`  replicas: ${r.total} steady = ${r.base} base + ${r.spare} spare (${r.low}–${r.high ?? '∞'} over the capacity interval); + ${r.surge} surge during rollouts only`)
    lines.push(`    base: ${r.terms.base}`)
    lines.push(`    spare: ${r.terms.spare}`)
    lines.push(`    surge: ${r.terms.surge}`)
    const g = endpoint.gpus
    lines.push(`  GPUs needed: ${g.total} steady (${g.low}–${g.high ?? '∞'}), ${endpoint.gpusPerReplica} per replica, + ${g.surge} during rollouts only`)
    for (const cost of endpoint.costs) {
      const b = cost.gpusBought
      lines.push(
        `  ${cost.catalogRow} (${cost.provider}, ${cost.region}, ${cost.sovereignty}) at ${number(cost.pricePerGpuHour, 2)} ${cost.currency}/GPU-h, ${describeSale(cost)}: ${b.estimate} GPUs bought${b.nodes !== null ? ` (${b.nodes} node${b.nodes === 1 ? '' : 's'})` : ''} (${b.low}–${b.high ?? '∞'})${cost.joulesPerOutputToken !== null ? ` · ${number(cost.joulesPerOutputToken, 2)} J/output token` : ''}`,
      )
      if (cost.catalogPrice !== undefined) lines.push(`    price: ${describePriceUsed(cost.catalogPrice)}`)
      const surge =
        cost.surge.gpus === 0 && endpoint.gpus.surge > 0
          ? 'the rollout surge fits in the idle GPUs of the nodes bought'
          : `rollout surge ${cost.surge.gpus} GPUs, ${number(cost.surge.perMonth, 0)} ${cost.currency} per month of rollouts × ${number(cost.surge.months, 1).replace(/\.0$/, '')} = ${number(cost.surge.total, 0)} ${cost.currency}, not in the steady fleet`
      lines.push(`    fleet: ${range(cost.fleetPerMonth, 0)} ${cost.currency}/month steady · ${surge}`)
      lines.push(`    fleet $/Mtok at the demand (${number(result.demand.averageRequestsPerS, 2).replace(/\.00$/, '')} req/s average): ${perMtok(cost.perMtokFleetAtDemand)} ${cost.currency}`)
      lines.push(`    $/Mtok at full load, one replica (marginal): ${perMtok(cost.perMtokOneReplicaAtFullLoad)} ${cost.currency}`)
      if (cost.inOneYear) lines.push(`    in a year, re-sized for the grown demand: ${cost.inOneYear.gpusBought} GPUs bought, ${number(cost.inOneYear.fleetPerMonth, 0)} ${cost.currency}/month, fleet $/Mtok at the demand total ${number(cost.inOneYear.perMtokFleetAtDemandTotal, 3)} ${cost.currency}`)
      for (const note of cost.notes) lines.push(`    note: ${note}`)
    }
    for (const warning of endpoint.warnings) lines.push(`  warning: ${warning}`)
  }
  return lines.join('\n')
}

/** `geopat run`'s size line: per endpoint, GPUs bought and fleet $/Mtok beside the full-load figure. */
export function sizeLine(result: SizingResult): string {
  return result.endpoints
    .map((e) => {
      if (e.costs.length === 0) return `${e.label}: ${e.gpus.total} GPUs needed (${e.gpus.low}–${e.gpus.high ?? '∞'})`
      return e.costs
        .map((c) => {
          const fleet = c.perMtokFleetAtDemand.total
          const marginal = c.perMtokOneReplicaAtFullLoad.total
          return `${e.label}: ${c.gpusBought.estimate} GPUs bought (${c.gpusBought.low}–${c.gpusBought.high ?? '∞'}), fleet ${number(fleet?.estimate, 3)} ${c.currency}/Mtok at the demand (${number(marginal?.estimate, 3)} at full load, one replica)`
        })
        .join(', ')
    })
    .join(', ')
}

/** The model's error beside a capacity: the sentence, and the interval before and after the band. */
export function modelErrorLine(endpoint: SizingResult['endpoints'][number]): string {
  const band = endpoint.modelError
  if (endpoint.source === 'measured') return "none: measured, the interval is the measurement's"
  if (!band) return 'not recorded (a sizing.json written before the band existed)'
  const interval = (i: { low: number; high: number | null }): string => `[${number(i.low, 2)}, ${i.high === null ? '∞' : number(i.high, 2)}]`
  if (band.fraction === null) return `${band.sentence}: no band, searches ${interval(band.sampling)} req/s only`
  return `${band.sentence}: searches ${interval(band.sampling)} req/s, with the band ${interval(band.widened)} req/s (low ÷ (1 + e), high ÷ (1 − e), e = ${number(band.fraction, 3)})`
}
