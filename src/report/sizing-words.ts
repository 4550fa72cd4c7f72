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

type Traffic = NonNullable<SizingResult['endpoints'][number]['traffic']>

const share = (value: number): string => `${(value * 100).toFixed(0)}%`

/**
 * The traffic a simulated capacity was searched with, in one sentence: for a session mix, its
 * capacity beside that of single-turn prompts of the same lengths and the prefix hit rate that
 * makes the difference, labelled as the simulator's assumption.
 */
export function describeTraffic(traffic: Traffic, ratePerS: number): string {
  const prompt = `${fixed(traffic.promptTokensMean, 0)} prompt tokens per request`
  const hit = traffic.prefixHitRate
  if (traffic.trace) return describeTrace(traffic, traffic.trace, ratePerS)
  if (traffic.shape !== 'sessions' || !traffic.singleTurn) {
    if (hit === null || hit === 0) return `${traffic.detail}: ${prompt}, ${hit === null ? 'prefix caching off' : 'no prefix cache hit'}`
    return `${traffic.detail}: ${prompt}, prefix hit rate ${share(hit)}: the hit rate of ${traffic.assumption}`
  }
  const head =
    `Sessions (${traffic.detail}; ${prompt} with their history): ${fixed(ratePerS, 2)} req/s per replica ` +
    `(${fixed(traffic.sessionsPerS?.estimate, 3)} sessions/s), against ${fixed(traffic.singleTurn.ratePerS.estimate, 2)} req/s ` +
    'for single-turn prompts of the same lengths sharing no prefix'
  if (hit === null || hit === 0)
    return (
      `${head}; no prompt token came from the prefix cache (prefix caching ${traffic.prefixCaching ? 'on' : 'off'}), so what differs ` +
      "is how the sessions' turns arrive (each after the previous answer and its think time) and the searches' noise."
    )
  return `${head}, because ${share(hit)} of prompt tokens were served from the prefix cache: the hit rate of ${traffic.assumption}.`
}

/** A trace's capacity as a speedup of its own pace, and the hit rate beside the reuse its hash ids imply. */
function describeTrace(traffic: Traffic, trace: NonNullable<Traffic['trace']>, ratePerS: number): string {
  const hit = traffic.prefixHitRate
  const cache =
    hit === null
      ? 'prefix caching off'
      : `${share(hit)} of prompt tokens were served from the prefix cache (its hash ids imply ${share(trace.impliedPrefixReuse)}): ` +
        `the hit rate of ${traffic.assumption}`
  return (
    `${traffic.detail}: ${fixed(ratePerS, 2)} req/s per replica, the trace sent ×${fixed(trace.speedup.estimate, 2)} its own pace, ` +
    `${fixed(traffic.promptTokensMean, 0)} prompt tokens per request; ${cache}.`
  )
}
