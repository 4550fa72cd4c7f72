import { describe, expect, it } from 'vitest'
import { FITTED_TOLERANCE, HELD_OUT_TOLERANCE, runCalibrationCheck, type CalibrationCheck } from '../../src/sim/calibration/check.js'
import { loadCalibrationSet } from '../../src/sim/calibration/set.js'
import { listProfiles, loadProfile } from '../../src/io/schema/sim-profile.js'

/**
 * Acceptance 1 of #16: every built-in profile within 10% of each published point it was fitted on
 * and within 15% of each point held out from its fit, at low load and under load, CC on and off,
 * run in virtual time over the whole shipped calibration set (about 15 s on one core).
 *
 * The points below are the ones the engine model does not reach today, each with the reason. The
 * test holds them to exactly this list: a new miss fails it, and so does a listed point that comes
 * within tolerance (take it off the list), so the list cannot drift from the model.
 */
const KNOWN_MISSES: Record<string, string> = {
  'p2-h200-8b-qps16-ttft-cc-off':
    'server pinned to one core, offered 16 req/s above its ~12 req/s: Phala measured the backlog before the first token (TTFT 15 s) ' +
    'with the decoding batch at ~91 (ITL 40 ms); the model queues the backlog on the shared core FIFO, ' +
    'giving short TTFT and long ITL instead; the server was two processes on that core (vLLM ≥ 0.5.4), ' +
    'but sharing the core fairly between them, with or without the engine spin-waiting on the GPU, ' +
    'does not fit it either (bench/RESULTS.md)',
  'p2-h200-8b-qps16-ttft-cc-on': 'as p2-h200-8b-qps16-ttft-cc-off, CC on',
  'p2-h200-8b-qps16-itl-cc-off': 'as p2-h200-8b-qps16-ttft-cc-off: the same backlog shows in the model as long ITL',
  'p2-h200-8b-qps4-ttft-cc-off':
    'published TTFT at 4 req/s (28.2 ms) is below the one at 1 req/s (30.7 ms); the model adds ~4 ms of waiting on the shared core from 1 to 4 req/s, ' +
    'and fitting timing.frontendMs closer to the fitted QPS-1 TTFT (8.5 ms: 0.99×) moves this point further out (1.18×)',
}

let check: CalibrationCheck
async function theCheck(): Promise<CalibrationCheck> {
  check ??= await runCalibrationCheck(
    loadCalibrationSet(),
    listProfiles().map((name) => loadProfile(name)),
  )
  return check
}

describe('the built-in profiles against the published calibration set (virtual time)', () => {
  it('runs every point of the set with its profile', async () => {
    const { points, skipped } = await theCheck()
    expect(skipped).toEqual([])
    expect(points.length).toBe(loadCalibrationSet().length)
  }, 120_000)

  it.each(listProfiles().filter((name) => loadProfile(name).calibration?.method === 'published'))(
    '%s: fitted points within 10%, held-out points within 15%, apart from the listed misses',
    async (name) => {
      const { points } = await theCheck()
      const mine = points.filter((p) => p.profile === name)
      const calibration = loadProfile(name).calibration
      // Every point the profile names ran, and every point of its own in the set has a role.
      expect(mine.map((p) => p.id).sort()).toEqual([...(calibration?.fittedOn ?? []), ...(calibration?.heldOut ?? [])].sort())
      for (const point of mine) {
        const tolerance = point.role === 'fitted' ? FITTED_TOLERANCE : HELD_OUT_TOLERANCE
        const within = point.ratio !== null && Math.abs(point.ratio - 1) <= tolerance
        const label = `${point.id} (${point.role}): ratio ${point.ratio?.toFixed(3)}`
        if (point.id in KNOWN_MISSES) expect(within, `${label} is within tolerance now: take it off KNOWN_MISSES`).toBe(false)
        else expect(within, label).toBe(true)
      }
    },
    120_000,
  )

  it('has both regimes and both CC settings among the held-out points', async () => {
    const { points } = await theCheck()
    const heldOut = points.filter((p) => p.role === 'held-out')
    expect(new Set(heldOut.map((p) => p.regime))).toEqual(new Set(['low-load', 'under-load', 'overload']))
    expect(new Set(heldOut.map((p) => p.confidential))).toEqual(new Set([false, true]))
    // Every known miss is a point of the set (no stale names).
    for (const id of Object.keys(KNOWN_MISSES))
      expect(
        points.some((p) => p.id === id),
        id,
      ).toBe(true)
  }, 120_000)
})
