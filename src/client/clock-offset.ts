/**
 * How far this host's clock is from another clock, with a bound that holds whatever the network
 * did: every answer is stamped by the other clock at some moment between our send and our
 * receipt, so the offset lies in an interval; intervals from several answers are intersected.
 *
 * An HTTP Date header has a resolution of one second: alone it bounds the offset to a second and
 * the round trip. Asking again around the moment the other clock's second ticks (probes spread
 * over the span where the tick can fall) narrows it to about the round trip.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { ClockOffset } from '../io/schema/shard.js'
import { toUnixMs } from '../util/clock.js'

/** One answer of the other clock: when we sent and received it (this host's Unix ms), and what it said. */
export interface ClockReading {
  sentAtUnixMs: number
  receivedAtUnixMs: number
  /** The other clock's time, Unix ms (an HTTP Date: the start of its second). */
  otherUnixMs: number
  /** The other clock's resolution, ms: its true time is in [otherUnixMs, otherUnixMs + resolutionMs]. */
  resolutionMs: number
}

/** Bounds on (other clock − this host's clock), ms. */
export interface OffsetInterval {
  lowMs: number
  highMs: number
}

/** The interval one reading guarantees: the answer was stamped between send and receipt. */
export function intervalOf(reading: ClockReading): OffsetInterval {
  return {
    lowMs: reading.otherUnixMs - reading.receivedAtUnixMs,
    highMs: reading.otherUnixMs + reading.resolutionMs - reading.sentAtUnixMs,
  }
}

/** The intersection of the intervals (each holds the offset if the other clock ran steadily); undefined when they do not meet. */
export function intersect(intervals: readonly OffsetInterval[]): OffsetInterval | undefined {
  let lowMs = Number.NEGATIVE_INFINITY
  let highMs = Number.POSITIVE_INFINITY
  for (const interval of intervals) {
    lowMs = Math.max(lowMs, interval.lowMs)
    highMs = Math.min(highMs, interval.highMs)
  }
  return intervals.length > 0 && lowMs <= highMs ? { lowMs, highMs } : undefined
}

/** This host's clock as geopat's records read it (performance.timeOrigin + performance.now()). */
export function hostNowUnixMs(): number {
  return toUnixMs(performance.now())
}

export interface DateProbeOptions {
  /** Rounds of probes around a tick of the other clock's second, after the first probe (default 2: about 2 s). */
  rounds?: number
  /** Probes per round (default 15: each round narrows the interval about sixteenfold, 1 s → 63 ms → 4 ms, each plus the round trip). */
  probesPerRound?: number
  /** Stops early: the interval is kept as it is (Ctrl-C). */
  signal?: AbortSignal
  /** Tests: this host's clock and sleep, for virtual time. */
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const realSleep = (ms: number): Promise<void> => sleepFor(Math.max(0, ms)).then(() => undefined)

/**
 * The offset against a clock of one-second resolution (an HTTP Date header), read through
 * `probe`: a first probe bounds it to a second plus the round trip; each round then spreads its
 * probes over the span where the other clock's next second can tick, so that the probes on each
 * side of the tick bound it to their spacing plus the round trip.
 */
export async function measureSecondClock(probe: () => Promise<ClockReading>, source: string, options: DateProbeOptions = {}): Promise<ClockOffset> {
  const now = options.now ?? hostNowUnixMs
  const sleep = options.sleep ?? realSleep
  const perRound = options.probesPerRound ?? 15
  const first = await probe()
  const intervals = [intervalOf(first)]
  let current = intervalOf(first)
  let roundTripMs = first.receivedAtUnixMs - first.sentAtUnixMs
  for (let round = 0; round < (options.rounds ?? 2) && !options.signal?.aborted; round++) {
    const widthMs = current.highMs - current.lowMs
    if (widthMs <= roundTripMs + 1) break
    // The host time of the other clock's next tick lies in [tick − high, tick − low].
    const earliestTick = nextTick(now() + roundTripMs + 5 + current.highMs) - current.highMs
    for (let j = 1; j <= perRound && !options.signal?.aborted; j++) {
      const stampAt = earliestTick + (j * widthMs) / (perRound + 1)
      await sleep(stampAt - roundTripMs / 2 - now())
      const reading = await probe()
      roundTripMs = Math.min(roundTripMs, reading.receivedAtUnixMs - reading.sentAtUnixMs)
      intervals.push(intervalOf(reading))
    }
    const met = intersect(intervals)
    if (met) current = met
    else {
      // A clock that stepped during the probes: keep what the last probe alone guarantees.
      current = intervals.at(-1) as OffsetInterval
      intervals.splice(0, intervals.length - 1)
    }
  }
  return toClockOffset(current, source, first.sentAtUnixMs)
}

/** The next whole second of the other clock at or after `otherUnixMs`. */
function nextTick(otherUnixMs: number): number {
  return Math.ceil(otherUnixMs / 1000) * 1000
}

/** An interval as shard.json records it: its middle and half-width. */
export function toClockOffset(interval: OffsetInterval, source: string, measuredAtUnixMs: number): ClockOffset {
  return {
    source,
    offsetMs: (interval.lowMs + interval.highMs) / 2,
    uncertaintyMs: (interval.highMs - interval.lowMs) / 2,
    measuredAtUnixMs,
  }
}

/** An HTTP Date header (IMF-fixdate, or the obsolete forms Date.parse reads) as Unix ms; undefined when absent or unreadable. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Date.parse(value)
  return Number.isFinite(parsed) ? parsed : undefined
}
