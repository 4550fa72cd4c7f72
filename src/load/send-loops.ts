/**
 * The sending loops of a load step: the closed loop's virtual users, and the open loop's seeded
 * arrival schedule with an optional concurrency cap.
 */
import { type ArrivalProcess, createArrivalSchedule, listedSchedule } from './arrivals.js'
import type { ClientMonitor } from './client-check.js'
import { type ShardSlice, shardSchedule } from './shard.js'

/** What the open loop reads of a load step (LoadStep's fields). */
export interface OpenLoopStep {
  arrival: ArrivalProcess
  ratePerS?: number
  burstiness: number
  seed: number
  maxRequests?: number
  maxConcurrency?: number
  /** A shard sends only its own arrivals of the whole run's schedule (maxRequests is the whole's). */
  shard?: ShardSlice
  /** A trace replay's send times (ms from the start, ascending), sent instead of a drawn schedule. */
  sendTimesMs?: readonly number[]
}

/** What the closed loop reads of a load step (LoadStep's fields). */
export interface ClosedLoopStep {
  concurrency?: number
  rampUpMs?: number
}

export interface ClosedLoopContext {
  sendOne: (intendedSendMs: number) => Promise<unknown>
  canSendMore: () => boolean
  withinDuration: (atMs: number) => boolean
  elapsed: () => number
  /** Load workers: a promise while no request has arrived from the coordinator yet (undefined when one can be sent now). */
  ready?: () => Promise<void> | undefined
}

/**
 * Closed loop: `concurrency` virtual users, each sending its next request when the last one ends;
 * user i starts at i/concurrency of the ramp-up. Resolves once every user has stopped.
 */
export async function runClosedLoop(step: ClosedLoopStep, ctx: ClosedLoopContext): Promise<void> {
  const { sendOne, canSendMore, withinDuration, elapsed } = ctx
  const concurrency = step.concurrency ?? 1
  const virtualUser = async (user: number): Promise<void> => {
    const startAtMs = ((step.rampUpMs ?? 0) * user) / concurrency
    if (startAtMs > 0) await new Promise((resolve) => setTimeout(resolve, startAtMs))
    while (canSendMore() && withinDuration(elapsed())) {
      const arriving = ctx.ready?.()
      if (arriving) await arriving
      else await sendOne(elapsed())
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, user) => virtualUser(user)))
}

export interface OpenLoopContext {
  sendOne: (intendedSendMs: number, dueMs: number) => Promise<unknown>
  canSendMore: () => boolean
  withinDuration: (atMs: number) => boolean
  elapsed: () => number
  monitor: ClientMonitor
  inFlightNow: () => number
  setSlotListener: (listener: (now: number) => void) => void
  /** Calls the listener once sending stops; returns what unsubscribes it (StopSignal.onStop). */
  stop: { onStop(listener: () => void): () => void }
}

/** The most spare connections an open-loop step opens before it starts (a server's socket each). */
export const MAX_CONNECTIONS_AHEAD = 64

/**
 * How many connections an open-loop step opens ahead (StreamPool.preconnect): the requests due in
 * its first second (a trace's rows, else the rate: this shard's share of either), at least 1, at
 * most the step's concurrency cap and MAX_CONNECTIONS_AHEAD. An LLM stream lasts seconds, so every
 * request of the first second finds no connection free and needs a new one; later the reserve keeps
 * one spare ready, replaced as it is taken, while finished requests hand theirs back. A longer
 * horizon would guess the latency; a server's sockets are not free, hence the cap.
 */
export function connectionsAhead(step: OpenLoopStep): number {
  const shards = step.shard?.count ?? 1
  const dueInFirstSecond = step.sendTimesMs ? step.sendTimesMs.filter((ms) => ms < 1000).length : (step.ratePerS ?? 1)
  const ahead = Math.ceil(dueInFirstSecond / shards)
  return Math.max(1, Math.min(ahead, step.maxConcurrency ?? MAX_CONNECTIONS_AHEAD, MAX_CONNECTIONS_AHEAD, step.maxRequests ?? MAX_CONNECTIONS_AHEAD))
}

/**
 * Sends on a seeded arrival schedule. Timers wake ~1 ms early and the last stretch is covered by
 * setImmediate turns (which still let I/O through), because setTimeout alone fires up to a
 * millisecond late. Lateness (actual − due) is recorded for the client-bound verdict; with a
 * concurrency cap, a request waiting for a free slot is due when the slot frees, not before.
 */
export function runOpenLoop(step: OpenLoopStep, ctx: OpenLoopContext): Promise<number> {
  const wholeSchedule = step.sendTimesMs
    ? listedSchedule(step.sendTimesMs)
    : createArrivalSchedule({
        process: step.arrival,
        ratePerSecond: step.ratePerS ?? 1,
        burstiness: step.burstiness,
        seed: step.seed,
        ...(step.maxRequests !== undefined ? { count: step.maxRequests } : {}),
      })
  const schedule = step.shard ? shardSchedule(wholeSchedule, step.shard) : wholeSchedule
  return new Promise<number>((resolve) => {
    let nextDue = schedule.nextOffsetMs()
    let slotFreedAt = 0
    let waitingForSlot = false
    let timer: NodeJS.Timeout | undefined
    let done = false
    let unsubscribe = (): void => undefined
    const finish = (): void => {
      if (done) return
      done = true
      if (timer) clearTimeout(timer)
      unsubscribe()
      resolve(ctx.elapsed())
    }
    unsubscribe = ctx.stop.onStop(finish)
    ctx.setSlotListener((now) => {
      if (!waitingForSlot) return
      waitingForSlot = false
      slotFreedAt = now
      pump()
    })
    const pump = (): void => {
      timer = undefined
      if (done) return
      for (;;) {
        if (nextDue === undefined || !ctx.canSendMore() || !ctx.withinDuration(nextDue)) {
          finish()
          return
        }
        if (nextDue > ctx.elapsed()) break
        if (step.maxConcurrency !== undefined && ctx.inFlightNow() >= step.maxConcurrency) {
          waitingForSlot = true
          return
        }
        void ctx.sendOne(nextDue, Math.max(nextDue, slotFreedAt))
        nextDue = schedule.nextOffsetMs()
      }
      const waitMs = nextDue - ctx.elapsed()
      if (waitMs > 1.5) timer = setTimeout(pump, waitMs - 1)
      else setImmediate(pump)
    }
    pump()
  })
}
