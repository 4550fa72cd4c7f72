import { dirname, join, resolve } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { runCompare } from './compare.js'
import { readBenchSummary, runSizing } from '../sizing/run.js'
import { runTcoModel } from './tco.js'
import { runBench } from './bench.js'
import type { StopSignal } from '../load/runner.js'
import type { ProgressReporter } from './progress.js'
import { SERVER_LOST_EXIT_CODE, describeServerLost } from '../load/server-watch.js'
import { claimRunFolder, makeRunId, prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import { writePlanFiles } from '../io/output/plan-formats.js'
import { formatSizing, sizeLine } from '../io/output/sizing-format.js'
import { loadCatalog } from '../pricing/catalog.js'
import { buildPlan, loadInventory } from '../plan/build-plan.js'
import { catalogCostRanking } from '../plan/estate.js'
import { writeReport } from '../report/build.js'
import { latencyEvidence } from '../plan/evidence.js'
import type { Scenario } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { Interrupted } from '../util/interrupt.js'
import { sizeOptionsForScenario } from './size-scenario.js'
import { headlineNpvCost, headlineSavings } from '../tco/headline.js'
import { sizeWorkloads, withSizedGpus } from './size-workloads.js'

export interface RunStep {
  step: 'bench' | 'compare' | 'size' | 'tco' | 'plan' | 'report'
  folder: string
  seconds: number
  /** One line on what it found. */
  headline: string
}

export interface ScenarioRunResult {
  runDir: string
  /** The steps that wrote their output (an interrupted bench or compare too: its summary covers what it measured). */
  steps: RunStep[]
  report: string | null
  /** Stopped by Ctrl-C (the stop signal) before every step had run. */
  interrupted: boolean
  /** The step running when the stop came (null: between steps, or not interrupted). */
  interruptedStep: RunStep['step'] | null
  /** The steps the scenario names that the stop came before. */
  notRun: Array<RunStep['step']>
}

export interface ScenarioRunOptions {
  scenario: Scenario
  /** The scenario file: relative paths inside it are read from its folder. */
  source: string
  outDir?: string
  /** --overwrite: replace geopat's files in an --out that holds an earlier run. */
  overwrite?: boolean
  /** --catalog: catalog files beside the built-in ones (a refreshed catalog); the freshest row of an id prices it in size, plan and tco. */
  catalogFiles?: string[]
  /** --fx: FX files beside the built-in one. */
  fxFiles?: string[]
  log: (line: string) => void
  /** Where load steps report their progress (the terminal line of `geopat run`). */
  progress?: ProgressReporter
  stop: StopSignal
}

/**
 * `geopat run`: every step a scenario names, each into its own folder of one run folder —
 * bench (or compare when the scenario has a compare: section), size, plan, tco (its GPUs from the
 * sizing, its moves timed by the plan) — and report.html over all of them. A step that fails stops the run with its one-line error; what earlier steps
 * wrote stays. Ctrl-C (`stop`) ends the run in any step or between two: bench and compare write the
 * summary of what they measured, size stops its searches, what earlier steps wrote stays, and no
 * report is written; the result names the steps that did not run.
 */
export async function runScenario(options: ScenarioRunOptions): Promise<ScenarioRunResult> {
  // A bad --catalog or --fx file is one line before anything runs, not after a bench of minutes.
  if ((options.catalogFiles ?? []).length + (options.fxFiles ?? []).length > 0) loadCatalog({ files: options.catalogFiles ?? [], fxFiles: options.fxFiles ?? [] })
  // One run folder for one run: checked and locked here, its steps write inside it (outDirHeld).
  const runId = makeRunId(options.scenario.name ?? 'run')
  const folder = claimRunFolder({ outDir: options.outDir ?? options.scenario.out, runId, overwrite: options.overwrite ?? false, log: options.log })
  try {
    return await runScenarioIn(options, folder.dir)
  } finally {
    folder.release()
  }
}

async function runScenarioIn(options: ScenarioRunOptions, runDir: string): Promise<ScenarioRunResult> {
  const { scenario, log } = options
  const pricing = { catalogFiles: options.catalogFiles ?? [], fxFiles: options.fxFiles ?? [] }
  const near = (path: string): string => resolve(dirname(options.source), path)
  const steps: RunStep[] = []
  let interruptedStep: RunStep['step'] | null = null
  // Each step gets its own stop signal, following the run's only while the step runs: a later
  // Ctrl-C does not call what a finished step left listening (bench's grace message).
  const timed = async (step: RunStep['step'], folder: string, work: (stop: StopSignal) => Promise<string>): Promise<void> => {
    const started = performance.now()
    log(`── ${step} → ${folder}`)
    const { signal: stepStop, release: follow } = options.stop.follower()
    try {
      const headline = await work(stepStop)
      steps.push({ step, folder, seconds: (performance.now() - started) / 1000, headline })
      if (stepStop.stopped) interruptedStep = step
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error
      interruptedStep = step
    } finally {
      follow()
    }
  }
  // A step that never yields (plan, tco) sees Ctrl-C only once the event loop turns.
  const stopped = async (): Promise<boolean> => {
    await nextTurn()
    return options.stop.stopped
  }
  const interruptedResult = (): ScenarioRunResult => {
    const named: Array<RunStep['step']> = [scenario.compare ? 'compare' : 'bench', ...(scenario.size ? (['size'] as const) : []), ...(scenario.plan ? (['plan'] as const) : []), ...(scenario.tco ? (['tco'] as const) : []), 'report']
    const notRun = named.filter((step) => step !== interruptedStep && !steps.some((done) => done.step === step))
    const cut = interruptedStep === null ? '' : steps.some((done) => done.step === interruptedStep) ? ` (${interruptedStep} wrote what it had measured)` : ` (${interruptedStep} wrote nothing)`
    log(`interrupted ${interruptedStep ? `during ${interruptedStep}` : `after ${steps.at(-1)?.step ?? 'the start'}`}${cut}; not run: ${notRun.join(', ')}; what ran is kept in ${runDir}`)
    return { runDir, steps, report: null, interrupted: true, interruptedStep, notRun }
  }

  let measured: { folder: string; file: string } | undefined
  if (scenario.compare) {
    const folder = join(runDir, 'compare')
    await timed('compare', folder, async (stop) => {
      const result = await runCompare({ scenario, source: options.source, outDir: folder, outDirHeld: true, log, ...(options.progress ? { progress: options.progress } : {}), stop })
      if (result.writeFailure) throw new UserError(result.writeFailure, 1)
      const lost = result.summary.serverLost?.[0]
      if (lost) throw serverLostError(`${lost.endpoint}: ${describeServerLost(lost)}`, 'compare', folder)
      return `${result.summary.operatingPoints.length} operating point(s), ${result.summary.operatingPoints[0]?.arms.length ?? 0} arms`
    })
  } else {
    const folder = join(runDir, 'bench')
    await timed('bench', folder, async (stop) => {
      const result = await runBench({ scenario, source: options.source, outDir: folder, outDirHeld: true, log, ...(options.progress ? { progress: options.progress } : {}), stop })
      if (result.writeFailure) throw new UserError(result.writeFailure, 1)
      const lost = result.summary.runs.find((run) => run.serverLost)
      if (lost?.serverLost) throw serverLostError(`${lost.endpoint.label}: ${describeServerLost(lost.serverLost)}`, 'bench', folder)
      measured = { folder, file: join(folder, 'summary.json') }
      return `${result.summary.runs.length} run(s) over ${new Set(result.summary.runs.map((r) => r.endpoint.label)).size} endpoint(s)`
    })
  }
  if (await stopped()) return interruptedResult()

  if (scenario.size) {
    const folder = prepareOutputDir(join(runDir, 'size'))
    const step = scenario.size
    await timed('size', folder, async (stop) => {
      const bench = measured ? readBenchSummary(measured.folder) : undefined
      const sizing = await runSizing({ ...sizeOptionsForScenario(scenario, step, options.source, bench, pricing), stop })
      writeFileAtomic(join(folder, 'sizing.json'), `${JSON.stringify(sizing, null, 2)}\n`)
      log(formatSizing(sizing))
      return sizeLine(sizing)
    })
    if (await stopped()) return interruptedResult()
  }

  if (scenario.plan) {
    const inventoryFile = near(scenario.plan.inventory)
    const folder = prepareOutputDir(join(runDir, 'plan'))
    await timed('plan', folder, async (stop) => {
      let inventory = loadInventory(inventoryFile)
      // A sizing per workload: its own peak, token lengths and SLO, under the scenario's size: policy.
      let sizedNote = ''
      if (scenario.size && inventory.sizing) {
        const sized = await sizeWorkloads(inventory, inventoryFile, scenario.size, scenario.load.seed ?? 1, stop)
        writeFileAtomic(join(folder, 'workload-sizing.json'), `${JSON.stringify({ inventoryFile, workloads: sized }, null, 2)}\n`)
        for (const s of sized) log(`  ${s.workload}: ${s.gpus} GPUs (${s.replicas} × ${s.gpusPerReplica}, ${s.capacityPerReplica.estimate.toFixed(2)} req/s per replica on ${s.profile}) for ${s.peakRequestsPerS} req/s at TTFT ≤ ${s.slo.ttftMs} ms, TPOT ≤ ${s.slo.tpotMs} ms; the inventory says ${s.inventoryGpus}`)
        inventory = withSizedGpus(inventory, sized)
        sizedNote = `, GPUs of ${sized.length} workload(s) from their own sizing`
      }
      const workloadCostOf = catalogCostRanking(inventory, inventoryFile, loadCatalog({ files: pricing.catalogFiles, fxFiles: pricing.fxFiles }))
      const plan = buildPlan({ inventory, inventoryFile, evidence: latencyEvidence(measured ? [measured.folder] : []), workloadCostOf })
      writePlanFiles(plan, folder)
      return `${plan.waves.length} wave(s), ${plan.conflicts.length} conflict(s)${sizedNote}`
    })
    if (await stopped()) return interruptedResult()
  }

  if (scenario.tco) {
    const model = near(scenario.tco.model)
    const folder = join(runDir, 'tco')
    await timed('tco', folder, async () => {
      const sized = steps.find((s) => s.step === 'size')?.folder
      const planned = steps.find((s) => s.step === 'plan')?.folder
      const { result } = runTcoModel({
        modelFile: model,
        catalogFiles: pricing.catalogFiles,
        fxFiles: pricing.fxFiles,
        seed: scenario.load.seed,
        ...(sized ? { from: sized } : {}),
        ...(planned ? { plan: planned } : {}),
        outDir: folder,
      })
      const feasible = result.options.filter((o) => o.feasible && o.deterministic !== null)
      const money = (value: number): string => `${Math.round(value).toLocaleString('en')} ${result.model.currency}`
      if (planned) {
        // One estate: each option carries the plan's moves to that offer, so each saving is that part of the plan (P50 of the per-draw savings where the Monte Carlo ran).
        const baseline = result.options.find((o) => o.baseline)
        const saving = (o: (typeof feasible)[number]): number => headlineSavings(o) ?? 0
        const parts = feasible.filter((o) => !o.baseline).map((o) => `${o.id} ${money(saving(o))}`)
        const total = feasible.reduce((sum, o) => sum + (o.baseline ? 0 : saving(o)), 0)
        const basis = feasible.some((o) => o.monteCarlo?.savings) ? 'P50' : 'deterministic'
        return `today's estate ${money((baseline ? headlineNpvCost(baseline) : null) ?? 0)} (NPV of costs, ${baseline?.monteCarlo ? 'P50' : 'deterministic'}); savings of the plan's moves by offer (${basis}): ${parts.join(', ') || 'none'} (together ${money(total)}${basis === 'P50' ? ', the sum of their P50s' : ''})`
      }
      // The headline basis: the Monte Carlo P50 (the deterministic case only without one).
      const headline = (o: (typeof feasible)[number]): number => headlineNpvCost(o) ?? 0
      const cheapest = feasible.sort((a, b) => headline(a) - headline(b))[0]
      return cheapest ? `cheapest feasible option ${cheapest.id} (NPV of costs ${money(headline(cheapest))} ${cheapest.monteCarlo ? 'P50' : 'deterministic'})` : 'no feasible option'
    })
    if (await stopped()) return interruptedResult()
  }

  const file = join(runDir, 'report.html')
  const title = scenario.report.title ?? scenario.description ?? scenario.name
  let report: string | null = null
  await timed('report', file, async () => {
    const written = await writeReport({ from: steps.map((s) => s.folder), out: file, ...(title !== undefined ? { title } : {}) })
    report = written.file
    return `${written.sections.length} sections, ${(written.bytes / 1024).toFixed(0)} KiB`
  })
  // Ctrl-C while the report was written: it is kept (it is whole), and the run still says it was stopped.
  if (await stopped()) {
    log(`interrupted during report (the report was written); what ran is kept in ${runDir}`)
    return { runDir, steps, report, interrupted: true, interruptedStep: 'report', notRun: [] }
  }
  return { runDir, steps, report, interrupted: false, interruptedStep: null, notRun: [] }
}

/**
 * A measuring step whose server went away ends the run (exit code 3): sizing, costs and a report
 * from a run cut short by its server would mislead. What the step measured stays in its folder.
 */
function serverLostError(what: string, step: RunStep['step'], folder: string): UserError {
  return new UserError(`${what}; the run stops after ${step} (what it measured is in ${folder})`, SERVER_LOST_EXIT_CODE)
}
