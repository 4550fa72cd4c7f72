import { engineCapacity } from './engine.js'
import type { SimProfile } from './profile.js'

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
 * model rather than by simulation: at arrival rate λ, with mean step time d, Little's law puts
 * B = λ·O·d sequences in decode and p = λ·I·d prompt tokens in each step, and
 *
 *   d = t0 + max(W/(η·BW), 2·N·p/F) + B·ctx·kv/(η·BW) + B·c_seq,     ctx = I + E[O²]/(2·E[O])
 *
 * with the prefill term taken in expectation over the whole prompts that land in a step. The answer
 * is the largest λ with d(λ) ≤ the TPOT objective, B ≤ min(max_num_seqs, KV tokens / (I + O)) and
 * a finite d. Queueing delay and step noise are ignored, so it is an upper bound on the goodput
 * rate that a simulation (or a real server) reaches at a high SLO attainment: a first cut, the way
 * capacity planners use Erlang-C.
 */
export function impliedCapacity(profile: SimProfile, confidential: boolean, lengths: LengthMoments, tpotMs: number | undefined): ImpliedCapacity {
  const cc = confidential ? profile.confidential : undefined
  if (confidential && !cc) throw new RangeError(`profile ${profile.name} has no confidential-computing settings`)
  const { gpu, model, timing, engine } = profile
  const capacity = engineCapacity(profile, confidential)
  const tp = model.tensorParallel
  const bandwidthBytesPerMs = (gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * (cc?.bandwidthFactor ?? 1) * tp) / 1000
  const prefillMsPerToken = (2 * model.parametersB * 1e9) / ((gpu.denseTflops * 1e12 * timing.prefillMfu * tp) / 1000)
  const stepBaseMs = timing.stepOverheadMs + (cc?.stepTollMs ?? 0)
  const perSequenceMs = (timing.perSequenceUs + (cc?.perSequenceTollUs ?? 0)) / 1000
  const { inputTokensMean: input, outputTokensMean: output } = lengths
  const context = input + lengths.outputTokensSquareMean / (2 * output)
  /** Decode cost per sequence in the batch, per step (ms). */
  const perSequenceStepMs = (context * model.kvBytesPerToken) / bandwidthBytesPerMs + perSequenceMs
  const maxBatch = Math.min(engine.maxNumSeqs, capacity.kvCacheTokens / (input + output))

  /**
   * Mean step time at rate λ (per ms), or Infinity when the GPU cannot keep up. Prompts arrive
   * whole (a prompt fits in one step's token budget), so the prefill work of a step is lumpy:
   * K ~ Poisson(λ·d) prompts, and the step pays E[max(W, K·I·c_p)], not max(W, E[K]·I·c_p).
   * d = t0 + E[max(W, K·I·c_p)] + λ·O·d·k is increasing in d on both sides: solve by bisection.
   */
  const stepMsAt = (ratePerMs: number): number => {
    const decodeLoad = ratePerMs * output * perSequenceStepMs
    const prefillLoad = ratePerMs * input * prefillMsPerToken
    if (decodeLoad + prefillLoad >= 1) return Number.POSITIVE_INFINITY
    const excess = (d: number): number => stepBaseMs + expectedForwardMs(ratePerMs * d) + decodeLoad * d - d
    let low = stepBaseMs + capacity.weightReadMs
    let high = low
    for (let i = 0; i < 60 && excess(high) > 0; i++) high *= 2
    if (excess(high) > 0) return Number.POSITIVE_INFINITY
    for (let i = 0; i < 100 && high - low > 1e-9; i++) {
      const middle = (low + high) / 2
      if (excess(middle) > 0) low = middle
      else high = middle
    }
    return high
  }
  /** E[max(W, K·I·c_p)] for K ~ Poisson(meanPrompts): the forward pass of one step. */
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
  const batchAt = (ratePerMs: number, stepMs: number): number => ratePerMs * output * stepMs
  const feasible = (ratePerMs: number): boolean => {
    const stepMs = stepMsAt(ratePerMs)
    if (!Number.isFinite(stepMs)) return false
    if (tpotMs !== undefined && stepMs > tpotMs) return false
    return batchAt(ratePerMs, stepMs) <= maxBatch
  }

  // d(λ) and B(λ) increase with λ: bisect on the rate.
  let low = 0
  let high = 1 / (output * perSequenceStepMs)
  for (let i = 0; i < 200 && high - low > high * 1e-9; i++) {
    const middle = (low + high) / 2
    if (feasible(middle)) low = middle
    else high = middle
  }
  const stepMs = stepMsAt(low)
  const batch = batchAt(low, stepMs)
  const limitedBy = tpotMs !== undefined && stepMsAt(high) > tpotMs && Number.isFinite(stepMsAt(high)) && batchAt(high, stepMsAt(high)) <= maxBatch ? 'tpot' : batch >= maxBatch * 0.999 ? 'batch' : 'stability'
  return { ratePerS: low * 1000, outputTokensPerS: low * 1000 * output, limitedBy, stepMs, batch }
}
