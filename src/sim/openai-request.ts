import { encodeText } from '../input/tokenizer.js'
import { type ApiError, type GenerationEndpoint, generatedText } from './openai-format.js'
import { type OutputPlan, type ReasoningOption, planChatOutput } from './output-plan.js'

/** A generation request the simulator understood, reduced to what it needs. */
export interface GenerationRequest {
  endpoint: GenerationEndpoint
  model: string
  stream: boolean
  /** stream_options.include_usage: a final chunk with empty choices and the usage totals. */
  includeUsage: boolean
  /** stream_options.continuous_usage_stats (vLLM honours it only with include_usage). */
  continuousUsage: boolean
  promptTokens: number
  /**
   * The prompt's token ids as the engine sees them, for prefix caching's block hashes: a chat's
   * messages each behind its role header (a Llama-3-style template), a completion's prompt as given.
   * The header tokens shape the blocks but are not in promptTokens (usage counts the messages' text, as before).
   */
  promptTokenIds: number[]
  /** Exactly this many tokens are generated (finish_reason "length"), to keep runs deterministic. */
  outputTokens: number
  /** A chat answer's reasoning tokens and tool call (output-plan.ts); absent for a plain answer. */
  output?: OutputPlan
}

export type ParsedGenerationRequest = { ok: true; request: GenerationRequest } | { ok: false; error: ApiError }

type Refusal = { ok: false; error: ApiError }

function badRequest(message: string, param?: string): Refusal {
  return { ok: false, error: { status: 400, type: 'BadRequestError', message, ...(param ? { param } : {}) } }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1
}

/** Text of one chat message's content: a string, or the text parts of a content array. */
function messageText(content: unknown): string | undefined {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  if (!Array.isArray(content)) return undefined
  let text = ''
  for (const part of content) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') text += part.text
  }
  return text
}

interface PromptTokens {
  /** Tokens usage reports: every message's text (no template), or the completion prompt's. */
  count: number
  ids: number[]
}

/** Token ids of a chat template's header before a message of `role` (Llama 3's `<|start_header_id|>role<|end_header_id|>` and a blank line). */
const roleHeaders = new Map<string, number[]>()
function roleHeaderIds(role: string): number[] {
  let ids = roleHeaders.get(role)
  if (!ids) {
    ids = encodeText(`<|start_header_id|>${role.slice(0, 40)}<|end_header_id|>\n\n`)
    if (roleHeaders.size < 64) roleHeaders.set(role, ids)
  }
  return ids
}

/** Prompt tokens of a chat request: every message's text, each behind its role's template header (hashed, not counted). */
function chatPromptTokens(messages: unknown): PromptTokens | string {
  if (!Array.isArray(messages) || messages.length === 0) return '`messages` must be a non-empty array'
  let count = 0
  const ids: number[] = []
  for (const message of messages) {
    if (!isRecord(message) || typeof message.role !== 'string') return 'each message needs a string `role`'
    const text = messageText(message.content)
    if (text === undefined) return 'message `content` must be a string or an array of content parts'
    const textIds = text.length > 0 ? encodeText(text) : []
    count += textIds.length
    for (const id of roleHeaderIds(message.role)) ids.push(id)
    for (const id of textIds) ids.push(id)
  }
  return { count, ids }
}

/** Prompt tokens of a completions request: one prompt, as text or token ids. */
function completionPromptTokens(prompt: unknown): PromptTokens | string {
  const text = typeof prompt === 'string' ? prompt : Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string' ? prompt[0] : undefined
  if (text !== undefined) {
    const ids = text.length > 0 ? encodeText(text) : []
    return { count: ids.length, ids }
  }
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((item) => typeof item === 'number')) {
    return { count: prompt.length, ids: prompt as number[] }
  }
  return '`prompt` must be one string or one array of token ids (batched prompts are not simulated)'
}

/**
 * Validates a generation request body the way vLLM does for the parameters the simulator uses,
 * and answers with vLLM's status and error type when it would refuse it.
 */
export function parseGenerationRequest(
  endpoint: GenerationEndpoint,
  rawBody: string,
  servedModel: string,
  defaultOutputTokens: number,
  reasoning?: ReasoningOption,
): ParsedGenerationRequest {
  let body: unknown
  try {
    body = JSON.parse(rawBody)
  } catch (error) {
    return badRequest(`Invalid JSON body: ${(error as Error).message}`)
  }
  if (!isRecord(body)) return badRequest('The request body must be a JSON object')

  const model = body.model ?? servedModel
  if (typeof model !== 'string') return badRequest('`model` must be a string', 'model')
  if (model !== servedModel) {
    return { ok: false, error: { status: 404, type: 'NotFoundError', message: `The model \`${model}\` does not exist.`, param: 'model' } }
  }

  const prompt = endpoint === 'chat' ? chatPromptTokens(body.messages) : completionPromptTokens(body.prompt)
  if (typeof prompt === 'string') return badRequest(prompt, endpoint === 'chat' ? 'messages' : 'prompt')

  if (body.n !== undefined && body.n !== null && body.n !== 1) return badRequest('the simulator serves n = 1 only', 'n')

  const outputTokens = outputTokensOf(endpoint, body, defaultOutputTokens)
  if (typeof outputTokens !== 'number') return outputTokens
  const streaming = streamingOf(body)
  if (!streaming.ok) return streaming
  const { stream, includeUsage, continuousUsage } = streaming
  const output = endpoint === 'chat' ? planChatOutput(body, outputTokens, reasoning) : undefined
  const request: GenerationRequest = {
    endpoint,
    model,
    stream,
    includeUsage,
    continuousUsage,
    promptTokens: prompt.count,
    promptTokenIds: prompt.ids,
    outputTokens,
  }
  return { ok: true, request: output ? { ...request, output } : request }
}

/** The output length a request asks for (max_completion_tokens or max_tokens, checked against min_tokens), or the default. */
function outputTokensOf(endpoint: GenerationEndpoint, body: Record<string, unknown>, defaultOutputTokens: number): number | Refusal {
  // Chat prefers the newer max_completion_tokens, as vLLM does.
  const requestedMax =
    endpoint === 'chat' && body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
      ? { value: body.max_completion_tokens, param: 'max_completion_tokens' }
      : { value: body.max_tokens, param: 'max_tokens' }
  let outputTokens = defaultOutputTokens
  if (requestedMax.value !== undefined && requestedMax.value !== null) {
    if (!isPositiveInteger(requestedMax.value)) return badRequest(`\`${requestedMax.param}\` must be an integer >= 1`, requestedMax.param)
    outputTokens = requestedMax.value
  }
  if (body.min_tokens !== undefined && body.min_tokens !== null) {
    if (typeof body.min_tokens !== 'number' || !Number.isInteger(body.min_tokens) || body.min_tokens < 0) {
      return badRequest('`min_tokens` must be an integer >= 0', 'min_tokens')
    }
    if (body.min_tokens > outputTokens) {
      return badRequest(`min_tokens must be less than or equal to max_tokens=${outputTokens}, got ${body.min_tokens}.`, 'min_tokens')
    }
  }
  return outputTokens
}

/** stream and stream_options, checked as vLLM checks them. */
function streamingOf(body: Record<string, unknown>): { ok: true; stream: boolean; includeUsage: boolean; continuousUsage: boolean } | Refusal {
  const stream = body.stream === true
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return badRequest('`stream` must be a boolean', 'stream')
  }
  let includeUsage = false
  let continuousUsage = false
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) return badRequest('Stream options can only be defined when `stream=True`.', 'stream_options')
    if (!isRecord(body.stream_options)) return badRequest('`stream_options` must be an object', 'stream_options')
    includeUsage = body.stream_options.include_usage === true
    continuousUsage = includeUsage && body.stream_options.continuous_usage_stats === true
  }
  return { ok: true, stream, includeUsage, continuousUsage }
}

/**
 * The token ids of a request's prompt followed by those of the answer it will get, as the next turn
 * of a conversation sends them back: a chat answer behind the assistant's role header (Llama 3's
 * template puts `<|start_header_id|>assistant<|end_header_id|>` before the answer as the generation
 * prompt; here it is hashed with the answer, which names the same blocks), the answer's text as
 * streamed. Only a plain answer is known in advance: with reasoning or a tool call planned, the
 * prompt's ids alone.
 */
export function promptAndAnswerTokenIds(request: {
  endpoint: 'chat' | 'completion'
  promptTokenIds: readonly number[]
  outputTokens: number
  plainAnswer?: boolean
}): readonly number[] {
  if (request.plainAnswer !== true) return request.promptTokenIds
  const answer = encodeText(generatedText(request.outputTokens))
  const header = request.endpoint === 'chat' ? roleHeaderIds('assistant') : []
  return [...request.promptTokenIds, ...header, ...answer]
}
