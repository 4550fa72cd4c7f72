import type { SimServeError, SimServeResult, VirtualSimResult } from '../../app/sim.js'
import type { RunSummary } from '../../io/schema/summary.js'
import { formatRunTable } from '../render/summary-formats.js'
import { listProfiles } from '../../io/schema/sim-profile.js'
import { listWorkloads } from '../../sim/workload.js'
import { withFlagTable } from '../flag-table-command.js'
import { UserError } from '../../util/errors.js'
import { SIM_FLAGS, type SimFlagValues, simEndpointsFromFlags, virtualOptionsFromFlags } from '../flags/sim.js'
import type { FlagValues } from '../flags/table.js'

type SimResult =
  | SimServeResult
  | {
      virtual: RunSummary
      speedup: number
      preemptions: number
      prefixCache: { queryTokens: number; hitTokens: number; hitRate: number | null; impliedReuse?: number }
    }

export default class Sim extends withFlagTable(SIM_FLAGS) {
  static override summary = 'Run simulated OpenAI-compatible vLLM endpoints (no GPU needed), or simulate in virtual time'
  static override description =
    'With --profile, a calibrated engine model (continuous batching, KV cache, preemption) of a GPU and model from ' +
    'data/sim-profiles, confidential computing on or off (--cc), behind the network of a region (--region-rtt-ms). ' +
    'Without it, fixed timing (--ttft-ms, --itl-ms). --config starts several endpoints, one port each. --virtual ' +
    'runs the engine model in simulated time, with no HTTP, and prints the same summary as geopat bench; with --trace it ' +
    `replays a request trace (its times, lengths and hash ids) and prints the prefix hit rate.

Profiles: ${listProfiles().join(', ')}. Workloads (--virtual): ${listWorkloads().join(', ')}.`

  static override examples = [
    '<%= config.bin %> sim --port 8000 --ttft-ms 100 --itl-ms 10',
    '<%= config.bin %> sim --port 8001 --profile h100-sxm-llama-3.1-8b-bf16 --region-rtt-ms 90 --network-jitter-ms 1',
    '<%= config.bin %> sim --port 8002 --profile h100-nvl-llama-3.1-8b-bf16 --cc --region-rtt-ms 10',
    '<%= config.bin %> sim --config scenarios/sim-two-regions.yaml',
    '<%= config.bin %> sim --virtual --profile h100-sxm-llama-3.1-8b-bf16 --rate 20 --duration 600 --workload sharegpt-like',
    '<%= config.bin %> sim --virtual --profile h100-sxm-llama-3.1-8b-bf16 --prefix-caching on --trace data/traces/mooncake-synthetic.jsonl',
    '<%= config.bin %> sim --fault-429-rate 0.05 --fault-cut-rate 0.01',
  ]

  protected async execute(values: FlagValues<typeof SIM_FLAGS>): Promise<SimResult> {
    const endpoints = simEndpointsFromFlags(values)
    if (values.virtual) {
      const options = virtualOptionsFromFlags(endpoints, values)
      const { runVirtualSim } = await import('../../app/sim.js')
      const { withFlagNames } = await import('../flags/option-errors.js')
      const result = await withFlagNames(SIM_FLAGS, () => runVirtualSim(options))
      if (!this.jsonEnabled()) {
        this.log(formatRunTable(result.summary))
        const { engine } = result
        this.log(
          `  engine: ${engine.steps} steps, ${engine.preemptions} preemptions, KV cache ${engine.kvCacheTokens} tokens ` +
            `(peak use ${(engine.peakKvUsage * 100).toFixed(0)}%), ${result.speedup.toFixed(0)}× faster than real time`,
        )
        this.log(`  ${describePrefixCache(result)}`)
      }
      const { prefixHitRate, impliedPrefixReuse } = result
      return {
        virtual: result.summary,
        speedup: result.speedup,
        preemptions: result.engine.preemptions,
        prefixCache: { ...result.prefixCache, hitRate: prefixHitRate, ...(impliedPrefixReuse !== undefined ? { impliedReuse: impliedPrefixReuse } : {}) },
      }
    }
    const { SimServeError, serveSimEndpoints } = await import('../../app/sim.js')
    // With --json, stdout is reserved for the final JSON; the address still has to reach the user.
    const say = (line: string): void => (this.jsonEnabled() ? this.logToStderr(line) : this.log(line))
    const options = {
      host: values.host,
      ...(values['spin-below-ms'] !== undefined ? { spinBelowMs: values['spin-below-ms'] } : {}),
      ...(values['request-log'] ? { requestLogPath: values['request-log'] } : {}),
      onListening: (endpoint: { url: string; describe: string }) => say(`geopat sim listening on ${endpoint.url} (${endpoint.describe})`),
    }
    return serveSimEndpoints(endpoints, options).catch((error: unknown) => {
      throw error instanceof SimServeError ? new UserError(whereFrom(error, values)) : error
    })
  }
}

/** The engine's prefix hit rate, beside the reuse a replayed trace's hash ids imply. */
function describePrefixCache(result: VirtualSimResult): string {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`
  const implied = result.impliedPrefixReuse !== undefined ? ` (the trace's hash ids imply ${percent(result.impliedPrefixReuse)})` : ''
  if (result.prefixHitRate === null) return `prefix caching: off${implied}`
  const { hitTokens, queryTokens } = result.prefixCache
  return `prefix caching: ${percent(result.prefixHitRate)} of prompt tokens hit (${hitTokens} of ${queryTokens})${implied}`
}

/** The flag (or --config file's field) that gave the value a SimServeError is about. */
function whereFrom(error: SimServeError, values: SimFlagValues): string {
  if (error.option === 'port' && values.config) return `${values.config}: endpoints.${error.endpoint}.port ${error.detail}`
  const flag = { port: '--port', host: '--host', requestLog: '--request-log' }[error.option]
  return `${flag} ${error.detail}`
}
