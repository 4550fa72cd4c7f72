import type { LoadConfig } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import type { LoadStep } from './runner.js'

/** Completions below this share of the offered rate mean the server can no longer keep up. */
const OVER_SATURATION_RATIO = 0.9

/**
 * The share of the offered rate below which a step's completions say the server fell behind: 90%,
 * or lower where the step counted few requests, since a Poisson schedule's own count over a short
 * step strays by 1/√n (146 requests at 2.99/s over 60 s: ±8%, and one such step read 2.67 req/s on
 * a server far from saturation, which stopped the sweep after its first rate). Three standard
 * deviations of the count are allowed before the shortfall is taken for saturation.
 */
function overSaturationThreshold(requests: number): number {
  return requests > 0 ? Math.min(OVER_SATURATION_RATIO, 1 - 3 / Math.sqrt(requests)) : OVER_SATURATION_RATIO
}

function boundsOf(load: LoadConfig): Pick<LoadStep, 'maxRequests' | 'durationMs'> {
  return {
    ...(load.requests !== undefined ? { maxRequests: load.requests } : {}),
    ...(load.duration !== undefined ? { durationMs: load.duration * 1000 } : {}),
  }
}

/** The single step of a non-sweep run: closed loop at a concurrency, or open loop at a rate. */
export function singleStep(load: LoadConfig): LoadStep {
  const base = { step: 0, arrival: load.arrival, burstiness: load.burstiness, seed: load.seed, ...boundsOf(load) }
  if (load.rate !== undefined) {
    return {
      ...base,
      label: `rate ${load.rate}/s`,
      kind: 'rate',
      mode: 'open',
      ratePerS: load.rate,
      ...(load.maxConcurrency !== undefined ? { maxConcurrency: load.maxConcurrency } : {}),
    }
  }
  const concurrency = load.concurrency ?? 1
  return {
    ...base,
    label: `concurrency ${concurrency}`,
    kind: 'concurrency',
    mode: 'closed',
    concurrency,
    ...(load.rampUp > 0 ? { rampUpMs: load.rampUp * 1000 } : {}),
  }
}

/**
 * GuideLLM's sweep: a synchronous run (one request at a time), a maximum-throughput run, then K
 * rates evenly spaced between the two. `next` gets every finished step's summary and returns the
 * next step, or undefined when done; it stops raising the rate once the server is over-saturated
 * (completions fall below 90% of the offered rate, less a Poisson allowance on short steps:
 * overSaturationThreshold), since higher rates only measure a queue.
 */
export function createSweepPlanner(load: LoadConfig): { next(previous: RunSummary | undefined): LoadStep | undefined } {
  const bounds = boundsOf(load)
  const steps = load.sweepSteps
  let synchronousRate = 0
  let maximumRate = 0
  let index = 0
  return {
    next(previous) {
      const base = { arrival: load.arrival, burstiness: load.burstiness, seed: load.seed + index, ...bounds }
      if (index === 0) {
        index++
        return { ...base, step: 0, label: 'synchronous', kind: 'synchronous', mode: 'closed', concurrency: 1 }
      }
      if (!previous) return undefined
      if (index === 1) {
        synchronousRate = previous.throughput.requestsPerS
        index++
        // Users start over the first third of the step, so the step reaches a steady state.
        const rampUpMs = base.durationMs !== undefined ? base.durationMs / 3 : 0
        return {
          ...base,
          step: 1,
          label: 'throughput',
          kind: 'throughput',
          mode: 'closed',
          concurrency: load.sweepMaxConcurrency,
          ...(rampUpMs > 0 ? { rampUpMs } : {}),
        }
      }
      if (index === 2) maximumRate = previous.throughput.requestsPerS
      else {
        const offered = previous.requested.ratePerS ?? 0
        if (offered > 0 && previous.throughput.requestsPerS < overSaturationThreshold(previous.requests.inWindow) * offered) return undefined
      }
      const k = index - 1 // 1..steps
      if (k > steps || maximumRate <= synchronousRate) return undefined
      const rate = synchronousRate + ((maximumRate - synchronousRate) * k) / (steps + 1)
      index++
      const roundedRate = Number(rate.toPrecision(4))
      return {
        ...base,
        step: index - 1,
        label: `rate ${roundedRate}/s`,
        kind: 'rate',
        mode: 'open',
        ratePerS: roundedRate,
        ...(load.maxConcurrency !== undefined ? { maxConcurrency: load.maxConcurrency } : {}),
      }
    },
  }
}
