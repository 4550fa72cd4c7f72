import { randomBytes } from 'node:crypto'
import type { Dispatcher } from 'undici'
import type { ErrorClass, RequestRecord } from '../io/schema/record.js'
import { DEFAULT_LIMITS, type LimitsConfig, type RetryConfig, type TimeoutsConfig } from '../io/schema/scenario.js'
import { DeadlineSweeper } from './deadline-sweeper.js'
import { type ResolvedEndpoint, requestHeaders } from './endpoint.js'
import { StreamPool } from './stream-pool.js'
import { type GenerationRequest, apiPath, buildRequestBody } from './openai.js'
import { type AttemptContext, type AttemptOutcome, StreamAttempt } from './stream-attempt.js'

const RETRYABLE: ReadonlySet<ErrorClass> = new Set(['http-429', 'http-5xx', 'connect'])

/** Tells this process's requests apart from another's started in the same second (run ids have 1 s resolution). */
const PROCESS_TAG = randomBytes(3).toString('hex')

/** The x-request-id prefix of a run's requests: `<runId>-<process tag>-<parts>-`, then each request's id. */
export function requestIdPrefix(runId: string, ...parts: number[]): string {
  return `${runId}-${PROCESS_TAG}-${parts.map(String).join('-')}-`
}

export interface StreamingClientOptions {
  timeouts: TimeoutsConfig
  retries: RetryConfig
  /** Size caps on SSE events and error bodies (default: the scenario schema's). */
  limits?: LimitsConfig
  /**
   * Each request carries `x-request-id: <prefix><id>` (vLLM and most gateways log it as the
   * request's id), and its record the same id, so that client records join server-side logs.
   */
  requestIdPrefix?: string
}

/** Sends generation requests to one endpoint over a keep-alive pool and measures each one. */
export class StreamingClient {
  readonly sweeper = new DeadlineSweeper()
  private stopping = false

  constructor(
    private readonly endpoint: ResolvedEndpoint,
    private readonly dispatcher: Dispatcher,
    private readonly options: StreamingClientOptions,
  ) {}

  /** Sends one request (with retries when configured) and resolves with its record; never rejects. */
  async send(request: GenerationRequest, context: AttemptContext): Promise<RequestRecord> {
    let retries = 0
    let retryWaitMs = 0
    for (;;) {
      const outcome = await this.attempt(request, context)
      const record = outcome.record
      const canRetry = !record.ok && record.errorClass !== null && RETRYABLE.has(record.errorClass) && retries < this.options.retries.max && !this.stopping
      if (!canRetry) {
        record.retries = retries
        record.retryWaitMs = retryWaitMs
        return record
      }
      const backoff = this.options.retries.backoffMs * 2 ** retries
      const waitMs = Math.min(outcome.retryAfterMs ?? backoff, this.options.retries.maxWaitMs)
      retries++
      retryWaitMs += waitMs
      await new Promise((resolve) => setTimeout(resolve, waitMs))
    }
  }

  /**
   * Opens up to `count` spare connections ahead when the dispatcher keeps a reserve (StreamPool),
   * so that new connections are not set up inside a send; resolves once they are up or failed.
   */
  preconnect(count: number): Promise<void> {
    return this.dispatcher instanceof StreamPool ? this.dispatcher.preconnect(count) : Promise.resolve()
  }

  /** Stops retrying; with `cancelInFlight` also aborts every stream still open. */
  stop(cancelInFlight: boolean, reason = 'stopped by geopat'): void {
    this.stopping = true
    if (cancelInFlight) this.sweeper.cancelAll(reason)
  }

  private attempt(request: GenerationRequest, context: AttemptContext): Promise<AttemptOutcome> {
    return new Promise<AttemptOutcome>((resolve) => {
      const requestId = this.options.requestIdPrefix !== undefined ? `${this.options.requestIdPrefix}${context.id}` : undefined
      const attempt = new StreamAttempt({
        endpoint: this.endpoint,
        request,
        context,
        timeouts: this.options.timeouts,
        limits: this.options.limits ?? DEFAULT_LIMITS,
        sweeper: this.sweeper,
        requestId,
        resolve,
      })
      this.sweeper.add(attempt)
      this.dispatcher.dispatch(
        {
          origin: this.endpoint.origin,
          path: this.endpoint.basePath + apiPath(request.api),
          method: 'POST',
          headers: requestHeaders(this.endpoint, requestId !== undefined ? { 'x-request-id': requestId, ...context.headers } : context.headers),
          body: buildRequestBody(request),
        },
        attempt,
      )
    })
  }
}
