import { join } from 'node:path'
import { describe, it } from 'vitest'
import { expectGoldenJson, expectGoldenText, masked, useGoldenRun } from './golden.js'
import { benchOutputs, shippedScenario, sizeStep } from './scenarios.js'

// scenarios/quickstart.yaml (geopat run): its bench summary recomputed from recorded records, and
// its sizing searched in the simulator's virtual time. Golden files: test/fixtures/golden/quickstart/.
describe('golden: scenarios/quickstart.yaml', () => {
  const run = useGoldenRun('quickstart')

  it('bench: summary.json and summary.csv from the recorded records.jsonl', async () => {
    const bench = await benchOutputs('quickstart-bench')
    expectGoldenJson('quickstart/bench-summary.json', masked(bench.summary, run.roots))
    expectGoldenText('quickstart/summary.csv', bench.summaryCsv)
  })

  it('size: sizing.json of both endpoints, priced from the catalog', async () => {
    const { file, scenario } = shippedScenario('quickstart')
    const sizing = await sizeStep(scenario, file, join(run.out, 'size'))
    expectGoldenJson('quickstart/sizing.json', masked(sizing, run.roots))
  }, 180_000) // tens of seconds on a loaded 2-core machine
})
