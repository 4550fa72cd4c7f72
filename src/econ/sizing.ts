import type { EndpointSizing, Estimate } from '../schema/sizing.js'

/** How much head-room the fleet carries (shared/reference/economics.md, "Capacity sizing practice"). */
export interface SizingPolicy {
  /** Share of a replica's goodput capacity planned to be used at peak (the reference: 0.6–0.8). */
  targetUtilization: number
  /** Failure domains (zones, racks) the fleet spans. */
  failureDomains: number
  /** Spare replicas per failure domain (1 = N+1 in each). */
  sparePerFailureDomain: number
  /** Extra replicas during a rolling update, as a fraction of the base (Kubernetes' maxSurge 25%). */
  surgeFraction: number
  gpusPerNode: number
}

/**
 * replicas = ⌈peak / (capacity per replica × target utilization)⌉ + spares per failure domain +
 * rollout surge; GPUs = replicas × GPUs per replica, rounded up to whole nodes. Returns the count
 * at the capacity's estimate, and at its high (fewest replicas; one base replica when unbounded)
 * and low (most; null when the low end is 0) ends. The estimate must be > 0.
 */
export function sizeFleet(
  peakRequestsPerS: number,
  capacityPerReplica: Estimate,
  gpusPerReplica: number,
  policy: SizingPolicy,
): Pick<EndpointSizing, 'replicas' | 'gpus'> {
  const totalAt = (capacity: number) => {
    const base = Math.max(1, Math.ceil(peakRequestsPerS / (capacity * policy.targetUtilization) - 1e-9))
    const spare = policy.failureDomains * policy.sparePerFailureDomain
    const surge = Math.ceil(base * policy.surgeFraction - 1e-9)
    return { base, spare, surge, total: base + spare + surge }
  }
  const atEstimate = totalAt(capacityPerReplica.estimate)
  // high null: the capacity is unbounded above (a model error of 100% or more): one base replica.
  const fewest = totalAt(capacityPerReplica.high ?? Number.POSITIVE_INFINITY).total
  const most = capacityPerReplica.low > 0 ? totalAt(capacityPerReplica.low).total : null
  const gpusFor = (replicas: number): number => Math.ceil((replicas * gpusPerReplica) / policy.gpusPerNode) * policy.gpusPerNode
  const total = atEstimate.total * gpusPerReplica
  const nodes = Math.ceil(total / policy.gpusPerNode)
  return {
    replicas: { ...atEstimate, low: fewest, high: most },
    gpus: { total, nodes, roundedToNodes: nodes * policy.gpusPerNode, low: gpusFor(fewest), high: most === null ? null : gpusFor(most) },
  }
}
