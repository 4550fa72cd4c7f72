import { join } from 'node:path'
import { describe, it } from 'vitest'
import { expectGoldenJson, expectGoldenText, masked, maskedText, textDigest, useGoldenRun } from './golden.js'
import { GEOPAT_VERSION, SCENARIOS, planStep, tcoStep } from './scenarios.js'

// The eu-exit files on their own, as their headers run them: `geopat plan
// scenarios/eu-exit-inventory.yaml` and `geopat tco scenarios/tco-eu-exit.yaml` (seed 1, the
// command's default, 10,000 draws). Golden files: test/fixtures/golden/eu-exit-files/.
describe('golden: scenarios/eu-exit-inventory.yaml and tco-eu-exit.yaml alone', () => {
  const run = useGoldenRun('eu-exit-files')

  it('plan: plan.json and waves.csv of the inventory', async () => {
    const plan = await planStep(join(SCENARIOS, 'eu-exit-inventory.yaml'), join(run.out, 'plan'))
    expectGoldenJson('eu-exit-files/plan.json', masked(plan.plan, run.roots))
    expectGoldenText('eu-exit-files/waves.csv', maskedText(plan.wavesCsv, run.roots, GEOPAT_VERSION))
  })

  it('tco: tco.json, cashflows.csv, risk-estimates.csv and focus.csv (digest) of the model, seed 1', () => {
    const tco = tcoStep(join(SCENARIOS, 'tco-eu-exit.yaml'), 1, join(run.out, 'tco'))
    expectGoldenJson('eu-exit-files/tco.json', masked(tco.result, run.roots))
    expectGoldenText('eu-exit-files/cashflows.csv', maskedText(tco.cashflowsCsv, run.roots, GEOPAT_VERSION))
    expectGoldenText('eu-exit-files/risk-estimates.csv', maskedText(tco.riskEstimatesCsv, run.roots, GEOPAT_VERSION))
    expectGoldenJson('eu-exit-files/focus-digest.json', textDigest(maskedText(tco.focusCsv, run.roots, GEOPAT_VERSION)))
  })
})
