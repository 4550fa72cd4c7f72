import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { REPO_ROOT } from './cli.js'

/**
 * scenarios/quickstart.yaml as shipped, its endpoints and prices unchanged, with few, short requests
 * and one short simulated search per endpoint, so that a `geopat run` of it stays short in a test.
 * Written to `folder`; returns its path and the scenario's size.prices.
 */
export function shortenedQuickstart(folder: string): { file: string; prices: Array<{ endpoint: string; catalogRow: string }> } {
  const scenario = YAML.parse(readFileSync(join(REPO_ROOT, 'scenarios', 'quickstart.yaml'), 'utf8'))
  scenario.load = { ...scenario.load, requests: 8, concurrency: 4 }
  scenario.input.inputTokens = { dist: 'lognormal', mean: 100, std: 50, min: 4, max: 256 }
  scenario.input.outputTokens = { dist: 'lognormal', mean: 60, std: 30, min: 4, max: 128 }
  scenario.size = { ...scenario.size, peakRequestsPerS: 10, searches: 1, simulatedSeconds: 10 }
  scenarioSchema.parse(scenario)
  const file = join(folder, 'quickstart-short.yaml')
  writeFileSync(file, YAML.stringify(scenario))
  return { file, prices: scenario.size.prices }
}
