import { mean, sampleStandardDeviation } from 'simple-statistics'
import type { LengthSpec } from '../io/schema/length-spec.js'
import type { LoadStep } from '../load/runner.js'
import type { SloConfig } from '../io/schema/scenario.js'
import { type Slo, compileSlo, hasObjectives, requestObjectiveMax, runObjectivesMissed } from '../metrics/slo.js'
import type { Estimate } from '../io/schema/sizing.js'
import { impliedCapacity } from '../sim/engine/implied-capacity.js'
import type { SimProfile } from '../io/schema/sim-profile.js'
import type { NetworkPath } from '../sim/network.js'
import { runVirtual } from '../sim/virtual.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { type StopCheck, yieldAndCheck } from '../util/interrupt.js'
import { deriveSeed } from '../util/rng.js'
import { type ReplicaCapacity, scaleEstimate, tQuantile975 } from './replica-capacity.js'
import { type SimulatedTraffic, type TrafficShape, singleTurnTraffic } from './traffic.js'

export interface SimulatedCapacityOptions {
  profile: SimProfile
  confidential: boolean
  network?: NetworkPath
  /** Single-turn prompts of these lengths, unless `traffic` says what is sent. */
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  /** Sessions, or single-turn prompts of given lengths (src/sizing/traffic.ts); default: single-turn inputTokens/outputTokens. */
  traffic?: SimulatedTraffic
  slo: SloConfig
  attainment: number
  /** Independent searches (engine noise, arrivals and lengths differ), for the interval. */
  searches: number
  seed: number
  /** Simulated seconds per rate tried (warm-up and cool-down included). */
  durationS: number
  /** Stop bisecting when the bracket is narrower than this fraction of the rate. */
  tolerance?: number
  /** Looked at before each rate tried and inside each simulation: once stopped, the search throws Interrupted. */
  stop?: StopCheck
}

/** What traffic was searched, and what the simulator's prefix cache saw at the capacity found. */
export interface TrafficFound {
  shape: TrafficShape
  arrival: 'request' | 'session'
  requestsPerArrival: number
  /** Per request: prompt tokens (history included) and answer tokens, means. */
  promptTokensMean: number
  answerTokensMean: number
  /** The engine's prefix-cache counters (tokens) over the runs at each search's capacity (0 with caching off). */
  prefixCache: { queryTokens: number; hitTokens: number }
  /** The capacity in arrivals (sessions) per second. */
  arrivalsPerS: Estimate
}

export type SimulatedCapacity = ReplicaCapacity & { traffic: TrafficFound }

type Evaluation = ReplicaCapacity['evaluations'][number]
type PrefixTokens = TrafficFound['prefixCache']

/** One search's fixed parts: what is sent, how long, the SLO; and where its evaluations go. */
interface SearchContext {
  options: SimulatedCapacityOptions
  traffic: SimulatedTraffic
  slo: Slo
  warmupS: number
  cooldownS: number
  evaluations: Evaluation[]
}

/**
 * Capacity per replica found in the simulator's virtual time: for each of `searches` seeds, a
 * bracket around the profile's mean-value first cut, then bisection on the Poisson arrival rate
 * (requests, or sessions, per second) for the highest rate whose SLO attainment (steady-state
 * window) meets the target. The same seed at every rate of one search (common random numbers)
 * keeps the attainment curve smooth; the interval is a t-interval over the searches. Capacity is
 * per request: the arrival rate × requests per arrival (a session's mean turns).
 */
export async function capacityFromSimulator(options: SimulatedCapacityOptions): Promise<SimulatedCapacity> {
  const slo = compileSlo(options.slo)
  if (!hasObjectives(slo)) throw new OptionMessageError('{slo}: sizing needs at least one objective (ttft, tpot or e2e): without one, every rate "meets" it')
  const traffic = options.traffic ?? singleTurnTraffic(options.inputTokens, options.outputTokens, options.seed)
  const { moments, requestsPerArrival } = traffic
  const firstCut = impliedCapacity(options.profile, options.confidential, moments, requestObjectiveMax(slo, 'tpot'))
  if (!(firstCut.ratePerS > 0))
    throw new UserError(`${options.profile.name}: the TPOT objective is below the profile's fastest step (${firstCut.stepMs.toFixed(2)} ms): no rate meets it`)
  const warmup = traffic.wholeRun ? { seconds: 0, warning: null } : warmupOf(options, traffic, slo)
  const cooldownS = traffic.wholeRun ? 0 : Math.min(10, options.durationS * 0.1)
  const context: SearchContext = { options, traffic, slo, warmupS: warmup.seconds, cooldownS, evaluations: [] }
  const found: number[] = []
  const prefixCache: PrefixTokens = { queryTokens: 0, hitTokens: 0 }
  for (let search = 0; search < options.searches; search++) {
    const result = await searchOnce(context, firstCut.ratePerS / requestsPerArrival, deriveSeed(options.seed, 1000 + search))
    found.push(result.arrivalsPerS)
    prefixCache.queryTokens += result.prefixCache.queryTokens
    prefixCache.hitTokens += result.prefixCache.hitTokens
  }
  const arrivalsPerS = intervalOver(found)
  const ratePerS = scaleEstimate(arrivalsPerS, requestsPerArrival)
  return {
    capacity: {
      ratePerS,
      inputTokensPerS: scaleEstimate(ratePerS, moments.inputTokensMean * options.attainment),
      outputTokensPerS: scaleEstimate(ratePerS, moments.outputTokensMean * options.attainment),
      lowerBoundOnly: false,
    },
    evaluations: context.evaluations,
    firstCut,
    inputTokensMean: moments.inputTokensMean,
    outputTokensMean: moments.outputTokensMean,
    warnings: warmup.warning ? [warmup.warning] : [],
    traffic: {
      shape: traffic.shape,
      arrival: traffic.arrival,
      requestsPerArrival,
      promptTokensMean: moments.inputTokensMean,
      answerTokensMean: moments.outputTokensMean,
      prefixCache,
      arrivalsPerS,
    },
  }
}

/** Seconds a turn is taken to last for a session's span: the TTFT objective and the answer at the TPOT objective (500 ms and 30 ms without). */
const turnSecondsAtSlo = (slo: Slo, answerTokensMean: number): number =>
  ((requestObjectiveMax(slo, 'ttft') ?? 500) + answerTokensMean * (requestObjectiveMax(slo, 'tpot') ?? 30)) / 1000

/**
 * The steady-state window starts after the warm-up: 20% of the run (30 s at most) or, with
 * sessions, once the sessions that started first have ended (the load grows until then), up to
 * half the run; past that, a warning.
 */
function warmupOf(options: SimulatedCapacityOptions, traffic: SimulatedTraffic, slo: Slo): { seconds: number; warning: string | null } {
  const base = Math.min(30, options.durationS * 0.2)
  const rampS = traffic.rampS(turnSecondsAtSlo(slo, traffic.moments.outputTokensMean))
  const seconds = Math.min(options.durationS * 0.5, Math.max(base, rampS))
  const warning =
    rampS > seconds
      ? `sessions last about ${rampS.toFixed(0)} s (90% of them), more than half of the ${options.durationS} simulated seconds per rate: ` +
        'the load is not yet steady in the measurement window; simulate longer (sim-duration)'
      : null
  return { seconds, warning }
}

/** The mean of the rates the searches found, with a 95% t-interval over them. */
function intervalOver(found: number[]): Estimate {
  const estimate = mean(found)
  const half = found.length > 1 ? (tQuantile975(found.length - 1) * sampleStandardDeviation(found)) / Math.sqrt(found.length) : 0
  return {
    estimate,
    low: Math.max(0, estimate - half),
    high: estimate + half,
    method: found.length > 1 ? `95% t-interval over ${found.length} independent simulated searches` : 'one simulated search (no interval: use more searches)',
  }
}

/** One search: the bracket around `firstCut` (arrivals per second), then bisection; the rate found and its run's prefix counters. */
async function searchOnce(context: SearchContext, firstCut: number, seed: number): Promise<{ arrivalsPerS: number; prefixCache: PrefixTokens }> {
  const { options } = context
  const prefixAt = new Map<number, PrefixTokens>()
  const meets = async (rate: number): Promise<boolean> => {
    const run = await attainmentAt(context, rate, seed)
    prefixAt.set(rate, run.prefixCache)
    return run.attainment >= options.attainment
  }
  let high = firstCut * 1.1
  for (let i = 0; i < 6 && (await meets(high)); i++) high *= 1.5
  let low = firstCut * 0.5
  let lowHolds = await meets(low)
  for (let i = 0; i < 8 && !lowHolds; i++) {
    high = low
    low /= 2
    lowHolds = await meets(low)
  }
  if (!lowHolds) {
    const unit = context.traffic.arrival === 'session' ? 'sessions/s' : 'req/s'
    throw new UserError(`${options.profile.name}: even ${low.toFixed(3)} ${unit} misses the SLO at ${(options.attainment * 100).toFixed(0)}% attainment`)
  }
  while ((high - low) / low > (options.tolerance ?? 0.01)) {
    const middle = (low + high) / 2
    if (await meets(middle)) low = middle
    else high = middle
  }
  return { arrivalsPerS: low, prefixCache: prefixAt.get(low) ?? { queryTokens: 0, hitTokens: 0 } }
}

/** The SLO attainment (0 where a run objective misses) at `arrivalsPerS`, recorded as an evaluation in requests per second. */
async function attainmentAt(context: SearchContext, arrivalsPerS: number, seed: number): Promise<{ attainment: number; prefixCache: PrefixTokens }> {
  const { options, traffic } = context
  await yieldAndCheck(options.stop)
  const { durationS, ...send } = traffic.send(seed, arrivalsPerS)
  const load: LoadStep = {
    step: 0,
    label: `rate ${arrivalsPerS.toFixed(3)} ${traffic.arrival}s/s`,
    mode: 'open',
    ratePerS: arrivalsPerS,
    durationMs: (durationS ?? options.durationS) * 1000,
    arrival: 'poisson',
    burstiness: 1,
    seed,
  }
  const { summary, prefixCache } = await runVirtual({
    ...(options.stop ? { stop: options.stop } : {}),
    profile: options.profile,
    confidential: options.confidential,
    ...(options.network ? { network: options.network } : {}),
    load,
    ...send,
    seed,
    slo: options.slo,
    warmupS: context.warmupS,
    cooldownS: context.cooldownS,
  })
  const attainment = runObjectivesMissed(summary, context.slo).length > 0 ? 0 : (summary.goodput?.fractionOfRequests ?? 0)
  context.evaluations.push({ ratePerS: arrivalsPerS * traffic.requestsPerArrival, attainment, requests: summary.requests.inWindow, seed })
  return { attainment, prefixCache }
}
