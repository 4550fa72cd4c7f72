import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import type { ErrorClass, RequestRecord } from '../io/schema/record.js'
import type { LimitsConfig, TimeoutsConfig } from '../io/schema/scenario.js'
import { countTokens } from '../input/tokenizer.js'
import type { DeadlineSweeper } from './deadline-sweeper.js'
import { type ResolvedEndpoint, redactSecrets } from './endpoint.js'
import { type GenerationRequest, describeErrorBody, readChunk } from './openai.js'
import { OutputChannels } from './output-channels.js'
import { EventTooLargeError, ServerSentEventParser } from './sse.js'
import { responseReads } from './read-counter.js'
import { firstHeaderValue } from '../util/http-header.js'

/** Error codes that mean "no connection was made" (refused, DNS, TLS, connect timeout). */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CONNECT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
])

const MAX_ERROR_BODY_BYTES = 64 * 1024

class AbortedByGeopat extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
  ) {
    super(message)
  }
}

export interface AttemptContext {
  id: number
  step: number
  /** performance.now() at the start of the run. */
  runStartedAt: number
  intendedSendMs: number
  requestedInputTokens: number | null
  requestedOutputTokens: number | null
  /** Extra per-request headers (tests use them to ask the simulator for a fault). */
  headers?: Record<string, string>
  /** Told the answer's content text as the attempt ends (a multi-turn session sends it back as the assistant's message). */
  onAnswerText?: (text: string) => void
}

/** What a StreamAttempt needs: the request, where it goes, its deadlines and limits, and where its outcome goes. */
export interface AttemptSetup {
  endpoint: ResolvedEndpoint
  request: GenerationRequest
  context: AttemptContext
  timeouts: TimeoutsConfig
  limits: LimitsConfig
  sweeper: DeadlineSweeper
  /** The x-request-id the request carries, if any. */
  requestId: string | undefined
  resolve: (outcome: AttemptOutcome) => void
}

/** What one HTTP attempt produced; turned into a RequestRecord (after retries) by sendRequest. */
export interface AttemptOutcome {
  record: RequestRecord
  retryAfterMs: number | undefined
}

/**
 * One streamed request on the wire, written as an undici dispatch handler so that every network
 * read is timestamped the moment undici hands it over (no stream or async-iterator layers between).
 */
export class StreamAttempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private pendingAbort: AbortedByGeopat | undefined
  private settled = false
  private readonly parser: ServerSentEventParser
  /** When geopat handed the request to undici; `sentAt` is when undici started writing it. */
  private readonly createdAt: number
  sentAt: number
  private dispatchWaitMs = 0
  private connection: 'kept-alive' | 'new' | 'preconnected' = 'kept-alive'
  private responseHeadersAt: number | undefined
  private firstByteAt: number | undefined
  private firstTokenAt: number | undefined
  private firstContentAt: number | undefined
  private lastDataAt: number
  private statusCode: number | undefined
  private contentType: string | undefined
  private retryAfterMs: number | undefined
  private errorBody = ''
  private bodyBytes = 0
  private readonly chunks: Array<[number, number]> = []
  private tokenEvents = 0
  private readonly tokenTexts: string[] = []
  /** The content's pieces, kept only when the context asks for the answer's text. */
  private readonly answerPieces: string[] | undefined
  private readonly channels = new OutputChannels()
  private lastCompletionTokens = 0
  private perChunkUsage = false
  private usagePromptTokens: number | undefined
  private usageCompletionTokens: number | undefined
  private finishReason: string | null = null
  private sawDone = false
  private errorClass: ErrorClass | null = null
  private errorMessage: string | null = null

  private readonly endpoint: ResolvedEndpoint
  private readonly request: GenerationRequest
  private readonly context: AttemptContext
  private readonly timeouts: TimeoutsConfig
  private readonly limits: LimitsConfig
  private readonly sweeper: DeadlineSweeper
  private readonly requestId: string | undefined
  private readonly resolve: (outcome: AttemptOutcome) => void

  constructor(setup: AttemptSetup) {
    this.endpoint = setup.endpoint
    this.request = setup.request
    this.context = setup.context
    this.timeouts = setup.timeouts
    this.limits = setup.limits
    this.sweeper = setup.sweeper
    this.requestId = setup.requestId
    this.resolve = setup.resolve
    this.parser = new ServerSentEventParser(setup.limits.maxEventBytes)
    this.answerPieces = setup.context.onAnswerText ? [] : undefined
    this.createdAt = performance.now()
    this.sentAt = this.createdAt
    this.lastDataAt = this.createdAt
  }

  /** StreamPool: a new connection; `fromReserve`: a spare opened ahead, else its wait includes TCP and TLS set-up. */
  onNewConnection(fromReserve: boolean): void {
    this.connection = fromReserve ? 'preconnected' : 'new'
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.pendingAbort) {
      controller.abort(this.pendingAbort)
      return
    }
    // Undici calls this right before it writes the request to a socket: latencies count from here,
    // and the time spent queued in the client before it is reported apart (dispatchWaitMs).
    const now = performance.now()
    this.dispatchWaitMs = now - this.createdAt
    this.sentAt = now
    this.lastDataAt = now
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return // 1xx informational
    this.responseHeadersAt = performance.now()
    this.statusCode = statusCode
    this.contentType = firstHeaderValue(headers['content-type'])
    this.retryAfterMs = parseRetryAfter(firstHeaderValue(headers['retry-after']))
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const now = performance.now()
    responseReads.count++
    this.lastDataAt = now
    if (this.firstByteAt === undefined) this.firstByteAt = now
    if (this.errorClass !== null) return
    if (!this.isEventStream()) {
      this.bodyBytes += chunk.length
      if (this.errorBody.length < MAX_ERROR_BODY_BYTES) this.errorBody += chunk.toString('utf8')
      if (this.bodyBytes > this.limits.maxResponseBytes) {
        const { errorClass, message } = this.classifyEnd() ?? { errorClass: 'protocol' as const, message: '' }
        this.fail(errorClass, `${message} (abandoned: the body is longer than ${this.limits.maxResponseBytes} bytes, --max-response-bytes)`)
      }
      return
    }
    this.parseEvents(chunk, now)
  }

  onResponseEnd(): void {
    const now = performance.now()
    if (this.isEventStream()) this.parseEvents(undefined, now)
    this.finish(now, this.classifyEnd())
  }

  /** Parses a read (undefined: the end of the body); an event over --max-event-bytes ends the request as a protocol error. */
  private parseEvents(chunk: Buffer | undefined, now: number): void {
    let events: ReturnType<ServerSentEventParser['push']>
    try {
      events = chunk === undefined ? this.parser.end() : this.parser.push(chunk)
    } catch (error) {
      if (!(error instanceof EventTooLargeError)) throw error
      this.fail('protocol', `${error.message} after ${this.tokenEvents} token events`)
      return
    }
    this.processEvents(events, now)
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const now = performance.now()
    if (error instanceof AbortedByGeopat) {
      this.finish(now, { errorClass: error.errorClass, message: error.message })
      return
    }
    const code = (error as NodeJS.ErrnoException).code ?? ''
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause
    const causeCode = cause?.code ?? ''
    const detail = [code || causeCode, error.message].filter(Boolean).join(': ')
    if (CONNECT_ERROR_CODES.has(code) || CONNECT_ERROR_CODES.has(causeCode) || /certificate|self.signed|TLS/i.test(error.message)) {
      this.finish(now, { errorClass: 'connect', message: detail })
    } else if (this.responseHeadersAt === undefined) {
      this.finish(now, { errorClass: 'stream-broken', message: `connection closed before a response (${detail})` })
    } else {
      this.finish(now, { errorClass: 'stream-broken', message: `stream broken after ${this.tokenEvents} token events (${detail})` })
    }
  }

  /** Called by the sweeper; aborts the request when one of geopat's deadlines has passed. */
  checkDeadlines(now: number): void {
    const elapsed = now - this.sentAt
    if (elapsed > this.timeouts.totalMs) {
      this.abort('total-timeout', `no end after ${this.timeouts.totalMs} ms`)
    } else if (this.firstTokenAt === undefined) {
      if (elapsed > this.timeouts.firstTokenMs) this.abort('ttft-timeout', `no first token after ${this.timeouts.firstTokenMs} ms`)
    } else if (now - this.lastDataAt > this.timeouts.idleMs) {
      this.abort('idle-timeout', `no data for ${this.timeouts.idleMs} ms after ${this.tokenEvents} token events`)
    }
  }

  abort(errorClass: ErrorClass, message: string): void {
    if (this.settled) return
    const reason = new AbortedByGeopat(errorClass, message)
    if (this.controller) {
      this.controller.abort(reason)
    } else {
      // Still queued for a connection: settle now, abort when undici gets to it.
      this.pendingAbort = reason
      this.finish(performance.now(), { errorClass, message })
    }
  }

  private readonly redact = (text: string): string => redactSecrets(text, this.endpoint)

  private isEventStream(): boolean {
    const ok = this.statusCode !== undefined && this.statusCode >= 200 && this.statusCode < 300
    // Servers that omit the content type but stream SSE are accepted; anything else declared is not.
    return ok && (this.contentType === undefined || this.contentType.includes('text/event-stream'))
  }

  private processEvents(events: ReturnType<ServerSentEventParser['push']>, now: number): void {
    if (events.length === 0 || this.errorClass !== null) return
    let tokensInRead = 0
    for (const event of events) {
      if (event.data === '[DONE]') {
        this.sawDone = true
        continue
      }
      const reading = this.readEvent(event.data)
      if (reading === undefined) return
      this.channels.take(reading)
      if (reading.carriesToken) tokensInRead += this.takeToken(reading, now)
      if (reading.finishReason !== null) this.finishReason = reading.finishReason
      if (reading.promptTokens !== undefined) this.usagePromptTokens = reading.promptTokens
      if (reading.completionTokens !== undefined) this.usageCompletionTokens = reading.completionTokens
    }
    if (tokensInRead > 0) {
      this.chunks.push([now - this.sentAt, tokensInRead])
    }
  }

  /** One event's data read as a chunk; undefined (and the request failed) when it is not JSON or carries a server error. */
  private readEvent(data: string): ReturnType<typeof readChunk> | undefined {
    let reading: ReturnType<typeof readChunk>
    try {
      reading = readChunk(data)
    } catch {
      this.fail('protocol', `event data is not JSON: ${redactSecrets(data, this.endpoint, 120)}`)
      return undefined
    }
    if (reading.errorMessage !== undefined) {
      this.fail('stream-error', `server error in stream: ${redactSecrets(reading.errorMessage, this.endpoint, 300)}`)
      return undefined
    }
    return reading
  }

  /** Counts a token event at `now`: the tokens it carries (1, or the growth of continuous usage stats). */
  private takeToken(reading: ReturnType<typeof readChunk>, now: number): number {
    this.tokenEvents++
    let tokens = 1
    if (reading.completionTokens !== undefined) {
      // continuous_usage_stats: cumulative completion tokens on every chunk.
      this.perChunkUsage = true
      tokens = Math.max(0, reading.completionTokens - this.lastCompletionTokens)
      this.lastCompletionTokens = reading.completionTokens
    }
    if (this.firstTokenAt === undefined) this.firstTokenAt = now
    if (reading.carriesContent && this.firstContentAt === undefined) this.firstContentAt = now
    if (reading.tokenText.length > 0) this.tokenTexts.push(reading.tokenText)
    if (this.answerPieces !== undefined && reading.contentText.length > 0) this.answerPieces.push(reading.contentText)
    return tokens
  }

  private fail(errorClass: ErrorClass, message: string): void {
    this.errorClass = errorClass
    this.errorMessage = message
    this.controller?.abort(new AbortedByGeopat(errorClass, message))
  }

  private classifyEnd(): { errorClass: ErrorClass; message: string } | undefined {
    if (this.errorClass !== null) return { errorClass: this.errorClass, message: this.errorMessage ?? '' }
    const status = this.statusCode ?? 0
    if (status < 200 || status >= 300) {
      const message = `HTTP ${status}: ${describeErrorBody(this.contentType, this.errorBody, this.redact)}`
      const errorClass: ErrorClass = status === 429 ? 'http-429' : status >= 500 ? 'http-5xx' : 'http-4xx'
      return { errorClass, message }
    }
    if (!this.isEventStream()) {
      return {
        errorClass: 'protocol',
        message: `expected text/event-stream, got ${this.contentType}: ${describeErrorBody(this.contentType, this.errorBody, this.redact)}`,
      }
    }
    if (!this.sawDone && this.finishReason === null && this.usageCompletionTokens === undefined) {
      return { errorClass: 'stream-broken', message: `stream ended without [DONE] or finish_reason after ${this.tokenEvents} token events` }
    }
    return undefined
  }

  private finish(now: number, failure: { errorClass: ErrorClass; message: string } | undefined): void {
    if (this.settled) return
    this.settled = true
    this.sweeper.remove(this)
    const since = (t: number | undefined): number | null => (t === undefined ? null : t - this.sentAt)
    let outputTokens: number
    let outputTokensSource: 'server' | 'client'
    if (this.usageCompletionTokens !== undefined) {
      outputTokens = this.usageCompletionTokens
      outputTokensSource = 'server'
    } else {
      outputTokens = this.tokenTexts.length > 0 ? countTokens(this.tokenTexts.join('')) : 0
      outputTokensSource = 'client'
    }
    const ok = failure === undefined
    const record: RequestRecord = {
      id: this.context.id,
      endpoint: this.endpoint.label,
      step: this.context.step,
      api: this.request.api,
      model: this.request.model,
      intendedSendMs: this.context.intendedSendMs,
      sendMs: this.sentAt - this.context.runStartedAt,
      responseHeadersMs: since(this.responseHeadersAt),
      firstByteMs: since(this.firstByteAt),
      chunks: this.chunks,
      tokenEvents: this.tokenEvents,
      timeToFirstTokenMs: since(this.firstTokenAt),
      timeToFirstContentMs: since(this.firstContentAt),
      endToEndLatencyMs: ok ? now - this.sentAt : null,
      requestedInputTokens: this.context.requestedInputTokens,
      requestedOutputTokens: this.context.requestedOutputTokens,
      inputTokens: this.usagePromptTokens ?? this.context.requestedInputTokens,
      inputTokensSource: this.usagePromptTokens !== undefined ? 'server' : this.context.requestedInputTokens !== null ? 'client' : null,
      outputTokens,
      outputTokensSource,
      perChunkUsage: this.perChunkUsage,
      finishReason: this.finishReason,
      sawDone: this.sawDone,
      ok,
      httpStatus: this.statusCode ?? null,
      errorClass: failure?.errorClass ?? null,
      errorMessage: failure ? redactSecrets(failure.message, this.endpoint, 500) : null,
      retries: 0,
      retryWaitMs: 0,
      dispatchWaitMs: this.dispatchWaitMs,
      newConnection: this.connection !== 'kept-alive',
      ...(this.connection === 'preconnected' ? { preconnected: true as const } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
      ...(this.request.tools !== undefined ? { toolsRequested: true } : {}),
      ...this.channels.fields(outputTokens),
    }
    if (this.answerPieces !== undefined) this.context.onAnswerText?.(this.answerPieces.join(''))
    this.resolve({ record, retryAfterMs: this.retryAfterMs })
  }
}

/** Retry-After is either delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  if (Number.isFinite(date)) return Math.max(0, date - Date.now())
  return undefined
}
