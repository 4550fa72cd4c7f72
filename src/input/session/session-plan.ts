/**
 * Seeded plans of synthetic multi-turn sessions (src/io/schema/session.ts): for each session, its
 * turns' new user tokens, answer tokens and think time, and the prompt each turn sends (the shared
 * system prompt, every earlier turn's user message and answer, then the new message). Session `id`
 * draws from a stream of its own, so any session's plan is the same whichever others were drawn
 * (a shard plans only its own sessions; virtual time and HTTP runs plan the same ones).
 */
import type { LengthSpec } from '../../io/schema/length-spec.js'
import type { SessionConfig, ThinkTimeSpec } from '../../io/schema/session.js'
import { type Random, deriveSeed, lognormalSampler, sampleExponential, seededRandom } from '../../util/rng.js'
import { createLengthSampler } from '../distributions.js'

export interface PlannedTurn {
  /** Turn index in its session, from 0. */
  index: number
  /** Tokens of this turn's new user message. */
  userTokens: number
  /** Tokens asked for the answer (max_tokens). */
  answerTokens: number
  /** Tokens of the prompt sent: system prompt + every earlier user message and answer (as planned) + this message; no template tokens. */
  promptTokens: number
  /** Wait after the previous turn's answer ended, before sending this one (0 for the first turn). */
  thinkTimeMs: number
}

export interface PlannedSession {
  id: number
  turns: PlannedTurn[]
}

export interface SessionPlanOptions {
  sessions: SessionConfig
  /** Tokens of each new user message and of each answer (the scenario's input.inputTokens / input.outputTokens). */
  userTokens: LengthSpec
  answerTokens: LengthSpec
  seed: number
}

/** Independent random streams of one session. */
const STREAM = { turns: 1, userTokens: 2, answerTokens: 3, thinkTime: 4 } as const
/** The stream every session's own seed is derived from. */
const SESSIONS_STREAM = 7001

/** Plans session `id` (synthetic sessions: `sessions.turns` is required). */
export function planSession(options: SessionPlanOptions, id: number): PlannedSession {
  const { sessions } = options
  if (sessions.turns === undefined) throw new Error('planSession: synthetic sessions need `turns` (a file gives its own)')
  const seed = deriveSeed(deriveSeed(options.seed, SESSIONS_STREAM), id)
  const turnCount = createLengthSampler(sessions.turns, seededRandom(deriveSeed(seed, STREAM.turns)))()
  const drawUser = createLengthSampler(options.userTokens, seededRandom(deriveSeed(seed, STREAM.userTokens)))
  const drawAnswer = createLengthSampler(options.answerTokens, seededRandom(deriveSeed(seed, STREAM.answerTokens)))
  const drawThinkMs = createThinkTimeSampler(sessions.thinkTimeS, seededRandom(deriveSeed(seed, STREAM.thinkTime)))
  const turns: PlannedTurn[] = []
  let history = sessions.systemPromptTokens
  for (let index = 0; index < turnCount; index++) {
    const userTokens = drawUser()
    const answerTokens = drawAnswer()
    const thinkTimeMs = drawThinkMs()
    const promptTokens = history + userTokens
    if (sessions.maxContextTokens !== undefined && promptTokens + answerTokens > sessions.maxContextTokens && index > 0) break
    turns.push({ index, userTokens, answerTokens, promptTokens, thinkTimeMs: index === 0 ? 0 : thinkTimeMs })
    history = promptTokens + answerTokens
  }
  return { id, turns }
}

/** Returns a function drawing think times in ms (>= 0) from `spec` (seconds), using `random`. */
export function createThinkTimeSampler(spec: ThinkTimeSpec, random: Random): () => number {
  if (typeof spec === 'number') return () => spec * 1000
  switch (spec.dist) {
    case 'fixed':
      return () => spec.value * 1000
    case 'exponential':
      return () => sampleExponential(random) * spec.mean * 1000
    case 'uniform':
      return () => (spec.min + random.next() * (spec.max - spec.min)) * 1000
    case 'lognormal': {
      // mean and std describe the seconds themselves.
      const draw = lognormalSampler(spec.mean, spec.std, random)
      return () => draw() * 1000
    }
  }
}
