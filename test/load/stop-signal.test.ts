import { describe, expect, it } from 'vitest'
import { StopSignal } from '../../src/load/runner.js'

describe('StopSignal', () => {
  it('calls each listener once, and not those that unsubscribed', () => {
    const stop = new StopSignal()
    const calls: string[] = []
    stop.onStop(() => calls.push('kept'))
    const unsubscribe = stop.onStop(() => calls.push('removed'))
    unsubscribe()
    unsubscribe()
    stop.stop()
    stop.stop()
    expect(calls).toEqual(['kept'])
  })

  it('calls a listener added after the stop at once', () => {
    const stop = new StopSignal()
    stop.stop()
    let called = 0
    const unsubscribe = stop.onStop(() => called++)
    expect(called).toBe(1)
    unsubscribe()
    expect(stop.stopped).toBe(true)
  })
})
