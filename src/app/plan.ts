import { join } from 'node:path'
import { makeRunId, prepareOutputDir } from '../io/output/files.js'
import { writePlanFiles } from '../io/output/plan-formats.js'
import type { Plan, PlanConflict } from '../io/schema/plan.js'
import { loadCatalog } from '../pricing/catalog.js'
import { buildPlan, loadInventory } from '../plan/build-plan.js'
import { catalogCostRanking } from '../plan/estate.js'
import { latencyEvidence } from '../plan/evidence.js'

export interface PlanRequest {
  inventoryFile: string
  /** geopat bench run folders: latency evidence for options that name a benchEndpoint. */
  from?: string[]
  /** Catalog and FX files beside the built-in ones (the freshest row of an id prices the ranking). */
  catalogFiles?: string[]
  fxFiles?: string[]
  /** Output folder (default reports/<run-id>). */
  outDir?: string
}

export interface PlanRun {
  plan: Plan
  outDir: string
  /** Conflicts that name something the inventory does not hold: the plan is written, the command still fails. */
  unknownReferences: PlanConflict[]
}

/** `geopat plan`: the inventory's phased exit plan, its options ranked by cost from the catalog, written as plan.json and its tables. */
export function runPlan(request: PlanRequest): PlanRun {
  const inventory = loadInventory(request.inventoryFile)
  const evidence = latencyEvidence(request.from ?? [])
  // Options are ranked per workload by what it would pay there, priced from the options' catalog rows.
  const workloadCostOf = catalogCostRanking(
    inventory,
    request.inventoryFile,
    loadCatalog({ files: request.catalogFiles ?? [], fxFiles: request.fxFiles ?? [] }),
  )
  const plan = buildPlan({ inventory, inventoryFile: request.inventoryFile, evidence, workloadCostOf })
  const outDir = prepareOutputDir(request.outDir ?? join('reports', makeRunId('plan')))
  writePlanFiles(plan, outDir)
  return { plan, outDir, unknownReferences: plan.conflicts.filter((c) => c.kind === 'unknown-reference') }
}
