import { Flags } from '@oclif/core'
import { formatRunTable } from '../../io/output/summary-formats.js'
import type { RunSummary } from '../../io/schema/summary.js'
import { listProfiles } from '../../io/schema/sim-profile.js'
import { runVirtualFromFlags, simEndpointsFromFlags } from '../../sim/sim-cli.js'
import { type SimulatedEndpoint, startSimulatedEndpoint } from '../../sim/simulated-endpoint.js'
import type { SimStats } from '../../sim/sim-metrics.js'
import { waitForStop } from '../../sim/signals.js'
import { listWorkloads } from '../../sim/workload.js'
import { SimRequestLog } from '../../sim/request-log.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

/** Any number (ranges are checked after parsing, so that the message names the flag and rule). */
const numberFlag = Flags.custom<number>({ parse: async (input) => (input.trim() === '' ? Number.NaN : Number(input)) })

type SimResult = { endpoints: Array<{ name: string; url: string; stats: SimStats }> } | { virtual: RunSummary; speedup: number; preemptions: number }

export default class Sim extends GeopatCommand {
  static override summary = 'Run simulated OpenAI-compatible vLLM endpoints (no GPU needed), or simulate in virtual time'
  static override description = `With --profile, a calibrated engine model (continuous batching, KV cache, preemption) of a GPU and model from data/sim-profiles, confidential computing on or off (--cc), behind the network of a region (--region-rtt-ms). Without it, fixed timing (--ttft-ms, --itl-ms). --config starts several endpoints, one port each. --virtual runs the engine model in simulated time, with no HTTP, and prints the same summary as geopat bench.

Profiles: ${listProfiles().join(', ')}. Workloads (--virtual): ${listWorkloads().join(', ')}.`

  static override examples = [
    '<%= config.bin %> sim --port 8000 --ttft-ms 100 --itl-ms 10',
    '<%= config.bin %> sim --port 8001 --profile h100-sxm-llama-3.1-8b-bf16 --region-rtt-ms 90 --network-jitter-ms 1',
    '<%= config.bin %> sim --port 8002 --profile h100-nvl-llama-3.1-8b-bf16 --cc --region-rtt-ms 10',
    '<%= config.bin %> sim --config scenarios/sim-two-regions.yaml',
    '<%= config.bin %> sim --virtual --profile h100-sxm-llama-3.1-8b-bf16 --rate 20 --duration 600 --workload sharegpt-like',
    '<%= config.bin %> sim --fault-429-rate 0.05 --fault-cut-rate 0.01',
  ]

  static override flags = {
    config: Flags.string({ description: 'YAML file naming several endpoints (endpoints: {name: {profile, cc, network, faults, port}})' }),
    profile: Flags.string({ description: 'calibrated engine profile (see the list above); without it, fixed timing' }),
    cc: Flags.boolean({ description: "confidential computing on (the profile's CC tolls)" }),
    port: numberFlag({ description: 'port to listen on (0 = any free port)', default: 8000 }),
    host: Flags.string({ description: 'address to listen on', default: '127.0.0.1' }),
    'ttft-ms': numberFlag({ description: 'fixed timing: time to first token, ms after the request arrives' }),
    'itl-ms': numberFlag({ description: 'fixed timing: inter-token latency, ms' }),
    'jitter-ms': numberFlag({ description: 'fixed timing: uniform ± jitter on each token, ms' }),
    'region-rtt-ms': numberFlag({ description: 'network round trip between client and region, ms (e.g. 90 Frankfurt↔Virginia, 1 in-region)' }),
    'network-jitter-ms': numberFlag({ description: 'uniform ± jitter on each delivery, ms' }),
    'tls-round-trips': numberFlag({ description: 'extra round trips a new TLS connection pays before its first byte (1–2)' }),
    'cold-start': Flags.boolean({ description: "load the model first: no answer before the profile's cold start (×CC factor)" }),
    seed: numberFlag({ description: 'seed of jitter, engine noise and faults (default 1)' }),
    model: Flags.string({ description: "served model name (default: the profile's, or geopat-sim)" }),
    coalesce: numberFlag({ description: 'tokens per socket write (SSE events sent together)' }),
    'output-tokens': numberFlag({ description: 'output length when a request sets no max_tokens (default 64)' }),
    'fault-429-rate': numberFlag({ description: 'probability of a 429 answer per request' }),
    'fault-500-rate': numberFlag({ description: 'probability of a 500 answer per request' }),
    'fault-cut-rate': numberFlag({ description: 'probability of a stream cut halfway per request' }),
    'fault-hang-rate': numberFlag({ description: 'probability of a request never answered' }),
    'fault-first-requests': numberFlag({ description: 'random faults only among the first N requests (0 = all)' }),
    'retry-after-s': numberFlag({ description: 'Retry-After seconds sent with 429 answers (default 1)' }),
    'request-log': Flags.string({ description: "write one JSON line per generation request to this file: its x-request-id, when it was read and when its first token was written, on the machine's clock (for checking a client's timing)" }),
    'spin-below-ms': numberFlag({ description: 'cover the last part of each wait with event-loop turns for precision, at a CPU cost (default 1 with --profile, 0 otherwise)' }),
    virtual: Flags.boolean({ description: 'simulate in virtual time (no HTTP) and print the summary' }),
    rate: numberFlag({ description: '--virtual: Poisson arrivals per second' }),
    concurrency: numberFlag({ description: '--virtual: closed loop with this many requests in flight' }),
    requests: numberFlag({ description: '--virtual: number of requests' }),
    duration: numberFlag({ description: '--virtual: seconds of simulated time' }),
    workload: Flags.string({ description: '--virtual: request lengths from data/workloads (e.g. sharegpt-like, chat)' }),
    'input-tokens': Flags.string({ description: '--virtual: prompt tokens, N or a distribution (uniform:A-B, normal:M,S, lognormal:M,S)' }),
    'output-tokens-dist': Flags.string({ description: '--virtual: output tokens, N or a distribution' }),
    slo: Flags.string({ description: '--virtual: goodput objectives, e.g. ttft=500,tpot=50' }),
  }

  async run(): Promise<SimResult> {
    const { flags } = await this.parse(Sim)
    const endpoints = simEndpointsFromFlags(flags)
    if (flags.virtual) {
      if (flags.config) throw new UserError('--virtual simulates one endpoint: give --profile, not --config')
      const result = await runVirtualFromFlags(endpoints.sim as (typeof endpoints)[string], flags)
      if (!this.jsonEnabled()) {
        this.log(formatRunTable(result.summary))
        this.log(`  engine: ${result.engine.steps} steps, ${result.engine.preemptions} preemptions, KV cache ${result.engine.kvCacheTokens} tokens (peak use ${(result.engine.peakKvUsage * 100).toFixed(0)}%), ${result.speedup.toFixed(0)}× faster than real time`)
      }
      return { virtual: result.summary, speedup: result.speedup, preemptions: result.engine.preemptions }
    }

    // Listen for the stop signal (or the parent's end, when a geopat run started this simulator)
    // before starting, so that one arriving during start-up is not lost.
    const requestLog = flags['request-log'] ? openRequestLog(flags['request-log']) : undefined
    const stop = waitForStop()
    const started: SimulatedEndpoint[] = []
    try {
      for (const [name, config] of Object.entries(endpoints)) {
        const port = flags.config ? config.port : flags.port
        started.push(
          await startSimulatedEndpoint(name, { ...config, port }, { host: flags.host, ...(flags['spin-below-ms'] !== undefined ? { spinBelowMs: flags['spin-below-ms'] } : {}), ...(requestLog ? { requestLog } : {}) }).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'EADDRINUSE') throw new UserError(`${flags.config ? `${flags.config}: endpoints.${name}.port` : '--port'} ${port} is already in use on ${flags.host}`)
            if (error.code === 'EADDRNOTAVAIL') throw new UserError(`--host ${flags.host} is not an address of this machine`)
            throw error
          }),
        )
      }
    } catch (error) {
      await Promise.all(started.map((s) => s.close()))
      requestLog?.close()
      stop.release()
      throw error
    }
    for (const endpoint of started) {
      const line = `geopat sim listening on ${endpoint.url} (${endpoint.describe})`
      // With --json, stdout is reserved for the final JSON; the address still has to reach the user.
      if (this.jsonEnabled()) this.logToStderr(line)
      else this.log(line)
    }
    await stop.stopped
    await Promise.all(started.map((s) => s.close()))
    requestLog?.close()
    return { endpoints: started.map((s) => ({ name: s.name, url: s.url, stats: s.stats() })) }
  }
}

function openRequestLog(path: string): SimRequestLog {
  try {
    return new SimRequestLog(path)
  } catch (error) {
    throw new UserError(`--request-log ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}
