import type { SimRequestLog } from './request-log.js'
import { DeadlineScheduler } from './deadline-scheduler.js'
import { simAttestationReporter } from './attestation-report.js'
import { RealTimeEngine } from './engine/real-time.js'
import { promptBlockHashes } from './engine/prefix-cache.js'
import { promptAndAnswerTokenIds } from './openai-request.js'
import { reasoningOption } from './output-plan.js'
import { type SimProfile, loadProfile } from '../io/schema/sim-profile.js'
import { type RunningSimServer, startSimServer } from './sim-server.js'
import { fixedTimingModel, type TimingModel } from './timing.js'
import type { SimEndpointConfig } from '../io/schema/sim-endpoint.js'
import { deriveSeed, seededRandom } from '../util/rng.js'

export interface SimulatedEndpoint extends RunningSimServer {
  name: string
  /** One line saying what runs on this port. */
  describe: string
}

/** The profile with prefix caching switched as the endpoint asks (`on`/`off`), or as it is. */
export function withPrefixCaching(profile: SimProfile, prefixCaching: 'on' | 'off' | undefined): SimProfile {
  if (prefixCaching === undefined) return profile
  return { ...profile, engine: { ...profile.engine, prefixCaching: prefixCaching === 'on' } }
}

/** Independent seeded streams of one simulated endpoint. */
const STREAM = { faults: 1, jitter: 2, engine: 3, network: 4, reasoning: 5 } as const

/**
 * Starts one simulated endpoint: the HTTP front end with a calibrated engine model behind it (when
 * a profile is named) or fixed timing, the network of its region, and its faults.
 */
export async function startSimulatedEndpoint(
  name: string,
  config: SimEndpointConfig,
  options: { host?: string; spinBelowMs?: number; requestLog?: SimRequestLog } = {},
): Promise<SimulatedEndpoint> {
  const seed = config.seed
  const host = options.host ?? '127.0.0.1'
  // An engine's deadlines are step ends, a few per ~10 ms for every stream at once: covering the last
  // millisecond before each with event-loop turns costs little and removes ~1 ms of timer lateness.
  // Fixed timing has a deadline per stream per token, where that would keep a core busy.
  const scheduler = new DeadlineScheduler({ spinBelowMs: options.spinBelowMs ?? (config.profile !== undefined ? 1 : 0) })
  let timing: TimingModel
  let model = config.model ?? 'geopat-sim'
  let describe: string
  let engineGauges: Parameters<typeof startSimServer>[0]['engineGauges']
  let network = config.network
  if (config.profile !== undefined) {
    const profile = withPrefixCaching(loadProfile(config.profile), config.prefixCaching)
    const engine = new RealTimeEngine(profile, config.cc, seededRandom(deriveSeed(seed, STREAM.engine)), scheduler, { coldStart: config.coldStart })
    const { prefixCaching, blockSize } = profile.engine
    timing = (request) => ({
      start: (arrivesAtMs, sink) => {
        // The hashes go on over the answer's tokens: its full blocks join the cache as they are generated (vLLM v1).
        const blockHashes =
          prefixCaching && request.promptTokenIds
            ? promptBlockHashes(promptAndAnswerTokenIds({ ...request, promptTokenIds: request.promptTokenIds }), blockSize)
            : undefined
        return engine.submit(
          { promptTokens: request.promptTokens, outputTokens: request.outputTokens, ...(blockHashes ? { blockHashes } : {}) },
          arrivesAtMs,
          sink,
        )
      },
    })
    model = config.model ?? profile.model.servedName
    const model_ = engine.engine
    engineGauges = {
      running: () => model_.runningCount,
      waiting: () => model_.waitingCount,
      kvUsage: () => model_.kvUsage,
      preemptions: () => model_.counters.preemptions,
      prefixQueryTokens: () => model_.counters.prefixQueryTokens,
      prefixHitTokens: () => model_.counters.prefixHitTokens,
      numGpuBlocks: model_.capacity.kvBlocks,
      blockSize: profile.engine.blockSize,
    }
    if (config.cc && profile.confidential) network = { ...network, jitterMs: network.jitterMs + profile.confidential.networkJitterMs }
    describe = `${profile.name}${config.cc ? ', confidential computing on' : ''}${prefixCaching ? ', prefix caching on' : ''}`
  } else {
    timing = fixedTimingModel({
      timeToFirstTokenMs: config.ttftMs,
      interTokenLatencyMs: config.itlMs,
      jitterMs: config.jitterMs,
      random: seededRandom(deriveSeed(seed, STREAM.jitter)),
    })
    describe = `fixed timing, ttft ${config.ttftMs} ms, itl ${config.itlMs} ms`
  }
  if (network.rttMs > 0 || network.jitterMs > 0) describe += `, RTT ${network.rttMs} ms ± ${network.jitterMs} ms`
  const faults = config.faults
  const server = await startSimServer({
    host,
    port: config.port,
    model,
    coalesce: config.coalesce,
    defaultOutputTokens: config.defaultOutputTokens,
    scheduler,
    timing,
    network,
    networkRandom: seededRandom(deriveSeed(seed, STREAM.network)),
    ...(faults
      ? {
          faults: { rate429: faults.rate429, rate500: faults.rate500, rateCut: faults.rateCut, rateHang: faults.rateHang, retryAfterS: faults.retryAfterS },
          faultRandom: seededRandom(deriveSeed(seed, STREAM.faults)),
          faultFirstRequests: faults.firstRequests,
        }
      : {}),
    ...(engineGauges ? { engineGauges } : {}),
    ...(options.requestLog ? { requestLog: options.requestLog, name } : {}),
    ...(config.reasoning ? { reasoning: reasoningOption(config.reasoning, seededRandom(deriveSeed(seed, STREAM.reasoning))) } : {}),
    ...(config.attestation ? { attestationReport: simAttestationReporter(config.attestation, name) } : {}),
  })
  return { ...server, name, describe: `${name}: ${model} (${describe})` }
}
