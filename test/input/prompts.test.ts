import { describe, expect, it } from 'vitest'
import { createSyntheticPromptSource, type PromptItem, type SyntheticPromptOptions } from '../../src/input/prompts.js'
import { CorpusText, fitToTokenCount, proseCorpus } from '../../src/input/token-exact-text.js'
import { PROSE_CORPUS } from '../../src/input/corpus.js'
import { countTokens, decodeTokens, encodeText } from '../../src/input/tokenizer.js'

function take(options: SyntheticPromptOptions, count: number): PromptItem[] {
  const source = createSyntheticPromptSource(options)
  return Array.from({ length: count }, () => source.next())
}

describe('synthetic prompts', () => {
  it('have exactly the fixed length, re-encoded', () => {
    for (const item of take({ inputTokens: 1000, outputTokens: 128, seed: 1 }, 200)) {
      expect(item.requestedInputTokens).toBe(1000)
      expect(countTokens(item.prompt)).toBe(1000)
      expect(item.requestedOutputTokens).toBe(128)
    }
  })

  it('have exactly the sampled length for distribution specs', () => {
    const specs = [
      { dist: 'uniform', min: 1, max: 4096 },
      { dist: 'normal', mean: 512, std: 128 },
      { dist: 'lognormal', mean: 300, std: 250, max: 3000 },
    ] as const
    for (const inputTokens of specs) {
      const items = take({ inputTokens, outputTokens: { dist: 'uniform', min: 16, max: 64 }, seed: 2 }, 300)
      for (const item of items) {
        expect(countTokens(item.prompt)).toBe(item.requestedInputTokens)
        expect(item.requestedOutputTokens).toBeGreaterThanOrEqual(16)
        expect(item.requestedOutputTokens).toBeLessThanOrEqual(64)
      }
      expect(new Set(items.map((i) => i.requestedInputTokens)).size).toBeGreaterThan(50)
    }
  })

  it('are exact at the smallest lengths and beyond one pass over the corpus', () => {
    const source = createSyntheticPromptSource({ inputTokens: 1, outputTokens: 1, seed: 3 })
    for (let i = 0; i < 1100; i++) expect(countTokens(source.next().prompt)).toBe(1) // ids past 999 too
    const corpusTokens = proseCorpus().tokensPerCycle
    for (const length of [2, 3, 4, 5, 17, corpusTokens - 1, corpusTokens, corpusTokens + 1, 3 * corpusTokens + 7]) {
      for (const item of take({ inputTokens: length, outputTokens: 1, seed: length }, 20)) {
        expect(countTokens(item.prompt)).toBe(length)
      }
    }
  })

  it('all differ, from their first tokens on', () => {
    const items = take({ inputTokens: 256, outputTokens: 16, seed: 4 }, 3000)
    expect(new Set(items.map((i) => i.prompt)).size).toBe(items.length)
    // A prefix cache works in blocks of 16 tokens or so: no two prompts may share the first block.
    const firstBlocks = items.map((i) => encodeText(i.prompt).slice(0, 16).join(','))
    expect(new Set(firstBlocks).size).toBe(items.length)
    expect(items.map((i) => i.id)).toEqual(items.map((_, index) => index))
  })

  it('share exactly prefixTokens tokens when asked, then differ', () => {
    const prefixTokens = 64
    const items = take({ inputTokens: { dist: 'uniform', min: 1, max: 500 }, outputTokens: 8, seed: 5, prefixTokens }, 500)
    const prefix = decodeTokens(encodeText(items[0]!.prompt).slice(0, prefixTokens))
    for (const item of items) {
      expect(item.prompt.startsWith(prefix)).toBe(true)
      expect(countTokens(item.prompt)).toBe(item.requestedInputTokens)
      expect(item.requestedInputTokens).toBeGreaterThan(prefixTokens)
    }
    const afterPrefix = items.map((i) =>
      encodeText(i.prompt)
        .slice(prefixTokens, prefixTokens + 16)
        .join(','),
    )
    expect(new Set(afterPrefix).size).toBe(items.length)
  })

  it('carry the prompt as one user message for chat endpoints', () => {
    const [item] = take({ inputTokens: 50, outputTokens: 10, seed: 6 }, 1)
    expect(item!.messages).toEqual([{ role: 'user', content: item!.prompt }])
  })

  it('are deterministic under a seed and differ between seeds', () => {
    const options = { inputTokens: { dist: 'normal', mean: 200, std: 50 }, outputTokens: 32 } as const
    const a = take({ ...options, seed: 7 }, 50).map((i) => i.prompt)
    expect(take({ ...options, seed: 7 }, 50).map((i) => i.prompt)).toEqual(a)
    const b = take({ ...options, seed: 8 }, 50).map((i) => i.prompt)
    expect(b.filter((prompt, index) => prompt === a[index])).toHaveLength(0)
  })

  it('are built exact without the re-encoding check as well', () => {
    const options = { inputTokens: { dist: 'uniform', min: 1, max: 3000 }, outputTokens: 8, seed: 9, prefixTokens: 10 } as const
    const checked = take(options, 300)
    const unchecked = take({ ...options, verifyTokenCounts: false }, 300)
    expect(unchecked.map((i) => i.prompt)).toEqual(checked.map((i) => i.prompt))
  })

  it('rejects a negative or fractional prefix', () => {
    expect(() => createSyntheticPromptSource({ inputTokens: 5, outputTokens: 5, seed: 1, prefixTokens: -1 })).toThrow(/prefixTokens/)
  })
})

describe('CorpusText', () => {
  it('takes runs of exactly the asked token count from every word start', () => {
    const corpus = proseCorpus()
    for (let i = 0; i < corpus.wordStarts.length; i += 7) {
      const start = corpus.wordStarts[i]!
      for (const tokens of [1, 2, 9, 100, corpus.tokensPerCycle + 3]) {
        expect(countTokens(corpus.take(start, tokens))).toBe(tokens)
      }
    }
  })

  it('refuses a corpus whose pieces would merge', () => {
    expect(() => new CorpusText('Hello,world.')).toThrow(/corpus/)
    expect(() => new CorpusText('Numbers 42 are out')).toThrow(/corpus/)
    expect(() => new CorpusText(PROSE_CORPUS)).not.toThrow()
  })
})

describe('fitToTokenCount', () => {
  it('trims or pads any text to the exact count', () => {
    const text = 'Ünïcødé ✓ text, with <tags> and 12345 numbers.\n\nAnother line'
    for (const target of [1, 3, 10, countTokens(text), 40]) {
      expect(countTokens(fitToTokenCount(text, target))).toBe(target)
    }
    expect(fitToTokenCount(text, countTokens(text))).toBe(text)
  })
})
