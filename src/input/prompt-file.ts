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
import type { PromptItem, SkippablePromptSource } from './prompts.js'
import { deriveSeed, shuffleInPlace } from '../util/rng.js'
import { countTokens } from './tokenizer.js'

export interface PromptFileOptions {
  /** Requested output length for every prompt, overriding the file's (as vLLM's --sharegpt-output-len). */
  outputTokens?: LengthSpec
  seed: number
  /** Hand prompts out in a seeded random order rather than file order. */
  shuffle?: boolean
}

export interface PromptFileSource extends SkippablePromptSource {
  /** Prompts loaded; next() cycles through them. */
  readonly promptCount: number
  /** ShareGPT conversations left out (fewer than two turns, or no non-empty prompt and reply). */
  readonly skippedCount: number
}

const promptRecordSchema = z.object({
  prompt: z.string().min(1),
  output_tokens: z.number().int().min(1).optional(),
})

export const shareGptRecordSchema = z.object({
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

export const PROMPT_ROLES = new Set(['human', 'user'])
/** Roles a reply is not: a prompt's or the system's. */
export const NON_REPLY_ROLES = new Set(['human', 'user', 'system'])

export async function loadPromptFile(path: string, options: PromptFileOptions): Promise<PromptFileSource> {
  const prompts: FilePrompt[] = []
  let skippedCount = 0
  await forEachJsonRecord(path, 'prompt file', (value, where) => {
    const prompt = promptFromRecord(value, where)
    if (prompt === undefined) skippedCount += 1
    else prompts.push(prompt)
  })
  if (prompts.length === 0) {
    const skipped = skippedCount > 0 ? ` (${skippedCount} conversations skipped: fewer than 2 turns or an empty turn)` : ''
    throw new UserError(`${path}: no prompts found${skipped}`)
  }
  if (options.shuffle) shuffleInPlace(prompts, seededRandom(deriveSeed(options.seed, STREAM.order)))
  return cyclingSource(prompts, skippedCount, options)
}

function cyclingSource(prompts: FilePrompt[], skippedCount: number, options: PromptFileOptions): PromptFileSource {
  const sampleOutputTokens =
    options.outputTokens === undefined ? undefined : createLengthSampler(options.outputTokens, seededRandom(deriveSeed(options.seed, STREAM.outputLength)))
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
    skip(count: number): void {
      // Only the output-length draws advance with the id; the skipped prompts' tokens are never counted.
      nextId += count
      if (sampleOutputTokens) for (let i = 0; i < count; i++) sampleOutputTokens()
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

/** `value` checked against `schema`; a failure is one line naming `where` (file:line), the field and the rule. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new UserError(describeZodIssues(where, parsed.error.issues))
  return parsed.data
}

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UserError(`${where}: (root): invalid JSON (${reasonOf(error)})`)
  }
}

export interface RawRecord {
  /** 1-based line where the record starts. */
  line: number
  text: string
}

/**
 * Opens `path` and hands `visit` each record of it (a JSON array's elements or JSON Lines), parsed,
 * with `file:line` for its messages; a file that cannot be opened or read is one line naming it as
 * `what` (a UserError from `visit` or the parse goes through as it is).
 */
export async function forEachJsonRecord(path: string, what: string, visit: (value: unknown, where: string) => void): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw new UserError(`${path}: cannot read ${what} (${reasonOf(error)})`)
  }
  try {
    for await (const { line, text } of jsonRecords(handle, path)) {
      const where = `${path}:${line}`
      visit(parseJson(text, where), where)
    }
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(`${path}: cannot read ${what} (${reasonOf(error)})`)
  } finally {
    await handle.close()
  }
}

/** The records of a JSON array (streamed element by element) or of a JSON Lines file, each with the line it starts on. */
async function* jsonRecords(handle: FileHandle, path: string): AsyncGenerator<RawRecord> {
  yield* (await firstSignificantByte(handle)) === OPEN_BRACKET ? arrayElements(handle, path) : jsonLines(handle)
}

/** The non-blank lines of a JSON Lines file, with their 1-based line numbers. */
export async function* jsonLines(handle: FileHandle): AsyncGenerator<RawRecord> {
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
  const scanner = new ArrayScanner(path)
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>) yield* scanner.scan(chunk)
  if (!scanner.finished) throw new UserError(`${path}:${scanner.line}: (root): the JSON array is not closed (file cut short?)`)
}

/** The state of arrayElements' scan between chunks, and its steps. */
class ArrayScanner {
  private depth = 0
  private inString = false
  private escaped = false
  finished = false
  line = 1
  /** 0 until the current element's first significant byte. */
  private elementLine = 0
  private parts: Buffer[] = []
  /** Where the current element starts in the chunk being scanned. */
  private elementStart = 0
  /**
   * Inside strings (most of a dataset's bytes) jump between quotes and backslashes with the
   * native indexOf rather than looking at every byte. JSON strings hold no raw newlines, so the
   * line count does not miss any. Positions at or after i, or chunk.length for none; -1: not
   * searched yet in this chunk.
   */
  private nextQuote = -1
  private nextBackslash = -1

  constructor(private readonly path: string) {}

  /** The elements that end in `chunk`; the bytes of one still open are kept for the next chunk. */
  *scan(chunk: Buffer): Generator<RawRecord> {
    this.elementStart = 0
    this.nextQuote = -1
    this.nextBackslash = -1
    for (let i = 0; i < chunk.length; i++) {
      if (this.inString) {
        i = this.skipInString(chunk, i)
        continue
      }
      const byte = chunk[i] as number
      if (byte === NEWLINE) this.line += 1
      if (this.depth === 0) {
        this.atRoot(byte, i)
        continue
      }
      if (this.depth === 1 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        const record = this.endElement(chunk, i, byte)
        if (record) yield record
        continue
      }
      this.insideElement(byte)
    }
    if (this.depth > 0) this.parts.push(chunk.subarray(this.elementStart))
  }

  /** Inside a string at i: returns the position of the next backslash (the byte after it is skipped) or closing quote, or the chunk's end. */
  private skipInString(chunk: Buffer, i: number): number {
    if (this.escaped) {
      this.escaped = false
      return i
    }
    if (this.nextQuote < i) this.nextQuote = indexOrEnd(chunk, QUOTE, i)
    if (this.nextBackslash < i) this.nextBackslash = indexOrEnd(chunk, BACKSLASH, i)
    if (this.nextBackslash < this.nextQuote) {
      this.escaped = true
      return this.nextBackslash // the loop's i++ lands on the escaped byte
    }
    this.inString = this.nextQuote === chunk.length
    return this.nextQuote // the closing quote, or the chunk's end
  }

  /** Outside the array: whitespace, the opening bracket, or an error. */
  private atRoot(byte: number, i: number): void {
    if (isSkippable(byte)) return
    if (byte === OPEN_BRACKET && !this.finished) {
      this.depth = 1
      this.elementStart = i + 1
      return
    }
    throw new UserError(`${this.path}:${this.line}: (root): unexpected content after the JSON array`)
  }

  /** A comma or the closing bracket at depth 1: the element before it, if it had any content. */
  private endElement(chunk: Buffer, i: number, byte: number): RawRecord | undefined {
    this.parts.push(chunk.subarray(this.elementStart, i))
    const text = Buffer.concat(this.parts).toString('utf8')
    this.parts = []
    const record = this.elementLine > 0 ? { line: this.elementLine, text } : undefined
    this.elementLine = 0
    this.elementStart = i + 1
    if (byte === CLOSE_BRACKET) {
      this.depth = 0
      this.finished = true
    }
    return record
  }

  /** A byte inside an element, outside strings: notes where the element starts, and follows strings and nesting. */
  private insideElement(byte: number): void {
    if (this.depth === 1 && this.elementLine === 0 && !isSkippable(byte)) this.elementLine = this.line
    if (byte === QUOTE) this.inString = true
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth += 1
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.depth -= 1
  }
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

export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const firstLine = message.split('\n')[0] ?? message
  // Node's "ENOENT: no such file or directory, open '/x'" repeats the path the message starts with.
  return firstLine.replace(/, \w+ '[^']*'$/, '')
}
