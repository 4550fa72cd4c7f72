import { performance } from 'node:perf_hooks'
import type { ErrorClass } from '../io/schema/record.js'

/** A request in flight, as the sweeper sees it. */
export interface DeadlineWatched {
  /** Aborts the request when one of its deadlines has passed at `now`. */
  checkDeadlines(now: number): void
  abort(errorClass: ErrorClass, message: string): void
}

/**
 * Tracks requests in flight and enforces geopat's deadlines (first token, idle gap, total) with one
 * periodic sweep instead of a timer per request and per chunk: cheap at thousands of streams, and
 * precise to the sweep period, which is ample for timeouts measured in seconds.
 */
export class DeadlineSweeper {
  private readonly active = new Set<DeadlineWatched>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly periodMs = 25) {}

  add(attempt: DeadlineWatched): void {
    this.active.add(attempt)
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.periodMs)
      this.timer.unref()
    }
  }

  remove(attempt: DeadlineWatched): void {
    this.active.delete(attempt)
    if (this.active.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  /** Stops every request in flight with class `cancelled`. */
  cancelAll(reason: string): void {
    for (const attempt of [...this.active]) attempt.abort('cancelled', reason)
  }

  get inFlight(): number {
    return this.active.size
  }

  private sweep(): void {
    const now = performance.now()
    for (const attempt of this.active) attempt.checkDeadlines(now)
  }
}
