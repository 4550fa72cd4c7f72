import { describe, expect, it } from 'vitest'
import { clientBoundAdvice, judgeClient } from '../../src/load/client-check.js'
import { describeValues } from '../../src/metrics/distribution.js'
import { quietClientCheck } from '../helpers/client-check.js'

describe('advice on a client-bound run', () => {
  const closedLoop = quietClientCheck()
  const openLoop = quietClientCheck({ sendLatenessMs: describeValues([0.1, 0.2, 0.3]) })

  it('says nothing when the client kept up, and drops the advice of an earlier verdict', () => {
    const bound = judgeClient({ ...closedLoop, eventLoopDelayMeanMs: 3 }, 4)
    expect(bound.verdict).toBe('client-bound')
    expect(bound.advice).toMatch(/--workers/)
    const ok = judgeClient({ ...bound, eventLoopDelayMeanMs: 0.1 }, 4)
    expect(ok.verdict).toBe('ok')
    expect(ok.advice).toBeUndefined()
  })

  it('suggests more worker threads to a closed loop on fewer threads than cores', () => {
    expect(clientBoundAdvice({ ...closedLoop, cpuCores: 0.9, workers: 1 }, 8)).toMatch(/try --workers 2\b/)
    expect(clientBoundAdvice({ ...closedLoop, cpuCores: 2.5, workers: 3 }, 8)).toMatch(/try --workers 6\b/)
    // Never more threads than cores.
    expect(clientBoundAdvice({ ...closedLoop, cpuCores: 1.2, workers: 3 }, 4)).toMatch(/try --workers 4\b/)
  })

  it('points at the machine, not at threads, when the CPUs are full or every core has a thread', () => {
    const saturated = clientBoundAdvice({ ...closedLoop, cpuCores: 1.9, workers: 1 }, 2)
    expect(saturated).toMatch(/more cores/)
    expect(saturated).not.toMatch(/--workers/)
    const threadPerCore = clientBoundAdvice({ ...closedLoop, cpuCores: 1.2, workers: 2 }, 2)
    expect(threadPerCore).toMatch(/more threads than cores will not help/)
  })

  it('does not offer workers to an open loop, which runs on one thread', () => {
    const advice = clientBoundAdvice({ ...openLoop, cpuCores: 0.9, workers: 1 }, 8)
    expect(advice).toMatch(/open loops/)
    expect(advice).not.toMatch(/--workers \d/)
  })
})
