/**
 * Where request prompts come from: synthetic text of exact token lengths, or a prompt file
 * (JSONL or ShareGPT; see prompt-file.ts). Both hand out PromptItems through a PromptSource, one
 * per request, in a seeded, reproducible order.
 */
import { UserError } from '../util/errors.js'
import { seededRandom } from '../util/rng.js'
import type { LengthSpec } from '../io/schema/length-spec.js'
import { createLengthSampler } from './distributions.js'
import { deriveSeed } from '../util/rng.js'
import { fitToTokenCount, proseCorpus } from './token-exact-text.js'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface PromptItem {
  /** Position in the source's sequence, from 0; unique within a source. */
  id: number
  /** The prompt text, for /v1/completions. */
  prompt: string
  /** The same prompt as a chat, for /v1/chat/completions. */
  messages: ChatMessage[]
  /** Tokens in `prompt` (cl100k_base); a chat template adds the server's own few on top. */
  requestedInputTokens: number
  /** Tokens to ask the server for (max_tokens); undefined leaves it to the server. */
  requestedOutputTokens: number | undefined
}

export interface PromptSource {
  next(): PromptItem
}

/**
 * A source that can pass over items cheaply: `skip(count)` advances past the next `count` items
 * (their random draws taken, their text never built), so that the item after them is the one
 * `next()` would have handed out then. A shard of a run uses it to send request i exactly the
 * prompt the unsharded run sends it, without building the other shards' prompts.
 */
export interface SkippablePromptSource extends PromptSource {
  skip(count: number): void
}

export interface SyntheticPromptOptions {
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  seed: number
  /**
   * Tokens of text shared by every prompt, placed before each prompt's own tokens (as vLLM's
   * --random-prefix-len): a server's prefix cache can reuse them. Added to the sampled length.
   */
  prefixTokens?: number
  /**
   * Re-encode every prompt to confirm its length (default true). Building is exact by
   * construction and runs at about 2 M prompts/s; the check costs one tokenizer pass
   * (about 8 k prompts/s at 1,000 tokens), so pre-generating very many prompts may skip it.
   */
  verifyTokenCounts?: boolean
}

/** Independent random streams of a synthetic source. */
const STREAM = { inputLength: 1, outputLength: 2, textOffset: 3 } as const

/**
 * Prompts of exact token lengths: `prefixTokens` shared tokens, then the prompt's id in digits
 * (unique, so no two prompts share a prefix-cache block past the shared part), then prose from a
 * seeded random place in the built-in corpus, `inputTokens` tokens in all after the prefix.
 */
export function createSyntheticPromptSource(options: SyntheticPromptOptions): SkippablePromptSource {
  const { seed } = options
  const prefixTokens = options.prefixTokens ?? 0
  const verify = options.verifyTokenCounts ?? true
  if (!(Number.isInteger(prefixTokens) && prefixTokens >= 0)) {
    throw new UserError(`prefixTokens: must be a whole number >= 0 (got ${prefixTokens})`)
  }
  const sampleInputTokens = createLengthSampler(options.inputTokens, seededRandom(deriveSeed(seed, STREAM.inputLength)))
  const sampleOutputTokens = createLengthSampler(options.outputTokens, seededRandom(deriveSeed(seed, STREAM.outputLength)))
  const offsetRandom = seededRandom(deriveSeed(seed, STREAM.textOffset))
  const corpus = proseCorpus()
  const sharedPrefix = corpus.take(0, prefixTokens)
  let nextId = 0

  return {
    next(): PromptItem {
      const id = nextId++
      const ownTokens = sampleInputTokens()
      const requestedOutputTokens = sampleOutputTokens()
      const marker = idMarker(id, ownTokens)
      const start = corpus.wordStarts[Math.floor(offsetRandom.next() * corpus.wordStarts.length)] as number
      const body = corpus.take(start, ownTokens - marker.tokens)
      const requestedInputTokens = prefixTokens + ownTokens
      const built = sharedPrefix + marker.text + body
      const prompt = verify ? fitToTokenCount(built, requestedInputTokens) : built
      return {
        id,
        prompt,
        messages: [{ role: 'user', content: prompt }],
        requestedInputTokens,
        requestedOutputTokens,
      }
    },
    skip(count: number): void {
      // The same draws as next(), in the same order, without the text.
      for (let i = 0; i < count; i++) {
        nextId++
        sampleInputTokens()
        sampleOutputTokens()
        offsetRandom.next()
      }
    },
  }
}

/**
 * The id's decimal digits: cl100k_base makes one token of each group of up to three digits, so
 * the marker's cost is known without the tokenizer. Cut to `budget` tokens for very short prompts.
 */
export function idMarker(id: number, budget: number): { text: string; tokens: number } {
  const digits = String(id)
  const tokens = Math.min(Math.ceil(digits.length / 3), budget)
  return { text: digits.slice(0, 3 * tokens), tokens }
}
