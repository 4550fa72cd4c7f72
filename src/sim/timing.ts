import type { Random } from '../util/rng.js'

/** What a timing model may know about a request when it is admitted. */
export interface SimRequestInfo {
  endpoint: 'chat' | 'completion'
  model: string
  promptTokens: number
  /** The prompt's token ids, chat template headers included (for the engine's prefix cache). */
  promptTokenIds?: readonly number[]
  /** Exact number of tokens the simulator will generate. */
  outputTokens: number
  /** The answer is plain text known in advance (no reasoning or tool call planned): its blocks can be hashed ahead. */
  plainAnswer?: boolean
  stream: boolean
  /** performance.now() when the request body was complete. */
  receivedAtMs: number
}

/**
 * When each output token of one request is produced, as an offset in ms from `receivedAtMs`.
 * The server asks for token 0, 1, 2, ... in order, once each, so a schedule may draw random
 * numbers or consult shared engine state as it goes (a calibrated engine model will).
 */
export interface TokenSchedule {
  tokenOffsetMs(tokenIndex: number): number
}

/** Receives tokens as an engine model produces them (performance.now() clock). */
export interface TokenSink {
  onToken(tokenIndex: number, producedAtMs: number): void
}

/**
 * Tokens pushed by an engine model: with continuous batching a token's time depends on requests
 * that arrive later, so it cannot be asked for in advance. `start` submits the request (it reaches
 * the engine at `arrivesAtMs`); `cancel` frees its place when the client leaves.
 */
export interface EngineTokenFeed {
  start(arrivesAtMs: number, sink: TokenSink): { cancel(): void }
}

/** The pluggable timing source: given a request, its token schedule or an engine feed. */
export type TimingModel = (request: SimRequestInfo) => TokenSchedule | EngineTokenFeed

export function isEngineFeed(source: TokenSchedule | EngineTokenFeed): source is EngineTokenFeed {
  return 'start' in source
}

export interface FixedTimingOptions {
  timeToFirstTokenMs: number
  interTokenLatencyMs: number
  /** Uniform jitter in [-jitterMs, +jitterMs] added to each token's deadline. */
  jitterMs?: number
  /** Needed when jitterMs > 0. */
  random?: Random
}

/**
 * Fixed timing: token k is due at ttft + k·itl after receipt, on an absolute schedule (each
 * deadline is computed from receipt, not from the previous token, so lateness never accumulates),
 * plus independent jitter per token.
 */
export function fixedTimingModel(options: FixedTimingOptions): (request: SimRequestInfo) => TokenSchedule {
  const { timeToFirstTokenMs, interTokenLatencyMs } = options
  const jitterMs = options.jitterMs ?? 0
  const random = options.random
  if (jitterMs > 0 && random === undefined) throw new RangeError('fixedTimingModel: jitterMs > 0 needs a random source')
  const schedule: TokenSchedule =
    jitterMs > 0 && random !== undefined
      ? {
          tokenOffsetMs: (tokenIndex) => Math.max(0, timeToFirstTokenMs + tokenIndex * interTokenLatencyMs + (random.next() * 2 - 1) * jitterMs),
        }
      : { tokenOffsetMs: (tokenIndex) => timeToFirstTokenMs + tokenIndex * interTokenLatencyMs }
  // The schedule keeps no per-request state (jitter comes from the shared seeded source), so
  // every request can share one object.
  return () => schedule
}
