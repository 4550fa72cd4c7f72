import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { type SimulatedEndpoint, startSimulatedEndpoint } from '../../src/sim/simulated-endpoint.js'

/**
 * The official OpenAI SDK (the client most users' code runs on) against the simulator: with a
 * calibrated profile behind it, and with fixed timing. Whatever the SDK cannot parse, users cannot use.
 */
const SXM = 'h100-sxm-llama-3.1-8b-bf16'
const SXM_MODEL = 'meta-llama/Llama-3.1-8B-Instruct'

const variants: Array<{ name: string; config: Record<string, unknown>; model: string }> = [
  { name: `profile ${SXM}`, config: { profile: SXM }, model: SXM_MODEL },
  { name: 'fixed timing', config: { ttftMs: 5, itlMs: 1, model: 'sdk-fixed' }, model: 'sdk-fixed' },
]

describe.each(variants)('the openai SDK against the simulator ($name)', ({ name, config, model }) => {
  let endpoint: SimulatedEndpoint
  let client: OpenAI

  beforeAll(async () => {
    endpoint = await startSimulatedEndpoint(name, simEndpointSchema.parse({ ...config, port: 0 }))
    // No retries: a failure must show, not be papered over.
    client = new OpenAI({ baseURL: `${endpoint.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 20_000 })
  })

  afterAll(async () => {
    await endpoint?.close()
  })

  it('lists the served model', async () => {
    const ids: string[] = []
    for await (const m of client.models.list()) ids.push(m.id)
    expect(ids).toEqual([model])
  })

  it('streams chat: text, finish_reason length, usage with completion_tokens 12', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Tell me about sovereign inference in a few words.' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 12,
    })
    let text = ''
    let contentChunks = 0
    const finishReasons: string[] = []
    let usage: OpenAI.CompletionUsage | undefined | null
    let chunks = 0
    for await (const chunk of stream) {
      chunks++
      expect(chunk.object).toBe('chat.completion.chunk')
      expect(chunk.model).toBe(model)
      for (const choice of chunk.choices) {
        if (choice.delta.content) {
          text += choice.delta.content
          contentChunks++
        }
        if (choice.finish_reason) finishReasons.push(choice.finish_reason)
      }
      if (chunk.usage) usage = chunk.usage
    }
    expect(chunks).toBeGreaterThan(12)
    expect(contentChunks).toBe(12)
    expect(text.trim().length).toBeGreaterThan(0)
    expect(finishReasons).toEqual(['length'])
    expect(usage).toBeDefined()
    expect(usage?.completion_tokens).toBe(12)
    expect(usage?.prompt_tokens).toBeGreaterThan(0)
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 12)
  })

  it('answers non-streaming chat with a message, finish_reason and usage', async () => {
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_completion_tokens: 7,
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.model).toBe(model)
    expect(completion.choices).toHaveLength(1)
    const choice = completion.choices[0]
    expect(choice?.message.role).toBe('assistant')
    expect(choice?.message.content?.trim().length).toBeGreaterThan(0)
    expect(choice?.finish_reason).toBe('length')
    expect(completion.usage?.completion_tokens).toBe(7)
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)
  })

  it('streams completions: text and usage', async () => {
    const stream = await client.completions.create({
      model,
      prompt: 'Once upon a time in a sovereign region,',
      max_tokens: 9,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let textChunks = 0
    const finishReasons: string[] = []
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion')
      for (const choice of chunk.choices) {
        if (choice.text) {
          text += choice.text
          textChunks++
        }
        if (choice.finish_reason) finishReasons.push(choice.finish_reason)
      }
      if (chunk.usage) usage = chunk.usage
    }
    expect(textChunks).toBe(9)
    expect(text.trim().length).toBeGreaterThan(0)
    expect(finishReasons).toEqual(['length'])
    expect(usage?.completion_tokens).toBe(9)
    expect(usage?.prompt_tokens).toBeGreaterThan(0)
  })

  it('answers non-streaming completions', async () => {
    const completion = await client.completions.create({ model, prompt: 'Hello', max_tokens: 4 })
    expect(completion.choices[0]?.text.trim().length).toBeGreaterThan(0)
    expect(completion.choices[0]?.finish_reason).toBe('length')
    expect(completion.usage?.completion_tokens).toBe(4)
  })

  it('surfaces an unknown model as the SDK NotFoundError (404)', async () => {
    const error = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(404)
  })

  it('counts what it served', () => {
    const stats = endpoint.stats()
    expect(stats.completed).toBe(4)
    expect(stats.rejected).toBe(1)
    expect(stats.running).toBe(0)
  })
})
