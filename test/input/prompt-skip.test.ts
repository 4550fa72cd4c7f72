import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadPromptFile } from '../../src/input/prompt-file.js'
import { type PromptItem, type SkippablePromptSource, createSyntheticPromptSource } from '../../src/input/prompts.js'
import { shardPromptSource } from '../../src/load/shard.js'

/** What a request's prompt is made of: its id, its text (chat and completion) and its lengths. */
const shape = (item: PromptItem) => ({
  id: item.id,
  prompt: item.prompt,
  messages: item.messages,
  requestedInputTokens: item.requestedInputTokens,
  requestedOutputTokens: item.requestedOutputTokens,
})

/** The first `total` prompts of an unsharded source, and of each of `count` shards the ones with its ids. */
function compareShards(make: () => SkippablePromptSource, total: number, count: number): void {
  const whole = make()
  const unsharded = Array.from({ length: total }, () => shape(whole.next()))
  for (let index = 0; index < count; index++) {
    const shard = shardPromptSource(make(), { index, count })
    const wanted = unsharded.filter((item) => item.id % count === index)
    const got = wanted.map(() => shape(shard.next()))
    expect(got).toEqual(wanted)
  }
}

describe('a shard gets exactly the prompts the unsharded run gives its ids', () => {
  it('synthetic prompts, fixed and sampled lengths, with a shared prefix', () => {
    const options = [
      { inputTokens: 64, outputTokens: 16, seed: 1 },
      { inputTokens: { dist: 'uniform', min: 8, max: 300 }, outputTokens: { dist: 'lognormal', mean: 60, std: 40 }, seed: 7, prefixTokens: 32 },
      { inputTokens: { dist: 'normal', mean: 120, std: 30 }, outputTokens: { dist: 'normal', mean: 50, std: 10 }, seed: 3 },
    ] as const
    for (const option of options) {
      for (const count of [1, 2, 3, 5]) compareShards(() => createSyntheticPromptSource(option), 41, count)
    }
  })

  it('skip(n) then next() is the item after the n skipped, and skipping builds no text', () => {
    const options = { inputTokens: { dist: 'uniform', min: 8, max: 200 }, outputTokens: { dist: 'uniform', min: 4, max: 40 }, seed: 11 } as const
    const whole = createSyntheticPromptSource(options)
    const items = Array.from({ length: 30 }, () => shape(whole.next()))
    const skipping = createSyntheticPromptSource(options)
    skipping.skip(0)
    expect(shape(skipping.next())).toEqual(items[0])
    skipping.skip(12)
    expect(shape(skipping.next())).toEqual(items[13])
    skipping.skip(15)
    expect(shape(skipping.next())).toEqual(items[29])
  })

  it('prompts from a file, in file order and with sampled output lengths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geopat-prompt-skip-'))
    const file = join(dir, 'prompts.jsonl')
    const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ prompt: `question number ${i}: ${'why '.repeat(i + 1)}`, output_tokens: 10 + i }))
    writeFileSync(file, `${lines.join('\n')}\n`)
    for (const options of [{ seed: 1 }, { seed: 5, outputTokens: { dist: 'uniform', min: 3, max: 90 } as const }]) {
      // The file's 7 prompts cycle: 23 requests go round it three times. A fresh source for the whole and for each shard.
      for (const count of [2, 3, 4]) {
        const fresh: SkippablePromptSource[] = []
        for (let i = 0; i <= count; i++) fresh.push(await loadPromptFile(file, options))
        compareShards(() => fresh.shift() as SkippablePromptSource, 23, count)
      }
    }
  })
})
