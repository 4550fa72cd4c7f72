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

  it('a follower stops with its signal, can stop alone, and once released no longer follows', () => {
    const user = new StopSignal()
    const alone = user.follower()
    alone.signal.stop()
    expect([alone.signal.stopped, user.stopped]).toEqual([true, false])
    const released = user.follower()
    released.release()
    const following = user.follower()
    user.stop()
    expect([following.signal.stopped, released.signal.stopped]).toEqual([true, false])
  })
})
