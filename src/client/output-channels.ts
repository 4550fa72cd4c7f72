import { countTokens } from '../input/tokenizer.js'
import type { ChunkReading } from './openai.js'
import type { RequestRecord } from '../io/schema/record.js'

/** The record's optional fields on reasoning and tool calls (absent for a plain answer). */
export type OutputChannelFields = Pick<RequestRecord, 'reasoningTokens' | 'reasoningTokensSource' | 'answerTokens' | 'toolCallDeltas' | 'toolCalls'>

/**
 * What one stream carried apart from its answer: the reasoning channel (vLLM's reasoning parser
 * streams `delta.reasoning`, `delta.reasoning_content` before vLLM 0.19 renamed it) and tool-call
 * deltas (vLLM's tool parser: the call's id and name first, then its arguments in pieces). The
 * reasoning tokens are the server's `usage.completion_tokens_details.reasoning_tokens` when it sends
 * them, else the reasoning text counted here; the answer tokens are the output tokens less those.
 */
export class OutputChannels {
  private readonly reasoningTexts: string[] = []
  private serverReasoningTokens: number | undefined
  private toolCallDeltas = 0
  private readonly toolCallIndexes = new Set<number>()

  take(reading: ChunkReading): void {
    if (reading.reasoningText.length > 0) this.reasoningTexts.push(reading.reasoningText)
    this.toolCallDeltas += reading.toolCallIndexes.length
    for (const index of reading.toolCallIndexes) this.toolCallIndexes.add(index)
    if (reading.reasoningTokens !== undefined) this.serverReasoningTokens = reading.reasoningTokens
  }

  /** The fields to add to a record whose output was `outputTokens`; none when the stream carried neither reasoning nor tool calls. */
  fields(outputTokens: number): OutputChannelFields {
    const fields: OutputChannelFields = {}
    const sawReasoning = this.reasoningTexts.length > 0 || (this.serverReasoningTokens ?? 0) > 0
    if (sawReasoning) {
      const server = this.serverReasoningTokens !== undefined
      const reasoningTokens = server ? (this.serverReasoningTokens as number) : countTokens(this.reasoningTexts.join(''))
      fields.reasoningTokens = reasoningTokens
      fields.reasoningTokensSource = server ? 'server' : 'client'
      fields.answerTokens = Math.max(0, outputTokens - reasoningTokens)
    }
    if (this.toolCallDeltas > 0) {
      fields.toolCallDeltas = this.toolCallDeltas
      fields.toolCalls = this.toolCallIndexes.size
    }
    return fields
  }
}
