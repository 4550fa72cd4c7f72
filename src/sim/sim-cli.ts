import { parseLengthFlag } from '../input/distributions.js'
import { parseSloFlag } from '../load/bench-config.js'
import type { LoadStep } from '../load/runner.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type SimConfig, type SimEndpointConfig, simConfigSchema, simEndpointSchema } from '../io/schema/sim-endpoint.js'
import { UserError } from '../util/errors.js'
import { loadProfile } from '../io/schema/sim-profile.js'
import { type VirtualRunResult, runVirtual } from './virtual.js'
import { loadWorkload } from './workload.js'

/** `geopat sim` flags, as parsed (undefined = not given). */
export interface SimFlags {
  config?: string
  profile?: string
  cc?: boolean
  port?: number
  'ttft-ms'?: number
  'itl-ms'?: number
  'jitter-ms'?: number
  'region-rtt-ms'?: number
  'network-jitter-ms'?: number
  'tls-round-trips'?: number
  'cold-start'?: boolean
  seed?: number
  model?: string
  coalesce?: number
  'output-tokens'?: number
  'fault-429-rate'?: number
  'fault-500-rate'?: number
  'fault-cut-rate'?: number
  'fault-hang-rate'?: number
  'fault-first-requests'?: number
  'retry-after-s'?: number
}

const FLAG_OF_FIELD: Record<string, string> = {
  profile: '--profile',
  cc: '--cc',
  coldStart: '--cold-start',
  ttftMs: '--ttft-ms',
  itlMs: '--itl-ms',
  jitterMs: '--jitter-ms',
  'network.rttMs': '--region-rtt-ms',
  'network.jitterMs': '--network-jitter-ms',
  'network.tlsHandshakeRoundTrips': '--tls-round-trips',
  'faults.rate429': '--fault-429-rate',
  'faults.rate500': '--fault-500-rate',
  'faults.rateCut': '--fault-cut-rate',
  'faults.rateHang': '--fault-hang-rate',
  'faults.firstRequests': '--fault-first-requests',
  'faults.retryAfterS': '--retry-after-s',
  faults: '--fault-*-rate',
  coalesce: '--coalesce',
  defaultOutputTokens: '--output-tokens',
  seed: '--seed',
  model: '--model',
  port: '--port',
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The endpoints to start: from --config, or one from the flags. Errors name the flag or field. */
export function simEndpointsFromFlags(flags: SimFlags): SimConfig['endpoints'] {
  if (flags.config) return loadYamlFile(flags.config, simConfigSchema).endpoints
  const faults = defined({
    rate429: flags['fault-429-rate'],
    rate500: flags['fault-500-rate'],
    rateCut: flags['fault-cut-rate'],
    rateHang: flags['fault-hang-rate'],
    firstRequests: flags['fault-first-requests'],
    retryAfterS: flags['retry-after-s'],
  })
  const raw = defined({
    profile: flags.profile,
    cc: flags.cc,
    ttftMs: flags['ttft-ms'],
    itlMs: flags['itl-ms'],
    jitterMs: flags['jitter-ms'],
    network: defined({ rttMs: flags['region-rtt-ms'], jitterMs: flags['network-jitter-ms'], tlsHandshakeRoundTrips: flags['tls-round-trips'] }),
    faults: Object.keys(faults).length > 0 ? faults : undefined,
    coldStart: flags['cold-start'],
    coalesce: flags.coalesce,
    defaultOutputTokens: flags['output-tokens'],
    seed: flags.seed,
    model: flags.model,
    port: flags.port,
  })
  const result = simEndpointSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = issue?.path.map(String).join('.') ?? ''
    throw new UserError(`${FLAG_OF_FIELD[path] ?? (path || 'flags')}: ${issue?.message ?? 'invalid'}`)
  }
  if (result.data.profile) loadProfile(result.data.profile)
  return { sim: result.data }
}

export interface VirtualFlags {
  rate?: number
  concurrency?: number
  requests?: number
  duration?: number
  workload?: string
  'input-tokens'?: string
  'output-tokens-dist'?: string
  slo?: string
  seed?: number
}

/** `geopat sim --virtual`: the engine model in simulated time, summarised like `geopat bench`. */
export async function runVirtualFromFlags(endpoint: SimEndpointConfig, flags: VirtualFlags): Promise<VirtualRunResult> {
  if (!endpoint.profile) throw new UserError('--virtual needs --profile (fixed timing has nothing to simulate)')
  if (flags.rate !== undefined && flags.concurrency !== undefined) throw new UserError('--virtual: give either --rate or --concurrency, not both')
  if (flags.requests === undefined && flags.duration === undefined) throw new UserError('--virtual: give --requests and/or --duration')
  if (flags.rate !== undefined && !(flags.rate > 0)) throw new UserError('--rate: must be > 0')
  if (flags.concurrency !== undefined && !(Number.isInteger(flags.concurrency) && flags.concurrency >= 1)) throw new UserError('--concurrency: must be an integer >= 1')
  if (flags.requests !== undefined && !(Number.isInteger(flags.requests) && flags.requests >= 1)) throw new UserError('--requests: must be an integer >= 1')
  if (flags.duration !== undefined && !(flags.duration > 0)) throw new UserError('--duration: must be a number > 0')
  if (flags.seed !== undefined && !Number.isInteger(flags.seed)) throw new UserError('--seed: must be an integer')
  const workload = flags.workload ? loadWorkload(flags.workload) : undefined
  const inputTokens = flags['input-tokens'] ? parseLengthFlag(flags['input-tokens']) : (workload?.inputTokens ?? 256)
  const outputTokens = flags['output-tokens-dist'] ? parseLengthFlag(flags['output-tokens-dist']) : (workload?.outputTokens ?? 128)
  const seed = flags.seed ?? endpoint.seed
  const load: LoadStep = {
    step: 0,
    label: flags.rate !== undefined ? `rate ${flags.rate}/s` : `concurrency ${flags.concurrency ?? 1}`,
    mode: flags.rate !== undefined ? 'open' : 'closed',
    ...(flags.rate !== undefined ? { ratePerS: flags.rate } : { concurrency: flags.concurrency ?? 1 }),
    ...(flags.requests !== undefined ? { maxRequests: flags.requests } : {}),
    ...(flags.duration !== undefined ? { durationMs: flags.duration * 1000 } : {}),
    arrival: 'poisson',
    burstiness: 1,
    seed,
  }
  return runVirtual({
    profile: loadProfile(endpoint.profile),
    confidential: endpoint.cc,
    network: endpoint.network,
    load,
    inputTokens,
    outputTokens,
    seed,
    coldStart: endpoint.coldStart,
    ...(flags.slo ? { slo: parseSloFlag(flags.slo) } : {}),
  })
}
