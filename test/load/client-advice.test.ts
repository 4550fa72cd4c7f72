import { describe, expect, it } from 'vitest'
import { clientBoundAdvice, judgeClient } from '../../src/load/client-check.js'
import { quietClientCheck } from '../helpers/client-check.js'

describe('advice on a client-bound run', () => {
  const figures = quietClientCheck()
  const closed = (concurrency: number) => ({ mode: 'closed' as const, concurrency })

  it('says nothing when the client kept up, and drops the advice of an earlier verdict', () => {
    const bound = judgeClient({ ...figures, eventLoopDelayMeanMs: 3 }, closed(1000), 4)
    expect(bound.verdict).toBe('client-bound')
    expect(bound.advice).toMatch(/--workers/)
    const ok = judgeClient({ ...bound, eventLoopDelayMeanMs: 0.1 }, closed(1000), 4)
    expect(ok.verdict).toBe('ok')
    expect(ok.advice).toBeUndefined()
    // Without the load's shape (virtual time, old summaries) the verdict stands alone.
    expect(judgeClient({ ...figures, eventLoopDelayMeanMs: 3 }, undefined, 4).advice).toBeUndefined()
  })

  it('does not call a run client-bound when its server went away: a flood of connect errors busied the loop', () => {
    const lost = { since: '2026-12-06T04:00:00.000Z', reason: 'connect-errors' as const, consecutiveConnectErrors: 20 }
    const judged = judgeClient({ ...figures, eventLoopDelayMeanMs: 30, dispatchWaitShare: 0.5 }, closed(1000), 4, lost)
    expect(judged.verdict).toBe('server-lost')
    expect(judged.advice).toBeUndefined()
    expect(judged.reasons.join(' ')).toMatch(/server unreachable since 2026-12-06T04:00:00.000Z \(20 connect errors in a row\)/)
    expect(judged.reasons.join(' ')).not.toMatch(/--workers/)
  })

  it('suggests more worker threads to a closed loop on fewer threads than cores and streams', () => {
    expect(clientBoundAdvice({ cpuCores: 0.9, workers: 1 }, closed(5000), 8)).toMatch(/try --workers 2\b/)
    expect(clientBoundAdvice({ cpuCores: 2.5, workers: 3 }, closed(5000), 8)).toMatch(/try --workers 6\b/)
    // Never more threads than cores, nor than streams.
    expect(clientBoundAdvice({ cpuCores: 1.2, workers: 3 }, closed(5000), 4)).toMatch(/try --workers 4\b/)
    expect(clientBoundAdvice({ cpuCores: 1.2, workers: 1 }, closed(1), 8)).not.toMatch(/--workers \d/)
  })

  it('points at the machine, not at threads, when the CPUs are full or every core has a thread', () => {
    const saturated = clientBoundAdvice({ cpuCores: 1.9, workers: 1 }, closed(5000), 2)
    expect(saturated).toMatch(/more cores/)
    expect(saturated).not.toMatch(/--workers/)
    expect(clientBoundAdvice({ cpuCores: 1.2, workers: 2 }, closed(5000), 2)).toMatch(/more threads than cores will not help/)
  })

  it('does not offer workers to an open loop, which runs on one thread', () => {
    const advice = clientBoundAdvice({ cpuCores: 0.9, workers: 1 }, { mode: 'open' }, 8)
    expect(advice).toMatch(/open loops/)
    expect(advice).not.toMatch(/--workers \d/)
  })
})
