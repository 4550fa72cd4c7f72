import type { LengthSpec } from '../io/schema/length-spec.js'
import { type Scenario, inputSchema, loadSchema } from '../io/schema/scenario.js'
import type { TraceConfig } from '../io/schema/trace.js'
import { loadTraceReplay, traceStep, virtualReplay } from '../load/trace-replay.js'
import { traceRowBlockHashes } from '../sim/engine/prefix-cache.js'
import type { SimConfig, SimEndpointConfig } from '../io/schema/sim-endpoint.js'
import type { LoadStep } from '../load/runner.js'
import { type SimProfile, loadProfile } from '../io/schema/sim-profile.js'
import { SimRequestLog } from '../sim/request-log.js'
import type { SimStats } from '../sim/sim-metrics.js'
import { type SimulatedEndpoint, startSimulatedEndpoint, withPrefixCaching } from '../sim/simulated-endpoint.js'
import { waitForStop } from '../sim/signals.js'
import { type VirtualRunOptions, type VirtualRunResult, runVirtual } from '../sim/virtual.js'
import { loadWorkload } from '../sim/workload.js'
import { UserError } from '../util/errors.js'

/** `geopat sim --virtual`: one endpoint with a profile, a load shape and a bound (checked by the caller). */
export interface VirtualSimOptions {
  endpoint: SimEndpointConfig & { profile: string }
  /** Poisson arrivals per second; otherwise a closed loop at `concurrency` (default 1). */
  rate?: number
  concurrency?: number
  requests?: number
  /** Seconds of simulated time. */
  duration?: number
  /** Request lengths from data/workloads; `inputTokens` and `outputTokens` override them. */
  workload?: string
  inputTokens?: LengthSpec
  outputTokens?: LengthSpec
  slo?: Scenario['slo']
  /** Default: the endpoint's seed. */
  seed?: number
  /** Replay this trace (its send times, lengths and hash ids) instead of a rate or concurrency; `requests`/`duration` still bound it. */
  trace?: TraceConfig
  /** Keep every request's record in the result (tests). */
  keepRecords?: boolean
}

/** `geopat sim --virtual`'s result: the run, and what prefix caching found. */
export interface VirtualSimResult extends VirtualRunResult {
  /** Prompt tokens the engine found cached ÷ prompt tokens it was asked for (vLLM's counters); null with caching off. */
  prefixHitRate: number | null
  /** A trace replay: the reuse its hash ids imply (src/input/trace/prefix-reuse.ts), for comparison with prefixHitRate. */
  impliedPrefixReuse?: number
}

/** Lengths without a workload or a length given: a scenario's (bench's) defaults. */
const DEFAULT_LENGTHS = inputSchema.parse({})

/** The engine model in simulated time, summarised like `geopat bench`. */
export async function runVirtualSim(options: VirtualSimOptions): Promise<VirtualSimResult> {
  const { endpoint } = options
  const profile = withPrefixCaching(loadProfile(endpoint.profile), endpoint.prefixCaching)
  const seed = options.seed ?? endpoint.seed
  const shape = options.trace ? await traceShape(options.trace, options, profile, seed) : drawnShape(options, seed)
  const result = await runVirtual({
    profile,
    confidential: endpoint.cc,
    network: endpoint.network,
    seed,
    coldStart: endpoint.coldStart,
    ...shape,
    ...(options.slo ? { slo: options.slo } : {}),
    ...(options.keepRecords ? { keepRecords: true } : {}),
  })
  const { queryTokens, hitTokens } = result.prefixCache
  const implied = shape.load.trace?.impliedPrefixReuse
  return {
    ...result,
    prefixHitRate: profile.engine.prefixCaching ? hitTokens / Math.max(1, queryTokens) : null,
    ...(implied !== undefined ? { impliedPrefixReuse: implied } : {}),
  }
}

type VirtualShape = Pick<VirtualRunOptions, 'load' | 'inputTokens' | 'outputTokens' | 'replay'>

/** A rate (Poisson) or a concurrency (closed loop), lengths drawn from the workload or the flags. */
function drawnShape(options: VirtualSimOptions, seed: number): VirtualShape {
  const workload = options.workload ? loadWorkload(options.workload) : undefined
  const open = options.rate !== undefined
  const load: LoadStep = {
    step: 0,
    label: open ? `rate ${options.rate}/s` : `concurrency ${options.concurrency ?? 1}`,
    mode: open ? 'open' : 'closed',
    ...(options.rate !== undefined ? { ratePerS: options.rate } : { concurrency: options.concurrency ?? 1 }),
    ...(options.requests !== undefined ? { maxRequests: options.requests } : {}),
    ...(options.duration !== undefined ? { durationMs: options.duration * 1000 } : {}),
    arrival: 'poisson',
    burstiness: 1,
    seed,
  }
  return {
    load,
    inputTokens: options.inputTokens ?? workload?.inputTokens ?? DEFAULT_LENGTHS.inputTokens,
    outputTokens: options.outputTokens ?? workload?.outputTokens ?? DEFAULT_LENGTHS.outputTokens,
  }
}

/**
 * A trace replayed in virtual time: each row sent exactly at its (scaled) time with its lengths,
 * its hash ids named as the engine names blocks (traceBlockHashes, the profile's block size), so
 * prefix caching sees the reuse the trace has; the open loop's step as `geopat bench --trace` runs it.
 */
async function traceShape(trace: TraceConfig, options: VirtualSimOptions, profile: SimProfile, seed: number): Promise<VirtualShape> {
  const plan = await loadTraceReplay(trace)
  const load = traceStep(loadSchema.parse({ trace, seed, requests: options.requests, duration: options.duration }), plan)
  const { blockSize } = profile.engine
  // Lengths come from the rows: the drawn lengths are never used.
  return { load, inputTokens: 1, outputTokens: 1, replay: virtualReplay(plan, traceRowBlockHashes(blockSize), load.maxRequests) }
}

/** An option of `serveSimEndpoints` that cannot be used as given; the CLI names where it came from. */
export class SimServeError extends UserError {
  constructor(
    readonly option: 'port' | 'host' | 'requestLog',
    /** What is wrong, starting with the value: `8000 is already in use on 127.0.0.1`. */
    readonly detail: string,
    /** The endpoint it concerns, for a port. */
    readonly endpoint?: string,
  ) {
    super(`${option} ${detail}`)
  }
}

export interface SimServeOptions {
  host: string
  /** Cover the last part of each wait with event-loop turns (ms); the simulator's default when absent. */
  spinBelowMs?: number
  /** One JSON line per generation request. */
  requestLogPath?: string
  /** Where each endpoint is heard, once all listen. */
  onListening: (endpoint: { name: string; url: string; describe: string }) => void
}

export interface SimServeResult {
  endpoints: Array<{ name: string; url: string; stats: SimStats }>
}

function openRequestLog(path: string): SimRequestLog {
  try {
    return new SimRequestLog(path)
  } catch (error) {
    throw new SimServeError('requestLog', `${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

async function startAll(endpoints: SimConfig['endpoints'], options: SimServeOptions, requestLog: SimRequestLog | undefined): Promise<SimulatedEndpoint[]> {
  const started: SimulatedEndpoint[] = []
  const serverOptions = {
    host: options.host,
    ...(options.spinBelowMs !== undefined ? { spinBelowMs: options.spinBelowMs } : {}),
    ...(requestLog ? { requestLog } : {}),
  }
  try {
    for (const [name, config] of Object.entries(endpoints)) {
      started.push(
        await startSimulatedEndpoint(name, config, serverOptions).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') throw new SimServeError('port', `${config.port} is already in use on ${options.host}`, name)
          if (error.code === 'EADDRNOTAVAIL') throw new SimServeError('host', `${options.host} is not an address of this machine`)
          throw error
        }),
      )
    }
    return started
  } catch (error) {
    await Promise.all(started.map((s) => s.close()))
    throw error
  }
}

/**
 * `geopat sim`: serves the endpoints until a stop signal (or the end of the parent, when a geopat
 * run started this simulator), then returns what each served.
 */
export async function serveSimEndpoints(endpoints: SimConfig['endpoints'], options: SimServeOptions): Promise<SimServeResult> {
  // Listen for the stop signal before starting, so that one arriving during start-up is not lost.
  const requestLog = options.requestLogPath ? openRequestLog(options.requestLogPath) : undefined
  const stop = waitForStop()
  let started: SimulatedEndpoint[]
  try {
    started = await startAll(endpoints, options, requestLog)
  } catch (error) {
    requestLog?.close()
    stop.release()
    throw error
  }
  for (const endpoint of started) options.onListening(endpoint)
  await stop.stopped
  await Promise.all(started.map((s) => s.close()))
  requestLog?.close()
  return { endpoints: started.map((s) => ({ name: s.name, url: s.url, stats: s.stats() })) }
}
