import { describe, expect, it } from 'vitest'
import { createSweepPlanner } from '../../src/load/sweep.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import type { RunSummary } from '../../src/io/schema/summary.js'

/** The parts of a step's summary the planner reads. */
const step = (requestsPerS: number, offeredPerS: number | null, inWindow: number): RunSummary =>
  ({ throughput: { requestsPerS }, requested: { ratePerS: offeredPerS }, requests: { inWindow } }) as unknown as RunSummary

function plannerAfterBounds(synchronousPerS: number, maximumPerS: number) {
  const load = scenarioSchema.parse({ endpoints: [{ url: 'http://127.0.0.1:1', label: 'x' }], load: { profile: 'sweep', duration: 60, sweepSteps: 5 } }).load
  const planner = createSweepPlanner(load)
  planner.next(undefined)
  planner.next(step(synchronousPerS, null, 40))
  const firstRate = planner.next(step(maximumPerS, null, 900))
  return { planner, firstRate }
}

describe('the sweep planner', () => {
  it('does not take a short Poisson step that counted a little under its rate for saturation', () => {
    const { planner, firstRate } = plannerAfterBounds(0.7, 14.4)
    expect(firstRate?.ratePerS).toBeCloseTo(0.7 + (14.4 - 0.7) / 6, 3)
    // 146 requests at 2.99/s for 60 s: the count strays by 1/√146 ≈ 8%, so 2.67 req/s (89%) is noise.
    const offered = firstRate?.ratePerS as number
    const next = planner.next(step(offered * 0.89, offered, 146))
    expect(next?.label).toMatch(/^rate /)
    expect(next?.ratePerS).toBeGreaterThan(offered)
  })

  it('stops raising the rate once completions fall clearly below it', () => {
    const { planner, firstRate } = plannerAfterBounds(0.7, 14.4)
    const offered = firstRate?.ratePerS as number
    // The same 89% over 2,000 requests is beyond three standard deviations (±6.7%): the server fell behind.
    expect(planner.next(step(offered * 0.89, offered, 2000))).toBeUndefined()
    // And a short step that served 60% of its rate is saturated whatever its count.
    const again = plannerAfterBounds(0.7, 14.4)
    expect(again.planner.next(step((again.firstRate?.ratePerS as number) * 0.6, again.firstRate?.ratePerS as number, 146))).toBeUndefined()
  })
})
