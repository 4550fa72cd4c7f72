/**
 * Prompts from a file: JSONL with one record a line, or one JSON array of records (the public
 * ShareGPT dataset's shape, ~670 MB, more than fits in one JavaScript string: the array is
 * streamed and parsed one element at a time). A record is either
 *   {"prompt": "...", "output_tokens"?: n}
 * or a ShareGPT conversation
 *   {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}, ...]}
 * whose first human turn is the prompt and whose first reply after it sets the requested output
 * length, as vLLM's ShareGPT loader does. Conversations with fewer than two turns, or without a
 * non-empty prompt and reply, are skipped and counted.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import { UserError, describeZodIssues } from '../util/errors.js'
import { seededRandom } from '../util/rng.js'
import type { LengthSpec } from '../io/schema/length-spec.js'
import { createLengthSampler } from './distributions.js'
import type { PromptItem, PromptSource } from './prompts.js'
import { deriveSeed, shuffleInPlace } from '../util/rng.js'
import { countTokens } from './tokenizer.js'

export interface PromptFileOptions {
  /** Requested output length for every prompt, overriding the file's (as vLLM's --sharegpt-output-len). */
  outputTokens?: LengthSpec
  seed: number
  /** Hand prompts out in a seeded random order rather than file order. */
  shuffle?: boolean
}

export interface PromptFileSource extends PromptSource {
  /** Prompts loaded; next() cycles through them. */
  readonly promptCount: number
  /** ShareGPT conversations left out (fewer than two turns, or no non-empty prompt and reply). */
  readonly skippedCount: number
}

const promptRecordSchema = z.object({
  prompt: z.string().min(1),
  output_tokens: z.number().int().min(1).optional(),
})

const shareGptRecordSchema = z.object({
  conversations: z.array(z.object({ from: z.string(), value: z.string() })),
})

interface FilePrompt {
  prompt: string
  /** Counted when first handed out: loading a large dataset should not wait on the tokenizer. */
  inputTokens?: number
  outputTokens?: number
  /** The reply whose length sets outputTokens; dropped once counted. */
  replyText?: string
}

/** Random streams of a file source (see deriveSeed). */
const STREAM = { outputLength: 2, order: 4 } as const

const PROMPT_ROLES = new Set(['human', 'user'])
const NON_REPLY_ROLES = new Set(['human', 'user', 'system'])

export async function loadPromptFile(path: string, options: PromptFileOptions): Promise<PromptFileSource> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw new UserError(`${path}: cannot read prompt file (${reasonOf(error)})`)
  }
  const prompts: FilePrompt[] = []
  let skippedCount = 0
  try {
    const records = (await firstSignificantByte(handle)) === OPEN_BRACKET ? arrayElements(handle, path) : jsonLines(handle)
    for await (const { line, text } of records) {
      const where = `${path}:${line}`
      const prompt = promptFromRecord(parseJson(text, where), where)
      if (prompt === undefined) skippedCount += 1
      else prompts.push(prompt)
    }
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`${path}: cannot read prompt file (${reasonOf(error)})`)
  } finally {
    await handle.close()
  }
  if (prompts.length === 0) {
    const skipped = skippedCount > 0 ? ` (${skippedCount} conversations skipped: fewer than 2 turns or an empty turn)` : ''
    throw new UserError(`${path}: no prompts found${skipped}`)
  }
  if (options.shuffle) shuffleInPlace(prompts, seededRandom(deriveSeed(options.seed, STREAM.order)))
  return cyclingSource(prompts, skippedCount, options)
}

function cyclingSource(prompts: FilePrompt[], skippedCount: number, options: PromptFileOptions): PromptFileSource {
  const sampleOutputTokens =
    options.outputTokens === undefined
      ? undefined
      : createLengthSampler(options.outputTokens, seededRandom(deriveSeed(options.seed, STREAM.outputLength)))
  let nextId = 0
  return {
    promptCount: prompts.length,
    skippedCount,
    next(): PromptItem {
      const id = nextId++
      const entry = prompts[id % prompts.length] as FilePrompt
      entry.inputTokens ??= countTokens(entry.prompt)
      if (entry.replyText !== undefined) {
        entry.outputTokens = countTokens(entry.replyText)
        delete entry.replyText
      }
      return {
        id,
        prompt: entry.prompt,
        messages: [{ role: 'user', content: entry.prompt }],
        requestedInputTokens: entry.inputTokens,
        requestedOutputTokens: sampleOutputTokens ? sampleOutputTokens() : entry.outputTokens,
      }
    },
  }
}

/** A validated record as a prompt; undefined for a ShareGPT conversation that is skipped. */
function promptFromRecord(value: unknown, where: string): FilePrompt | undefined {
  // Pick the schema by shape, so that an error names the field of the format the user meant.
  if (typeof value === 'object' && value !== null && 'conversations' in value) {
    const { conversations } = validate(shareGptRecordSchema, value, where)
    if (conversations.length < 2) return undefined
    const promptIndex = conversations.findIndex((turn) => PROMPT_ROLES.has(turn.from))
    const prompt = conversations[promptIndex]?.value
    const reply = conversations.slice(promptIndex + 1).find((turn) => !NON_REPLY_ROLES.has(turn.from))?.value
    if (promptIndex < 0 || !prompt?.trim() || !reply?.trim()) return undefined
    return { prompt, replyText: reply }
  }
  const record = validate(promptRecordSchema, value, where)
  return { prompt: record.prompt, outputTokens: record.output_tokens }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new UserError(describeZodIssues(where, parsed.error.issues))
  return parsed.data
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UserError(`${where}: (root): invalid JSON (${reasonOf(error)})`)
  }
}

interface RawRecord {
  /** 1-based line where the record starts. */
  line: number
  text: string
}

async function* jsonLines(handle: FileHandle): AsyncGenerator<RawRecord> {
  const lines = createInterface({ input: handle.createReadStream({ start: 0, autoClose: false }), crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  for await (const raw of lines) {
    line += 1
    const text = line === 1 ? stripBom(raw) : raw
    if (text.trim().length > 0) yield { line, text }
  }
}

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const NEWLINE = 0x0a

/** The first byte that is not whitespace or a UTF-8 byte-order mark; undefined for an empty file. */
async function firstSignificantByte(handle: FileHandle): Promise<number | undefined> {
  const buffer = Buffer.alloc(64 * 1024)
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
    if (bytesRead === 0) return undefined
    for (let i = 0; i < bytesRead; i++) {
      const byte = buffer[i] as number
      if (!isSkippable(byte)) return byte
    }
    position += bytesRead
  }
}

/**
 * The elements of a top-level JSON array, streamed: bytes are scanned for the commas and the
 * closing bracket at depth 1 (outside strings), and each element alone goes to JSON.parse.
 * Structural characters are ASCII and never occur inside a multi-byte UTF-8 sequence, so
 * scanning bytes is safe.
 */
async function* arrayElements(handle: FileHandle, path: string): AsyncGenerator<RawRecord> {
  let depth = 0
  let inString = false
  let escaped = false
  let finished = false
  let line = 1
  let elementLine = 0 // 0 until the current element's first significant byte
  let parts: Buffer[] = []

  const flush = (chunk: Buffer, from: number, to: number): RawRecord | undefined => {
    parts.push(chunk.subarray(from, to))
    const text = Buffer.concat(parts).toString('utf8')
    parts = []
    const record = elementLine > 0 ? { line: elementLine, text } : undefined
    elementLine = 0
    return record
  }

  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>) {
    let elementStart = 0
    // Inside strings (most of a dataset's bytes) jump between quotes and backslashes with the
    // native indexOf rather than looking at every byte. JSON strings hold no raw newlines, so
    // the line count does not miss any.
    let nextQuote = -1 // positions at or after i, or chunk.length for none; -1: not searched yet
    let nextBackslash = -1
    for (let i = 0; i < chunk.length; i++) {
      if (inString) {
        if (escaped) {
          escaped = false
          continue
        }
        if (nextQuote < i) nextQuote = indexOrEnd(chunk, QUOTE, i)
        if (nextBackslash < i) nextBackslash = indexOrEnd(chunk, BACKSLASH, i)
        if (nextBackslash < nextQuote) {
          i = nextBackslash // the loop's i++ lands on the escaped byte
          escaped = true
        } else {
          i = nextQuote // the closing quote, or the chunk's end
          inString = nextQuote === chunk.length
        }
        continue
      }
      const byte = chunk[i] as number
      if (byte === NEWLINE) line += 1
      if (depth === 0) {
        if (isSkippable(byte)) continue
        if (byte === OPEN_BRACKET && !finished) {
          depth = 1
          elementStart = i + 1
          continue
        }
        throw new UserError(`${path}:${line}: (root): unexpected content after the JSON array`)
      }
      if (depth === 1 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        const record = flush(chunk, elementStart, i)
        if (record) yield record
        elementStart = i + 1
        if (byte === CLOSE_BRACKET) {
          depth = 0
          finished = true
        }
        continue
      }
      if (depth === 1 && elementLine === 0 && !isSkippable(byte)) elementLine = line
      if (byte === QUOTE) inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1
    }
    if (depth > 0) parts.push(chunk.subarray(elementStart))
  }
  if (!finished) throw new UserError(`${path}:${line}: (root): the JSON array is not closed (file cut short?)`)
}

function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const found = chunk.indexOf(byte, from)
  return found === -1 ? chunk.length : found
}

function isSkippable(byte: number): boolean {
  // JSON whitespace, and the bytes of a UTF-8 byte-order mark (EF BB BF)
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0xef || byte === 0xbb || byte === 0xbf
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const firstLine = message.split('\n')[0] ?? message
  // Node's "ENOENT: no such file or directory, open '/x'" repeats the path the message starts with.
  return firstLine.replace(/, \w+ '[^']*'$/, '')
}
