import type { CostLine, SizingResult } from '../io/schema/sizing.js'

/** A figure with `digits` decimals; – when there is none (null, undefined, not finite). */
export const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits)

/** The demand in words: "peak 120 req/s, average 60 req/s (given)". */
export function describeDemand(demand: SizingResult['demand']): string {
  const basis = { given: 'given', ratio: 'peak × average-to-peak', 'assumed-peak': 'none given: taken as the peak, so fleet $/Mtok is a lower bound' }[
    demand.averageBasis
  ]
  const rate = (value: number): string => fixed(value, 2).replace(/\.00$/, '')
  const growth = demand.inOneYear
    ? `, growing ${(demand.growthPerYear * 100).toFixed(0)}% a year (in a year: peak ` +
      `${rate(demand.inOneYear.peakRequestsPerS)}, average ${rate(demand.inOneYear.averageRequestsPerS)} req/s)`
    : ''
  return `peak ${rate(demand.peakRequestsPerS)} req/s, average ${rate(demand.averageRequestsPerS)} req/s (${basis})${growth}`
}

/** The failure the policy guards against, in words. */
export function describeFailure(policy: SizingResult['policy']): string {
  if (policy.sparePerFailureDomain === 0) return `${policy.failureDomains} failure domain(s), no failure guarded against`
  if (policy.failureDomains > 1) return `${policy.failureDomains} failure domains, survives losing one`
  return (
    `1 failure domain, survives losing ${policy.sparePerFailureDomain} ` +
    `replica${policy.sparePerFailureDomain === 1 ? '' : 's'} (N+${policy.sparePerFailureDomain})`
  )
}

/** How an offer is sold: "sold by the GPU", "sold by the node of 8 GPUs". */
export function describeSale(cost: CostLine): string {
  return cost.soldBy === 'node' ? `sold by the node of ${cost.gpusPerNode} GPUs` : 'sold by the GPU'
}
