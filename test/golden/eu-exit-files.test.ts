import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import { GOLDEN_TODAY, REPO_ROOTS, type Roots, expectGoldenJson, expectGoldenText, masked, maskedText, textDigest } from './golden.js'
import { GEOPAT_VERSION, SCENARIOS, planStep, tcoStep } from './scenarios.js'

// The eu-exit files on their own, as their headers run them: `geopat plan
// scenarios/eu-exit-inventory.yaml` and `geopat tco scenarios/tco-eu-exit.yaml` (seed 1, the
// command's default, 10,000 draws). Golden files: test/fixtures/golden/eu-exit-files/.
describe('golden: scenarios/eu-exit-inventory.yaml and tco-eu-exit.yaml alone', () => {
  let out: string
  let roots: Roots
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: GOLDEN_TODAY })
    out = mkdtempSync(join(tmpdir(), 'geopat-golden-eu-exit-files-'))
    roots = [[out, '<out>'], ...REPO_ROOTS]
  })
  afterAll(() => {
    vi.useRealTimers()
    rmSync(out, { recursive: true, force: true })
  })

  it('plan: plan.json and waves.csv of the inventory', async () => {
    const plan = await planStep(join(SCENARIOS, 'eu-exit-inventory.yaml'), join(out, 'plan'))
    expectGoldenJson('eu-exit-files/plan.json', masked(plan.plan, roots))
    expectGoldenText('eu-exit-files/waves.csv', maskedText(plan.wavesCsv, roots, GEOPAT_VERSION))
  })

  it('tco: tco.json, cashflows.csv, risk-estimates.csv and focus.csv (digest) of the model, seed 1', () => {
    const tco = tcoStep(join(SCENARIOS, 'tco-eu-exit.yaml'), 1, join(out, 'tco'))
    expectGoldenJson('eu-exit-files/tco.json', masked(tco.result, roots))
    expectGoldenText('eu-exit-files/cashflows.csv', maskedText(tco.cashflowsCsv, roots, GEOPAT_VERSION))
    expectGoldenText('eu-exit-files/risk-estimates.csv', maskedText(tco.riskEstimatesCsv, roots, GEOPAT_VERSION))
    expectGoldenJson('eu-exit-files/focus-digest.json', textDigest(maskedText(tco.focusCsv, roots, GEOPAT_VERSION)))
  })
})
