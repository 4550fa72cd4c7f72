import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './cli.js'

/** The Mooncake-format sample trace shipped in data/traces, as the CLI takes it (relative to the repository). */
export const MOONCAKE_SAMPLE = 'data/traces/mooncake-synthetic.jsonl'
/** Tokens per Mooncake hash id (the format's block). */
const MOONCAKE_BLOCK_TOKENS = 512

/** One line of a Mooncake trace, as the file has it. */
export interface MooncakeRow {
  timestamp: number
  input_length: number
  output_length: number
  hash_ids: number[]
}

/** The sample's rows in time order (a stable sort: equal times keep file order), read here, not by src/input/trace. */
export function mooncakeSampleRows(): MooncakeRow[] {
  return readFileSync(join(REPO_ROOT, MOONCAKE_SAMPLE), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MooncakeRow)
    .sort((a, b) => a.timestamp - b.timestamp)
}

/**
 * Prompt tokens an unbounded prefix cache would serve from earlier rows (`rows` in time order): a
 * row's leading blocks whose chain of ids an earlier row had, each worth its tokens in this row (512,
 * or fewer for a last, cut block), and all prompt tokens. `wholeOnly` counts only the blocks a row
 * holds whole (the reuse a replay reports as implied). Computed here, independently of
 * src/input/trace/prefix-reuse.ts, which the tests hold to it.
 */
export function impliedReuse(rows: readonly MooncakeRow[], options: { wholeOnly?: boolean } = {}): { reused: number; total: number } {
  const seen = new Set<string>()
  let reused = 0
  let total = 0
  for (const row of rows) {
    total += row.input_length
    let matching = true
    for (let block = 0; block < row.hash_ids.length; block++) {
      const tokens = Math.max(0, Math.min(MOONCAKE_BLOCK_TOKENS, row.input_length - block * MOONCAKE_BLOCK_TOKENS))
      if (options.wholeOnly && tokens < MOONCAKE_BLOCK_TOKENS) break
      const chain = row.hash_ids.slice(0, block + 1).join(',')
      if (matching && seen.has(chain)) reused += tokens
      else matching = false
      seen.add(chain)
    }
  }
  return { reused, total }
}
