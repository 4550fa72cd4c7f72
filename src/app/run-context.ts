import type { BenchViews } from './bench.js'
import type { StopSignal } from '../load/runner.js'
import type { ProgressReporter } from './progress.js'
import type { Scenario } from '../io/schema/scenario.js'
import type { SizingResult } from '../io/schema/sizing.js'
import type { Catalog } from '../pricing/catalog.js'
import { Interrupted } from '../util/interrupt.js'
import type { WorkloadSizing } from './size-workloads.js'

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
  /** Replace geopat's files in an outDir that holds an earlier run. */
  overwrite?: boolean
  /** Catalog files beside the built-in ones (a refreshed catalog); the freshest row of an id prices it in size, plan and tco. */
  catalogFiles?: string[]
  /** FX files beside the built-in one. */
  fxFiles?: string[]
  /** The run's status lines (each step's start, bench and compare's own lines, an interruption). */
  log: (line: string) => void
  /** What the bench step shows as it goes (the cli renders it). */
  benchViews?: BenchViews
  /** The size step's sizing, once written (the cli shows it). */
  onSized?: (sizing: SizingResult) => void
  /** Each workload the plan step sized for itself (the cli shows it). */
  onWorkloadSized?: (sized: WorkloadSizing) => void
  /** Where load steps report their progress (the terminal line of `geopat run`). */
  progress?: ProgressReporter
  /** Ctrl-C. Default: a stop signal that SIGINT and SIGTERM stop while the run runs. */
  stop?: StopSignal
}

/** What the steps of one run share, and what they have done so far. */
export interface RunContext {
  options: ScenarioRunOptions
  scenario: Scenario
  runDir: string
  stop: StopSignal
  /** The price catalog (built-in files, catalogFiles and fxFiles), loaded once, when a step first asks for it. */
  catalog: () => Catalog
  steps: RunStep[]
  interruptedStep: RunStep['step'] | null
  /** The bench step's run folder and summary.json (the size and plan steps read it). */
  measured?: { folder: string; file: string }
}

/**
 * Runs one step, timed, into `folder`, and records it with its headline. The step gets its own stop
 * signal, following the run's only while it runs: a later Ctrl-C does not call what a finished step
 * left listening (bench's grace message). A step that ends with Interrupted wrote nothing.
 */
export async function timedStep(run: RunContext, step: RunStep['step'], folder: string, work: (stop: StopSignal) => Promise<string>): Promise<void> {
  const started = performance.now()
  run.options.log(`── ${step} → ${folder}`)
  const { signal: stepStop, release: follow } = run.stop.follower()
  try {
    const headline = await work(stepStop)
    run.steps.push({ step, folder, seconds: (performance.now() - started) / 1000, headline })
    if (stepStop.stopped) run.interruptedStep = step
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    run.interruptedStep = step
  } finally {
    follow()
  }
}
