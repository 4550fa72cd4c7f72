import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { DeadlineScheduler } from '../../src/sim/deadline-scheduler.js'
import { fixedTimingModel } from '../../src/sim/timing.js'
import { seededRandom } from '../../src/util/rng.js'

describe('DeadlineScheduler', () => {
  it('runs tasks in deadline order (ties first-in first-out), never before their deadline', async () => {
    for (const spinBelowMs of [0, 1]) {
      const scheduler = new DeadlineScheduler({ spinBelowMs })
      const start = performance.now()
      const ran: Array<{ label: string; scheduledAtMs: number; ranAtMs: number }> = []
      const done = new Promise<void>((resolve) => {
        const task = (label: string) => ({
          onDue(scheduledAtMs: number) {
            ran.push({ label, scheduledAtMs, ranAtMs: performance.now() })
            if (ran.length === 5) resolve()
          },
        })
        scheduler.schedule(start + 30, task('c'))
        scheduler.schedule(start + 5.5, task('a'))
        scheduler.schedule(start + 12, task('b1'))
        scheduler.schedule(start + 12, task('b2'))
        scheduler.schedule(start + 0, task('now'))
      })
      await done
      expect(ran.map((r) => r.label)).toEqual(['now', 'a', 'b1', 'b2', 'c'])
      for (const r of ran) expect(r.ranAtMs).toBeGreaterThanOrEqual(r.scheduledAtMs)
      scheduler.stop()
    }
  })

  it('stop() drops what is pending, and later schedules are ignored', async () => {
    const scheduler = new DeadlineScheduler()
    let ran = 0
    scheduler.schedule(performance.now() + 5, { onDue: () => ran++ })
    scheduler.stop()
    scheduler.schedule(performance.now() + 1, { onDue: () => ran++ })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(ran).toBe(0)
    expect(scheduler.pending).toBe(0)
  })

  it('keeps going when a task throws', async () => {
    const errors: unknown[] = []
    const scheduler = new DeadlineScheduler({ onTaskError: (error) => errors.push(error) })
    const now = performance.now()
    const finished = new Promise<void>((resolve) => {
      scheduler.schedule(now, {
        onDue: () => {
          throw new Error('boom')
        },
      })
      scheduler.schedule(now + 1, { onDue: () => resolve() })
    })
    await finished
    expect(errors).toHaveLength(1)
  })
})

describe('fixedTimingModel', () => {
  const request = { endpoint: 'chat' as const, model: 'm', promptTokens: 3, outputTokens: 4, stream: true, receivedAtMs: 0 }

  it('puts token k at ttft + k·itl, on an absolute schedule', () => {
    const schedule = fixedTimingModel({ timeToFirstTokenMs: 100, interTokenLatencyMs: 10 })(request)
    expect([0, 1, 2, 3].map((k) => schedule.tokenOffsetMs(k))).toEqual([100, 110, 120, 130])
  })

  it('adds jitter within ± jitterMs, reproducibly for a seed', () => {
    const offsets = (seed: number) => {
      const schedule = fixedTimingModel({
        timeToFirstTokenMs: 100,
        interTokenLatencyMs: 10,
        jitterMs: 2,
        random: seededRandom(seed),
      })(request)
      return Array.from({ length: 200 }, (_, k) => schedule.tokenOffsetMs(k))
    }
    const first = offsets(7)
    first.forEach((offset, k) => {
      expect(Math.abs(offset - (100 + 10 * k))).toBeLessThanOrEqual(2)
    })
    expect(new Set(first.map((offset, k) => offset - (100 + 10 * k))).size).toBeGreaterThan(100)
    expect(offsets(7)).toEqual(first)
  })
})
