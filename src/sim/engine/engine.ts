import { type Random, sampleStandardNormal } from '../../util/rng.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'

/** A request as the engine sees it, after the HTTP front end. */
export interface EngineRequest {
  id: number
  promptTokens: number
  outputTokens: number
  /** A prefix shared with other requests (same key = same tokens), reusable with prefix caching. */
  prefix?: { key: string; tokens: number }
}

/** What one engine step did. Tokens are produced at `endMs`, all together, as in vLLM. */
export interface StepResult {
  startMs: number
  endMs: number
  /** CPU time of the scheduling in this step (ms, after the confidential VM's toll; 0 inside a multi-step group). */
  schedulerMs: number
  /** Sequences in the batch that were decoding, and prompt tokens computed (prefill). */
  decodeSequences: number
  prefillTokens: number
  /** Requests that produced a token in this step, and the index of that token (0 = the first). */
  tokenRequestIds: number[]
  tokenIndexes: number[]
  finished: number[]
  preempted: number[]
}

interface Sequence {
  request: EngineRequest
  /** Tokens whose KV is computed (prompt, then generated ones). */
  computed: number
  /** Tokens to compute before the next output token (prompt + generated when recomputing). */
  prefillTarget: number
  generated: number
  blocks: number
  preemptions: number
}

export interface EngineCounters {
  preemptions: number
  prefixQueryTokens: number
  prefixHitTokens: number
  promptTokens: number
  generationTokens: number
  steps: number
}

/** Derived capacities of a profile: what the KV cache holds and what a step costs. */
export interface EngineCapacity {
  kvCacheTokens: number
  kvBlocks: number
  weightReadMs: number
  /** Bytes of KV cache per token at the cache's precision (fp8 halves the model's BF16 figure). */
  kvBytesPerToken: number
  /** Memory bandwidth a step reads at, over the replica's GPUs (bytes per ms, η and the CC factor applied). */
  bandwidthBytesPerMs: number
  /** Prefill compute rate over the replica's GPUs (FLOPs per ms, at the prefill MFU). */
  prefillFlopsPerMs: number
  /** t0 of every step, and c_seq per sequence in it (ms), the CC tolls included. */
  stepBaseMs: number
  perSequenceMs: number
}

/** KV bytes per token as the cache stores it: `--kv-cache-dtype fp8` keeps one byte per element instead of two. */
export function kvBytesPerToken(profile: SimProfile): number {
  return profile.engine.kvCacheDtype === 'fp8' ? profile.model.kvBytesPerToken / 2 : profile.model.kvBytesPerToken
}

/** Multiplies the CPU-side costs (scheduler, front end): the confidential VM's toll, 1 outside one. */
export function cpuTollFactor(profile: SimProfile, confidential: boolean): number {
  return confidential ? (profile.confidential?.cpuTollFactor ?? 1) : 1
}

/**
 * CPU time of one scheduling of `sequences` running sequences (ms): vLLM's scheduler, input
 * preparation and output processing, which the engine generation serializes with the GPU
 * (vllm-0.5), pays once per multi-step group (vllm-0.6) or overlaps with it (vllm-v1).
 */
export function schedulerMs(profile: SimProfile, confidential: boolean, sequences: number): number {
  const { timing } = profile
  return (timing.schedulerPerStepMs + (sequences * timing.schedulerPerSequenceUs) / 1000) * cpuTollFactor(profile, confidential)
}

/** A step's wall time from its GPU time and the CPU time of its scheduling, by engine generation. */
export function stepWallMs(profile: SimProfile, gpuMs: number, cpuMs: number): number {
  return profile.engine.version === 'vllm-v1' ? Math.max(gpuMs, cpuMs) : gpuMs + cpuMs
}

/** The model's load time at start (cold start), ms: longer in a confidential VM. */
export function coldStartMs(profile: SimProfile, confidential: boolean): number {
  return profile.timing.coldStartS * 1000 * ((confidential ? profile.confidential?.coldStartFactor : undefined) ?? 1)
}

export function engineCapacity(profile: SimProfile, confidential: boolean): EngineCapacity {
  const { gpu, model, engine, timing } = profile
  const cc = confidential ? profile.confidential : undefined
  const tp = model.tensorParallel
  const gib = 1024 ** 3
  // vLLM: gpu_memory_utilization × memory − weights − activation reserve, over all GPUs of the replica.
  const freeBytes = (gpu.memoryGiB * engine.gpuMemoryUtilization - engine.activationReserveGiB) * gib * tp - model.weightsGB * 1e9
  const kvBytes = kvBytesPerToken(profile)
  const kvBlocks = Math.max(0, Math.floor((freeBytes * (cc?.kvCapacityFactor ?? 1)) / kvBytes / engine.blockSize))
  const bandwidth = gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * (cc?.bandwidthFactor ?? 1)
  return {
    kvCacheTokens: kvBlocks * engine.blockSize,
    kvBlocks,
    weightReadMs: ((model.weightsGB * 1e9) / tp / bandwidth) * 1000,
    kvBytesPerToken: kvBytes,
    bandwidthBytesPerMs: (gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * (cc?.bandwidthFactor ?? 1) * tp) / 1000,
    prefillFlopsPerMs: (gpu.denseTflops * 1e12 * timing.prefillMfu * tp) / 1000,
    stepBaseMs: timing.stepOverheadMs + (cc?.stepTollMs ?? 0),
    perSequenceMs: (timing.perSequenceUs + (cc?.perSequenceTollUs ?? 0)) / 1000,
  }
}

/**
 * The vLLM engine as a step model: continuous batching under max_num_seqs and
 * max_num_batched_tokens, chunked prefill, a block-granular KV cache sized from GPU memory and the
 * model, preemption by recompute when the cache is full, and optional prefix caching.
 *
 * GPU time of a step (shared/reference/confidential-and-simulator.md):
 *   t = t0 + max(W/(η·BW), prefill FLOPs/(MFU·peak)) + Σ context·kv/(η·BW) + B·c_seq (+ noise)
 * with the confidential-computing tolls on top when `confidential`. The scheduler's CPU time
 * (schedulerPerStepMs + B·schedulerPerSequenceUs, × the CVM's cpuTollFactor) joins it by engine
 * generation (stepWallMs): added in vllm-0.5 and at the head of each multi-step group in vllm-0.6
 * (whose other steps admit nobody), overlapped in vllm-v1. Without chunked prefill, waiting prompts
 * are prefilled whole in steps of their own, ahead of the running decodes (vLLM's V0 default).
 * The model is pure: time only moves through `step(startMs)`, so the same engine serves real time
 * (HTTP) and virtual time.
 */
export class EngineModel {
  readonly capacity: EngineCapacity
  readonly counters: EngineCounters = { preemptions: 0, prefixQueryTokens: 0, prefixHitTokens: 0, promptTokens: 0, generationTokens: 0, steps: 0 }
  private readonly waiting: Sequence[] = []
  private running: Sequence[] = []
  private freeBlocks: number
  private readonly cachedPrefixes = new Set<string>()
  private readonly jitterMs: number
  private readonly jitterPerSequenceMs: number
  /** vllm-0.6 multi-step: decode steps left in the current group (no scheduling, no admission until 0). */
  private groupStepsLeft = 0

  constructor(
    readonly profile: SimProfile,
    readonly confidential: boolean,
    private readonly random: Random,
  ) {
    if (confidential && !profile.confidential) throw new RangeError(`profile ${profile.name} has no confidential-computing settings`)
    this.capacity = engineCapacity(profile, confidential)
    this.freeBlocks = this.capacity.kvBlocks
    this.jitterMs = profile.timing.stepJitterMs
    this.jitterPerSequenceMs = confidential ? (profile.confidential?.stepJitterMsPerSequence ?? 0) : 0
  }

  get runningCount(): number {
    return this.running.length
  }

  get waitingCount(): number {
    return this.waiting.length
  }

  /** Share of KV blocks in use, 0..1 (vLLM's kv_cache_usage_perc). */
  get kvUsage(): number {
    return this.capacity.kvBlocks > 0 ? 1 - this.freeBlocks / this.capacity.kvBlocks : 0
  }

  hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0
  }

  add(request: EngineRequest): void {
    if (request.promptTokens + request.outputTokens > this.capacity.kvCacheTokens) {
      throw new RangeError(
        `request ${request.id} needs ${request.promptTokens + request.outputTokens} tokens of KV cache; the profile holds ${this.capacity.kvCacheTokens}`,
      )
    }
    this.counters.promptTokens += request.promptTokens
    this.waiting.push({ request, computed: 0, prefillTarget: request.promptTokens, generated: 0, blocks: 0, preemptions: 0 })
  }

  /** The client went away: its tokens are no longer produced and its KV blocks are freed. */
  cancel(id: number): void {
    const index = this.waiting.findIndex((s) => s.request.id === id)
    if (index >= 0) {
      this.waiting.splice(index, 1)
      return
    }
    const running = this.running.find((s) => s.request.id === id)
    if (running) {
      this.release(running)
      this.running = this.running.filter((s) => s !== running)
    }
  }

  /** Plans the batch at `startMs`, computes its duration, and applies its effects at its end. */
  step(startMs: number): StepResult {
    const { engine } = this.profile
    const decoding: Sequence[] = []
    const prefilling: Array<[Sequence, number]> = []
    const preempted: number[] = []
    // Multi-step (vllm-0.6): inside a group the steps run what was scheduled at its head, nobody joins.
    const inGroup = this.groupStepsLeft > 0 && this.running.length > 0
    if (inGroup) this.groupStepsLeft--
    else this.groupStepsLeft = 0
    const scheduling = !inGroup
    // Without chunked prefill (V0 default): waiting prompts go first, whole, in a step of their own.
    const prefillFirst = scheduling && !engine.chunkedPrefill && this.waiting.length > 0 && this.admitWhole(prefilling)
    let tokenBudget = engine.maxNumBatchedTokens
    if (!prefillFirst) tokenBudget = this.scheduleRunning(tokenBudget, decoding, prefilling, preempted)
    if (scheduling && engine.chunkedPrefill) this.admitWaiting(tokenBudget, decoding, prefilling, preempted)

    // 3. Duration of the step.
    let prefillTokens = 0
    let attendedContext = 0
    for (const [sequence, chunk] of prefilling) {
      prefillTokens += chunk
      attendedContext += sequence.computed + chunk
    }
    for (const sequence of decoding) attendedContext += sequence.computed + 1
    const batch = decoding.length + prefilling.length
    const gpuMs = this.gpuStepMs(prefillTokens, attendedContext, batch)
    const cpuMs = scheduling && batch > 0 ? schedulerMs(this.profile, this.confidential, batch) : 0
    const endMs = startMs + stepWallMs(this.profile, gpuMs, cpuMs)
    this.counters.steps++
    // A scheduling that ran decodes only opens a multi-step group of numSchedulerSteps steps; a prefill step stands alone.
    if (scheduling && prefilling.length === 0 && engine.numSchedulerSteps > 1) this.groupStepsLeft = engine.numSchedulerSteps - 1

    // 4. Effects at the end of the step: computed KV, one token per finished prefill or decode.
    const tokenRequestIds: number[] = []
    const tokenIndexes: number[] = []
    const finished: number[] = []
    for (const [sequence, chunk] of prefilling) {
      sequence.computed += chunk
      if (sequence.computed >= sequence.prefillTarget) {
        if (sequence.request.prefix && this.profile.engine.prefixCaching) this.cachedPrefixes.add(sequence.request.prefix.key)
        this.produce(sequence, tokenRequestIds, tokenIndexes, finished)
      }
    }
    for (const sequence of decoding) {
      sequence.computed += 1
      this.produce(sequence, tokenRequestIds, tokenIndexes, finished)
    }
    if (finished.length > 0) this.retire(finished)
    if (this.running.length === 0) this.groupStepsLeft = 0
    return { startMs, endMs, schedulerMs: cpuMs, decodeSequences: decoding.length, prefillTokens, tokenRequestIds, tokenIndexes, finished, preempted }
  }

  /**
   * Step 1 of a schedule: running sequences first, in admission order: decodes take one token,
   * prefills a chunk. Returns the token budget left.
   */
  private scheduleRunning(budget: number, decoding: Sequence[], prefilling: Array<[Sequence, number]>, preempted: number[]): number {
    const blockSize = this.profile.engine.blockSize
    let tokenBudget = budget
    for (let i = 0; i < this.running.length && tokenBudget > 0; i++) {
      const sequence = this.running[i] as Sequence
      if (sequence.computed < sequence.prefillTarget) {
        const chunk = Math.min(sequence.prefillTarget - sequence.computed, tokenBudget)
        if (!this.reserve(sequence, Math.ceil((sequence.computed + chunk) / blockSize), preempted, i)) break
        prefilling.push([sequence, chunk])
        tokenBudget -= chunk
      } else {
        if (!this.reserve(sequence, Math.ceil((sequence.computed + 1) / blockSize), preempted, i)) break
        decoding.push(sequence)
        tokenBudget -= 1
      }
    }
    return tokenBudget
  }

  /** Step 2 of a chunked-prefill schedule: waiting sequences, first come first served, while budget, slots and blocks last. */
  private admitWaiting(budget: number, decoding: Sequence[], prefilling: Array<[Sequence, number]>, preempted: number[]): void {
    const { engine } = this.profile
    let tokenBudget = budget
    while (this.waiting.length > 0 && tokenBudget > 0 && this.running.length < engine.maxNumSeqs && preempted.length === 0) {
      const sequence = this.waiting[0] as Sequence
      if (sequence.computed === 0) this.applyPrefixCache(sequence)
      const chunk = Math.min(sequence.prefillTarget - sequence.computed, tokenBudget)
      if (!this.admitHead(sequence, chunk)) break
      if (chunk > 0) {
        prefilling.push([sequence, chunk])
        tokenBudget -= chunk
      } else {
        decoding.push(sequence)
        tokenBudget -= 1
      }
    }
  }

  /** The GPU time of a step (weights or prefill compute, KV reads, per-sequence work), with the profile's noise. */
  private gpuStepMs(prefillTokens: number, attendedContext: number, batch: number): number {
    const model = this.profile.model
    const { capacity } = this
    const prefillComputeMs = (2 * model.parametersB * 1e9 * prefillTokens) / capacity.prefillFlopsPerMs
    const kvReadMs = (attendedContext * capacity.kvBytesPerToken) / capacity.bandwidthBytesPerMs
    let gpuMs = capacity.stepBaseMs + Math.max(capacity.weightReadMs, prefillComputeMs) + kvReadMs + batch * capacity.perSequenceMs
    const noiseStd = this.jitterMs + this.jitterPerSequenceMs * batch
    if (noiseStd > 0) gpuMs = Math.max(gpuMs * 0.5, gpuMs + sampleStandardNormal(this.random) * noiseStd)
    return gpuMs
  }

  /** One token of `sequence` at the end of a step. */
  private produce(sequence: Sequence, tokenRequestIds: number[], tokenIndexes: number[], finished: number[]): void {
    tokenRequestIds.push(sequence.request.id)
    tokenIndexes.push(sequence.generated)
    sequence.generated++
    this.counters.generationTokens++
    if (sequence.generated >= sequence.request.outputTokens) finished.push(sequence.request.id)
  }

  /** Frees the KV blocks of the finished sequences and takes them out of the running batch. */
  private retire(finished: number[]): void {
    const done = new Set(finished)
    for (const sequence of this.running) if (done.has(sequence.request.id)) this.release(sequence)
    this.running = this.running.filter((s) => !done.has(s.request.id))
  }

  /**
   * vLLM V0's default scheduling without chunked prefill: admits waiting prompts whole, first come
   * first served, while max_num_batched_tokens, max_num_seqs and free blocks allow (a prompt longer
   * than the budget goes alone). True when at least one was admitted: the step is a prefill step.
   */
  private admitWhole(prefilling: Array<[Sequence, number]>): boolean {
    const { engine } = this.profile
    let tokens = 0
    while (this.waiting.length > 0 && this.running.length < engine.maxNumSeqs) {
      const sequence = this.waiting[0] as Sequence
      if (sequence.computed === 0) this.applyPrefixCache(sequence)
      const chunk = sequence.prefillTarget - sequence.computed
      if (prefilling.length > 0 && tokens + chunk > engine.maxNumBatchedTokens) break
      if (!this.admitHead(sequence, chunk)) break
      prefilling.push([sequence, chunk])
      tokens += chunk
    }
    return prefilling.length > 0
  }

  /**
   * Moves the head of the waiting queue into the running batch with the KV blocks its next `chunk`
   * tokens need; false (and nothing moved) when the free blocks do not hold them.
   */
  private admitHead(sequence: Sequence, chunk: number): boolean {
    const needed = Math.ceil((sequence.computed + chunk) / this.profile.engine.blockSize) - sequence.blocks
    if (needed > this.freeBlocks) return false
    this.freeBlocks -= needed
    sequence.blocks += needed
    this.waiting.shift()
    this.running.push(sequence)
    return true
  }

  /**
   * Makes `sequence` hold `blocks` KV blocks, preempting the most recently admitted running
   * sequences (vLLM's recompute policy) when the cache is full. False when even that cannot free
   * enough, or when `sequence` itself was the one preempted.
   */
  private reserve(sequence: Sequence, blocks: number, preempted: number[], index: number): boolean {
    let needed = blocks - sequence.blocks
    while (needed > this.freeBlocks) {
      const victim = this.running[this.running.length - 1]
      if (!victim || this.running.length - 1 < index) return false
      this.running.pop()
      this.release(victim)
      victim.computed = 0
      victim.prefillTarget = victim.request.promptTokens + victim.generated
      victim.preemptions++
      this.counters.preemptions++
      preempted.push(victim.request.id)
      this.waiting.unshift(victim)
      if (victim === sequence) return false
      needed = blocks - sequence.blocks
    }
    if (needed > 0) {
      this.freeBlocks -= needed
      sequence.blocks += needed
    }
    return true
  }

  private release(sequence: Sequence): void {
    this.freeBlocks += sequence.blocks
    sequence.blocks = 0
  }

  private applyPrefixCache(sequence: Sequence): void {
    const prefix = sequence.request.prefix
    if (!prefix || !this.profile.engine.prefixCaching) return
    this.counters.prefixQueryTokens += sequence.request.promptTokens
    if (this.cachedPrefixes.has(prefix.key)) {
      const hit = Math.min(prefix.tokens, sequence.prefillTarget - 1)
      this.counters.prefixHitTokens += hit
      sequence.computed = hit
    }
  }
}
