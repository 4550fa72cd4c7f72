/**
 * Prompts of a trace's lengths whose leading blocks are shared as the trace shares them: a row's
 * prefix block ids (Mooncake's hash_ids) each become one block of text, the same text wherever the
 * id occurs (from the id and the seed alone), so that a server's prefix cache sees the trace's
 * reuse; then the row's own remainder up to its input length. Text comes from the same corpus
 * machinery as synthetic prompts (token-exact-text.ts): exact by construction, and re-encoded as a check.
 */
import { deriveSeed, seededRandom } from '../../util/rng.js'
import { type PromptItem, type SkippablePromptSource, idMarker } from '../prompts.js'
import { type CorpusText, fitToTokenCount, proseCorpus } from '../token-exact-text.js'
import { TRACE_BLOCK_TOKENS, type TraceRow } from './read-trace.js'

export interface TracePromptOptions {
  seed: number
  /** Tokens per prefix block (default 512, the Mooncake traces'). */
  blockTokens?: number
  /** Re-encode every prompt to confirm its length (default true); see SyntheticPromptOptions. */
  verifyTokenCounts?: boolean
}

/** Random streams of a trace source (see deriveSeed). */
const STREAM = { block: 11, remainder: 12 } as const

/**
 * One prompt per row, in order (cycling past the last): request i gets row i mod rows.length.
 * Nothing depends on the rows before, so `skip` only moves on (a shard builds only its own rows).
 */
export function createTracePromptSource(rows: readonly TraceRow[], options: TracePromptOptions): SkippablePromptSource {
  const blockTokens = options.blockTokens ?? TRACE_BLOCK_TOKENS
  const verify = options.verifyTokenCounts ?? true
  const corpus = proseCorpus()
  const blockSeed = deriveSeed(options.seed, STREAM.block)
  const remainderSeed = deriveSeed(options.seed, STREAM.remainder)
  let nextId = 0
  return {
    next(): PromptItem {
      const id = nextId++
      const row = rows[id % rows.length] as TraceRow
      const built = tracePromptText(corpus, row, id, { blockSeed, remainderSeed, blockTokens })
      const prompt = verify ? fitToTokenCount(built, row.inputTokens) : built
      return {
        id,
        prompt,
        messages: [{ role: 'user', content: prompt }],
        requestedInputTokens: row.inputTokens,
        // A server generates at least one token: a row that asked for none (a failed request in BurstGPT) asks for one.
        requestedOutputTokens: Math.max(1, row.outputTokens),
      }
    },
    skip(count: number): void {
      nextId += count
    },
  }
}

/**
 * The text of one row: its blocks (the last cut short where the input ends within it), then the
 * request's own remainder (its id's digits, then prose from a place seeded by the id).
 */
export function tracePromptText(
  corpus: CorpusText,
  row: TraceRow,
  id: number,
  seeds: { blockSeed: number; remainderSeed: number; blockTokens: number },
): string {
  let text = ''
  let remaining = row.inputTokens
  for (const blockId of row.prefixBlocks) {
    if (remaining <= 0) break
    const tokens = Math.min(seeds.blockTokens, remaining)
    text += seededRun(corpus, blockId, seeds.blockSeed, tokens)
    remaining -= tokens
  }
  return remaining > 0 ? text + seededRun(corpus, id, seeds.remainderSeed, remaining) : text
}

/** `tokens` tokens: `key`'s digits, then corpus prose from a word chosen by (key, seed). The same key, seed and length give the same text. */
function seededRun(corpus: CorpusText, key: number, seed: number, tokens: number): string {
  const marker = idMarker(key, tokens)
  const start = corpus.wordStarts[Math.floor(seededRandom(deriveSeed(seed, key)).next() * corpus.wordStarts.length)] as number
  return marker.text + corpus.take(start, tokens - marker.tokens)
}
