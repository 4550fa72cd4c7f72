import { expect } from 'vitest'
import type { Interval } from '../../src/metrics/bootstrap.js'

/** An interval that is there and ordered: low ≤ estimate ≤ high. */
export function expectInterval(interval: Interval | null | undefined, what: string): void {
  expect(interval, what).not.toBeNull()
  expect(interval?.low, what).toBeLessThanOrEqual(interval?.estimate as number)
  expect(interval?.estimate, what).toBeLessThanOrEqual(interval?.high as number)
}
