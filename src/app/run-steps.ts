import { dirname, join, resolve } from 'node:path'
import { runCompare } from './compare.js'
import { runBench } from './bench.js'
import { readBenchSummary, runSizing } from '../sizing/run.js'
import { runTcoModel } from './tco.js'
import { SERVER_LOST_EXIT_CODE, describeServerLost } from '../load/server-watch.js'
import { prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import { writePlanFiles } from '../io/output/plan-formats.js'
import { buildPlan, loadInventory } from '../plan/build-plan.js'
import { catalogCostRanking } from '../plan/estate.js'
import { latencyEvidence } from '../plan/evidence.js'
import { writeReport } from '../report/build.js'
import { UserError } from '../util/errors.js'
import { type RunContext, type RunStep, timedStep } from './run-context.js'
import { planHeadline, sizeHeadline, tcoHeadline } from './run-headlines.js'
import { sizeOptionsForScenario } from './size-scenario.js'
import { sizeWorkloads, withSizedGpus } from './size-workloads.js'

/** The steps of `geopat run` (src/app/run-scenario.ts runs them in this order). */

/** bench, or compare when the scenario has a compare: section; a lost server ends the run (exit code 3). */
export async function measureStep(run: RunContext): Promise<void> {
  const { scenario, options } = run
  const common = { scenario, source: options.source, outDirHeld: true, log: options.log, ...(options.progress ? { progress: options.progress } : {}) }
  if (scenario.compare) {
    const folder = join(run.runDir, 'compare')
    await timedStep(run, 'compare', folder, async (stop) => {
      const result = await runCompare({ ...common, outDir: folder, stop })
      if (result.writeFailure) throw new UserError(result.writeFailure, 1)
      const lost = result.summary.serverLost?.[0]
      if (lost) throw serverLostError(`${lost.endpoint}: ${describeServerLost(lost)}`, 'compare', folder)
      return `${result.summary.operatingPoints.length} operating point(s), ${result.summary.operatingPoints[0]?.arms.length ?? 0} arms`
    })
    return
  }
  const folder = join(run.runDir, 'bench')
  await timedStep(run, 'bench', folder, async (stop) => {
    const result = await runBench({ ...common, ...options.benchViews, outDir: folder, stop })
    if (result.writeFailure) throw new UserError(result.writeFailure, 1)
    const lost = result.summary.runs.find((r) => r.serverLost)
    if (lost?.serverLost) throw serverLostError(`${lost.endpoint.label}: ${describeServerLost(lost.serverLost)}`, 'bench', folder)
    run.measured = { folder, file: join(folder, 'summary.json') }
    return `${result.summary.runs.length} run(s) over ${new Set(result.summary.runs.map((r) => r.endpoint.label)).size} endpoint(s)`
  })
}

/** size: the scenario's endpoints sized at its size: section (the bench sweep's, with source: measured). */
export async function sizeStep(run: RunContext): Promise<void> {
  const step = run.scenario.size
  if (!step) return
  const folder = prepareOutputDir(join(run.runDir, 'size'))
  await timedStep(run, 'size', folder, async (stop) => {
    const bench = run.measured ? readBenchSummary(run.measured.folder, 'bench') : undefined
    const sizing = await runSizing({ ...sizeOptionsForScenario(run.scenario, step, run.options.source, bench, run.catalog), stop })
    writeFileAtomic(join(folder, 'sizing.json'), `${JSON.stringify(sizing, null, 2)}\n`)
    run.options.onSized?.(sizing)
    return sizeHeadline(sizing)
  })
}

/** plan: the inventory's plan, each workload with a profile sized for itself first under the size: policy. */
export async function planStep(run: RunContext): Promise<void> {
  const { scenario } = run
  if (!scenario.plan) return
  const inventoryFile = nearScenario(run, scenario.plan.inventory)
  const folder = prepareOutputDir(join(run.runDir, 'plan'))
  await timedStep(run, 'plan', folder, async (stop) => {
    let inventory = loadInventory(inventoryFile)
    let sizedWorkloads: number | null = null
    if (scenario.size && inventory.sizing) {
      // A sizing per workload: its own peak, token lengths and SLO, under the scenario's size: policy.
      const sized = await sizeWorkloads(inventory, inventoryFile, scenario.size, scenario.load.seed ?? 1, stop)
      writeFileAtomic(join(folder, 'workload-sizing.json'), `${JSON.stringify({ inventoryFile, workloads: sized }, null, 2)}\n`)
      for (const workload of sized) run.options.onWorkloadSized?.(workload)
      inventory = withSizedGpus(inventory, sized)
      sizedWorkloads = sized.length
    }
    const workloadCostOf = catalogCostRanking(inventory, inventoryFile, run.catalog())
    const plan = buildPlan({ inventory, inventoryFile, evidence: latencyEvidence(run.measured ? [run.measured.folder] : []), workloadCostOf })
    writePlanFiles(plan, folder)
    return planHeadline(plan, sizedWorkloads)
  })
}

/** tco: the model priced, its GPUs from the size step's sizing and its moves timed by the plan step's plan. */
export async function tcoStep(run: RunContext): Promise<void> {
  const { scenario } = run
  if (!scenario.tco) return
  const modelFile = nearScenario(run, scenario.tco.model)
  const folder = join(run.runDir, 'tco')
  await timedStep(run, 'tco', folder, async () => {
    const sized = run.steps.find((s) => s.step === 'size')?.folder
    const planned = run.steps.find((s) => s.step === 'plan')?.folder
    const { result } = runTcoModel({
      modelFile,
      catalogFiles: run.options.catalogFiles ?? [],
      fxFiles: run.options.fxFiles ?? [],
      catalog: run.catalog(),
      seed: scenario.load.seed,
      ...(sized ? { from: sized } : {}),
      ...(planned ? { plan: planned } : {}),
      outDir: folder,
    })
    return tcoHeadline(result, planned !== undefined)
  })
}

/** report.html over every step's folder; returns its path (null when the step was stopped). */
export async function reportStep(run: RunContext): Promise<string | null> {
  const { scenario } = run
  const file = join(run.runDir, 'report.html')
  const title = scenario.report.title ?? scenario.description ?? scenario.name
  let report: string | null = null
  await timedStep(run, 'report', file, async () => {
    const written = await writeReport({ from: run.steps.map((s) => s.folder), out: file, ...(title !== undefined ? { title } : {}) })
    report = written.file
    return `${written.sections.length} sections, ${(written.bytes / 1024).toFixed(0)} KiB`
  })
  return report
}

/** A path the scenario gives, read from the scenario file's folder. */
function nearScenario(run: RunContext, path: string): string {
  return resolve(dirname(run.options.source), path)
}

/**
 * A measuring step whose server went away ends the run (exit code 3): sizing, costs and a report
 * from a run cut short by its server would mislead. What the step measured stays in its folder.
 */
function serverLostError(what: string, step: RunStep['step'], folder: string): UserError {
  return new UserError(`${what}; the run stops after ${step} (what it measured is in ${folder})`, SERVER_LOST_EXIT_CODE)
}
