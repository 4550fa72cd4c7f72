import { describe, expect, it } from 'vitest'
import type { LoadConfig } from '../../src/io/schema/scenario.js'
import type { RunSummary } from '../../src/io/schema/summary.js'
import { requestedLoad } from '../../src/load/runner.js'
import { createSweepPlanner, singleStep } from '../../src/load/sweep.js'
import { KNEE_TTFT_FACTOR, kneeOf, kneeStepOf, stepKindOf } from '../../src/metrics/knee.js'

const load = { arrival: 'poisson', burstiness: 1, seed: 1, duration: 10, sweepSteps: 3, sweepMaxConcurrency: 64, rampUp: 0 } as unknown as LoadConfig

/** The summary of a step as far as the planner and the knee read it: what was asked, what was served, the median TTFT. */
function summaryOf(step: ReturnType<typeof singleStep>, servedPerS: number, ttftP50: number): RunSummary {
  return {
    step: step.step,
    stepLabel: step.label,
    requested: requestedLoad(step, 0, 0),
    throughput: { requestsPerS: servedPerS },
    requests: { inWindow: 1000 },
    metrics: { ttft: { p50: ttftP50 } },
  } as unknown as RunSummary
}

describe('step kinds', () => {
  it('are carried by every step the sweep planner makes', () => {
    const planner = createSweepPlanner(load)
    const steps: Array<NonNullable<ReturnType<typeof planner.next>>> = []
    const summaries: RunSummary[] = []
    // One request at a time serves 2/s; the maximum-throughput step 20/s; every rate is kept up with.
    for (let step = planner.next(undefined); step; step = planner.next(summaries[summaries.length - 1])) {
      steps.push(step)
      summaries.push(summaryOf(step, step.ratePerS ?? (step.concurrency === 1 ? 2 : 20), 10))
    }
    expect(steps.map((s) => s.kind)).toEqual(['synchronous', 'throughput', 'rate', 'rate', 'rate'])
    // Read back from the summaries (which do not carry the kind): the same, but for the throughput step, a closed loop.
    expect(summaries.map((s) => stepKindOf(s))).toEqual(['synchronous', 'concurrency', 'rate', 'rate', 'rate'])
  })

  it('of a run that is not a sweep: its loop', () => {
    expect(singleStep({ ...load, concurrency: 8 }).kind).toBe('concurrency')
    expect(singleStep({ ...load, rate: 3 }).kind).toBe('rate')
    expect(stepKindOf(summaryOf(singleStep({ ...load, concurrency: 8 }), 1, 1))).toBe('concurrency')
    expect(stepKindOf(summaryOf(singleStep({ ...load, rate: 3 }), 1, 1))).toBe('rate')
  })

  it('do not depend on the step number (compare numbers its steps across arms)', () => {
    const first = createSweepPlanner(load).next(undefined)
    if (!first) throw new Error('no first step')
    expect(stepKindOf(summaryOf({ ...first, step: 7 }, 2, 10))).toBe('synchronous')
  })
})

describe('the knee', () => {
  it('is the highest offered rate whose median TTFT stays within 3× the synchronous one, bracketed by the next rate', () => {
    const steps = [
      { kind: 'synchronous' as const, offeredRatePerS: null, ttftP50Ms: 20 },
      { kind: 'throughput' as const, offeredRatePerS: null, ttftP50Ms: 900 },
      { kind: 'rate' as const, offeredRatePerS: 5, ttftP50Ms: 40 },
      { kind: 'rate' as const, offeredRatePerS: 7, ttftP50Ms: 20 * KNEE_TTFT_FACTOR },
      { kind: 'rate' as const, offeredRatePerS: 9, ttftP50Ms: 300 },
      { kind: 'rate' as const, offeredRatePerS: 11, ttftP50Ms: 30 },
    ]
    expect(kneeOf(steps)).toEqual({ ratePerS: 7, nextRatePerS: 9 })
  })

  it('is not found without a synchronous step, nor when the first rate is already past it', () => {
    expect(kneeOf([{ kind: 'rate', offeredRatePerS: 5, ttftP50Ms: 40 }])).toEqual({ ratePerS: null, nextRatePerS: null })
    expect(
      kneeOf([
        { kind: 'synchronous', offeredRatePerS: null, ttftP50Ms: 10 },
        { kind: 'rate', offeredRatePerS: 5, ttftP50Ms: 400 },
      ]),
    ).toEqual({ ratePerS: null, nextRatePerS: 5 })
  })

  it('reads a run summary by kind, not by label', () => {
    const planner = createSweepPlanner(load)
    const first = planner.next(undefined)
    if (!first) throw new Error('no first step')
    const run = { ...summaryOf(first, 2, 10), stepLabel: 'synchronous (virtual time)' }
    expect(kneeStepOf(run)).toEqual({ kind: 'synchronous', offeredRatePerS: null, ttftP50Ms: 10 })
  })
})
