import { describe, expect, it } from 'vitest'
import { judgeClient } from '../../src/load/client-check.js'
import { watchReadLateness } from '../../src/load/io-probe.js'
import { describeValues } from '../../src/metrics/distribution.js'
import { quietClientCheck } from '../helpers/client-check.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)

describe('read-lateness probe (client self-check)', () => {
  it('sees data wait on its socket while the event loop is busy', async () => {
    const stopIdle = watchReadLateness()
    await sleep(400)
    const idle = stopIdle().latenessMs

    const stopBusy = watchReadLateness()
    // Busy 12 ms of every ~15 ms: as a client handling a burst of reads would be.
    const blocker = setInterval(() => {
      const until = performance.now() + 12
      while (performance.now() < until) {
        /* busy */
      }
    }, 3)
    await sleep(400)
    clearInterval(blocker)
    const busy = stopBusy().latenessMs

    expect(idle.length).toBeGreaterThan(20)
    expect(busy.length).toBeGreaterThan(5)
    expect(mean(busy)).toBeGreaterThan(2)
    expect(mean(busy)).toBeGreaterThan(2 * mean(idle))
  })

  it('turns a read lateness over the threshold into a client-bound verdict with its reason', () => {
    const quiet = quietClientCheck()
    expect(judgeClient({ ...quiet, readLatenessMs: describeValues([0.05, 0.1, 0.2]) }).verdict).toBe('ok')
    const late = judgeClient({ ...quiet, readLatenessMs: describeValues([0.1, 2, 4, 6]) })
    expect(late.verdict).toBe('client-bound')
    expect(late.reasons.join(' ')).toMatch(/on its socket before the client read it/)
    // Reads in bursts: the probe weighted by the reads around it can be late while its plain mean is not.
    expect(judgeClient({ ...quiet, readLatenessMs: describeValues([0.05, 0.1]), readLatenessPerReadMeanMs: 0.9 }).verdict).toBe('client-bound')
    // An idle client (loop busy 4% of the time) whose reads wait 0.3 ms meets the machine's scheduling, not its own
    // queue: not client-bound; over 1 ms it is, whatever the load.
    const idle = { ...quiet, eventLoopUtilization: 0.04 }
    expect(judgeClient({ ...idle, readLatenessMs: describeValues([0.1, 0.2]), readLatenessPerReadMeanMs: 0.3 }).verdict).toBe('ok')
    expect(judgeClient({ ...idle, readLatenessMs: describeValues([0.1, 0.2]), readLatenessPerReadMeanMs: 1.5 }).verdict).toBe('client-bound')
  })
})
