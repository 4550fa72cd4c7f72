import type { RunSummary } from '../io/schema/summary.js'

/**
 * What a load step is, carried by the load step itself (LoadStep.kind, set by the sweep planner):
 * `synchronous`: one request at a time (the first step of a sweep, GuideLLM's); `throughput`: a
 * sweep's maximum-throughput step; `rate`: an open loop at a rate; `concurrency`: any other closed
 * loop. Never read from a step's display label.
 */
export type StepKind = 'synchronous' | 'throughput' | 'rate' | 'concurrency'

/**
 * A step's kind from what its summary says was asked (summary.json does not carry the kind): an
 * open loop is `rate`, a closed loop of one request at a time `synchronous`, any other closed loop
 * `concurrency` (a summary cannot tell a sweep's maximum-throughput step from a plain closed loop).
 */
export function stepKindOf(run: Pick<RunSummary, 'requested'>): StepKind {
  if (run.requested.mode === 'open') return 'rate'
  return run.requested.concurrency === 1 ? 'synchronous' : 'concurrency'
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

/** A run summary as a knee step; `kind`: the load step's own, where known (else stepKindOf). */
export function kneeStepOf(run: RunSummary, kind: StepKind = stepKindOf(run)): KneeStep {
  return { kind, offeredRatePerS: run.requested.ratePerS, ttftP50Ms: run.metrics.ttft?.p50 ?? null }
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
