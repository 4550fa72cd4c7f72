import { performance } from 'node:perf_hooks'
import { MinHeap } from '../util/min-heap.js'

/** Something the scheduler calls back at (or just after) the time it asked for. */
export interface DueTask {
  /** `scheduledAtMs` is the deadline it was scheduled for, on the performance.now() clock. */
  onDue(scheduledAtMs: number): void
}

export interface DeadlineSchedulerOptions {
  /**
   * Longest stretch (ms) spent running due tasks before yielding to the event loop, so that new
   * requests and socket reads are not starved when the simulator is overloaded.
   */
  maxSliceMs?: number
  /**
   * Deadlines closer than this (ms) are waited for with setImmediate turns (a busy wait that still
   * serves I/O) instead of a timer, whose resolution is 1 ms. Default 0: never busy-wait.
   * Measured on a 2-vCPU VM at 10k token writes/s: busy-waiting below 1 ms cut the mean lateness
   * from ~0.7 ms to ~0.08 ms but raised CPU from 0.18 to 0.63 of a core, CPU that a load client on
   * the same machine needs, hence off by default.
   */
  spinBelowMs?: number
  /** Called when a task throws; the scheduler keeps going. Default: print to stderr. */
  onTaskError?: (error: unknown) => void
}

/**
 * One shared timer for every pending emission in the simulator: a binary min-heap of deadlines
 * (ties first-in first-out) and a single armed setTimeout/setImmediate. Thousands of streams cost
 * one timer instead of thousands, and every task due in a tick runs in that tick, in deadline order.
 *
 * Precision: Node truncates setTimeout delays to whole milliseconds and may wake a little early;
 * a wake-up before the deadline just re-arms, so nothing ever runs before its deadline, and tasks
 * run up to about a millisecond late (less with `spinBelowMs`, at a CPU cost). Lateness is the
 * simulator's to measure: see SimStats.emitLateness*.
 *
 * Cancellation is lazy: a task that no longer wants to run just returns from onDue. A task holds
 * at most one entry at a time in geopat's use, so nothing piles up.
 */
export class DeadlineScheduler {
  private readonly heap = new MinHeap<DueTask>()
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  /** Deadline the armed timer is for; Infinity when nothing is armed. */
  private armedForMs = Number.POSITIVE_INFINITY
  private running = false
  private stopped = false
  private readonly maxSliceMs: number
  private readonly spinBelowMs: number
  private readonly onTaskError: (error: unknown) => void

  constructor(options: DeadlineSchedulerOptions = {}) {
    this.maxSliceMs = options.maxSliceMs ?? 5
    this.spinBelowMs = options.spinBelowMs ?? 0
    this.onTaskError = options.onTaskError ?? ((error) => process.stderr.write(`geopat sim: scheduled task failed: ${String(error)}\n`))
  }

  /** Number of pending deadlines (cancelled tasks included until their deadline passes). */
  get pending(): number {
    return this.heap.size
  }

  schedule(dueAtMs: number, task: DueTask): void {
    if (this.stopped) return
    this.heap.push(dueAtMs, task)
    // While running, the loop re-arms itself at the end; otherwise re-arm only for an earlier deadline.
    if (!this.running && dueAtMs < this.armedForMs) this.arm()
  }

  /** Drops every pending task and the timer; later schedule() calls are ignored. */
  stop(): void {
    this.stopped = true
    this.disarm()
    while (this.heap.size > 0) this.heap.pop()
  }

  private readonly runDueTasks = (): void => {
    this.timer = undefined
    this.immediate = undefined
    this.armedForMs = Number.POSITIVE_INFINITY
    this.running = true
    let now = performance.now()
    const sliceEndMs = now + this.maxSliceMs
    let ranSinceClockRead = 0
    try {
      while (!this.stopped) {
        const dueAtMs = this.heap.peekKey()
        if (dueAtMs === undefined) break
        if (dueAtMs > now) {
          // The cached clock may be stale after a long batch: read it again before giving up.
          now = performance.now()
          ranSinceClockRead = 0
          if (dueAtMs > now) break
        }
        const task = this.heap.pop() as DueTask
        try {
          task.onDue(dueAtMs)
        } catch (error) {
          this.onTaskError(error)
        }
        if (++ranSinceClockRead >= 64) {
          now = performance.now()
          ranSinceClockRead = 0
          if (now >= sliceEndMs) break
        }
      }
    } finally {
      this.running = false
      if (!this.stopped) this.arm()
    }
  }

  private arm(): void {
    this.disarm()
    const dueAtMs = this.heap.peekKey()
    if (dueAtMs === undefined) return
    this.armedForMs = dueAtMs
    const waitMs = dueAtMs - performance.now()
    if (waitMs <= 0 || waitMs < this.spinBelowMs) {
      // Due now, or too close for setTimeout's resolution: check again next turn.
      this.immediate = setImmediate(this.runDueTasks)
    } else if (this.spinBelowMs > 0) {
      // Wake up early enough for the last stretch to be covered by event-loop turns: a timer for
      // the whole wait fires up to a millisecond late and never reaches the spin window.
      this.timer = setTimeout(this.runDueTasks, Math.floor(waitMs - this.spinBelowMs))
    } else {
      // Rounded up: libuv's millisecond clock can fire a timer up to 1 ms early, and an early
      // wake-up costs a second one.
      this.timer = setTimeout(this.runDueTasks, Math.ceil(waitMs))
    }
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.immediate !== undefined) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
    this.armedForMs = Number.POSITIVE_INFINITY
  }
}
