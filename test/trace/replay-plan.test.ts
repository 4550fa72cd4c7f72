import { describe, expect, it } from 'vitest'
import type { TraceRow } from '../../src/input/trace/read-trace.js'
import { planTraceReplay } from '../../src/input/trace/replay-plan.js'
import { UserError } from '../../src/util/errors.js'

/** Rows at the given times (ms), on an axis whose origin is 10 s before the first. */
const rowsAt = (timesMs: number[]): TraceRow[] =>
  timesMs.map((t, i) => ({ timeMs: 10_000 + t, inputTokens: 100 + i, outputTokens: 10 + i, prefixBlocks: [], line: i + 1 }))
const trace = (timesMs: number[]) => ({ file: 't.jsonl', format: 'geopat' as const, rows: rowsAt(timesMs) })

describe('planTraceReplay', () => {
  it('sends each row at its time from the first arrival, divided by the speedup', () => {
    const plan = planTraceReplay(trace([0, 500, 1500, 4000]), { speedup: 2 })
    expect(plan.sendTimesMs).toEqual([0, 250, 750, 2000])
    expect(plan.rows.map((row) => row.inputTokens)).toEqual([100, 101, 102, 103])
    // (n − 1) sends over the span from the first to the last: 3 over 2 s.
    expect(plan.ratePerS).toBeCloseTo(1.5, 12)
    expect({ fileRows: plan.fileRows, startS: plan.startS, endS: plan.endS }).toEqual({ fileRows: 4, startS: 0, endS: null })
  })

  it('a window keeps startS <= t < endS and starts the sends at the window start', () => {
    const plan = planTraceReplay(trace([0, 999, 1000, 1500, 2999, 3000]), { speedup: 1, startS: 1, endS: 3 })
    expect(plan.rows.map((row) => row.timeMs - 10_000)).toEqual([1000, 1500, 2999])
    expect(plan.sendTimesMs).toEqual([0, 500, 1999])
    // A window starting between rows: the first send waits for its row's time.
    expect(planTraceReplay(trace([0, 2500]), { speedup: 5, startS: 2 }).sendTimesMs).toEqual([100])
  })

  it('a limit keeps the first rows of the window', () => {
    const plan = planTraceReplay(trace([0, 100, 200, 300, 400]), { speedup: 1, startS: 0.1, limit: 2 })
    expect(plan.rows.map((row) => row.timeMs - 10_000)).toEqual([100, 200])
    expect(plan.fileRows).toBe(5)
  })

  it('rows out of order are sent in time order; rows of one time keep their file order', () => {
    const plan = planTraceReplay(trace([300, 0, 100, 100]), { speedup: 1 })
    expect(plan.rows.map((row) => row.line)).toEqual([2, 3, 4, 1])
    expect(plan.sendTimesMs).toEqual([0, 100, 100, 300])
  })

  it('refuses an empty window and a speedup that is not positive, in one line', () => {
    expect(() => planTraceReplay(trace([0, 100]), { speedup: 1, startS: 5 })).toThrow(UserError)
    expect(() => planTraceReplay(trace([0, 100]), { speedup: 1, startS: 5 })).toThrow(/t\.jsonl: no row falls in the window 5: s/)
    expect(() => planTraceReplay(trace([0]), { speedup: 0 })).toThrow(/speedup: must be a positive number/)
  })

  it('one row, or rows all at one time, have no rate', () => {
    expect(planTraceReplay(trace([0]), { speedup: 1 }).ratePerS).toBeNull()
    expect(planTraceReplay(trace([5, 5, 5]), { speedup: 1 }).ratePerS).toBeNull()
  })
})
