import { runUntilIdle } from '../helpers/engine-steps.js'
import { describe, expect, it } from 'vitest'
import { encodeText } from '../../src/input/tokenizer.js'
import { proseCorpus } from '../../src/input/token-exact-text.js'
import { type SimProfile, loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { EngineModel } from '../../src/sim/engine/engine.js'
import { promptBlockHashes } from '../../src/sim/engine/prefix-cache.js'
import { generatedText } from '../../src/sim/openai-format.js'
import { type GenerationRequest, parseGenerationRequest, promptAndAnswerTokenIds } from '../../src/sim/openai-request.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * A conversation's turns through the simulator's request parsing and engine, in the engine's own
 * time: each turn's chat body carries the history with the answer as the simulator streamed it, and
 * the block hashes go on over the answer (vLLM v1 caches generated blocks). With prefix caching on, a
 * turn hits every full block of the previous turn's prompt and answer, and its TTFT is the prefill of
 * what is left, by the step formula worked out here; off, it prefills its whole prompt.
 */
const BASE = loadProfile('h100-sxm-llama-3.1-8b-bf16')
const BLOCK = BASE.engine.blockSize

function quiet(prefixCaching: boolean): SimProfile {
  return simProfileSchema.parse({ ...BASE, engine: { ...BASE.engine, prefixCaching }, timing: { ...BASE.timing, stepJitterMs: 0 }, calibration: undefined })
}

/** The step's time beyond its fixed costs for `computed` new tokens over `context` tokens (capacity.ts's formula, from the profile). */
function prefillMs(computed: number, context: number): number {
  const { gpu, model, timing } = BASE
  const bytesPerMs = (gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency) / 1000
  const computeMs = (2 * model.parametersB * 1e9 * computed) / ((gpu.denseTflops * 1e12 * timing.prefillMfu) / 1000)
  return Math.max((model.weightsGB * 1e9) / bytesPerMs, computeMs) + (context * model.kvBytesPerToken) / bytesPerMs
}

const ANSWER_TOKENS = 24
const USER_TEXTS = [proseCorpus().take(0, 2000), proseCorpus().take(300, 60), proseCorpus().take(700, 45), proseCorpus().take(900, 70)]

/** Each turn's parsed request: system prompt, the history with the answers as streamed, the new message. */
function turnRequests(): GenerationRequest[] {
  const messages: Array<{ role: string; content: string }> = [{ role: 'system', content: 'You are terse.' }]
  return USER_TEXTS.map((text) => {
    messages.push({ role: 'user', content: text })
    const body = JSON.stringify({ messages, max_tokens: ANSWER_TOKENS, stream: true })
    const parsed = parseGenerationRequest('chat', body, 'm', 16)
    if (!parsed.ok) throw new Error(parsed.error.message)
    messages.push({ role: 'assistant', content: generatedText(ANSWER_TOKENS) })
    return parsed.request
  })
}

/** Runs the turns one after the other; each turn's TTFT and the prefix-cache hit tokens it got. */
function converse(profile: SimProfile): Array<{ ttftMs: number; hitTokens: number }> {
  const engine = new EngineModel(profile, false, seededRandom(1))
  let t = 0
  return turnRequests().map((request, id) => {
    const ids = promptAndAnswerTokenIds({ endpoint: 'chat', promptTokenIds: request.promptTokenIds, outputTokens: request.outputTokens, plainAnswer: true })
    const hitsBefore = engine.counters.prefixHitTokens
    const turn = { id, promptTokens: request.promptTokens, outputTokens: request.outputTokens, blockHashes: promptBlockHashes(ids, BLOCK) }
    const { ttftMs, endMs } = runUntilIdle(engine, turn, t)
    t = endMs
    return { ttftMs, hitTokens: engine.counters.prefixHitTokens - hitsBefore }
  })
}

describe('prefix caching across the turns of a conversation', () => {
  it("a turn hits the previous turn's prompt and answer blocks; its TTFT falls by the prefill it saves, and without caching it does not fall", () => {
    const requests = turnRequests()
    const on = converse(quiet(true))
    const off = converse(quiet(false))
    // The answer's text re-tokenizes to what the history sends back: the previous turn's ids, its answer's, then the new message's.
    const answerIds = encodeText(generatedText(ANSWER_TOKENS))
    expect(answerIds.length).toBeGreaterThanOrEqual(ANSWER_TOKENS)
    for (let turn = 1; turn < requests.length; turn++) {
      const previous = requests[turn - 1] as GenerationRequest
      const current = requests[turn] as GenerationRequest
      // Hits cover the previous prompt and its generated tokens (all but the last, whose KV is never computed), in whole blocks.
      const cachedBlocks = Math.min(Math.floor((previous.promptTokens + ANSWER_TOKENS - 1) / BLOCK), Math.floor((current.promptTokens - 1) / BLOCK))
      expect(on[turn]?.hitTokens).toBe(cachedBlocks * BLOCK)
      expect(on[turn]?.hitTokens).toBeGreaterThan(previous.promptTokens)
      const computed = current.promptTokens - cachedBlocks * BLOCK
      const first = requests[0] as GenerationRequest
      const predictedFall = prefillMs(computed, current.promptTokens) - prefillMs(first.promptTokens, first.promptTokens)
      expect(predictedFall).toBeLessThan(-30)
      expect((on[turn]?.ttftMs as number) - (on[0]?.ttftMs as number)).toBeCloseTo(predictedFall, 6)
      const predictedOff = prefillMs(current.promptTokens, current.promptTokens) - prefillMs(first.promptTokens, first.promptTokens)
      expect(predictedOff).toBeGreaterThan(0)
      expect((off[turn]?.ttftMs as number) - (off[0]?.ttftMs as number)).toBeCloseTo(predictedOff, 6)
      expect(off[turn]?.hitTokens).toBe(0)
    }
  })
})
