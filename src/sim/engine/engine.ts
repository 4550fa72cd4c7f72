import { type Random, sampleStandardNormal } from '../../util/rng.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'
import { type EngineCapacity, engineCapacity, schedulerMs, stepWallMs } from './capacity.js'
import { PrefixCacheIndex } from './prefix-cache.js'

export { type EngineCapacity, coldStartMs, cpuTollFactor, engineCapacity, kvBytesPerToken, schedulerMs, stepWallMs } from './capacity.js'

/** A request as the engine sees it, after the HTTP front end. */
export interface EngineRequest {
  id: number
  promptTokens: number
  outputTokens: number
  /**
   * The chained hashes of the prompt's full blocks (promptBlockHashes): what prefix caching looks up and stores. They may
   * go on over the tokens to be generated (prompt and answer ids hashed as one chain): a generated block then joins the cache
   * once its KV is computed, as in vLLM v1 (append_output_token_ids extends block_hashes), so a conversation's next turn
   * hits it. The lookup at admission never goes past the prompt.
   */
  blockHashes?: readonly string[]
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
  /** Cached blocks (by hash) this sequence holds, its prompt's leading blocks in order; counted in `blocks` too. */
  cachedHashes: string[]
  /** The prefix cache was asked about this admission (once per admission, as vLLM counts its queries). */
  prefixLooked: boolean
}

export interface EngineCounters {
  preemptions: number
  prefixQueryTokens: number
  prefixHitTokens: number
  promptTokens: number
  generationTokens: number
  steps: number
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
  /** Blocks no running sequence holds; the free cached ones (evictable) are among them. */
  private freeBlocks: number
  private readonly prefixCache = new PrefixCacheIndex()
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
    this.waiting.push({
      request,
      computed: 0,
      prefillTarget: request.promptTokens,
      generated: 0,
      blocks: 0,
      preemptions: 0,
      cachedHashes: [],
      prefixLooked: false,
    })
  }

  /** The client went away: its tokens are no longer produced and its KV blocks are freed. */
  cancel(id: number): void {
    const index = this.waiting.findIndex((s) => s.request.id === id)
    if (index >= 0) {
      this.release(this.waiting.splice(index, 1)[0] as Sequence)
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
    for (const entry of prefilling) {
      prefillTokens += entry[1]
      attendedContext += entry[0].computed + entry[1]
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
    for (const entry of prefilling) {
      const sequence = entry[0]
      sequence.computed += entry[1]
      this.cacheComputedBlocks(sequence)
      if (sequence.computed >= sequence.prefillTarget) this.produce(sequence, tokenRequestIds, tokenIndexes, finished)
    }
    for (const sequence of decoding) {
      sequence.computed += 1
      this.cacheComputedBlocks(sequence)
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
      this.applyPrefixCache(sequence)
      const chunk = Math.min(sequence.prefillTarget - sequence.computed, tokenBudget)
      if (!this.admitHead(sequence, chunk)) {
        this.returnPrefix(sequence)
        break
      }
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
      this.applyPrefixCache(sequence)
      const chunk = sequence.prefillTarget - sequence.computed
      if ((prefilling.length > 0 && tokens + chunk > engine.maxNumBatchedTokens) || !this.admitHead(sequence, chunk)) {
        this.returnPrefix(sequence)
        break
      }
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
    this.takeFreeBlocks(needed)
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
      victim.prefixLooked = false
      victim.prefillTarget = victim.request.promptTokens + victim.generated
      victim.preemptions++
      this.counters.preemptions++
      preempted.push(victim.request.id)
      this.waiting.unshift(victim)
      if (victim === sequence) return false
      needed = blocks - sequence.blocks
    }
    if (needed > 0) {
      this.takeFreeBlocks(needed)
      sequence.blocks += needed
    }
    return true
  }

  /** Hands out `count` free blocks: empty ones first, then the least recently freed cached ones, evicted (vLLM's LRU). */
  private takeFreeBlocks(count: number): void {
    const empty = this.freeBlocks - this.prefixCache.evictableBlocks
    if (count > empty) this.prefixCache.evict(count - empty)
    this.freeBlocks -= count
  }

  /** Frees a sequence's blocks: its private ones at once, its cached ones when nobody else holds them (they stay cached, evictable). */
  private release(sequence: Sequence): void {
    this.freeBlocks += sequence.blocks - sequence.cachedHashes.length + this.prefixCache.release(sequence.cachedHashes)
    sequence.blocks = 0
    sequence.cachedHashes = []
  }

  /**
   * vLLM's lookup at admission (counted at a sequence's first try): the longest run of the prompt's leading blocks found in the cache is
   * taken as computed (leaving at least one token to compute: vLLM recomputes the last one when the
   * whole prompt hits), and the request's prompt tokens count as queried, the cached ones as hits.
   */
  private applyPrefixCache(sequence: Sequence): void {
    const firstLook = !sequence.prefixLooked
    sequence.prefixLooked = true
    if (!this.profile.engine.prefixCaching) return
    if (firstLook) this.counters.prefixQueryTokens += sequence.request.promptTokens
    const hashes = sequence.request.blockHashes
    if (!hashes || sequence.computed > 0) return
    const blockSize = this.profile.engine.blockSize
    const hitBlocks = this.prefixCache.longestCachedPrefix(hashes, Math.floor((sequence.prefillTarget - 1) / blockSize))
    if (hitBlocks === 0) return
    sequence.cachedHashes = hashes.slice(0, hitBlocks)
    this.freeBlocks -= this.prefixCache.acquire(sequence.cachedHashes)
    sequence.blocks += hitBlocks
    sequence.computed = hitBlocks * blockSize
    if (firstLook) this.counters.prefixHitTokens += sequence.computed
  }

  /** A sequence not admitted lets go of the cached blocks its lookup took (vLLM takes them once the slots are allocated): waiting ones hold none. */
  private returnPrefix(sequence: Sequence): void {
    if (sequence.cachedHashes.length === 0) return
    this.release(sequence)
    sequence.computed = 0
  }

  /**
   * Full blocks whose KV is computed join the cache (vLLM caches a block once it is full), while they
   * extend the cached run: the prompt's during prefill, then generated ones during decode when the
   * hashes go on past the prompt.
   */
  private cacheComputedBlocks(sequence: Sequence): void {
    const hashes = sequence.request.blockHashes
    if (!hashes || !this.profile.engine.prefixCaching) return
    const full = Math.min(hashes.length, Math.floor(sequence.computed / this.profile.engine.blockSize))
    while (sequence.cachedHashes.length < full && this.prefixCache.register(hashes[sequence.cachedHashes.length] as string)) {
      sequence.cachedHashes.push(hashes[sequence.cachedHashes.length] as string)
    }
  }
}
