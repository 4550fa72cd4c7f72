/**
 * The traffic a simulated capacity search sends (src/sizing/simulated-capacity.ts): independent
 * single-turn prompts; multi-turn sessions whose turns carry their history, so the engine's prefix
 * cache can reuse it; or, beside a session mix, single-turn prompts of the very same lengths with
 * no shared prefix (its twin: what the capacity would be if nothing were reused). The search moves
 * the arrival rate (requests or sessions per second); capacity is reported per request.
 */
import type { LengthSpec } from '../io/schema/length-spec.js'
import type { SessionConfig } from '../io/schema/session.js'
import { createLengthSampler } from '../input/distributions.js'
import { type PlannedSession, planSession } from '../input/session/session-plan.js'
import type { LengthMoments } from '../sim/engine/implied-capacity.js'
import type { VirtualRunOptions } from '../sim/virtual.js'
import { UserError } from '../util/errors.js'
import { deriveSeed, seededRandom, shuffleInPlace } from '../util/rng.js'

export type TrafficShape = 'single-turn' | 'sessions' | 'trace'

/** The fields of runVirtual's options that send a traffic. */
export type TrafficSendOptions = Pick<VirtualRunOptions, 'inputTokens' | 'outputTokens'> &
  Partial<Pick<VirtualRunOptions, 'sessions' | 'replay'>> & {
    /** Simulated seconds of sending at this rate, instead of the search's (a trace: until its last row). */
    durationS?: number
  }

export interface SimulatedTraffic {
  shape: TrafficShape
  /** What one arrival of the searched rate is: a request, or a session of requestsPerArrival turns on average. */
  arrival: 'request' | 'session'
  requestsPerArrival: number
  /** Per request: prompt tokens (history included), answer tokens, E[answer²]. */
  moments: LengthMoments
  /** runVirtual's options for one search (its seed draws the lengths and sessions) at `arrivalsPerS`. */
  send(seed: number, arrivalsPerS: number): TrafficSendOptions
  /**
   * Sessions: seconds 90% of sessions last, if each turn takes `turnS` (answer included) on top of
   * their think times: the load is steady only that long after the first sessions start. 0 otherwise.
   */
  rampS(turnS: number): number
  /** Every request counts (a trace is the load itself): no warm-up or cool-down left out. */
  wholeRun?: boolean
}

/** Draws of a request shape for its moments. */
const MOMENT_DRAWS = 20_000
/** Sessions planned for a session mix's moments (and its twin's lengths). */
const SESSIONS_PLANNED = 2000

/** Mean lengths and E[O²] of a request shape, from draws of its samplers. */
export function lengthMoments(input: LengthSpec, output: LengthSpec, seed: number): LengthMoments {
  const drawInput = createLengthSampler(input, seededRandom(deriveSeed(seed, 101)))
  const drawOutput = createLengthSampler(output, seededRandom(deriveSeed(seed, 102)))
  const pairs: Array<{ inputTokens: number; outputTokens: number }> = []
  for (let i = 0; i < MOMENT_DRAWS; i++) {
    const outputTokens = drawOutput()
    pairs.push({ inputTokens: drawInput(), outputTokens })
  }
  return momentsOf(pairs)
}

export function momentsOf(pairs: ReadonlyArray<{ inputTokens: number; outputTokens: number }>): LengthMoments {
  let inputSum = 0
  let outputSum = 0
  let outputSquareSum = 0
  for (const { inputTokens, outputTokens } of pairs) {
    inputSum += inputTokens
    outputSum += outputTokens
    outputSquareSum += outputTokens * outputTokens
  }
  const n = Math.max(1, pairs.length)
  return { inputTokensMean: inputSum / n, outputTokensMean: outputSum / n, outputTokensSquareMean: outputSquareSum / n }
}

/** Independent prompts of the given lengths. */
export function singleTurnTraffic(inputTokens: LengthSpec, outputTokens: LengthSpec, seed: number): SimulatedTraffic {
  return {
    shape: 'single-turn',
    arrival: 'request',
    requestsPerArrival: 1,
    moments: lengthMoments(inputTokens, outputTokens, seed),
    send: () => ({ inputTokens, outputTokens }),
    rampS: () => 0,
  }
}

/** A session mix: its turns' lengths are user messages and answers; its arrivals are sessions. */
export interface SessionMix {
  sessions: SessionConfig
  userTokens: LengthSpec
  answerTokens: LengthSpec
}

/** Every turn of SESSIONS_PLANNED sessions planned with `seed`: (prompt with history, answer) pairs. */
function plannedTurns(mix: SessionMix, seed: number): { turns: Array<{ inputTokens: number; outputTokens: number }>; plans: PlannedSession[] } {
  if (mix.sessions.turns === undefined) throw new UserError('sessions.file: sizing needs synthetic sessions (turns), not a ShareGPT file')
  const turns: Array<{ inputTokens: number; outputTokens: number }> = []
  const plans: PlannedSession[] = []
  for (let id = 0; id < SESSIONS_PLANNED; id++) {
    const plan = planSession({ ...mix, seed }, id)
    plans.push(plan)
    for (const turn of plan.turns) turns.push({ inputTokens: turn.promptTokens, outputTokens: turn.answerTokens })
  }
  return { turns, plans }
}

/** The 90th percentile of the planned sessions' durations at `turnS` a turn. */
function sessionSpanS(plans: readonly PlannedSession[], turnS: number): number {
  const spans = plans.map((plan) => plan.turns.reduce((sum, turn) => sum + turn.thinkTimeMs / 1000 + turnS, 0)).sort((a, b) => a - b)
  return spans[Math.floor(spans.length * 0.9)] ?? 0
}

/** Sessions arriving as a process (the searched rate is sessions per second). */
export function sessionTraffic(given: SessionMix, seed: number): SimulatedTraffic {
  // A search sends sessions for as long as each rate is tried: a count of sessions would cut the load short.
  const { count: _count, ...sessions } = given.sessions
  const mix = { ...given, sessions }
  const { turns, plans } = plannedTurns(mix, seed)
  return {
    shape: 'sessions',
    arrival: 'session',
    requestsPerArrival: turns.length / plans.length,
    moments: momentsOf(turns),
    send: (searchSeed) => ({ inputTokens: mix.userTokens, outputTokens: mix.answerTokens, sessions: { ...mix, seed: searchSeed } }),
    rampS: (turnS) => sessionSpanS(plans, turnS),
  }
}

/**
 * Single-turn prompts with the very lengths of a session mix's turns (prompt with its history,
 * answer), in a seeded random order, sharing no prefix: the mix without its reuse.
 */
export function singleTurnTwin(mix: SessionMix, seed: number): SimulatedTraffic {
  const { turns } = plannedTurns(mix, seed)
  return {
    shape: 'single-turn',
    arrival: 'request',
    requestsPerArrival: 1,
    moments: momentsOf(turns),
    send: (searchSeed) => ({ inputTokens: 1, outputTokens: 1, replay: { lengths: shuffledTurns(turns, searchSeed) } }),
    rampS: () => 0,
  }
}

function shuffledTurns<T>(turns: readonly T[], seed: number): T[] {
  const copy = [...turns]
  shuffleInPlace(copy, seededRandom(deriveSeed(seed, 103)))
  return copy
}
