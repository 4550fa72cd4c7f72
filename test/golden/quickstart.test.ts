import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it, vi } from 'vitest'
import { GOLDEN_TODAY, REPO_ROOTS, type Roots, expectGoldenJson, expectGoldenText, masked } from './golden.js'
import { benchOutputs, shippedScenario, sizeStep } from './scenarios.js'

// scenarios/quickstart.yaml (geopat run): its bench summary recomputed from recorded records, and
// its sizing searched in the simulator's virtual time. Golden files: test/fixtures/golden/quickstart/.
describe('golden: scenarios/quickstart.yaml', () => {
  let out: string
  let roots: Roots
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: GOLDEN_TODAY })
    out = mkdtempSync(join(tmpdir(), 'geopat-golden-quickstart-'))
    roots = [[out, '<out>'], ...REPO_ROOTS]
  })
  afterAll(() => {
    vi.useRealTimers()
    rmSync(out, { recursive: true, force: true })
  })

  it('bench: summary.json and summary.csv from the recorded records.jsonl', async () => {
    const bench = await benchOutputs('quickstart-bench')
    expectGoldenJson('quickstart/bench-summary.json', masked(bench.summary, roots))
    expectGoldenText('quickstart/summary.csv', bench.summaryCsv)
  })

  it('size: sizing.json of both endpoints, priced from the catalog', async () => {
    const { file, scenario } = shippedScenario('quickstart')
    const sizing = await sizeStep(scenario, file, join(out, 'size'))
    expectGoldenJson('quickstart/sizing.json', masked(sizing, roots))
  }, 180_000) // tens of seconds on a loaded 2-core machine
})
