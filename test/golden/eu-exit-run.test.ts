import { join } from 'node:path'
import { describe, it } from 'vitest'
import { expectGoldenJson, expectGoldenText, masked, maskedText, textDigest, useGoldenRun } from './golden.js'
import { GEOPAT_VERSION, SCENARIOS, benchOutputs, planStep, shippedScenario, sizeStep, tcoStep } from './scenarios.js'

// scenarios/eu-exit.yaml as `geopat run` chains it: bench (recomputed from recorded records), size,
// plan (each workload sized, the bench as latency evidence), tco (GPUs from the sizing, moves from
// the plan, the scenario's seed). Golden files: test/fixtures/golden/eu-exit-run/.
describe('golden: scenarios/eu-exit.yaml (geopat run: bench, size, plan, tco)', () => {
  const run = useGoldenRun('eu-exit')
  const { file, scenario } = shippedScenario('eu-exit')

  // The steps share the run folder, in order; each may take tens of seconds on a loaded 2-core machine.
  const SLOW = 180_000

  it('bench: summary.json and summary.csv from the recorded records.jsonl', async () => {
    const bench = await benchOutputs('eu-exit-bench', join(run.out, 'bench'))
    expectGoldenJson('eu-exit-run/bench-summary.json', masked(bench.summary, run.roots))
    expectGoldenText('eu-exit-run/summary.csv', bench.summaryCsv)
  })

  it(
    'size: sizing.json of both endpoints, priced from the catalog in EUR',
    async () => {
      const sizing = await sizeStep(scenario, file, join(run.out, 'size'))
      expectGoldenJson('eu-exit-run/sizing.json', masked(sizing, run.roots))
    },
    SLOW,
  )

  it(
    'plan: each workload sized, the bench as latency evidence',
    async () => {
      if (!scenario.plan) throw new Error('eu-exit.yaml: expected a plan: section')
      const plan = await planStep(join(SCENARIOS, scenario.plan.inventory), join(run.out, 'plan'), { scenario, benchDir: join(run.out, 'bench') })
      expectGoldenJson('eu-exit-run/workload-sizing.json', masked(plan.workloadSizing, run.roots))
      expectGoldenJson('eu-exit-run/plan.json', masked(plan.plan, run.roots))
      expectGoldenText('eu-exit-run/waves.csv', maskedText(plan.wavesCsv, run.roots, GEOPAT_VERSION))
    },
    SLOW,
  )

  it("tco: GPUs from the sizing, moves from the plan, the scenario's seed", () => {
    if (!scenario.tco) throw new Error('eu-exit.yaml: expected a tco: section')
    const steps = { from: join(run.out, 'size'), plan: join(run.out, 'plan') }
    const tco = tcoStep(join(SCENARIOS, scenario.tco.model), scenario.load.seed ?? 1, join(run.out, 'tco'), steps)
    expectGoldenJson('eu-exit-run/tco.json', masked(tco.result, run.roots))
    expectGoldenText('eu-exit-run/cashflows.csv', maskedText(tco.cashflowsCsv, run.roots, GEOPAT_VERSION))
    expectGoldenText('eu-exit-run/estate.csv', maskedText(tco.estateCsv ?? '', run.roots, GEOPAT_VERSION))
    expectGoldenJson('eu-exit-run/focus-digest.json', textDigest(maskedText(tco.focusCsv, run.roots, GEOPAT_VERSION)))
  })
})
