import { type SizeOptions, runSizing } from '../sizing/run.js'
import { sizingPolicyOf } from './size-scenario.js'
import type { Inventory, InventoryWorkload } from '../io/schema/inventory.js'
import type { SizeStep } from '../io/schema/scenario.js'
import { loadProfile } from '../io/schema/sim-profile.js'
import { UserError } from '../util/errors.js'
import type { StopCheck } from '../util/interrupt.js'

/**
 * A sizing per workload (issue 17, scope 1): each workload whose model the inventory's `sizing.profiles`
 * names is searched in the simulator at its own peak rate, token lengths and SLO, with the scenario's
 * size: policy, through the same runSizing as `geopat size`. Its GPUs replace the inventory's
 * traffic.gpus for the plan (and so for the TCO, which bills the GPUs the plan gives each move).
 */

export interface WorkloadSizing {
  workload: string
  profile: string
  peakRequestsPerS: number
  inputTokens: number
  outputTokens: number
  slo: { ttftMs: number; tpotMs: number }
  /** GPUs for its peak at its SLO under the policy (replicas × GPUs per replica), and the inventory's figure it replaces. */
  gpus: number
  inventoryGpus: number
  replicas: number
  gpusPerReplica: number
  /** Capacity per replica, req/s (estimate and interval). */
  capacityPerReplica: { estimate: number; low: number; high: number | null }
}

/** Which workloads get a sizing of their own: not retired, some traffic, and a model the inventory gives a profile for. */
export function workloadsToSize(inventory: Inventory): InventoryWorkload[] {
  const profiles = inventory.sizing?.profiles ?? {}
  return inventory.workloads.filter((w) => !w.retire && w.traffic.peakRequestsPerS > 0 && profiles[w.current.model] !== undefined)
}

export async function sizeWorkloads(inventory: Inventory, inventoryFile: string, step: SizeStep, seed: number, stop?: StopCheck): Promise<WorkloadSizing[]> {
  const profiles = inventory.sizing?.profiles ?? {}
  const results: WorkloadSizing[] = []
  for (const workload of workloadsToSize(inventory)) {
    const name = profiles[workload.current.model] as string
    let profile: ReturnType<typeof loadProfile>
    try {
      profile = loadProfile(name)
    } catch (error) {
      throw new UserError(
        `${inventoryFile}: sizing.profiles.${workload.current.model}: ${error instanceof Error ? error.message.replace(/^--profile: /, '') : String(error)}`,
      )
    }
    const options: SizeOptions = {
      peakRequestsPerS: workload.traffic.peakRequestsPerS,
      sources: [
        {
          kind: 'simulated',
          label: workload.name,
          profile,
          confidential: false,
          inputTokens: workload.traffic.inputTokensPerRequest,
          outputTokens: workload.traffic.outputTokensPerRequest,
          gpusPerReplica: profile.gpu.count,
        },
      ],
      slo: { ttftMs: workload.slo.ttftMs, tpotMs: workload.slo.tpotMs },
      attainment: step.attainment,
      policy: sizingPolicyOf(step),
      prices: [],
      simulation: { searches: step.searches, durationS: step.simulatedSeconds, seed },
      ...(stop ? { stop } : {}),
    }
    const sized = (await runSizing(options)).endpoints[0]
    if (!sized) continue
    results.push({
      workload: workload.name,
      profile: name,
      peakRequestsPerS: workload.traffic.peakRequestsPerS,
      inputTokens: workload.traffic.inputTokensPerRequest,
      outputTokens: workload.traffic.outputTokensPerRequest,
      slo: { ttftMs: workload.slo.ttftMs, tpotMs: workload.slo.tpotMs },
      gpus: sized.gpus.total,
      inventoryGpus: workload.traffic.gpus,
      replicas: sized.replicas.total,
      gpusPerReplica: sized.gpusPerReplica,
      capacityPerReplica: {
        estimate: sized.capacityPerReplica.ratePerS.estimate,
        low: sized.capacityPerReplica.ratePerS.low,
        high: sized.capacityPerReplica.ratePerS.high,
      },
    })
  }
  return results
}

/** The inventory with each sized workload's traffic.gpus replaced by its own sizing. */
export function withSizedGpus(inventory: Inventory, sized: WorkloadSizing[]): Inventory {
  const gpus = new Map(sized.map((s) => [s.workload, s.gpus]))
  return {
    ...inventory,
    workloads: inventory.workloads.map((w) => (gpus.has(w.name) ? { ...w, traffic: { ...w.traffic, gpus: gpus.get(w.name) as number } } : w)),
  }
}
