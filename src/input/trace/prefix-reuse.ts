/**
 * The prefix reuse a trace's block ids imply: the share of its input tokens that an unbounded
 * prefix cache (vLLM's automatic prefix caching: a block hits only when every block before it hit
 * too) would find already computed, replaying the rows in send order. A block counts when it is
 * whole (TRACE_BLOCK_TOKENS tokens in this row) and the same chain of ids up to it was whole in an
 * earlier row; a last, partial block never counts (its text is cut where the row ends), so this is
 * the reuse the synthesized prompts are built to give, which a simulator's measured hit rate can be
 * held to (issue #21).
 */
import { TRACE_BLOCK_TOKENS, type TraceRow } from './read-trace.js'

export interface PrefixReuse {
  inputTokens: number
  /** Tokens in whole blocks whose chain of ids was seen whole before. */
  reusedTokens: number
  /** reusedTokens / inputTokens (0 for no input). */
  rate: number
}

export function impliedPrefixReuse(rows: readonly TraceRow[], blockTokens = TRACE_BLOCK_TOKENS): PrefixReuse {
  const seen = new Set<string>()
  let inputTokens = 0
  let reusedTokens = 0
  for (const row of rows) {
    inputTokens += row.inputTokens
    const wholeBlocks = Math.min(row.prefixBlocks.length, Math.floor(row.inputTokens / blockTokens))
    let chain = ''
    let hitting = true
    for (let j = 0; j < wholeBlocks; j++) {
      chain += `${row.prefixBlocks[j]},`
      if (hitting && seen.has(chain)) reusedTokens += blockTokens
      else hitting = false
      seen.add(chain)
    }
  }
  return { inputTokens, reusedTokens, rate: inputTokens > 0 ? reusedTokens / inputTokens : 0 }
}
