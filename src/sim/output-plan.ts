import { randomUUID } from 'node:crypto'
import { createLengthSampler } from '../input/distributions.js'
import type { LengthSpec } from '../io/schema/length-spec.js'
import type { Random } from '../util/rng.js'

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

/**
 * A reasoning model's settings on a simulated endpoint: how many of a chat answer's tokens it spends
 * reasoning, as a share of the answer or drawn per request (at least one answer token is left: the
 * answer's length, max_tokens, stays exact and the reasoning is part of it, as vLLM counts it).
 */
export interface ReasoningOption {
  /** Share of each chat answer's tokens spent reasoning. */
  share?: number
  /** Draws one request's reasoning tokens (a length distribution's sampler); used when there is no share. */
  drawTokens?: () => number
  field: 'reasoning' | 'reasoning_content'
}

/** An endpoint's reasoning settings (src/io/schema/sim-endpoint.ts) as the front end uses them: `tokens` drawn from `random`. */
export function reasoningOption(config: { share?: number; tokens?: LengthSpec; field: ReasoningOption['field'] }, random: Random): ReasoningOption {
  return {
    field: config.field,
    ...(config.share !== undefined ? { share: config.share } : {}),
    ...(config.share === undefined && config.tokens !== undefined ? { drawTokens: createLengthSampler(config.tokens, random) } : {}),
  }
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

/** A chat answer's reasoning tokens: the request's effort, else the endpoint's share or draw; none when the request turns thinking off. */
function reasoningTokensOf(body: Record<string, unknown>, outputTokens: number, reasoning: ReasoningOption | undefined): number {
  // Qwen3-style templates turn thinking off with chat_template_kwargs.enable_thinking: false.
  if (isRecord(body.chat_template_kwargs) && body.chat_template_kwargs.enable_thinking === false) return 0
  const effort = typeof body.reasoning_effort === 'string' ? EFFORT_SHARE[body.reasoning_effort] : undefined
  const share = effort ?? reasoning?.share
  const wanted = share === undefined ? (reasoning?.drawTokens?.() ?? 0) : Math.floor(outputTokens * share)
  return Math.min(wanted, outputTokens - 1)
}

/** The plan of a chat request's answer of `outputTokens` tokens; undefined for a plain answer. */
export function planChatOutput(body: Record<string, unknown>, outputTokens: number, reasoning: ReasoningOption | undefined): OutputPlan | undefined {
  const reasoningTokens = reasoningTokensOf(body, outputTokens, reasoning)
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
