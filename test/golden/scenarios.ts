import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { summarizeRun } from '../../src/metrics/summarize.js'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { readRecords } from '../../src/io/output/records-reader.js'
import { writeFileAtomic } from '../../src/io/output/files.js'
import { writePlanFiles } from '../../src/io/output/plan-formats.js'
import { summaryToCsv } from '../../src/metrics/summary-csv.js'
import { sizeOptionsForScenario } from '../../src/app/size-scenario.js'
import { sizeWorkloads, withSizedGpus } from '../../src/app/size-workloads.js'
import { buildPlan, loadInventory } from '../../src/plan/build-plan.js'
import { catalogCostRanking } from '../../src/plan/estate.js'
import { latencyEvidence } from '../../src/plan/evidence.js'
import { loadYamlFile } from '../../src/io/schema/load-file.js'
import type { Plan } from '../../src/io/schema/plan.js'
import { type Scenario, scenarioSchema } from '../../src/io/schema/scenario.js'
import type { SizingResult } from '../../src/io/schema/sizing.js'
import { type BenchSummary, benchSummarySchema } from '../../src/io/schema/summary.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { runSizing } from '../../src/sizing/run.js'
import { runTcoModel } from '../../src/app/tco.js'
import type { TcoResult } from '../../src/io/schema/tco-result.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { GOLDEN_DIR } from './golden.js'

// Every import from src/ of the golden tests is in this file: when the refactor moves a function,
// only these imports change; the golden files must not.
export { GEOPAT_VERSION } from '../../src/util/version.js'

export const SCENARIOS = join(REPO_ROOT, 'scenarios')

/**
 * Simulated seconds per rate tried in the sizing searches (the scenarios ship 120; the schema's
 * minimum is 10). The only knob shortened: the same searches (3 seeds), rates, SLO, policy and
 * prices run the same code, on a third of the simulated traffic, so the golden test stays short.
 */
export const GOLDEN_SIMULATED_SECONDS = 40

/** A shipped scenario, its sizing searches shortened to GOLDEN_SIMULATED_SECONDS. */
export function shippedScenario(name: string): { file: string; scenario: Scenario } {
  const file = join(SCENARIOS, `${name}.yaml`)
  const scenario = loadYamlFile(file, scenarioSchema)
  if (scenario.size) scenario.size = { ...scenario.size, simulatedSeconds: GOLDEN_SIMULATED_SECONDS }
  return { file, scenario }
}

/**
 * The bench summary of a recorded run, recomputed from its records.jsonl (test/fixtures/golden/
 * inputs/<name>/): the records are the truth, the run's facts (requested and achieved load, client
 * check) come from the summary.json recorded with them, the SLO from the scenario run.
 */
export async function benchSummaryFromRecords(input: string): Promise<BenchSummary> {
  const folder = join(GOLDEN_DIR, 'inputs', input)
  const recorded = loadYamlFile(join(folder, 'summary.json'), benchSummarySchema)
  const scenario = loadYamlFile(join(folder, 'scenario.yaml'), scenarioSchema)
  const recordsFile = join(folder, 'records.jsonl')
  const runs: BenchSummary['runs'] = []
  for (const run of recorded.runs) {
    const mine = (record: RequestRecord): boolean => record.endpoint === run.endpoint.label && record.step === run.step
    // sendEndMs only places a cool-down's start; these runs have none, so the last send stands in.
    let sendEndMs = 0
    for await (const record of readRecords(recordsFile, { validate: true, filter: mine })) sendEndMs = Math.max(sendEndMs, record.sendMs)
    runs.push(
      await summarizeRun(() => readRecords(recordsFile, { filter: mine }), {
        endpoint: run.endpoint,
        step: run.step,
        stepLabel: run.stepLabel,
        requested: run.requested,
        achieved: run.achieved,
        client: run.client,
        interrupted: run.interrupted,
        ...(run.serverLost ? { serverLost: run.serverLost } : {}),
        sendEndMs,
        slo: scenario.slo,
        warnings: [],
      }),
    )
  }
  return benchSummarySchema.parse({ ...recorded, runs })
}

export interface BenchOutputs {
  summary: BenchSummary
  summaryCsv: string
}

export async function benchOutputs(input: string, outDir?: string): Promise<BenchOutputs> {
  const summary = await benchSummaryFromRecords(input)
  const summaryCsv = summaryToCsv(summary)
  if (outDir) {
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  }
  return { summary, summaryCsv }
}

/** The size step of `geopat run` (pipeline/run-scenario.ts): sizing.json in outDir when given. */
export async function sizeStep(scenario: Scenario, file: string, outDir?: string): Promise<SizingResult> {
  if (!scenario.size) throw new Error(`${file}: no size: section`)
  const sizing = await runSizing(sizeOptionsForScenario(scenario, scenario.size, file, undefined))
  if (outDir) {
    mkdirSync(outDir, { recursive: true })
    writeFileAtomic(join(outDir, 'sizing.json'), `${JSON.stringify(sizing, null, 2)}\n`)
  }
  return sizing
}

export interface PlanOutputs {
  plan: Plan
  wavesCsv: string
  /** Each workload's own sizing (the run's plan step with an inventory sizing: section), or null. */
  workloadSizing: unknown
}

/**
 * The plan step of `geopat run` (workloads sized under the scenario's size: policy, latency
 * evidence from the bench folder) or, with no scenario, `geopat plan INVENTORY`: plan files in outDir.
 */
export async function planStep(inventoryFile: string, outDir: string, run?: { scenario: Scenario; benchDir: string }): Promise<PlanOutputs> {
  let inventory = loadInventory(inventoryFile)
  let workloadSizing: unknown = null
  if (run?.scenario.size && inventory.sizing) {
    const sized = await sizeWorkloads(inventory, inventoryFile, run.scenario.size, run.scenario.load.seed ?? 1)
    workloadSizing = { inventoryFile, workloads: sized }
    inventory = withSizedGpus(inventory, sized)
  }
  const workloadCostOf = catalogCostRanking(inventory, inventoryFile, loadCatalog({ files: [], fxFiles: [] }))
  const plan = buildPlan({ inventory, inventoryFile, evidence: latencyEvidence(run ? [run.benchDir] : []), workloadCostOf })
  mkdirSync(outDir, { recursive: true })
  writePlanFiles(plan, outDir)
  return { plan, wavesCsv: readFileSync(join(outDir, 'waves.csv'), 'utf8'), workloadSizing }
}

export interface TcoOutputs {
  result: TcoResult
  cashflowsCsv: string
  focusCsv: string
  riskEstimatesCsv: string
  /** With a plan: estate.csv (today's estate priced from the catalog). */
  estateCsv: string | null
}

/** `geopat tco MODEL` (seed, 10,000 draws), with --from a size folder and --plan a plan folder when given. */
export function tcoStep(modelFile: string, seed: number, outDir: string, inputs: { from?: string; plan?: string } = {}): TcoOutputs {
  const { result, files } = runTcoModel({ modelFile, catalogFiles: [], fxFiles: [], seed, outDir, ...inputs })
  const read = (path: string): string => readFileSync(path, 'utf8')
  return {
    result,
    cashflowsCsv: read(files.cashflows),
    focusCsv: read(files.focus),
    riskEstimatesCsv: read(files.riskEstimates),
    estateCsv: inputs.plan !== undefined ? read(join(outDir, 'estate.csv')) : null,
  }
}
