import { describe, expect, it } from 'vitest'
import { countTokens, encodeText } from '../../src/input/tokenizer.js'
import type { TraceRow } from '../../src/input/trace/read-trace.js'
import { createTracePromptSource } from '../../src/input/trace/trace-prompts.js'
import { shardPromptSource } from '../../src/load/shard.js'

const row = (inputTokens: number, prefixBlocks: number[], outputTokens = 7): TraceRow => ({ timeMs: 0, inputTokens, outputTokens, prefixBlocks, line: 1 })

/** The longest common prefix of two token arrays. */
function commonPrefixTokens(a: readonly number[], b: readonly number[]): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

describe('prompts synthesized from a trace', () => {
  const rows = [row(1100, [0, 1, 2]), row(1600, [0, 1, 5, 6]), row(700, [9, 1]), row(300, [])]
  const prompts = (() => {
    const source = createTracePromptSource(rows, { seed: 3 })
    return rows.map(() => source.next())
  })()

  it('have exactly the trace input length, counted with the tokenizer', () => {
    for (const [i, prompt] of prompts.entries()) {
      expect(countTokens(prompt.prompt)).toBe(rows[i]?.inputTokens)
      expect(prompt.requestedInputTokens).toBe(rows[i]?.inputTokens)
      expect(prompt.messages).toEqual([{ role: 'user', content: prompt.prompt }])
    }
  })

  it('share the text of the blocks they share, and only those: rows 0 and 1 share blocks 0 and 1, 1024 tokens', () => {
    const [a, b, c, d] = prompts.map((p) => encodeText(p.prompt))
    // The 512-token blocks 0 and 1 are the same tokens; then row 0 goes on with block 2, row 1 with block 5.
    const shared = commonPrefixTokens(a as number[], b as number[])
    expect(shared).toBeGreaterThanOrEqual(1024)
    expect(shared).toBeLessThan(1024 + 4)
    // Row 2 starts with block 9, not 0: nothing (or a chance token) in common with row 0.
    expect(commonPrefixTokens(a as number[], c as number[])).toBeLessThan(4)
    expect(commonPrefixTokens(a as number[], d as number[])).toBeLessThan(4)
  })

  it('give a block id the same text in every row and every source of the same seed, other text under another seed', () => {
    const again = createTracePromptSource([row(512, [1]), row(512, [1])], { seed: 3 })
    const first = again.next().prompt
    expect(again.next().prompt).toBe(first)
    expect(createTracePromptSource([row(512, [1])], { seed: 3 }).next().prompt).toBe(first)
    expect(createTracePromptSource([row(512, [1])], { seed: 4 }).next().prompt).not.toBe(first)
  })

  it('give each request its own remainder: two rows of one length without blocks differ; with the same blocks they differ after them', () => {
    const source = createTracePromptSource([row(600, [4]), row(600, [4]), row(200, []), row(200, [])], { seed: 1 })
    const [a, b, c, d] = [source.next(), source.next(), source.next(), source.next()].map((p) => encodeText(p.prompt))
    expect(commonPrefixTokens(a as number[], b as number[])).toBeGreaterThanOrEqual(512)
    expect(commonPrefixTokens(a as number[], b as number[])).toBeLessThan(600)
    expect(commonPrefixTokens(c as number[], d as number[])).toBeLessThan(200)
  })

  it('cut the last block when the input ends inside it, and ask for the output length (at least 1)', () => {
    const source = createTracePromptSource([row(700, [0, 1, 2, 3], 0), row(5, [0], 42)], { seed: 3 })
    const short = source.next()
    expect(countTokens(short.prompt)).toBe(700)
    expect(short.requestedOutputTokens).toBe(1)
    const tiny = source.next()
    expect(countTokens(tiny.prompt)).toBe(5)
    expect(tiny.requestedOutputTokens).toBe(42)
  })

  it('a shard gets, for request id i, the prompt the whole run gives i', () => {
    const many = Array.from({ length: 9 }, (_, i) => row(50 + i, i % 2 === 0 ? [0] : []))
    const whole = createTracePromptSource(many, { seed: 2 })
    const all = many.map(() => whole.next())
    const shard = shardPromptSource(createTracePromptSource(many, { seed: 2 }), { index: 1, count: 3 })
    expect([shard.next(), shard.next(), shard.next()]).toEqual([all[1], all[4], all[7]])
  })
})
