import { StopSignal, stopOnSignals } from '../load/runner.js'

/**
 * Runs `work` with a stop signal that Ctrl-C (or SIGTERM) fires; a second signal leaves at once.
 * The handlers are removed when `work` ends.
 */
export async function withStopOnSignals<T>(work: (stop: StopSignal) => Promise<T>): Promise<T> {
  const stop = new StopSignal()
  const removeSignalHandlers = stopOnSignals(stop)
  try {
    return await work(stop)
  } finally {
    removeSignalHandlers()
  }
}
