import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadPromptFile } from '../../src/input/prompt-file.js'
import { countTokens } from '../../src/input/tokenizer.js'
import { UserError } from '../../src/util/errors.js'

const folder = mkdtempSync(join(tmpdir(), 'geopat-prompts-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

let fileNumber = 0
function writeTemp(content: string, extension = 'jsonl'): string {
  const path = join(folder, `prompts-${fileNumber++}.${extension}`)
  writeFileSync(path, content)
  return path
}

function jsonl(...records: unknown[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`
}

/** The message of the UserError that `promise` rejects with. */
async function userErrorOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  const message = (error as UserError).message
  expect(message).not.toContain('\n')
  return message
}

const shareGpt = (...turns: Array<[string, string]>) => ({
  id: 'x',
  conversations: turns.map(([from, value]) => ({ from, value })),
})

describe('loadPromptFile: JSONL', () => {
  it('reads prompt records, with and without output_tokens, skipping blank lines and CRLF', async () => {
    const path = writeTemp('{"prompt": "Say hello.", "output_tokens": 12}\r\n\r\n{"prompt": "Write a haiku about the sea."}\r\n')
    const source = await loadPromptFile(path, { seed: 1 })
    expect(source.promptCount).toBe(2)
    const first = source.next()
    expect(first).toEqual({
      id: 0,
      prompt: 'Say hello.',
      messages: [{ role: 'user', content: 'Say hello.' }],
      requestedInputTokens: countTokens('Say hello.'),
      requestedOutputTokens: 12,
    })
    const second = source.next()
    expect(second.prompt).toBe('Write a haiku about the sea.')
    expect(second.requestedOutputTokens).toBeUndefined()
    // cycles, with ids that keep counting
    expect(source.next()).toMatchObject({ id: 2, prompt: 'Say hello.' })
  })

  it('reads ShareGPT conversations: first human turn, reply length from the first gpt turn', async () => {
    const reply = 'The capital of France is Paris, a city on the Seine.'
    const path = writeTemp(
      jsonl(
        shareGpt(['human', 'What is the capital of France?'], ['gpt', reply], ['human', 'And of Spain?'], ['gpt', 'Madrid.']),
        shareGpt(['human', 'only one turn']),
        shareGpt(['system', 'Be brief.'], ['human', 'Name a colour.'], ['gpt', 'Blue.']),
        shareGpt(['human', 'empty reply'], ['gpt', '  ']),
      ),
    )
    const source = await loadPromptFile(path, { seed: 1 })
    expect(source.promptCount).toBe(2)
    expect(source.skippedCount).toBe(2)
    const first = source.next()
    expect(first.prompt).toBe('What is the capital of France?')
    expect(first.requestedOutputTokens).toBe(countTokens(reply))
    expect(first.requestedInputTokens).toBe(countTokens(first.prompt))
    expect(source.next()).toMatchObject({ prompt: 'Name a colour.', requestedOutputTokens: countTokens('Blue.') })
  })

  it('lets outputTokens override the file, and shuffles by seed when asked', async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ prompt: `prompt ${i}`, output_tokens: 5 }))
    const path = writeTemp(jsonl(...records))
    const fixed = await loadPromptFile(path, { seed: 1, outputTokens: { dist: 'uniform', min: 100, max: 200 } })
    for (let i = 0; i < 20; i++) expect(fixed.next().requestedOutputTokens).toBeGreaterThanOrEqual(100)

    const order = async (seed: number) => {
      const source = await loadPromptFile(path, { seed, shuffle: true })
      return Array.from({ length: 20 }, () => source.next().prompt)
    }
    const a = await order(3)
    expect(await order(3)).toEqual(a)
    expect(await order(4)).not.toEqual(a)
    expect([...a].sort()).toEqual(records.map((r) => r.prompt).sort())
    expect(a).not.toEqual(records.map((r) => r.prompt))
  })

  it('counts text that looks like a special token as plain text', async () => {
    const prompt = 'Explain what <|endoftext|> means.'
    const source = await loadPromptFile(writeTemp(jsonl({ prompt })), { seed: 1 })
    expect(source.next().requestedInputTokens).toBe(countTokens(prompt))
  })

  it('names file, line, field and rule for a bad line', async () => {
    const path = writeTemp(jsonl({ prompt: 'fine' }, { prompt: 'fine too' }, { prompt: 42 }))
    expect(await userErrorOf(loadPromptFile(path, { seed: 1 }))).toBe(`${path}:3: prompt: Invalid input: expected string, received number`)
    const badCount = writeTemp(jsonl({ prompt: 'ok', output_tokens: 0 }))
    expect(await userErrorOf(loadPromptFile(badCount, { seed: 1 }))).toMatch(new RegExp(`^${escapeRegExp(badCount)}:1: output_tokens: Too small`))
    const badTurn = writeTemp(jsonl({ conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt' }] }))
    expect(await userErrorOf(loadPromptFile(badTurn, { seed: 1 }))).toMatch(new RegExp(`^${escapeRegExp(badTurn)}:1: conversations\\.1\\.value: Invalid input`))
  })

  it('reports invalid JSON and a file without prompts', async () => {
    const path = writeTemp('{"prompt": "ok"}\n{"prompt": "unterminated\n')
    expect(await userErrorOf(loadPromptFile(path, { seed: 1 }))).toMatch(new RegExp(`^${escapeRegExp(path)}:2: \\(root\\): invalid JSON`))
    const empty = writeTemp('\n\n')
    expect(await userErrorOf(loadPromptFile(empty, { seed: 1 }))).toBe(`${empty}: no prompts found`)
    const allSkipped = writeTemp(jsonl(shareGpt(['human', 'alone'])))
    expect(await userErrorOf(loadPromptFile(allSkipped, { seed: 1 }))).toMatch(/no prompts found \(1 conversations skipped/)
  })

  it('names a missing or unreadable file', async () => {
    const missing = join(folder, 'does-not-exist.jsonl')
    expect(await userErrorOf(loadPromptFile(missing, { seed: 1 }))).toBe(`${missing}: cannot read prompt file (ENOENT: no such file or directory)`)
    expect(await userErrorOf(loadPromptFile(folder, { seed: 1 }))).toMatch(new RegExp(`^${escapeRegExp(folder)}: cannot read prompt file \\(EISDIR`))
  })
})

describe('loadPromptFile: JSON array (the ShareGPT dataset shape)', () => {
  it('reads a pretty-printed array of ShareGPT entries and prompt records', async () => {
    const entries = [
      shareGpt(['human', 'Tricky [brackets], {braces} and "quotes" \\ inside'], ['gpt', 'Handled, [fine].']),
      shareGpt(['human', 'Ünïcødé ✓ and emoji 🚀'], ['gpt', 'Yes 🚀']),
      shareGpt(['gpt', 'no human turn at all'], ['gpt', 'still none']),
      { prompt: 'A plain record in an array.', output_tokens: 7 },
    ]
    const path = writeTemp(`\ufeff${JSON.stringify(entries, null, 2)}`, 'json')
    const source = await loadPromptFile(path, { seed: 1 })
    expect(source.promptCount).toBe(3)
    expect(source.skippedCount).toBe(1)
    expect(source.next()).toMatchObject({
      prompt: 'Tricky [brackets], {braces} and "quotes" \\ inside',
      requestedOutputTokens: countTokens('Handled, [fine].'),
    })
    expect(source.next().prompt).toBe('Ünïcødé ✓ and emoji 🚀')
    expect(source.next()).toMatchObject({ prompt: 'A plain record in an array.', requestedOutputTokens: 7 })
  })

  it('streams a large array element by element across read chunks', async () => {
    const question = (i: number): string => `Question ${i}: ${'why, [and] how? '.repeat(i % 50)}`
    const entries = Array.from({ length: 3000 }, (_, i) => shareGpt(['human', question(i)], ['gpt', `Answer ${i} ✓`]))
    const path = writeTemp(JSON.stringify(entries), 'json')
    const source = await loadPromptFile(path, { seed: 1 })
    expect(source.promptCount).toBe(3000)
    for (let i = 0; i < 3000; i++) expect(source.next().prompt).toBe(entries[i]!.conversations[0]!.value)
  })

  it('names the line of a bad element, and a cut-short array', async () => {
    const path = writeTemp('[\n  {"prompt": "ok"},\n  {"prompt": ""}\n]\n', 'json')
    expect(await userErrorOf(loadPromptFile(path, { seed: 1 }))).toBe(`${path}:3: prompt: Too small: expected string to have >=1 characters`)
    const cut = writeTemp('[{"prompt": "ok"},\n{"prompt": "cut', 'json')
    expect(await userErrorOf(loadPromptFile(cut, { seed: 1 }))).toMatch(/:2: \(root\): the JSON array is not closed/)
    const trailing = writeTemp('[{"prompt": "ok"}] {"prompt": "stray"}', 'json')
    expect(await userErrorOf(loadPromptFile(trailing, { seed: 1 }))).toMatch(/unexpected content after the JSON array/)
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
