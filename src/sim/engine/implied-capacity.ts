import { cpuTollFactor, engineCapacity, schedulerMs, stepWallMs } from './engine.js'
import { frontendSharesEngineCore } from './frontend.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'

/** Moments of the request lengths that the mean-value model needs. */
export interface LengthMoments {
  inputTokensMean: number
  outputTokensMean: number
  /** E[O²]: the mean context a decoding sequence attends to grows with it. */
  outputTokensSquareMean: number
}

export interface ImpliedCapacity {
  /** Highest arrival rate (req/s) at which the mean step time stays within the TPOT objective and the engine is stable. */
  ratePerS: number
  outputTokensPerS: number
  /** Which limit binds: the TPOT objective, the KV cache / max_num_seqs, or the GPU's time (stability). */
  limitedBy: 'tpot' | 'batch' | 'stability'
  /** Mean step time (≈ TPOT) and running batch at that rate. */
  stepMs: number
  batch: number
}

/**
 * The saturation a profile implies, from the engine's own step formula in a mean-value (fluid)
 * model rather than by simulation: at arrival rate λ, with c the mean time between two decode
 * steps of a sequence (≈ TPOT), Little's law puts B = λ·O·c sequences in decode, and
 *
 *   GPU:  t0 + forward + B·(ctx·kv/(η·BW) + c_seq),     ctx = I + E[O²]/(2·E[O])
 *   CPU:  schedulerPerStepMs + B·schedulerPerSequenceUs (× the CVM's cpuTollFactor)
 *
 * joined as the engine generation joins them (vllm-0.5: added; vllm-0.6: added once per group of
 * numSchedulerSteps steps; vllm-v1: the longer of the two). With chunked prefill the prompts that
 * land in a step share its forward pass, E[max(W, K·I·c_p)] with K ~ Poisson; without it they get
 * prefill steps of their own at scheduling points, which the running decodes wait for. In vllm-0.5
 * the API server shares the engine's core: steps get what its front-end work λ·(perRequest +
 * O·perOutputToken) leaves; apart from it, that work must fit on frontend.cpuCores. The answer is the
 * largest λ with c(λ) ≤ the TPOT objective, B ≤ min(max_num_seqs, KV tokens / (I + O)), a chunked
 * step's tokens within max_num_batched_tokens, and a finite c. Queueing delay, step noise and
 * admission at group boundaries are ignored, so it is an upper bound on the goodput rate that a
 * simulation (or a real server) reaches at a high SLO attainment: a first cut, the way capacity
 * planners use Erlang-C.
 */
export function impliedCapacity(profile: SimProfile, confidential: boolean, lengths: LengthMoments, tpotMs: number | undefined): ImpliedCapacity {
  const cc = confidential ? profile.confidential : undefined
  if (confidential && !cc) throw new RangeError(`profile ${profile.name} has no confidential-computing settings`)
  const { model, engine } = profile
  const capacity = engineCapacity(profile, confidential)
  const { bandwidthBytesPerMs, stepBaseMs, perSequenceMs } = capacity
  const prefillMsPerToken = (2 * model.parametersB * 1e9) / capacity.prefillFlopsPerMs
  const { inputTokensMean: input, outputTokensMean: output } = lengths
  const context = input + lengths.outputTokensSquareMean / (2 * output)
  /** Decode cost per sequence in the batch, per step (ms). */
  const perSequenceStepMs = (context * capacity.kvBytesPerToken) / bandwidthBytesPerMs + perSequenceMs
  const maxBatch = Math.min(engine.maxNumSeqs, capacity.kvCacheTokens / (input + output))
  /** Decode steps per scheduling (multi-step groups exist only in vllm-0.6). */
  const groupSteps = engine.version === 'vllm-0.6' ? engine.numSchedulerSteps : 1
  const frontend = profile.frontend
  const toll = cpuTollFactor(profile, confidential)
  /** Front-end CPU per request (ms): intake and every output token. */
  const frontendPerRequestMs = frontend ? (frontend.perRequestMs + (output * frontend.perOutputTokenUs) / 1000) * toll : 0
  const sharedCore = frontendSharesEngineCore(profile)

  /** E[max(W, K·I·c_p)] for K ~ Poisson(meanPrompts): a forward pass that carries K whole prompts. */
  const expectedForwardMs = (meanPrompts: number): number => {
    const perPromptMs = input * prefillMsPerToken
    let probability = Math.exp(-meanPrompts)
    let expected = 0
    let cumulative = 0
    for (let k = 0; k < 10_000 && cumulative < 1 - 1e-12; k++) {
      expected += probability * Math.max(capacity.weightReadMs, k * perPromptMs)
      cumulative += probability
      probability *= meanPrompts / (k + 1)
    }
    // Whatever mass is left (huge means): the fluid limit.
    return expected + (1 - cumulative) * Math.max(capacity.weightReadMs, meanPrompts * perPromptMs)
  }

  /** The mean time between two decode steps that the rate λ (per ms) implies when that time is c. */
  const cycleMs = (ratePerMs: number, c: number): number => {
    const batch = ratePerMs * output * c
    const decodeGpuMs = stepBaseMs + batch * perSequenceStepMs
    const schedulingMs = schedulerMs(profile, confidential, batch)
    let stepMs: number
    if (engine.chunkedPrefill) {
      // Prompts join at scheduling points (every groupSteps steps) and share that step's forward pass.
      const forwardMs = ((groupSteps - 1) * capacity.weightReadMs + expectedForwardMs(ratePerMs * groupSteps * c)) / groupSteps
      stepMs = stepWallMs(profile, decodeGpuMs + forwardMs, schedulingMs / groupSteps)
    } else {
      // Prefill steps of their own, at the scheduling points where prompts wait: E[forward] − P(none)·W.
      const arrivals = ratePerMs * groupSteps * c
      const waitingShare = 1 - Math.exp(-arrivals)
      const prefillGpuMs = waitingShare * stepBaseMs + expectedForwardMs(arrivals) - Math.exp(-arrivals) * capacity.weightReadMs
      const prefillCpuMs = waitingShare * schedulerMs(profile, confidential, arrivals / Math.max(waitingShare, 1e-12))
      stepMs =
        stepWallMs(profile, decodeGpuMs + capacity.weightReadMs, schedulingMs / groupSteps) + stepWallMs(profile, prefillGpuMs, prefillCpuMs) / groupSteps
    }
    if (!sharedCore) return stepMs
    // vllm-0.5: the engine's steps get the share of its core that the front end leaves.
    const frontendShare = ratePerMs * frontendPerRequestMs
    return frontendShare >= 1 ? Number.POSITIVE_INFINITY : stepMs / (1 - frontendShare)
  }

  /**
   * Mean time between decode steps at rate λ (per ms), or Infinity when the engine cannot keep up.
   * c = cycle(c) with cycle increasing in c: solve by bisection once an upper end is found.
   */
  const stepMsAt = (ratePerMs: number): number => {
    const excess = (c: number): number => cycleMs(ratePerMs, c) - c
    let low = stepBaseMs + capacity.weightReadMs
    let high = low
    for (let i = 0; i < 60 && excess(high) > 0; i++) high *= 2
    if (!(excess(high) <= 0)) return Number.POSITIVE_INFINITY
    for (let i = 0; i < 100 && high - low > 1e-9; i++) {
      const middle = (low + high) / 2
      if (excess(middle) > 0) low = middle
      else high = middle
    }
    return high
  }
  const batchAt = (ratePerMs: number, stepMs: number): number => ratePerMs * output * stepMs
  const feasible = (ratePerMs: number): boolean => {
    // The API server in a process of its own must keep up on its cores.
    if (frontend && !sharedCore && ratePerMs * frontendPerRequestMs >= frontend.cpuCores) return false
    const stepMs = stepMsAt(ratePerMs)
    if (!Number.isFinite(stepMs)) return false
    if (tpotMs !== undefined && stepMs > tpotMs) return false
    // With chunked prefill a step carries at most max_num_batched_tokens: the decodes and the prompts that land in it.
    if (engine.chunkedPrefill && ratePerMs * (output + input) * stepMs > engine.maxNumBatchedTokens) return false
    return batchAt(ratePerMs, stepMs) <= maxBatch
  }

  // c(λ) and B(λ) increase with λ: bisect on the rate.
  let low = 0
  let high = 1 / (output * perSequenceStepMs)
  for (let i = 0; i < 200 && high - low > high * 1e-9; i++) {
    const middle = (low + high) / 2
    if (feasible(middle)) low = middle
    else high = middle
  }
  const stepMs = stepMsAt(low)
  const batch = batchAt(low, stepMs)
  const limitedBy =
    tpotMs !== undefined && stepMsAt(high) > tpotMs && Number.isFinite(stepMsAt(high)) && batchAt(high, stepMsAt(high)) <= maxBatch
      ? 'tpot'
      : batch >= maxBatch * 0.999
        ? 'batch'
        : 'stability'
  return { ratePerS: low * 1000, outputTokensPerS: low * 1000 * output, limitedBy, stepMs, batch }
}
