import { afterEach } from 'vitest'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { type SimulatedEndpoint, startSimulatedEndpoint } from '../../src/sim/simulated-endpoint.js'

/**
 * Simulated endpoints in this test process on 127.0.0.1 (port 0), each closed after its test.
 * Call at the top level of a test file; returns the function that starts one.
 */
export function simulatedEndpointsPerTest(): (name: string, config: Record<string, unknown>) => Promise<SimulatedEndpoint> {
  const started: SimulatedEndpoint[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((endpoint) => endpoint.close()))
  })
  return async (name, config) => {
    const endpoint = await startSimulatedEndpoint(name, simEndpointSchema.parse({ port: 0, ...config }))
    started.push(endpoint)
    return endpoint
  }
}
