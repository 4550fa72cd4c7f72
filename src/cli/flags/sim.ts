import type { VirtualSimOptions } from '../../app/sim.js'
import { loadYamlFile } from '../../io/schema/load-file.js'
import { type SimConfig, simConfigSchema, simEndpointSchema } from '../../io/schema/sim-endpoint.js'
import { loadProfile } from '../../io/schema/sim-profile.js'
import { type TraceConfig, traceConfigSchema } from '../../io/schema/trace.js'
import { UserError } from '../../util/errors.js'
import * as parse from './parsers.js'
import { type FlagValues, applyFlags, boolean, choice, defineFlags, field, string, validateWithFlags, value } from './table.js'
import { traceOptionFlags } from './traffic-shape.js'

const FAULTS = ['faults']
const REASONING = ['reasoning']

/**
 * `geopat sim`'s flags. The endpoint flags set fields of one simulated endpoint
 * (src/io/schema/sim-endpoint.ts, whose defaults hold); the --virtual flags are options of the run.
 */
export const SIM_FLAGS = defineFlags({
  config: string({ description: 'YAML file naming several endpoints (endpoints: {name: {profile, cc, network, faults, port}})' }),
  profile: string({ description: 'calibrated engine profile (see the list above); without it, fixed timing', path: 'profile' }),
  cc: boolean({ description: "confidential computing on (the profile's CC tolls)", path: 'cc' }),
  port: value(parse.integer, {
    description: 'port to listen on (0 = any free port)',
    path: 'port',
    default: '8000',
    defaultBecause: 'one endpoint started by hand listens where a client expects it; endpoints of a --config file take any free port',
  }),
  host: string({ description: 'address to listen on', default: '127.0.0.1' }),
  'ttft-ms': field(parse.number, 'ttftMs', 'fixed timing: time to first token, ms after the request arrives'),
  'itl-ms': field(parse.number, 'itlMs', 'fixed timing: inter-token latency, ms'),
  'jitter-ms': field(parse.number, 'jitterMs', 'fixed timing: uniform ± jitter on each token, ms'),
  'region-rtt-ms': field(parse.number, 'network.rttMs', 'network round trip between client and region, ms (e.g. 90 Frankfurt↔Virginia, 1 in-region)'),
  'network-jitter-ms': field(parse.number, 'network.jitterMs', 'uniform ± jitter on each delivery, ms'),
  'tls-round-trips': field(parse.integer, 'network.tlsHandshakeRoundTrips', 'extra round trips a new TLS connection pays before its first byte (1–2)'),
  'prefix-caching': choice(['on', 'off'], {
    description: "automatic prefix caching, by vLLM's block hashing (default: the profile's engine.prefixCaching; vLLM V1 turns it on)",
    path: 'prefixCaching',
  }),
  'reasoning-share': value(parse.number, {
    description: 'a reasoning model: this share (0-1) of each chat answer streams first as delta.reasoning',
    path: 'reasoning.share',
    issuePaths: REASONING,
  }),
  'reasoning-tokens': value(parse.lengthSpec, {
    description:
      'a reasoning model: each chat answer streams this many tokens first as delta.reasoning, N or a distribution drawn per request ' +
      '(uniform:A-B, normal:M,S, lognormal:M,S); part of the answer, which keeps at least one token',
    path: 'reasoning.tokens',
    issuePaths: REASONING,
  }),
  'reasoning-field': choice(['reasoning', 'reasoning_content'], {
    description: "the reasoning delta's name: reasoning (vLLM since the rename) or reasoning_content (earlier vLLM)",
    path: 'reasoning.field',
  }),
  'cold-start': boolean({ description: "load the model first: no answer before the profile's cold start (×CC factor)", path: 'coldStart' }),
  seed: field(parse.integer, 'seed', 'seed of jitter, engine noise and faults (default 1)'),
  model: string({ description: "served model name (default: the profile's, or geopat-sim)", path: 'model' }),
  coalesce: field(parse.integer, 'coalesce', 'tokens per socket write (SSE events sent together)'),
  'output-tokens': field(parse.integer, 'defaultOutputTokens', 'output length when a request sets no max_tokens (default 64)'),
  'fault-429-rate': value(parse.number, { description: 'probability of a 429 answer per request', path: 'faults.rate429', issuePaths: FAULTS }),
  'fault-500-rate': value(parse.number, { description: 'probability of a 500 answer per request', path: 'faults.rate500', issuePaths: FAULTS }),
  'fault-cut-rate': value(parse.number, { description: 'probability of a stream cut halfway per ' + 'request', path: 'faults.rateCut', issuePaths: FAULTS }),
  'fault-hang-rate': value(parse.number, { description: 'probability of a request never answered', path: 'faults.rateHang', issuePaths: FAULTS }),
  'fault-first-requests': field(parse.integer, 'faults.firstRequests', 'random faults only among the first N requests (0 = ' + 'all)'),
  'retry-after-s': field(parse.number, 'faults.retryAfterS', 'Retry-After seconds sent with 429 answers (default 1)'),
  'request-log': string({
    description:
      'write one JSON line per generation request to this file: its x-request-id, when it was read and when its first ' +
      "token was written, on the machine's clock (for checking a client's timing)",
  }),
  'spin-below-ms': value(parse.number, {
    description: 'cover the last part of each wait with event-loop turns for precision, at a CPU cost (default 1 with --profile, 0 otherwise)',
  }),
  virtual: boolean({ description: 'simulate in virtual time (no HTTP) and print the summary' }),
  rate: value(parse.positiveNumber, { description: '--virtual: Poisson arrivals per second' }),
  concurrency: value(parse.positiveInteger, { description: '--virtual: closed loop with this many requests in flight' }),
  requests: value(parse.positiveInteger, { description: '--virtual: number of requests' }),
  duration: value(parse.positiveNumber, { description: '--virtual: seconds of simulated time' }),
  workload: string({ description: '--virtual: request lengths from data/workloads (e.g. sharegpt-like, chat)' }),
  'input-tokens': value(parse.lengthSpec, { description: '--virtual: prompt tokens, N or a distribution (uniform:A-B, normal:M,S, lognormal:M,S)' }),
  'output-tokens-dist': value(parse.lengthSpec, { description: '--virtual: output tokens, N or a distribution' }),
  slo: value(parse.slo, { description: '--virtual: goodput objectives, e.g. ttft=500,tpot=50' }),
  trace: string({
    description:
      '--virtual: replay a request trace (Mooncake JSONL, Azure CSV, BurstGPT CSV or geopat JSONL) instead of --rate/--concurrency: ' +
      "each row sent at its time with its lengths, its hash ids as shared prefix blocks; prints the engine's prefix hit rate beside the trace's",
  }),
  ...traceOptionFlags(),
  speedup: value(parse.number, { description: "with --trace: time scaling, 2 sends the trace twice as fast (default 1, the trace's own pace)" }),
})

export type SimFlagValues = FlagValues<typeof SIM_FLAGS>

/** The endpoints to start: from --config, or one from the flags. Errors name the flag or the file's field. */
export function simEndpointsFromFlags(values: SimFlagValues): SimConfig['endpoints'] {
  if (values.config) return loadYamlFile(values.config, simConfigSchema).endpoints
  const endpoint = validateWithFlags(simEndpointSchema, applyFlags(SIM_FLAGS, values, {}), { table: SIM_FLAGS, values, source: 'flags' })
  // An unknown profile fails here, before anything listens.
  if (endpoint.profile) loadProfile(endpoint.profile)
  return { sim: endpoint }
}

/** `--virtual`'s options, checked together: one endpoint with a profile, one load shape and a bound. */
export function virtualOptionsFromFlags(endpoints: SimConfig['endpoints'], values: SimFlagValues): VirtualSimOptions {
  if (values.config) throw new UserError('--virtual simulates one endpoint: give --profile, not --config')
  const endpoint = endpoints.sim
  if (!endpoint?.profile) throw new UserError('--virtual needs --profile (fixed timing has nothing to simulate)')
  const trace = traceFromFlags(values)
  if (values.rate !== undefined && values.concurrency !== undefined) throw new UserError('--virtual: give either --rate or --concurrency, not both')
  if (trace === undefined && values.requests === undefined && values.duration === undefined) throw new UserError('--virtual: give --requests and/or --duration')
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
  return {
    endpoint: { ...endpoint, profile: endpoint.profile },
    ...defined({
      rate: values.rate,
      concurrency: values.concurrency,
      requests: values.requests,
      duration: values.duration,
      workload: values.workload,
      inputTokens: values['input-tokens'],
      outputTokens: values['output-tokens-dist'],
      slo: values.slo,
      seed: values.seed,
      trace,
    }),
  }
}

/** The flags that set a field of the replayed trace (src/io/schema/trace.ts), by field. */
const TRACE_FIELD_FLAGS = { file: 'trace', format: 'trace-format', speedup: 'speedup', window: 'trace-window', limit: 'trace-limit' } as const
/** What a trace replay sets itself: the load shape and the lengths. */
const NOT_WITH_TRACE = ['rate', 'concurrency', 'workload', 'input-tokens', 'output-tokens-dist'] as const

/** --trace and its options as a trace to replay, checked by the trace schema (errors name the flag); undefined without --trace. */
function traceFromFlags(values: SimFlagValues): TraceConfig | undefined {
  if (values.trace === undefined) {
    const orphan = Object.values(TRACE_FIELD_FLAGS).find((flag) => values[flag] !== undefined)
    if (orphan) throw new UserError(`--${orphan} needs --trace`)
    return undefined
  }
  const clash = NOT_WITH_TRACE.find((flag) => values[flag] !== undefined)
  if (clash) throw new UserError(`--${clash}: a trace sets the arrivals and lengths itself; give --trace or --${clash}, not both`)
  const raw = Object.fromEntries(Object.entries(TRACE_FIELD_FLAGS).flatMap(([field, flag]) => (values[flag] === undefined ? [] : [[field, values[flag]]])))
  const parsed = traceConfigSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0] as (typeof parsed.error.issues)[number]
  const flag = TRACE_FIELD_FLAGS[issue.path[0] as keyof typeof TRACE_FIELD_FLAGS] ?? 'trace'
  throw new UserError(`--${flag}: ${issue.message}`)
}
