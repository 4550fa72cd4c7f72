import type { Random } from '../util/rng.js'
import { FAULT_KINDS, type FaultKind } from './sim-metrics.js'
import { firstHeaderValue } from '../util/http-header.js'

/** Request header that forces one fault on one request (tests and clients' error-path checks). */
export const FAULT_HEADER = 'x-geopat-fault'

/** Probability per generation request of each fault the simulator can draw at random. */
export interface FaultRates {
  rate429?: number
  rate500?: number
  rateCut?: number
  rateHang?: number
  /** Retry-After seconds sent with 429 answers (default 1). */
  retryAfterS?: number
}

export type FaultChoice = { ok: true; fault: FaultKind | undefined } | { ok: false; message: string }

function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value)
}

/** The fault forced by the request's header, if any; an unknown value is the client's mistake. */
export function forcedFault(headerValue: string | string[] | undefined): FaultChoice {
  if (headerValue === undefined) return { ok: true, fault: undefined }
  const value = (firstHeaderValue(headerValue) ?? '').trim().toLowerCase()
  if (isFaultKind(value)) return { ok: true, fault: value }
  return { ok: false, message: `unknown ${FAULT_HEADER} value "${value}"; expected one of ${FAULT_KINDS.join(', ')}` }
}

/**
 * Draws the random fault of one request: a single uniform draw split into consecutive ranges, so
 * the sequence of faults depends only on the seed and the order of requests.
 */
export function createFaultDrawer(rates: FaultRates, random: Random): () => FaultKind | undefined {
  const ranges: Array<[FaultKind, number]> = [
    ['429', rates.rate429 ?? 0],
    ['500', rates.rate500 ?? 0],
    ['cut', rates.rateCut ?? 0],
    ['hang', rates.rateHang ?? 0],
  ]
  const active = ranges.filter(([, rate]) => rate > 0)
  if (active.length === 0) return () => undefined
  return () => {
    let draw = random.next()
    for (const [kind, rate] of active) {
      if (draw < rate) return kind
      draw -= rate
    }
    return undefined
  }
}
