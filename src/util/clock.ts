import { performance } from 'node:perf_hooks'

/**
 * A performance.now() reading of this process as Unix ms on the machine's clock, sub-millisecond
 * digits kept. Every process on a machine shares that clock, so the simulator's and the client's
 * readings can be set side by side (the simulator's request log against geopat's records).
 */
export function toUnixMs(performanceMs: number): number {
  return performance.timeOrigin + performanceMs
}
