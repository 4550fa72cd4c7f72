import { randomUUID } from 'node:crypto'

/**
 * What a chat answer's tokens carry besides content, in vLLM's streamed shapes:
 * - reasoning (a model served with `--reasoning-parser`): the first tokens on the reasoning channel,
 *   `delta.reasoning` (vLLM since the rename of RFC #27755) or `delta.reasoning_content` (before it),
 *   then the answer as `delta.content`;
 * - a tool call (a request with `tools` and `tool_choice` "required" or a named function, vLLM's
 *   tool parser): after any reasoning, one delta with the call's index, id, type and function name
 *   (empty arguments), then the arguments in pieces, and finish_reason "tool_calls".
 * The request's length stays exact (every token is one chunk, counted in completion_tokens).
 */
export interface OutputPlan {
  reasoningTokens: number
  reasoningField: 'reasoning' | 'reasoning_content'
  toolCall?: { id: string; name: string }
}

/** A reasoning model's settings on a simulated endpoint. */
export interface ReasoningOption {
  /** Share of each chat answer's tokens spent reasoning (at least one answer token is left). */
  share: number
  field: 'reasoning' | 'reasoning_content'
}

/**
 * Reasoning shares for OpenAI's `reasoning_effort` (the simulator's own choice: vLLM passes the
 * effort to the chat template and the model decides): a request that names an effort reasons even
 * on an endpoint that is not set up as a reasoning model.
 */
const EFFORT_SHARE: Record<string, number> = { minimal: 0.1, low: 0.25, medium: 0.5, high: 0.75 }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The function a request forces (`tool_choice` "required": its first tool; a named function: that one); undefined otherwise. */
function forcedToolName(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return undefined
  const choice = body.tool_choice
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') return choice.function.name
  if (choice !== 'required') return undefined
  const first = body.tools[0]
  return isRecord(first) && isRecord(first.function) && typeof first.function.name === 'string' ? first.function.name : 'tool'
}

/** The plan of a chat request's answer of `outputTokens` tokens; undefined for a plain answer. */
export function planChatOutput(body: Record<string, unknown>, outputTokens: number, reasoning: ReasoningOption | undefined): OutputPlan | undefined {
  const effort = typeof body.reasoning_effort === 'string' ? EFFORT_SHARE[body.reasoning_effort] : undefined
  // Qwen3-style templates turn thinking off with chat_template_kwargs.enable_thinking: false.
  const thinkingOff = isRecord(body.chat_template_kwargs) && body.chat_template_kwargs.enable_thinking === false
  const share = thinkingOff ? 0 : (effort ?? reasoning?.share ?? 0)
  const reasoningTokens = Math.min(Math.floor(outputTokens * share), outputTokens - 1)
  const toolName = forcedToolName(body)
  if (reasoningTokens <= 0 && toolName === undefined) return undefined
  return {
    reasoningTokens: Math.max(0, reasoningTokens),
    reasoningField: reasoning?.field ?? 'reasoning',
    ...(toolName !== undefined ? { toolCall: { id: `chatcmpl-tool-${randomUUID().replaceAll('-', '')}`, name: toolName.slice(0, 64) } } : {}),
  }
}

/**
 * The `delta` JSON of token `tokenIndex` of `outputTokens` under `plan`; `word` is the token's text
 * as a JSON string literal (`"word "`).
 */
export function plannedDelta(plan: OutputPlan, tokenIndex: number, outputTokens: number, word: string): string {
  if (tokenIndex < plan.reasoningTokens) return `{"${plan.reasoningField}":${word}}`
  const call = plan.toolCall
  if (call === undefined) return `{"content":${word}}`
  const argumentIndex = tokenIndex - plan.reasoningTokens - 1
  if (argumentIndex < 0) {
    return `{"tool_calls":[{"index":0,"id":"${call.id}","type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]}`
  }
  return `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(argumentPiece(argumentIndex, outputTokens - plan.reasoningTokens - 1, word))}}}]}`
}

/** Piece `index` of `pieces` of a tool call's arguments, one JSON object over them all: {"query":"words… "}. `word` is a JSON string literal. */
function argumentPiece(index: number, pieces: number, word: string): string {
  if (index === 0) return pieces === 1 ? '{}' : '{"query":"'
  return index === pieces - 1 ? '"}' : word.slice(1, -1)
}

/** The message of a non-streamed chat answer under `plan`: the tokens' texts by channel, as vLLM puts them in `message`. */
export function plannedMessage(plan: OutputPlan, outputTokens: number, wordLiteral: (tokenIndex: number) => string): Record<string, unknown> {
  const text = (from: number, to: number): string => {
    let joined = ''
    for (let index = from; index < to; index++) joined += JSON.parse(wordLiteral(index)) as string
    return joined
  }
  const message: Record<string, unknown> = { role: 'assistant', [plan.reasoningField]: text(0, plan.reasoningTokens) }
  const call = plan.toolCall
  if (call === undefined) return { ...message, content: text(plan.reasoningTokens, outputTokens), tool_calls: [] }
  const pieces = outputTokens - plan.reasoningTokens - 1
  let args = ''
  for (let index = 0; index < pieces; index++) args += argumentPiece(index, pieces, wordLiteral(plan.reasoningTokens + 1 + index))
  return { ...message, content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: args } }] }
}
