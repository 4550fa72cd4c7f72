import { z } from 'zod'

/**
 * Why a request did not succeed. `connect`: no connection (refused, DNS, TLS, connect timeout);
 * `ttft-timeout`/`idle-timeout`/`total-timeout`: our own deadlines; `http-*`: non-2xx answers;
 * `stream-broken`: the connection dropped or the stream ended before it was complete;
 * `stream-error`: the server sent an error object inside the stream; `protocol`: the answer was
 * not an OpenAI-compatible event stream; `cancelled`: geopat stopped it (Ctrl-C, end of the run).
 */
export const ERROR_CLASSES = [
  'connect',
  'ttft-timeout',
  'idle-timeout',
  'total-timeout',
  'http-429',
  'http-4xx',
  'http-5xx',
  'stream-broken',
  'stream-error',
  'protocol',
  'cancelled',
] as const
const errorClassSchema = z.enum(ERROR_CLASSES)
export type ErrorClass = z.infer<typeof errorClassSchema>

const msSchema = z.number().finite()

/**
 * One line of records.jsonl: everything measured about one request. Times are milliseconds on the
 * monotonic clock: `intendedSendMs` and `sendMs` from the start of the run, every other time from
 * this request's `sendMs` (of the attempt that produced the answer).
 */
export const requestRecordSchema = z
  .object({
    id: z.number().int().nonnegative(),
    endpoint: z.string(),
    /** Which load step of the run (0 unless a sweep). */
    step: z.number().int().nonnegative(),
    api: z.enum(['chat', 'completions']),
    model: z.string(),
    /** Open loop: when the schedule wanted it sent. Closed loop: when a slot became free. */
    intendedSendMs: msSchema,
    /** When undici started writing the request to a socket; every latency counts from here. */
    sendMs: msSchema,
    /** Time the request waited inside the client (undici's queue, a free keep-alive socket) before sendMs. */
    dispatchWaitMs: msSchema,
    /**
     * The request was the first on a new connection to the server. Its dispatch wait includes TCP
     * (and TLS) set-up unless `preconnected`.
     */
    newConnection: z.boolean(),
    /**
     * The new connection was a spare opened ahead by the client (its reserve, before and during an
     * open-loop step): set up before the request, so no connect is in its dispatch wait or its send
     * time. Absent when false.
     */
    preconnected: z.literal(true).optional(),
    responseHeadersMs: msSchema.nullable(),
    firstByteMs: msSchema.nullable(),
    /** One entry per network read that carried tokens: [arrival ms since send, tokens in it]. */
    chunks: z.array(z.tuple([msSchema, z.number().int().nonnegative()])),
    /** Number of SSE events that carried tokens (can exceed chunks.length when a server coalesces). */
    tokenEvents: z.number().int().nonnegative(),
    timeToFirstTokenMs: msSchema.nullable(),
    timeToFirstContentMs: msSchema.nullable(),
    endToEndLatencyMs: msSchema.nullable(),
    requestedInputTokens: z.number().int().nonnegative().nullable(),
    requestedOutputTokens: z.number().int().nonnegative().nullable(),
    inputTokens: z.number().int().nonnegative().nullable(),
    inputTokensSource: z.enum(['server', 'client']).nullable(),
    outputTokens: z.number().int().nonnegative(),
    outputTokensSource: z.enum(['server', 'client']),
    /** True when per-chunk token counts came from the server's continuous usage stats. */
    perChunkUsage: z.boolean(),
    finishReason: z.string().nullable(),
    sawDone: z.boolean(),
    ok: z.boolean(),
    httpStatus: z.number().int().nullable(),
    errorClass: errorClassSchema.nullable(),
    errorMessage: z.string().nullable(),
    retries: z.number().int().nonnegative(),
    retryWaitMs: msSchema,
    /** The x-request-id header sent with the request (joins server-side logs). */
    requestId: z.string().optional(),
    /**
     * Reasoning models: output tokens on the reasoning channel (`delta.reasoning` / `reasoning_content`),
     * from the server's usage.completion_tokens_details.reasoning_tokens or counted here; the answer
     * tokens are the output tokens less those. Absent when the stream carried no reasoning.
     */
    reasoningTokens: z.number().int().nonnegative().optional(),
    reasoningTokensSource: z.enum(['server', 'client']).optional(),
    answerTokens: z.number().int().nonnegative().optional(),
    /** The request asked for tools (`tools` and `tool_choice` in its body: `--tools`); absent when it did not. */
    toolsRequested: z.literal(true).optional(),
    /** Tool calls streamed (`delta.tool_calls`): the deltas received and the distinct calls (by index). Absent without any. */
    toolCallDeltas: z.number().int().nonnegative().optional(),
    toolCalls: z.number().int().nonnegative().optional(),
    /**
     * Multi-turn sessions (input.sessions): the conversation this request is a turn of, the turn's
     * index in it (from 0), the session's number of turns, and the think time waited after the previous answer ended before sending
     * it (ms; 0 for a first turn). Absent for independent requests.
     */
    sessionId: z.number().int().nonnegative().optional(),
    sessionTurn: z.number().int().nonnegative().optional(),
    /** Turns the session has in all (its plan's or its file conversation's): the session is complete once each is answered. */
    sessionTurns: z.number().int().positive().optional(),
    thinkTimeMs: msSchema.optional(),
  })
  .strict()

export type RequestRecord = z.infer<typeof requestRecordSchema>

/** The request connected inside its send: its dispatch wait (and an open loop's send time) holds TCP and TLS set-up, the network's time, not the client's. */
export function connectedInSend(record: Pick<RequestRecord, 'newConnection' | 'preconnected'>): boolean {
  return record.newConnection && record.preconnected !== true
}

/** The closing fields of a record that ran to its length without error, the server counting its output tokens. */
export const COMPLETED_RECORD_END = {
  outputTokensSource: 'server',
  perChunkUsage: false,
  finishReason: 'length',
  sawDone: true,
  ok: true,
  httpStatus: 200,
  errorClass: null,
  errorMessage: null,
  retries: 0,
  retryWaitMs: 0,
} as const satisfies Partial<RequestRecord>
