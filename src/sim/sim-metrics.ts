import { BucketHistogram, PrometheusTextWriter, type Labels } from './prometheus-text.js'

// Bucket boundaries copied from vLLM (vllm/v1/metrics/loggers.py), so that dashboards and
// geopat's own /metrics scraper read the simulator exactly as they read vLLM.
const VLLM_TIME_TO_FIRST_TOKEN_BUCKETS_S: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
]
const VLLM_INTER_TOKEN_LATENCY_BUCKETS_S: readonly number[] = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
]
const VLLM_REQUEST_LATENCY_BUCKETS_S: readonly number[] = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
]

/** vLLM's finish reasons, the `finished_reason` label of vllm:request_success_total. */
const FINISH_REASONS = ['stop', 'length', 'abort'] as const
export type FinishReason = (typeof FINISH_REASONS)[number]

/** Faults the simulator can inject (forced by header `x-geopat-fault`, or drawn at random). */
export const FAULT_KINDS = ['429', '500', 'hang', 'cut', 'error-midstream', 'html404'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface SimStats {
  /** Generation requests received (POST /v1/chat/completions and /v1/completions). */
  requests: number
  /** Requests that produced all their tokens and ended normally. */
  completed: number
  /** Generation requests stopped early: client gone, cut, error mid-stream, hang released. */
  aborted: number
  /** Generation requests refused with 4xx for a bad body, model, or parameter. */
  rejected: number
  /** Requests generating right now (streaming or waiting for a non-streamed answer). */
  running: number
  promptTokens: number
  generationTokens: number
  /** Faults served, by kind (forced and random). */
  faults: Record<FaultKind, number>
  /** Lateness = actual write time − scheduled time, over every timed emission (each socket write). */
  emitLatenessMeanMs: number
  emitLatenessMaxMs: number
  /** 99th percentile, from 0.05 ms buckets (values above 200 ms read as 200 ms). */
  emitLatenessP99Ms: number
  /** Timed emissions measured (one per socket write of tokens, one per non-streamed answer). */
  emittedEvents: number
}

/** What the engine model exposes to /metrics (vLLM's scheduler gauges and cache counters). */
export interface EngineGauges {
  running(): number
  waiting(): number
  kvUsage(): number
  preemptions(): number
  prefixQueryTokens(): number
  prefixHitTokens(): number
  numGpuBlocks: number
  blockSize: number
}

/** Running mean, max and a bucketed p99 of emission lateness, all in constant memory. */
class LatenessTracker {
  private static readonly BUCKET_MS = 0.05
  private static readonly BUCKET_COUNT = 4000 // up to 200 ms
  private readonly buckets = new Uint32Array(LatenessTracker.BUCKET_COUNT + 1)
  count = 0
  sumMs = 0
  maxMs = 0

  record(latenessMs: number): void {
    this.count++
    this.sumMs += latenessMs
    if (latenessMs > this.maxMs) this.maxMs = latenessMs
    const index = Math.min(LatenessTracker.BUCKET_COUNT, Math.max(0, Math.floor(latenessMs / LatenessTracker.BUCKET_MS)))
    this.buckets[index] = (this.buckets[index] as number) + 1
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count
  }

  quantileMs(quantile: number): number {
    if (this.count === 0) return 0
    const rank = Math.ceil(quantile * this.count)
    let seen = 0
    for (let index = 0; index < this.buckets.length; index++) {
      seen += this.buckets[index] as number
      // Report the bucket's upper edge: a conservative (never optimistic) reading.
      if (seen >= rank) return Math.min((index + 1) * LatenessTracker.BUCKET_MS, this.maxMs)
    }
    return this.maxMs
  }
}

/**
 * Everything the simulator counts, kept once and read two ways: stats() for tests and the CLI,
 * and vLLM-named Prometheus text for /metrics.
 *
 * The vLLM histograms hold the ENGINE's view (scheduled token times, as vLLM stamps tokens in the
 * engine before its HTTP layer); the simulator's own event-loop lateness is kept apart in
 * geopat_sim_emit_lateness_seconds so that an overloaded simulator shows up as such.
 */
export class SimMetrics {
  requests = 0
  completed = 0
  aborted = 0
  rejected = 0
  running = 0
  promptTokens = 0
  generationTokens = 0
  readonly faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>
  readonly finishedByReason = Object.fromEntries(FINISH_REASONS.map((reason) => [reason, 0])) as Record<FinishReason, number>
  readonly timeToFirstTokenSeconds = new BucketHistogram(VLLM_TIME_TO_FIRST_TOKEN_BUCKETS_S)
  readonly interTokenLatencySeconds = new BucketHistogram(VLLM_INTER_TOKEN_LATENCY_BUCKETS_S)
  readonly e2eRequestLatencySeconds = new BucketHistogram(VLLM_REQUEST_LATENCY_BUCKETS_S)
  readonly emitLateness = new LatenessTracker()

  /** Set when a calibrated engine model runs behind the server: its gauges and counters. */
  engine: EngineGauges | undefined

  constructor(readonly modelName: string) {}

  recordFinished(reason: FinishReason, e2eLatencyMs?: number): void {
    this.finishedByReason[reason]++
    if (reason === 'abort') this.aborted++
    else this.completed++
    if (e2eLatencyMs !== undefined) this.e2eRequestLatencySeconds.observe(e2eLatencyMs / 1000)
  }

  snapshot(): SimStats {
    return {
      requests: this.requests,
      completed: this.completed,
      aborted: this.aborted,
      rejected: this.rejected,
      running: this.running,
      promptTokens: this.promptTokens,
      generationTokens: this.generationTokens,
      faults: { ...this.faults },
      emitLatenessMeanMs: this.emitLateness.meanMs,
      emitLatenessMaxMs: this.emitLateness.maxMs,
      emitLatenessP99Ms: this.emitLateness.quantileMs(0.99),
      emittedEvents: this.emitLateness.count,
    }
  }

  prometheusText(): string {
    const labels: Labels = [
      ['model_name', this.modelName],
      ['engine', '0'],
    ]
    const one = (value: number) => [{ labels, value }]
    const engine = this.engine
    const writer = new PrometheusTextWriter()
      .gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', one(engine ? engine.running() : this.running))
      .gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', one(engine ? engine.waiting() : 0))
      .gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', one(engine ? engine.kvUsage() : 0))
    if (engine) {
      writer
        .gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig.', [
          { labels: [...labels, ['num_gpu_blocks', String(engine.numGpuBlocks)] as const, ['block_size', String(engine.blockSize)] as const], value: 1 },
        ])
        .counter('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.', one(engine.preemptions()))
        .counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', one(engine.prefixQueryTokens()))
        .counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', one(engine.prefixHitTokens()))
    }
    return writer
      .counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', one(this.promptTokens))
      .counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', one(this.generationTokens))
      .counter(
        'vllm:request_success_total',
        'Count of successfully processed requests.',
        FINISH_REASONS.map((reason) => ({
          labels: [...labels, ['finished_reason', reason] as const],
          value: this.finishedByReason[reason],
        })),
      )
      .histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', labels, this.timeToFirstTokenSeconds)
      .histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', labels, this.interTokenLatencySeconds)
      .histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', labels, this.e2eRequestLatencySeconds)
      .summary(
        'geopat_sim_emit_lateness_seconds',
        'Simulator emission lateness: actual socket write time minus scheduled time.',
        labels,
        this.emitLateness.count,
        this.emitLateness.sumMs / 1000,
      )
      .text()
  }
}
