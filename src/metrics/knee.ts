import type { RunSummary } from '../io/schema/summary.js'

/**
 * What a load step is, from what its summary says was asked (never from its display label):
 * `rate`: an open loop at a rate; `synchronous`: one request at a time (the first step of a sweep,
 * GuideLLM's); `throughput`: a sweep's maximum-throughput step (closed loop, its second step: a run
 * that is not a sweep has one step, step 0); `concurrency`: any other closed loop.
 */
export type StepKind = 'synchronous' | 'throughput' | 'rate' | 'concurrency'

export function stepKindOf(run: Pick<RunSummary, 'step' | 'requested'>): StepKind {
  if (run.requested.mode === 'open') return 'rate'
  if (run.step === 0 && run.requested.concurrency === 1) return 'synchronous'
  if (run.step === 1) return 'throughput'
  return 'concurrency'
}

/** Past the knee, the median TTFT exceeds this multiple of its one-request-at-a-time value. */
export const KNEE_TTFT_FACTOR = 3

/** A sweep step as the knee sees it. */
export interface KneeStep {
  kind: StepKind
  offeredRatePerS: number | null
  ttftP50Ms: number | null
}

export interface Knee {
  /** The highest offered rate the server kept up with (null: none, or no synchronous step). */
  ratePerS: number | null
  /** The next rate tried, past the knee (null: the sweep never passed it). */
  nextRatePerS: number | null
}

export function kneeStepOf(run: RunSummary): KneeStep {
  return { kind: stepKindOf(run), offeredRatePerS: run.requested.ratePerS, ttftP50Ms: run.metrics.ttft?.p50 ?? null }
}

/**
 * The knee (saturation point) of a sweep: the highest offered rate whose median TTFT stays within
 * KNEE_TTFT_FACTOR× the synchronous step's (past it, requests queue and TTFT climbs), and the next
 * rate tried, which did not. Steps in the order they ran.
 */
export function kneeOf(steps: readonly KneeStep[]): Knee {
  const synchronous = steps.find((s) => s.kind === 'synchronous')?.ttftP50Ms ?? null
  let knee: number | null = null
  let next: number | null = null
  for (const step of steps) {
    if (step.offeredRatePerS === null || synchronous === null || step.ttftP50Ms === null) continue
    if (step.ttftP50Ms <= KNEE_TTFT_FACTOR * synchronous && next === null) knee = step.offeredRatePerS
    else if (next === null) next = step.offeredRatePerS
  }
  return { ratePerS: knee, nextRatePerS: next }
}
