import { randomUUID } from 'node:crypto'
import { type OutputPlan, plannedDelta, plannedMessage } from './output-plan.js'

/**
 * Bodies in the exact shapes vLLM's OpenAI-compatible server sends. Streamed chunks are built by
 * string concatenation from per-stream prefixes rather than JSON.stringify per token: at 200k
 * events per second that difference is a large share of one core.
 */

export type GenerationEndpoint = 'chat' | 'completion'

/** An OpenAI-style error: `{"error":{"message","type","param","code"}}`. */
export interface ApiError {
  status: number
  type: string
  message: string
  param?: string
}

export function errorBody(error: ApiError): string {
  return JSON.stringify({
    error: { message: error.message, type: error.type, param: error.param ?? null, code: error.status },
  })
}

export function modelsListBody(model: string, createdS: number): string {
  return JSON.stringify({
    object: 'list',
    data: [{ id: model, object: 'model', created: createdS, owned_by: 'geopat', root: model, parent: null }],
  })
}

/**
 * Each generated token is one of these words plus a space. Every word is a single cl100k token with
 * and without a leading space, so n tokens of text re-tokenize to about n (n + 1: the trailing space).
 */
const GENERATED_WORDS = (
  'the of and to in is that for it as with was on be by at this from or an are not have but all one ' +
  'can more will time up use about out many then them these so some would make like into has two look ' +
  'write go see number no way could people than first water been call who its now find long down day'
).split(' ')
/** JSON string literals of `word + ' '`, ready to splice into chunks. */
const GENERATED_WORD_LITERALS = GENERATED_WORDS.map((word) => JSON.stringify(`${word} `))

/** Text of token `tokenIndex` (deterministic: the same index always gives the same word). */
function generatedTokenText(tokenIndex: number): string {
  return `${GENERATED_WORDS[tokenIndex % GENERATED_WORDS.length] as string} `
}

function generatedTokenLiteral(tokenIndex: number): string {
  return GENERATED_WORD_LITERALS[tokenIndex % GENERATED_WORD_LITERALS.length] as string
}

/** The text of a plain answer of `tokenCount` tokens, as streamed (every answer starts the same way). */
export function generatedText(tokenCount: number): string {
  let text = ''
  for (let index = 0; index < tokenCount; index++) text += generatedTokenText(index)
  return text
}

export function newCompletionId(endpoint: GenerationEndpoint): string {
  return `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`
}

function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"prompt_tokens":${promptTokens},"completion_tokens":${completionTokens},"total_tokens":${promptTokens + completionTokens}}`
}

export const SSE_DONE = 'data: [DONE]\n\n'

export interface StreamFormatOptions {
  endpoint: GenerationEndpoint
  id: string
  createdS: number
  model: string
  promptTokens: number
  /** stream_options.continuous_usage_stats (with include_usage): cumulative usage on every chunk. */
  continuousUsage: boolean
  /** A chat answer's reasoning and tool call, and its length (the plan's deltas depend on it). */
  output?: { plan: OutputPlan; tokens: number }
}

/** Builds the SSE events of one streamed response, vLLM's shapes, one token per chunk. */
export class StreamChunkFormatter {
  /** `data: {"id":…,"object":…,"created":…,"model":…,"choices":` */
  private readonly head: string

  constructor(private readonly options: StreamFormatOptions) {
    const object = options.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion'
    this.head =
      `data: {"id":${JSON.stringify(options.id)},"object":"${object}","created":${options.createdS},` + `"model":${JSON.stringify(options.model)},"choices":`
  }

  private tail(completionTokens: number): string {
    return this.options.continuousUsage ? `,"usage":${usageJson(this.options.promptTokens, completionTokens)}}\n\n` : '}\n\n'
  }

  /** Chat's first chunk (`delta: {role: "assistant", content: ""}`); completions have none. */
  firstChunk(): string {
    if (this.options.endpoint !== 'chat') return ''
    return `${this.head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.tail(0)}`
  }

  /** The chunk carrying token `tokenIndex`; the last one of a finished request carries finish_reason. */
  tokenChunk(tokenIndex: number, finishReason: 'length' | null): string {
    const text = generatedTokenLiteral(tokenIndex)
    const output = this.options.output
    const reason = finishReason !== null && output?.plan.toolCall ? 'tool_calls' : finishReason
    // vLLM sets stop_reason only on a chat chunk that finishes; completion chunks always carry it.
    const finish = reason === null ? 'null' : `"${reason}","stop_reason":null`
    const delta = output ? plannedDelta(output.plan, tokenIndex, output.tokens, text) : `{"content":${text}}`
    const choice =
      this.options.endpoint === 'chat'
        ? `[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]`
        : `[{"index":0,"text":${text},"logprobs":null,"finish_reason":${finish}${finishReason === null ? ',"stop_reason":null' : ''}}]`
    return `${this.head}${choice}${this.tail(tokenIndex + 1)}`
  }

  /** The include_usage chunk: empty choices and the totals. */
  usageChunk(completionTokens: number): string {
    return `${this.head}[],"usage":${usageJson(this.options.promptTokens, completionTokens)}}\n\n`
  }
}

/** An error event in the middle of a stream, as vLLM sends one before `[DONE]`. */
export function streamErrorEvent(message: string): string {
  return `data: ${JSON.stringify({ error: { message, type: 'internal_error', param: null, code: 500 } })}\n\n`
}

/** The non-streamed answer of a finished request. */
export function completionResponseBody(options: {
  endpoint: GenerationEndpoint
  id: string
  createdS: number
  model: string
  promptTokens: number
  completionTokens: number
  /** A chat answer's reasoning and tool call. */
  plan?: OutputPlan
}): string {
  const text = generatedText(options.completionTokens)
  const plan = options.plan
  const choice =
    options.endpoint === 'chat'
      ? {
          index: 0,
          message: plan ? plannedMessage(plan, options.completionTokens, generatedTokenLiteral) : { role: 'assistant', content: text, tool_calls: [] },
          logprobs: null,
          finish_reason: plan?.toolCall ? 'tool_calls' : 'length',
          stop_reason: null,
        }
      : { index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null }
  return JSON.stringify({
    id: options.id,
    object: options.endpoint === 'chat' ? 'chat.completion' : 'text_completion',
    created: options.createdS,
    model: options.model,
    choices: [choice],
    usage: {
      prompt_tokens: options.promptTokens,
      completion_tokens: options.completionTokens,
      total_tokens: options.promptTokens + options.completionTokens,
    },
  })
}

export const HTML_404_PAGE =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'
