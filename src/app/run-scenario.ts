import { setImmediate as nextTurn } from 'node:timers/promises'
import { StopSignal, stopOnSignals } from '../load/runner.js'
import { claimRunFolder, makeRunId } from '../io/output/files.js'
import { type Catalog, loadCatalog } from '../pricing/catalog.js'
import type { RunContext, RunStep, ScenarioRunOptions, ScenarioRunResult } from './run-context.js'
import { measureStep, planStep, reportStep, sizeStep, tcoStep } from './run-steps.js'

export type { RunStep, ScenarioRunOptions, ScenarioRunResult } from './run-context.js'

/**
 * `geopat run`: every step a scenario names, each into its own folder of one run folder —
 * bench (or compare when the scenario has a compare: section), size, plan, tco (its GPUs from the
 * sizing, its moves timed by the plan) — and report.html over all of them. A step that fails stops
 * the run with its one-line error; what earlier steps wrote stays. Ctrl-C (`stop`) ends the run in
 * any step or between two: bench and compare write the summary of what they measured, size stops
 * its searches, what earlier steps wrote stays, and no report is written; the result names the
 * steps that did not run.
 */
export async function runScenario(options: ScenarioRunOptions): Promise<ScenarioRunResult> {
  const catalog = catalogOnce(options.catalogFiles ?? [], options.fxFiles ?? [])
  // A bad catalog or FX file is one line before anything runs, not after a bench of minutes.
  if ((options.catalogFiles ?? []).length + (options.fxFiles ?? []).length > 0) catalog()
  // One run folder for one run: checked and locked here, its steps write inside it (outDirHeld).
  const runId = makeRunId(options.scenario.name ?? 'run')
  const folder = claimRunFolder({ outDir: options.outDir ?? options.scenario.out, runId, overwrite: options.overwrite ?? false, log: options.log })
  const stop = options.stop ?? new StopSignal()
  const removeSignalHandlers = options.stop ? () => undefined : stopOnSignals(stop)
  try {
    return await runSteps({ options, scenario: options.scenario, runDir: folder.dir, stop, catalog, steps: [], interruptedStep: null })
  } finally {
    removeSignalHandlers()
    folder.release()
  }
}

/** The steps in their order; after each, a stop ends the run with what ran. */
async function runSteps(run: RunContext): Promise<ScenarioRunResult> {
  const { scenario } = run
  await measureStep(run)
  if (await stopped(run)) return interruptedResult(run)
  const later = [scenario.size ? sizeStep : null, scenario.plan ? planStep : null, scenario.tco ? tcoStep : null]
  for (const step of later) {
    if (step === null) continue
    await step(run)
    if (await stopped(run)) return interruptedResult(run)
  }
  const report = await reportStep(run)
  // Ctrl-C while the report was written: it is kept (it is whole), and the run still says it was stopped.
  if (await stopped(run)) {
    run.options.log(`interrupted during report (the report was written); what ran is kept in ${run.runDir}`)
    return { runDir: run.runDir, steps: run.steps, report, interrupted: true, interruptedStep: 'report', notRun: [] }
  }
  return { runDir: run.runDir, steps: run.steps, report, interrupted: false, interruptedStep: null, notRun: [] }
}

/** Whether the run has been stopped; a step that never yields (plan, tco) sees Ctrl-C only once the event loop turns. */
async function stopped(run: RunContext): Promise<boolean> {
  await nextTurn()
  return run.stop.stopped
}

/** The result of a stopped run: what ran, where the stop came, and the steps it came before. */
function interruptedResult(run: RunContext): ScenarioRunResult {
  const { scenario, steps, interruptedStep, runDir } = run
  const named: Array<RunStep['step']> = [
    scenario.compare ? 'compare' : 'bench',
    ...(scenario.size ? (['size'] as const) : []),
    ...(scenario.plan ? (['plan'] as const) : []),
    ...(scenario.tco ? (['tco'] as const) : []),
    'report',
  ]
  const notRun = named.filter((step) => step !== interruptedStep && !steps.some((done) => done.step === step))
  const cut =
    interruptedStep === null
      ? ''
      : steps.some((done) => done.step === interruptedStep)
        ? ` (${interruptedStep} wrote what it had measured)`
        : ` (${interruptedStep} wrote nothing)`
  run.options.log(
    'interrupted ' +
      `${interruptedStep ? `during ${interruptedStep}` : `after ${steps.at(-1)?.step ?? 'the start'}`}${cut}; not ` +
      `run: ${notRun.join(', ')}; what ran is kept in ${runDir}`,
  )
  return { runDir, steps, report: null, interrupted: true, interruptedStep, notRun }
}

/** The catalog of these files, loaded on the first call and kept. */
function catalogOnce(files: string[], fxFiles: string[]): () => Catalog {
  let loaded: Catalog | undefined
  return () => {
    loaded ??= loadCatalog({ files, fxFiles })
    return loaded
  }
}
