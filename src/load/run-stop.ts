/**
 * Stopping a run: the stop signal, Ctrl-C's handlers, the grace given to the streams in flight, and
 * the records file whose failed write stops the sending (re-exported by runner.ts).
 */
import type { StreamingClient } from '../client/stream-request.js'
import { RecordsWriter } from '../io/output/records-writer.js'

/** Lets Ctrl-C (or a test) stop a run: no new sends once `stopped`. */
export class StopSignal {
  private stoppedFlag = false
  private readonly listeners: Array<() => void> = []
  get stopped(): boolean {
    return this.stoppedFlag
  }
  stop(): void {
    if (this.stoppedFlag) return
    this.stoppedFlag = true
    for (const listener of this.listeners.splice(0)) listener()
  }
  /**
   * A signal that stops when this one does, and can also be stopped alone (a step's sending, which
   * a lost server or a full disk ends without the user's stop); `release` lets go of this one.
   */
  follower(): { signal: StopSignal; release: () => void } {
    const signal = new StopSignal()
    return { signal, release: this.onStop(() => signal.stop()) }
  }
  /** Calls `listener` once the signal stops (at once if it has); returns what unsubscribes it. */
  onStop(listener: () => void): () => void {
    if (this.stoppedFlag) {
      listener()
      return () => undefined
    }
    this.listeners.push(listener)
    return () => {
      const index = this.listeners.indexOf(listener)
      if (index !== -1) this.listeners.splice(index, 1)
    }
  }
}

/**
 * Ctrl-C (SIGINT) or SIGTERM stops `stop`: no new requests, streams in flight get their grace
 * period. A second signal leaves at once with exit code 130 (records already written are kept).
 * Returns the function that removes the handlers.
 */
export function stopOnSignals(stop: StopSignal): () => void {
  let signals = 0
  const onSignal = (): void => {
    signals++
    if (signals === 1) stop.stop()
    else {
      process.stderr.write('interrupted twice: leaving now; records written so far are kept\n')
      process.exit(130)
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * When `stop` fires: the client in use stops retrying at once and, after `graceSeconds`, cancels
 * the streams still open (class `cancelled`).
 */
export function cancelAfterGrace(stop: StopSignal, graceSeconds: number, log: (line: string) => void, activeClient: () => StreamingClient | undefined): void {
  stop.onStop(() => {
    log(`stopping: no new requests; waiting up to ${graceSeconds} s for the streams in flight`)
    setTimeout(() => activeClient()?.stop(true, 'interrupted by the user'), graceSeconds * 1000).unref()
    activeClient()?.stop(false)
  })
}

/**
 * A run's records.jsonl, opened for that run alone, and the signal its sending stops on: the
 * user's `stop` (Ctrl-C, the only one that makes a run interrupted), a failed write of the records
 * (a full disk: nothing more can be kept, so the streams in flight are cancelled at once), or
 * whatever else the caller stops it for (a server gone). `close` closes the file and lets go of `stop`.
 */
export function openRunRecords(
  path: string,
  stop: StopSignal,
  activeClient: () => StreamingClient | undefined,
): { writer: RecordsWriter; sending: StopSignal; close: () => void } {
  const { signal: sending, release } = stop.follower()
  const writer = new RecordsWriter(path, 'wx', {
    onFailure: () => {
      sending.stop()
      activeClient()?.stop(true, 'records could not be written')
    },
  })
  return {
    writer,
    sending,
    close: () => {
      release()
      writer.close()
    },
  }
}
