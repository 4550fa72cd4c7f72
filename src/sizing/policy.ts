import type { EndpointSizing, Estimate } from '../io/schema/sizing.js'
import type { SaleUnit } from '../pricing/sale-unit.js'

/**
 * How much head-room the fleet carries (shared/reference/economics.md, "Capacity sizing practice"),
 * each term counted once:
 * - the utilization target is the only head-room on the peak;
 * - spares are added only where that head-room cannot carry the peak after the failure the policy
 *   guards against (one replica with a single failure domain, one whole domain with several);
 * - the rollout surge is bought only while a rollout runs, never in the steady fleet.
 * Rounding to whole nodes is the offer's (a catalog row's soldBy), not the policy's: see gpusBought.
 */
export interface SizingPolicy {
  /** Share of a replica's goodput capacity planned to be used at peak (the reference: 0.6–0.8). */
  targetUtilization: number
  /** Failure domains (zones) the fleet is spread over, evenly. */
  failureDomains: number
  /**
   * Replicas that may fail at once in a single failure domain (1 = N+1). With several domains the
   * unit of failure is one whole domain instead. 0: no failure is guarded against.
   */
  sparePerFailureDomain: number
  /** Extra replicas during a rolling update, as a fraction of the base (Kubernetes' maxSurge 25%). */
  surgeFraction: number
  /** Months in which rollouts run (the plan's cut-over windows): the surge is paid only then. */
  rolloutMonths: number
}

/** Replicas lost in the failure the policy guards against, for a fleet of `replicas` spread evenly. */
function replicasLostInFailure(replicas: number, policy: Pick<SizingPolicy, 'failureDomains' | 'sparePerFailureDomain'>): number {
  if (policy.sparePerFailureDomain === 0) return 0
  // One domain of D holds at most ⌈n / D⌉ of n replicas spread evenly.
  if (policy.failureDomains > 1) return Math.ceil(replicas / policy.failureDomains)
  return policy.sparePerFailureDomain
}

/**
 * The policy's terms at one capacity per replica:
 *   base  = ⌈peak / (capacity × target utilization)⌉ (at least 1);
 *   spare = the fewest replicas to add to base so that, after the failure the policy guards
 *           against, the survivors carry the peak at full SLO capacity: (n − lost(n)) × capacity ≥ peak;
 *           0 when the utilization head-room already covers it;
 *   surge = ⌈base × surgeFraction⌉, during rollouts only.
 */
function replicaTerms(
  peakRequestsPerS: number,
  capacity: number,
  policy: SizingPolicy,
): { base: number; spare: number; surge: number; steady: number; survivorsNeeded: number; lost: number } {
  const base = Math.max(1, Math.ceil(peakRequestsPerS / (capacity * policy.targetUtilization) - 1e-9))
  // Survivors needed at full capacity; a finite capacity needs at least one.
  const survivorsNeeded = Number.isFinite(capacity) ? Math.max(1, Math.ceil(peakRequestsPerS / capacity - 1e-9)) : 1
  let steady = base
  // Bounded: each step adds one replica and lost(n) grows by at most one per failureDomains replicas.
  for (let guard = 0; guard < 100_000 && steady - replicasLostInFailure(steady, policy) < survivorsNeeded; guard++) steady++
  return {
    base,
    spare: steady - base,
    surge: Math.ceil(base * policy.surgeFraction - 1e-9),
    steady,
    survivorsNeeded,
    lost: replicasLostInFailure(steady, policy),
  }
}

const fixed = (value: number, digits = 2): string => (Number.isInteger(value) ? String(value) : value.toFixed(digits))

const NO_ROLLOUT_MONTH = 'for no month (no rollout window given: rolloutMonths 0)'

/** Each term of the policy in words: how it was counted and what it buys. */
function describeTerms(peakRequestsPerS: number, capacity: number, policy: SizingPolicy): { base: string; spare: string; surge: string } {
  const t = replicaTerms(peakRequestsPerS, capacity, policy)
  const u = `${fixed(policy.targetUtilization * 100, 0)}%`
  const base =
    `⌈${fixed(peakRequestsPerS)} / (${fixed(capacity)} × ${policy.targetUtilization})⌉ = ${t.base}: the peak at ` +
    `${u} of each replica's SLO capacity, the only head-room on the peak`
  let spare: string
  if (policy.sparePerFailureDomain === 0) spare = '0: no failure guarded against (sparePerFailureDomain 0)'
  else {
    const failure =
      policy.failureDomains > 1
        ? `losing one of ${policy.failureDomains} failure domains (replicas spread evenly: up to ${t.lost} in one)`
        : `losing ${policy.sparePerFailureDomain} replica${policy.sparePerFailureDomain === 1 ? '' : 's'} ` +
          `(N+${policy.sparePerFailureDomain}; one failure domain, so no zone can fail over)`
    const buys =
      `after ${failure}, the other ${t.steady - t.lost} carry the peak at full SLO capacity (⌈${fixed(peakRequestsPerS)} / ${fixed(capacity)}⌉ = ` +
      `${t.survivorsNeeded} needed)`
    spare = t.spare === 0 ? `0: ${buys}; the utilization head-room already covers it` : `${t.spare}: ${buys}`
  }
  const months = policy.rolloutMonths
  const surge =
    `⌈${t.base} × ${policy.surgeFraction}⌉ = ${t.surge} extra replica${t.surge === 1 ? '' : 's'} while a rollout runs, paid ` +
    `${months > 0 ? `for ${fixed(months)} month${months === 1 ? '' : 's'} of rollouts` : NO_ROLLOUT_MONTH}, not in the steady fleet`
  return { base, spare, surge }
}

/**
 * Replicas and GPUs the steady fleet needs (base + spare, before any rounding to what an offer
 * sells), and the rollout surge beside it. Returns the counts at the capacity's estimate, and at
 * its high (fewest replicas; one base replica when unbounded) and low (most; null when the low end
 * is 0) ends. The estimate must be > 0.
 */
export function sizeFleet(
  peakRequestsPerS: number,
  capacityPerReplica: Estimate,
  gpusPerReplica: number,
  policy: SizingPolicy,
): Pick<EndpointSizing, 'replicas' | 'gpus'> {
  const atEstimate = replicaTerms(peakRequestsPerS, capacityPerReplica.estimate, policy)
  // high null: the capacity is unbounded above (a model error of 100% or more): one base replica.
  const fewest = replicaTerms(peakRequestsPerS, capacityPerReplica.high ?? Number.POSITIVE_INFINITY, policy).steady
  const most = capacityPerReplica.low > 0 ? replicaTerms(peakRequestsPerS, capacityPerReplica.low, policy).steady : null
  return {
    replicas: {
      base: atEstimate.base,
      spare: atEstimate.spare,
      surge: atEstimate.surge,
      total: atEstimate.steady,
      low: fewest,
      high: most,
      terms: describeTerms(peakRequestsPerS, capacityPerReplica.estimate, policy),
    },
    gpus: {
      total: atEstimate.steady * gpusPerReplica,
      low: fewest * gpusPerReplica,
      high: most === null ? null : most * gpusPerReplica,
      surge: atEstimate.surge * gpusPerReplica,
    },
  }
}

/** GPUs bought for `gpus` needed: rounded up to whole nodes where the offer sells nodes, else as many as needed. */
export function gpusBought(gpus: number, unit: SaleUnit): number {
  if (unit.soldBy === 'gpu') return gpus
  return Math.ceil(gpus / unit.gpusPerNode - 1e-9) * unit.gpusPerNode
}
