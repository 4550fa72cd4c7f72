import type { ClientFigures } from '../../src/load/client-check.js'
import { describeValues } from '../../src/metrics/distribution.js'

/** A client self-check input with every figure well inside the thresholds: tests change one at a time. */
export function quietClientCheck(overrides: Partial<ClientFigures> = {}): ClientFigures {
  return {
    eventLoopDelayMeanMs: 0.1,
    eventLoopDelayP99Ms: 1,
    eventLoopDelayMaxMs: 2,
    eventLoopUtilization: 0.2,
    sendLatenessMs: describeValues([]),
    dispatchWaitMs: describeValues([0.01, 0.02]),
    dispatchWaitShare: 0.0001,
    cpuCores: 0.2,
    workers: 1,
    ...overrides,
  }
}
