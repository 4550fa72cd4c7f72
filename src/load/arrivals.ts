/**
 * When an open-loop load generator sends each request: seeded arrival schedules.
 *
 * Inter-arrival gaps follow vLLM bench: gamma draws with shape = burstiness and mean = 1/rate
 * (shape 1 is a Poisson process; a smaller shape is burstier, a larger one smoother), and, when
 * the number of requests is known, the cumulative offsets are rescaled so the last request lands
 * exactly at count/rate seconds: without that, a run's achieved rate wanders a percent or two
 * between seeds, which is noise in every rate-versus-latency comparison.
 */
import { UserError } from '../util/errors.js'
import { type Random, sampleExponential, sampleStandardNormal, seededRandom } from '../util/rng.js'

export type ArrivalProcess = 'poisson' | 'gamma' | 'constant'

export interface ArrivalScheduleOptions {
  process: ArrivalProcess
  ratePerSecond: number
  /** Gamma shape (1 = Poisson, < 1 burstier, > 1 smoother); used by 'gamma' only. Default 1. */
  burstiness?: number
  seed: number
  /** Number of requests; when given the schedule ends at exactly count/rate seconds. */
  count?: number
}

export interface ArrivalSchedule {
  /** Intended send time of the next request, ms from the start; undefined once `count` are out. */
  nextOffsetMs(): number | undefined
}

export function createArrivalSchedule(options: ArrivalScheduleOptions): ArrivalSchedule {
  const { process, ratePerSecond, seed, count } = options
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
    throw new UserError(`arrival rate: must be a positive number of requests per second (got ${ratePerSecond})`)
  }
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new UserError(`arrival count: must be a whole number >= 0 (got ${count})`)
  }
  const meanGapMs = 1000 / ratePerSecond

  if (process === 'constant') return constantSchedule(ratePerSecond, count)

  const shape = process === 'poisson' ? 1 : (options.burstiness ?? 1)
  if (!(Number.isFinite(shape) && shape > 0)) {
    throw new UserError(`arrival burstiness: must be a positive number (got ${shape})`)
  }
  // Gamma(shape, scale = mean/shape) has the wanted mean; shape 1 is the exponential.
  const drawGap = (random: Random): number => (shape === 1 ? sampleExponential(random) * meanGapMs : (sampleGamma(shape, random) / shape) * meanGapMs)

  if (count === undefined) {
    const random = seededRandom(seed)
    let offsetMs = 0
    return {
      nextOffsetMs(): number {
        offsetMs += drawGap(random)
        return offsetMs
      },
    }
  }
  return rescaledSchedule(drawGap, seed, count, (count / ratePerSecond) * 1000)
}

/** The send times given (a trace's), in order, then no more. */
export function listedSchedule(offsetsMs: readonly number[]): ArrivalSchedule {
  let next = 0
  return { nextOffsetMs: () => offsetsMs[next++] }
}

/** Evenly spaced: request i (from 0) at (i+1)/rate, so that `count` of them end at count/rate. */
function constantSchedule(ratePerSecond: number, count: number | undefined): ArrivalSchedule {
  let sent = 0
  return {
    nextOffsetMs(): number | undefined {
      if (count !== undefined && sent >= count) return undefined
      sent += 1
      return (sent / ratePerSecond) * 1000
    },
  }
}

/**
 * vLLM's rescaling without holding the schedule in memory: a first pass over the seeded draws
 * finds their total, a second pass replays the same draws and scales each cumulative offset.
 * Memory stays flat for a schedule of millions of requests.
 */
function rescaledSchedule(drawGap: (random: Random) => number, seed: number, count: number, targetTotalMs: number): ArrivalSchedule {
  const totalRandom = seededRandom(seed)
  let totalMs = 0
  for (let i = 0; i < count; i++) totalMs += drawGap(totalRandom)

  const random = seededRandom(seed)
  let sent = 0
  let cumulativeMs = 0
  return {
    nextOffsetMs(): number | undefined {
      if (sent >= count) return undefined
      sent += 1
      cumulativeMs += drawGap(random)
      // All gaps underflowed to zero (only with a tiny shape): like vLLM, do not rescale.
      if (totalMs === 0) return cumulativeMs
      if (sent === count) return targetTotalMs
      return (cumulativeMs / totalMs) * targetTotalMs
    },
  }
}

/**
 * Gamma with the given shape and scale 1, by Marsaglia and Tsang (2000); for shape < 1 it draws
 * Gamma(shape + 1) and multiplies by U^(1/shape), their boost for small shapes.
 */
export function sampleGamma(shape: number, random: Random): number {
  if (shape < 1) {
    const boost = (1 - random.next()) ** (1 / shape)
    return sampleGamma(shape + 1, random) * boost
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = sampleStandardNormal(random)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - random.next()
    const xSquared = x * x
    // The cheap squeeze accepts most draws before the logarithms are needed.
    if (u < 1 - 0.0331 * xSquared * xSquared) return d * v
    if (Math.log(u) < 0.5 * xSquared + d * (1 - v + Math.log(v))) return d * v
  }
}
