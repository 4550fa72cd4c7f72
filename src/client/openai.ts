/**
 * OpenAI-compatible request bodies and the reading of streamed chunks: which events carry tokens,
 * on which channel, and what usage the server reported.
 */
export type ApiKind = 'chat' | 'completions'

/** What a finish reason may look like to be kept as sent. */
const FINISH_REASON = /^[A-Za-z0-9_.-]{1,40}$/

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface GenerationRequest {
  model: string
  api: ApiKind
  prompt: string
  messages: ChatMessage[]
  maxOutputTokens: number | undefined
  /** vLLM's `ignore_eos` + `min_tokens`: the server generates exactly maxOutputTokens. */
  fixedOutput: boolean
  /** Ask vLLM for usage on every chunk (token-level timing when chunks carry several tokens). */
  continuousUsage: boolean
  extraBody: Record<string, unknown> | undefined
  /** A request that asks for tools (chat only): sent as `tools` and `tool_choice`. */
  tools?: { tools: readonly unknown[]; toolChoice: unknown }
}

export function apiPath(api: ApiKind): string {
  return api === 'chat' ? '/v1/chat/completions' : '/v1/completions'
}

export function buildRequestBody(request: GenerationRequest): string {
  const body: Record<string, unknown> = {
    model: request.model,
    stream: true,
    stream_options: request.continuousUsage ? { include_usage: true, continuous_usage_stats: true } : { include_usage: true },
    temperature: 0,
  }
  if (request.api === 'chat') body.messages = request.messages
  else body.prompt = request.prompt
  if (request.maxOutputTokens !== undefined) {
    // vLLM's own bench sends max_completion_tokens to chat and max_tokens to completions.
    if (request.api === 'chat') body.max_completion_tokens = request.maxOutputTokens
    else body.max_tokens = request.maxOutputTokens
    if (request.fixedOutput) {
      body.ignore_eos = true
      body.min_tokens = request.maxOutputTokens
    }
  }
  if (request.tools !== undefined && request.api === 'chat') {
    body.tools = request.tools.tools
    body.tool_choice = request.tools.toolChoice
  }
  if (request.extraBody) Object.assign(body, request.extraBody)
  return JSON.stringify(body)
}

/** What one parsed `data:` payload contributed. */
export interface ChunkReading {
  /** Text of the tokens carried, on any channel (content, reasoning); used to count tokens when
   * the server sends no usage. */
  tokenText: string
  /** The chunk carried a token on any channel: content, reasoning, or a tool call. */
  carriesToken: boolean
  carriesContent: boolean
  /** Text on the content channel alone (what a conversation's next turn sends back as the assistant's message). */
  contentText: string
  /** Text on the reasoning channel (vLLM's `reasoning`, earlier `reasoning_content`). */
  reasoningText: string
  /** Tool-call deltas in the chunk, and the tool-call index of each (vLLM streams id and name, then argument pieces). */
  toolCallIndexes: number[]
  finishReason: string | null
  promptTokens: number | undefined
  completionTokens: number | undefined
  /** usage.completion_tokens_details.reasoning_tokens, when the server reports it. */
  reasoningTokens: number | undefined
  /** An error object sent inside the stream. */
  errorMessage: string | undefined
}

interface StreamChoice {
  text?: unknown
  delta?: {
    content?: unknown
    reasoning_content?: unknown
    reasoning?: unknown
    tool_calls?: unknown
  }
  finish_reason?: unknown
}

interface StreamPayload {
  choices?: StreamChoice[]
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; completion_tokens_details?: { reasoning_tokens?: unknown } | null } | null
  error?: { message?: unknown } | string
  object?: unknown
}

/** Throws SyntaxError when the payload is not JSON; the caller classes that as a protocol error. */
export function readChunk(data: string): ChunkReading {
  const payload = JSON.parse(data) as StreamPayload
  const reading: ChunkReading = {
    tokenText: '',
    carriesToken: false,
    carriesContent: false,
    contentText: '',
    reasoningText: '',
    toolCallIndexes: [],
    finishReason: null,
    promptTokens: undefined,
    completionTokens: undefined,
    reasoningTokens: undefined,
    errorMessage: undefined,
  }
  if (payload === null || typeof payload !== 'object') {
    throw new SyntaxError('event data is not a JSON object')
  }
  if (payload.error !== undefined && payload.error !== null) {
    const error = payload.error
    reading.errorMessage = typeof error === 'string' ? error : typeof error.message === 'string' ? error.message : JSON.stringify(error)
    return reading
  }
  const choice = Array.isArray(payload.choices) ? payload.choices[0] : undefined
  if (choice) readChoice(choice, reading)
  const usage = payload.usage
  if (usage && typeof usage === 'object') {
    if (typeof usage.prompt_tokens === 'number') reading.promptTokens = usage.prompt_tokens
    if (typeof usage.completion_tokens === 'number') reading.completionTokens = usage.completion_tokens
    const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens
    if (typeof reasoningTokens === 'number' && Number.isInteger(reasoningTokens) && reasoningTokens >= 0) reading.reasoningTokens = reasoningTokens
  }
  return reading
}

/** Reads a chunk's first choice into `reading`: its token (content, reasoning or a tool call, or a completion's text) and finish reason. */
function readChoice(choice: StreamChoice, reading: ChunkReading): void {
  const delta = choice.delta
  if (delta) {
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      reading.tokenText = delta.content
      reading.contentText = delta.content
      reading.carriesContent = true
    }
    const reasoning = delta.reasoning_content ?? delta.reasoning
    const hasReasoning = typeof reasoning === 'string' && reasoning.length > 0
    if (hasReasoning) {
      reading.tokenText += reasoning
      reading.reasoningText = reasoning
    }
    const hasToolCall = Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0
    if (hasToolCall) {
      reading.toolCallIndexes = (delta.tool_calls as unknown[]).map(toolCallIndex)
      // The call's name and argument pieces are generated tokens too (counted when the server sends no usage).
      for (const call of delta.tool_calls as unknown[]) reading.tokenText += toolCallText(call)
    }
    reading.carriesToken = reading.carriesContent || hasReasoning || hasToolCall
  } else if (typeof choice.text === 'string' && choice.text.length > 0) {
    reading.tokenText = choice.text
    reading.contentText = choice.text
    reading.carriesContent = true
    reading.carriesToken = true
  }
  // A finish reason is a short word (stop, length, tool_calls, …); anything else is kept out of the
  // records (it could carry an echoed secret, or megabytes).
  if (typeof choice.finish_reason === 'string') reading.finishReason = FINISH_REASON.test(choice.finish_reason) ? choice.finish_reason : 'unrecognized'
}

/** The `index` of one tool-call delta (OpenAI's field naming which call it extends), 0 when absent or odd. */
function toolCallIndex(call: unknown): number {
  const index = typeof call === 'object' && call !== null ? (call as { index?: unknown }).index : undefined
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < 1_000_000 ? index : 0
}

/** The generated text of one tool-call delta: its function's name and argument piece. */
function toolCallText(call: unknown): string {
  const fn = typeof call === 'object' && call !== null ? (call as { function?: { name?: unknown; arguments?: unknown } }).function : undefined
  if (typeof fn !== 'object' || fn === null) return ''
  return (typeof fn.name === 'string' ? fn.name : '') + (typeof fn.arguments === 'string' ? fn.arguments : '')
}

/**
 * Pulls a human message out of an error body (OpenAI/vLLM JSON, FastAPI `detail`, or text). The
 * body is redacted (`redact`) before anything is taken from it or cut: servers echo headers.
 */
export function describeErrorBody(contentType: string | undefined, body: string, redact: (text: string) => string): string {
  const trimmed = redact(body).trim()
  if (contentType?.includes('json') || trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as {
        error?: { message?: unknown } | string
        message?: unknown
        detail?: unknown
      }
      const error = parsed.error
      if (typeof error === 'string') return error
      if (error && typeof error.message === 'string') return error.message
      if (typeof parsed.message === 'string') return parsed.message
      if (typeof parsed.detail === 'string') return parsed.detail
    } catch {
      // fall through to text
    }
  }
  if (contentType?.includes('html') || /^<(!doctype|html)/i.test(trimmed)) {
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim()
    return title ? `HTML page "${title}"` : 'an HTML page'
  }
  const flat = trimmed.replace(/\s+/g, ' ')
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)'
}
