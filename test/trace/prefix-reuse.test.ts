import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { impliedPrefixReuse } from '../../src/input/trace/prefix-reuse.js'
import { type TraceRow, readTrace } from '../../src/input/trace/read-trace.js'
import { REPO_ROOT } from '../helpers/cli.js'

const row = (inputTokens: number, prefixBlocks: number[]): TraceRow => ({ timeMs: 0, inputTokens, outputTokens: 1, prefixBlocks, line: 1 })

describe('impliedPrefixReuse', () => {
  it('counts whole blocks whose chain of ids was whole before, stopping at the first miss', () => {
    const rows = [
      row(1100, [0, 1, 2]), // blocks 0, 1 whole, 2 partial (76 tokens): nothing seen yet
      row(1600, [0, 1, 5, 6]), // 0 and 1 hit (1024), 5 misses, 6 partial
      row(1024, [9, 1]), // 9 misses: 1 after 9 is another chain, no hit
      row(1536, [0, 1, 2]), // 0, 1 hit; 2 was partial before (not whole): a miss
      row(1536, [0, 1, 2]), // now 2 was whole in the row before: all three hit
    ]
    const reuse = impliedPrefixReuse(rows)
    // By hand: 0 + 1024 + 0 + 1024 + 1536 reused, of 1100 + 1600 + 1024 + 1536 + 1536 tokens.
    expect(reuse.reusedTokens).toBe(3584)
    expect(reuse.inputTokens).toBe(6796)
    expect(reuse.rate).toBeCloseTo(3584 / 6796, 12)
  })

  it('finds reuse in the shipped Mooncake sample and none in a trace without block ids', async () => {
    const mooncake = await readTrace(join(REPO_ROOT, 'data', 'traces', 'mooncake-synthetic.jsonl'))
    expect(impliedPrefixReuse(mooncake.rows).rate).toBeGreaterThan(0)
    const azure = await readTrace(join(REPO_ROOT, 'data', 'traces', 'azure-synthetic.csv'))
    expect(impliedPrefixReuse(azure.rows).reusedTokens).toBe(0)
  })
})
