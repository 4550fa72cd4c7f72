import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { sizeWorkloads, withSizedGpus, workloadsToSize } from '../../src/app/size-workloads.js'
import { buildPlan, loadInventory } from '../../src/plan/build-plan.js'
import { catalogCostRanking } from '../../src/plan/estate.js'
import { sizeStepSchema } from '../../src/io/schema/scenario.js'

const INVENTORY = 'scenarios/eu-exit-inventory.yaml'

describe('a sizing per workload (geopat run with a size: step)', () => {
  it('searches each workload at its own peak, token lengths and SLO, and the plan takes its GPUs from it', async () => {
    const shipped = loadInventory(INVENTORY)
    // Two 8B workloads with different traffic shapes, kept small so the virtual-time search stays short.
    const names = ['customer-profile-rag', 'claims-fraud-signals']
    const inventory = { ...shipped, workloads: shipped.workloads.filter((w) => names.includes(w.name)) }
    expect(workloadsToSize(inventory).map((w) => w.name)).toEqual(names)
    const step = sizeStepSchema.parse({ peakRequestsPerS: 1, searches: 1, simulatedSeconds: 10 })
    const sized = await sizeWorkloads(inventory, INVENTORY, step, 7)
    expect(sized.map((s) => s.workload)).toEqual(names)
    for (const s of sized) {
      const workload = inventory.workloads.find((w) => w.name === s.workload)
      // Its own shape, not one mix for all.
      expect(s.peakRequestsPerS).toBe(workload?.traffic.peakRequestsPerS)
      expect([s.inputTokens, s.outputTokens]).toEqual([workload?.traffic.inputTokensPerRequest, workload?.traffic.outputTokensPerRequest])
      expect(s.slo).toEqual({ ttftMs: workload?.slo.ttftMs, tpotMs: workload?.slo.tpotMs })
      expect(s.profile).toBe(inventory.sizing?.profiles[workload?.current.model as string])
      expect(s.gpus).toBe(s.replicas * s.gpusPerReplica)
      // Enough replicas for its own peak at the searched capacity (any policy adds, never removes).
      expect(s.replicas * s.capacityPerReplica.estimate).toBeGreaterThanOrEqual(s.peakRequestsPerS)
    }
    // Different lengths give different capacities per replica on the same profile.
    expect(sized[0]?.capacityPerReplica.estimate).not.toBeCloseTo(sized[1]?.capacityPerReplica.estimate as number, 1)
    const planned = withSizedGpus(inventory, sized)
    const plan = buildPlan({
      inventory: planned,
      inventoryFile: INVENTORY,
      evidence: new Map(),
      workloadCostOf: catalogCostRanking(planned, INVENTORY, loadCatalog({})),
    })
    for (const s of sized) {
      const p = plan.workloads.find((w) => w.name === s.workload)
      if (p?.option && planned.options.find((o) => o.id === p.option)?.usesPlanGpus) expect(p.gpus).toBe(s.gpus)
    }
  }, 60_000)
})
