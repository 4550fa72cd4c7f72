import { performance } from 'node:perf_hooks'
import { createStreamPool, resolveEndpoint } from '../../src/client/endpoint.js'
import type { StreamPool } from '../../src/client/stream-pool.js'
import { StreamingClient } from '../../src/client/stream-request.js'
import { endpointSchema, limitsSchema, retrySchema, timeoutsSchema } from '../../src/io/schema/scenario.js'
import { type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'

export interface TestSend {
  model?: string
  api?: 'chat' | 'completions'
  maxOutputTokens: number
  fixedOutput?: boolean
  extraBody?: Record<string, unknown>
  /** Request headers (the quirk server picks its script by `x-quirk`). */
  headers?: Record<string, string>
  id?: number
}

/** One request of the streaming client, prompt "hi"; its record must satisfy the records.jsonl schema (parse throws otherwise). */
export async function sendHi(client: StreamingClient, options: TestSend): Promise<RequestRecord> {
  const record = await client.send(
    {
      model: options.model ?? 'quirk',
      api: options.api ?? 'chat',
      prompt: 'hi',
      messages: [{ role: 'user', content: 'hi' }],
      maxOutputTokens: options.maxOutputTokens,
      fixedOutput: options.fixedOutput ?? false,
      continuousUsage: false,
      extraBody: options.extraBody,
    },
    {
      id: options.id ?? 0,
      step: 0,
      runStartedAt: performance.now(),
      intendedSendMs: 0,
      requestedInputTokens: 1,
      requestedOutputTokens: options.maxOutputTokens,
      ...(options.headers ? { headers: options.headers } : {}),
    },
  )
  return requestRecordSchema.parse(record)
}

/**
 * A streaming client of the endpoint `fields` describe (url, and caFile, insecure… as a scenario's
 * endpoint takes them), over a pool of its own (returned: preconnect it, destroy it), with one
 * deadline for the first token, idleness and connecting, and four times it in all.
 */
export function testClientAndPool(
  fields: Record<string, unknown>,
  deadlineMs: number,
  limits?: Record<string, unknown>,
): { client: StreamingClient; pool: StreamPool } {
  const endpoint = resolveEndpoint(endpointSchema.parse({ label: 'test', ...fields }), 'test')
  const timeouts = timeoutsSchema.parse({ firstTokenMs: deadlineMs, idleMs: deadlineMs, totalMs: 4 * deadlineMs })
  const pool = createStreamPool(endpoint, { connectTimeoutMs: deadlineMs })
  const client = new StreamingClient(endpoint, pool, {
    timeouts,
    retries: retrySchema.parse({}),
    ...(limits ? { limits: limitsSchema.parse(limits) } : {}),
  })
  return { client, pool }
}

/** testClientAndPool's client of the endpoint at `url`. */
export function testClient(url: string, deadlineMs: number, limits?: Record<string, unknown>): StreamingClient {
  return testClientAndPool({ url }, deadlineMs, limits).client
}
