import { describe, expect, it } from 'vitest'
import { MAX_CONNECTIONS_AHEAD, type OpenLoopStep, connectionsAhead } from '../../src/load/send-loops.js'

/** How many connections an open-loop step opens before its first send: the requests due in its first second, within its caps. */
describe('connectionsAhead', () => {
  const rate = (ratePerS: number, extra: Partial<OpenLoopStep> = {}): OpenLoopStep => ({ arrival: 'poisson', burstiness: 1, seed: 1, ratePerS, ...extra })

  it("a trace: its rows due before 1 s, this shard's share", () => {
    const sendTimesMs = [0, 130, 171, 218, 377, 586, 788, 999.9, 1000, 1500]
    expect(connectionsAhead({ ...rate(1), sendTimesMs })).toBe(8)
    expect(connectionsAhead({ ...rate(1), sendTimesMs, shard: { index: 0, count: 3 } })).toBe(Math.ceil(8 / 3))
  })

  it('a rate: the requests of one second, at least one', () => {
    expect(connectionsAhead(rate(5))).toBe(5)
    expect(connectionsAhead(rate(2.5))).toBe(3)
    expect(connectionsAhead(rate(0.2))).toBe(1)
  })

  it('never more than the concurrency cap, the requests asked for or the fixed maximum', () => {
    expect(connectionsAhead(rate(50, { maxConcurrency: 8 }))).toBe(8)
    expect(connectionsAhead(rate(50, { maxRequests: 3 }))).toBe(3)
    expect(connectionsAhead(rate(10_000))).toBe(MAX_CONNECTIONS_AHEAD)
  })
})
