import { type Scenario, scenarioSchema } from '../../src/io/schema/scenario.js'

/**
 * A compare scenario whose blocks are as short as they go (one round of 4 requests at concurrency
 * 2, no warm-up, seed 5) and then the saturation sweep `saturation`: the tests of the sweep.
 */
export function saturationScenario(
  endpoints: unknown[],
  input: { inputTokens: number; outputTokens: number },
  saturation: { durationS: number; steps: number; maxConcurrency: number },
): Scenario {
  return scenarioSchema.parse({
    endpoints,
    load: { requests: 1, seed: 5 },
    input,
    compare: { rounds: 1, requestsPerBlock: 4, warmupRequests: 0, operatingPoints: [{ label: 'low-load', concurrency: 2 }], saturation },
  })
}
