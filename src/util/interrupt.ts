import { setImmediate as nextTurn } from 'node:timers/promises'

/** What long computations look at to end early (a StopSignal, which Ctrl-C stops). */
export interface StopCheck {
  readonly stopped: boolean
}

/** Thrown by a computation that saw its StopCheck stopped: it ended early, with nothing to return. */
export class Interrupted extends Error {
  constructor(message = 'interrupted') {
    super(message)
    this.name = 'Interrupted'
  }
}

/**
 * Lets the event loop turn, so that a signal handler waiting for it runs (a loop that never
 * yields would never see Ctrl-C), then throws Interrupted if `stop` has stopped.
 */
export async function yieldAndCheck(stop: StopCheck | undefined): Promise<void> {
  if (stop === undefined) return
  await nextTurn()
  if (stop.stopped) throw new Interrupted()
}
