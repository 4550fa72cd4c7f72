/**
 * A simulated source's search (src/sizing/run.ts): its traffic (single-turn prompts, or a session
 * mix), the capacity found with the profile's model error applied, and what sizing.json records of
 * the traffic: its shape, the mean prompt per request with its history, and the prefix hit rate the
 * simulator saw at the capacity found. A session mix is searched a second time as single-turn
 * prompts of the very same lengths with no shared prefix, so the reader sees what the reuse is worth.
 */
import type { LengthSpec } from '../io/schema/length-spec.js'
import type { SloConfig } from '../io/schema/scenario.js'
import type { SessionConfig, ThinkTimeSpec } from '../io/schema/session.js'
import type { SimProfile } from '../io/schema/sim-profile.js'
import type { ModelError, SizingTraffic } from '../io/schema/sizing.js'
import type { NetworkPath } from '../sim/network.js'
import type { StopCheck } from '../util/interrupt.js'
import { applyModelError } from './model-error.js'
import type { ReplicaCapacity } from './replica-capacity.js'
import { type SimulatedCapacity, capacityFromSimulator } from './simulated-capacity.js'
import { type TraceTraffic, traceTraffic } from './trace-traffic.js'
import type { TraceConfig } from '../io/schema/trace.js'
import { type SessionMix, type SimulatedTraffic, sessionTraffic, singleTurnTraffic, singleTurnTwin } from './traffic.js'

export interface SimulatedSource {
  kind: 'simulated'
  label: string
  profile: SimProfile
  confidential: boolean
  network?: NetworkPath
  /** Single-turn: each prompt and answer. With `sessions`: each turn's new user message and answer. */
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  /** Multi-turn sessions (synthetic: `turns`) instead of independent prompts. */
  sessions?: SessionConfig
  /** A trace replayed with its lengths and hash ids, at the speeds searched (instead of the lengths and sessions). */
  trace?: TraceConfig
  gpusPerReplica: number
}

export interface SearchSettings {
  slo: SloConfig
  attainment: number
  searches: number
  seed: number
  durationS: number
  stop?: StopCheck
}

export const PREFIX_HIT_ASSUMPTION =
  "the simulator's prefix cache at the capacity found (hit tokens / query tokens, vLLM's definition), on one replica of this profile: " +
  'an assumption about the real server, whose cache size, eviction and request routing decide its own hit rate'

/** The source searched in virtual time: capacity (model error applied), the band, and the traffic record. */
export async function searchSimulatedSource(
  source: SimulatedSource,
  settings: SearchSettings,
): Promise<{ found: ReplicaCapacity; modelError: ModelError; traffic: SizingTraffic }> {
  const mix: SessionMix | undefined = source.sessions
    ? { sessions: source.sessions, userTokens: source.inputTokens, answerTokens: source.outputTokens }
    : undefined
  const trace = source.trace ? await traceTraffic(source.trace, source.profile.engine.blockSize) : undefined
  const traffic = trace ?? (mix ? sessionTraffic(mix, settings.seed) : singleTurnTraffic(source.inputTokens, source.outputTokens, settings.seed))
  const searched = await search(source, settings, traffic)
  const band = applyModelError(searched.capacity, source.profile)
  const twin = mix ? await search(source, settings, singleTurnTwin(mix, settings.seed)) : undefined
  const twinCapacity = twin ? applyModelError(twin.capacity, source.profile).capacity : undefined
  const found: ReplicaCapacity = { ...searched, capacity: band.capacity, warnings: [...searched.warnings, ...band.warnings] }
  const { prefixCache } = searched.traffic
  return {
    found,
    modelError: band.modelError,
    traffic: {
      shape: searched.traffic.shape,
      detail: trace?.detail ?? (mix ? describeSessionMix(mix, searched.traffic.requestsPerArrival) : 'single-turn prompts, independent (no shared prefix)'),
      requestsPerSession: mix ? searched.traffic.requestsPerArrival : null,
      promptTokensMean: searched.traffic.promptTokensMean,
      answerTokensMean: searched.traffic.answerTokensMean,
      sessionsPerS: mix ? searched.traffic.arrivalsPerS : null,
      prefixCaching: source.profile.engine.prefixCaching,
      prefixHitRate: hitRate(prefixCache),
      prefixQueryTokens: prefixCache.queryTokens,
      prefixHitTokens: prefixCache.hitTokens,
      assumption: PREFIX_HIT_ASSUMPTION,
      singleTurn:
        twin && twinCapacity
          ? { ratePerS: twinCapacity.ratePerS, outputTokensPerS: twinCapacity.outputTokensPerS, prefixHitRate: hitRate(twin.traffic.prefixCache) }
          : null,
      ...(trace ? { trace: traceFound(trace, searched) } : {}),
    },
  }
}

/** A trace's own rate, the capacity as a speedup of it, and the reuse its hash ids imply. */
function traceFound(trace: TraceTraffic, searched: SimulatedCapacity): NonNullable<SizingTraffic['trace']> {
  const rate = searched.capacity.ratePerS
  const speedup = {
    ...rate,
    estimate: rate.estimate / trace.ownRatePerS,
    low: rate.low / trace.ownRatePerS,
    high: rate.high === null ? null : rate.high / trace.ownRatePerS,
  }
  return { ownRatePerS: trace.ownRatePerS, speedup, impliedPrefixReuse: trace.impliedPrefixReuse }
}

function search(source: SimulatedSource, settings: SearchSettings, traffic: SimulatedTraffic): Promise<SimulatedCapacity> {
  return capacityFromSimulator({
    profile: source.profile,
    confidential: source.confidential,
    ...(source.network ? { network: source.network } : {}),
    inputTokens: source.inputTokens,
    outputTokens: source.outputTokens,
    traffic,
    slo: settings.slo,
    attainment: settings.attainment,
    searches: settings.searches,
    seed: settings.seed,
    durationS: settings.durationS,
    ...(settings.stop ? { stop: settings.stop } : {}),
  })
}

/** Hit tokens / query tokens; null when nothing was queried (prefix caching off). */
const hitRate = (tokens: { queryTokens: number; hitTokens: number }): number | null => (tokens.queryTokens > 0 ? tokens.hitTokens / tokens.queryTokens : null)

/** A token length or think time as its flag writes it: 512, uniform:100-300, normal:512,64. */
function specText(spec: LengthSpec | ThinkTimeSpec, unit = ''): string {
  if (typeof spec === 'number') return `${spec}${unit}`
  switch (spec.dist) {
    case 'fixed':
      return `${spec.value}${unit}`
    case 'uniform':
      return `uniform ${spec.min}–${spec.max}${unit}`
    case 'exponential':
      return `exponential, mean ${spec.mean}${unit}`
    default:
      return `${spec.dist}, mean ${spec.mean}${unit}, std ${spec.std}`
  }
}

/** "sessions of 4 user turns (4.00 a session on average), think time 2 s, …". */
export function describeSessionMix(mix: SessionMix, turnsMean: number): string {
  const { sessions } = mix
  return [
    `sessions of ${specText(sessions.turns ?? 0)} user turns (${turnsMean.toFixed(2)} a session on average)`,
    `think time ${specText(sessions.thinkTimeS, ' s')}`,
    `a shared system prompt of ${sessions.systemPromptTokens} tokens`,
    ...(sessions.maxContextTokens !== undefined ? [`context ≤ ${sessions.maxContextTokens} tokens`] : []),
    `each turn a user message of ${specText(mix.userTokens)} tokens and an answer of ${specText(mix.answerTokens)}, the history carried in every prompt`,
  ].join(', ')
}
