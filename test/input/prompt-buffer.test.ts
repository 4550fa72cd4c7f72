import { describe, expect, it } from 'vitest'
import { PromptBuffer } from '../../src/input/prompt-buffer.js'
import { createSyntheticPromptSource } from '../../src/input/prompts.js'

describe('PromptBuffer', () => {
  it('hands out the same prompts in the same order as its source, made ahead', async () => {
    const direct = createSyntheticPromptSource({ inputTokens: 64, outputTokens: 8, seed: 3 })
    const buffered = new PromptBuffer(createSyntheticPromptSource({ inputTokens: 64, outputTokens: 8, seed: 3 }), 4, 16)
    buffered.fill()
    expect(buffered.size).toBe(16)
    for (let i = 0; i < 50; i++) {
      expect(buffered.next()).toEqual(direct.next())
      // Let the time-boxed refills run now and then.
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  })

  it('never makes more prompts than the run will use', () => {
    let made = 0
    const source = { next: () => ({ id: made++, prompt: 'p', messages: [], requestedInputTokens: 1, requestedOutputTokens: 1 }) }
    const buffer = new PromptBuffer(source, 10, 100, 25)
    buffer.fill()
    expect(made).toBe(25)
  })
})
