import { deriveSeed, seededRandom } from '../util/rng.js'
import type { FaultRates } from './faults.js'
import { startSimServer, type RunningSimServer } from './sim-server.js'
import { fixedTimingModel } from './timing.js'

export type { RunningSimServer } from './sim-server.js'
export type { SimStats } from './sim-metrics.js'

export interface FixedSimOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  ttftMs: number
  itlMs: number
  /** Uniform ± jitter around each token's deadline (default 0). */
  jitterMs?: number
  /** Seeds jitter and random faults (default 1). */
  seed?: number
  /** Served model name (default 'geopat-sim'). */
  model?: string
  /**
   * Tokens per socket write (default 1). With 4, four complete SSE events go out in ONE write every
   * 4·itl, as a buffering proxy or a server's stream interval would deliver them.
   */
  coalesce?: number
  /** Probability per request of each random fault, and the Retry-After of 429s. */
  faults?: FaultRates
  /** Output length when a request has no max_tokens (default 64). */
  defaultOutputTokens?: number
  /**
   * Busy-wait (setImmediate turns) for deadlines closer than this many ms, for sub-millisecond
   * precision (default 0: timers only, tokens up to ~1 ms late, far less CPU).
   */
  spinBelowMs?: number
}

/** Option names as the rules below report them; the CLI maps them to its flag names. */
export type FixedSimOptionName =
  | 'port'
  | 'ttftMs'
  | 'itlMs'
  | 'jitterMs'
  | 'seed'
  | 'coalesce'
  | 'defaultOutputTokens'
  | 'spinBelowMs'
  | 'faults.rate429'
  | 'faults.rate500'
  | 'faults.rateCut'
  | 'faults.rateHang'
  | 'faults.retryAfterS'

interface OptionRule {
  name: FixedSimOptionName
  value: (options: FixedSimOptions) => number | undefined
  holds: (value: number) => boolean
  rule: string
}

const isInteger = (value: number) => Number.isInteger(value)
const OPTION_RULES: readonly OptionRule[] = [
  { name: 'port', value: (o) => o.port, holds: (v) => isInteger(v) && v >= 0 && v <= 65535, rule: 'be an integer from 0 to 65535' },
  { name: 'ttftMs', value: (o) => o.ttftMs, holds: (v) => Number.isFinite(v) && v >= 0, rule: 'be >= 0' },
  { name: 'itlMs', value: (o) => o.itlMs, holds: (v) => Number.isFinite(v) && v >= 0, rule: 'be >= 0' },
  { name: 'jitterMs', value: (o) => o.jitterMs, holds: (v) => Number.isFinite(v) && v >= 0, rule: 'be >= 0' },
  { name: 'seed', value: (o) => o.seed, holds: (v) => isInteger(v), rule: 'be an integer' },
  { name: 'coalesce', value: (o) => o.coalesce, holds: (v) => isInteger(v) && v >= 1, rule: 'be an integer >= 1' },
  {
    name: 'defaultOutputTokens',
    value: (o) => o.defaultOutputTokens,
    holds: (v) => isInteger(v) && v >= 1,
    rule: 'be an integer >= 1',
  },
  { name: 'spinBelowMs', value: (o) => o.spinBelowMs, holds: (v) => v >= 0 && v <= 10, rule: 'be from 0 to 10' },
  ...(['rate429', 'rate500', 'rateCut', 'rateHang'] as const).map(
    (key): OptionRule => ({
      name: `faults.${key}`,
      value: (o) => o.faults?.[key],
      holds: (v) => v >= 0 && v <= 1,
      rule: 'be a probability from 0 to 1',
    }),
  ),
  {
    name: 'faults.retryAfterS',
    value: (o) => o.faults?.retryAfterS,
    holds: (v) => isInteger(v) && v >= 0,
    rule: 'be an integer >= 0',
  },
]

/**
 * The first rule the options break, as one line (`--itl-ms must be >= 0`), or undefined.
 * `displayName` turns option names into the caller's own (flag names for the CLI).
 */
export function findFixedSimOptionProblem(options: FixedSimOptions, displayName: (name: FixedSimOptionName) => string = (name) => name): string | undefined {
  for (const { name, value, holds, rule } of OPTION_RULES) {
    const current = value(options)
    if (current === undefined) continue
    if (typeof current !== 'number' || Number.isNaN(current)) return `${displayName(name)} must be a number`
    if (!holds(current)) return `${displayName(name)} must ${rule}`
  }
  const faults = options.faults ?? {}
  const rateSum = (faults.rate429 ?? 0) + (faults.rate500 ?? 0) + (faults.rateCut ?? 0) + (faults.rateHang ?? 0)
  if (rateSum > 1 + 1e-9) {
    const names = (['faults.rate429', 'faults.rate500', 'faults.rateCut', 'faults.rateHang'] as const).map(displayName)
    return `${names.join(' + ')} must add up to at most 1`
  }
  return undefined
}

/**
 * Starts an OpenAI-compatible streaming server with fixed timing: first token ttftMs after the
 * request arrives, then one every itlMs (± jitter), on an absolute schedule. The target for
 * geopat's load client when there is no GPU.
 */
export async function startFixedSimServer(options: FixedSimOptions): Promise<RunningSimServer> {
  const problem = findFixedSimOptionProblem(options)
  if (problem !== undefined) throw new RangeError(`startFixedSimServer: ${problem}`)
  const seed = options.seed ?? 1
  return startSimServer({
    host: options.host,
    port: options.port,
    model: options.model,
    coalesce: options.coalesce,
    defaultOutputTokens: options.defaultOutputTokens,
    spinBelowMs: options.spinBelowMs,
    faults: options.faults,
    // Separate streams for jitter and faults: changing the jitter must not change which requests fail.
    faultRandom: seededRandom(deriveSeed(seed, 1)),
    timing: fixedTimingModel({
      timeToFirstTokenMs: options.ttftMs,
      interTokenLatencyMs: options.itlMs,
      jitterMs: options.jitterMs ?? 0,
      random: seededRandom(deriveSeed(seed, 0)),
    }),
  })
}
