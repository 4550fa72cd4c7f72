import type { ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { DeadlineScheduler, DueTask } from './deadline-scheduler.js'
import { SSE_DONE, completionResponseBody, errorBody, streamErrorEvent, type StreamChunkFormatter } from './openai-format.js'
import type { GenerationRequest } from './openai-request.js'
import type { SimMetrics } from './sim-metrics.js'
import type { SimRequestLog } from './request-log.js'
import { toUnixMs } from '../util/clock.js'
import { type EngineTokenFeed, type TokenSchedule, isEngineFeed } from './timing.js'

/** How a generation ends: normally, cut (socket closed without [DONE]), or with an error event. */
export type GenerationEnding = 'complete' | 'cut' | 'error'

/** What every in-flight generation shares with the server. */
export interface GenerationContext {
  scheduler: DeadlineScheduler
  metrics: SimMetrics
  /** Tokens per socket write (1 = one SSE event per write). */
  coalesce: number
  /** In-flight generations, so that the server can end them when it closes. */
  active: Set<{ terminate(): void }>
  /** `--request-log`: one line per generation, on the machine's clock. */
  requestLog?: SimRequestLog
  /** The endpoint's name in the request log. */
  endpointName?: string
}

export interface GenerationSetup {
  context: GenerationContext
  response: ServerResponse
  request: GenerationRequest
  schedule: TokenSchedule | EngineTokenFeed
  /** performance.now() at receipt: the origin of every token offset. */
  receivedAtMs: number
  /** Simulated network: the client→server leg (and a new connection's handshakes) before work starts. */
  requestDelayMs: number
  /** Simulated network: one server→client delivery (half an RTT, with jitter). */
  deliveryDelayMs: () => number
  ending: GenerationEnding
  id: string
  createdS: number
  /** The request's x-request-id header (for the request log), and when its head was seen. */
  requestId?: string | null
  headersAtMs?: number
}

/** Tokens sent before a fault strikes: about half for a cut, a few for an error mid-stream. */
function tokensBeforeEnding(outputTokens: number, ending: GenerationEnding): number {
  switch (ending) {
    case 'complete':
      return outputTokens
    case 'cut':
      return Math.max(1, Math.floor(outputTokens / 2))
    case 'error':
      return Math.max(1, Math.min(3, outputTokens - 1))
  }
}

/**
 * Writes one HTTP/1.1 chunk of a chunked response straight to its socket: one write of one buffer.
 * ServerResponse.write frames a chunk as three writes (size line, data, CRLF) corked until the next
 * tick, a writev and a nextTick per token, a cost that shows at 100k+ tokens per second. Falls back
 * to response.write when the socket is not (yet) this response's (pipelined requests queue their
 * responses) or the response is not chunked.
 */
function writeChunk(response: ServerResponse, text: string): void {
  const socket = response.socket
  if (socket === null || !response.chunkedEncoding || !response.headersSent || !socket.writable) {
    response.write(text)
    return
  }
  socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`)
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const

/**
 * Common bookkeeping: the active set, the running gauge, and a client that leaves early.
 * Subclasses call finish() exactly once, however the generation ends.
 */
abstract class Generation implements DueTask {
  protected finished = false
  protected readonly stopAfterTokens: number
  /** For the request log: the first token's write, when it was due and when it happened. */
  protected firstTokenDueAtMs: number | null = null
  protected firstTokenWrittenAtMs: number | null = null
  protected tokensWritten = 0

  constructor(protected readonly setup: GenerationSetup) {
    this.stopAfterTokens = tokensBeforeEnding(setup.request.outputTokens, setup.ending)
  }

  start(): void {
    const { context, response } = this.setup
    context.active.add(this)
    context.metrics.running++
    // 'close' fires when the answer is complete or the connection is gone, whichever comes first.
    response.on('close', this.onResponseClose)
    this.begin()
  }

  abstract onDue(scheduledAtMs: number): void
  protected abstract begin(): void

  /** Server shutdown: drop the connection now. */
  terminate(): void {
    if (this.finished) return
    this.finish('abort')
    this.setup.response.destroy()
  }

  private readonly onResponseClose = (): void => {
    // The client went away before we ended: stop its events (the pending deadline is skipped).
    if (!this.finished) this.finish('abort')
  }

  protected finish(reason: 'length' | 'abort', e2eLatencyMs?: number): void {
    this.finished = true
    const { context } = this.setup
    context.active.delete(this)
    context.metrics.running--
    context.metrics.recordFinished(reason, e2eLatencyMs)
    context.requestLog?.write({
      requestId: this.setup.requestId ?? null,
      endpoint: context.endpointName ?? '',
      headersUnixMs: toUnixMs(this.setup.headersAtMs ?? this.setup.receivedAtMs),
      receivedUnixMs: toUnixMs(this.setup.receivedAtMs),
      firstTokenDueUnixMs: this.firstTokenDueAtMs === null ? null : toUnixMs(this.firstTokenDueAtMs),
      firstTokenWrittenUnixMs: this.firstTokenWrittenAtMs === null ? null : toUnixMs(this.firstTokenWrittenAtMs),
      tokensWritten: this.tokensWritten,
      outcome: reason === 'length' ? 'complete' : 'abort',
    })
  }

  /**
   * Call right before writing `tokens` tokens that were due at `scheduledAtMs`: the simulator's
   * own lateness goes to /metrics, and the first write's times to the request log.
   */
  protected noteWrite(tokens: number, scheduledAtMs: number): void {
    const writtenAtMs = performance.now()
    this.setup.context.metrics.emitLateness.record(writtenAtMs - scheduledAtMs)
    if (this.tokensWritten === 0) {
      this.firstTokenDueAtMs = scheduledAtMs
      this.firstTokenWrittenAtMs = writtenAtMs
    }
    this.tokensWritten += tokens
  }

  /** Records the engine-side timing of tokens [firstIndex, …) whose offsets are given. */
  protected observeTokenTimes(firstIndex: number, previousOffsetMs: number, offsetsMs: ArrayLike<number>): void {
    const metrics = this.setup.context.metrics
    let previous = previousOffsetMs
    for (let i = 0; i < offsetsMs.length; i++) {
      const offset = offsetsMs[i] as number
      if (firstIndex + i === 0) metrics.timeToFirstTokenSeconds.observe(offset / 1000)
      else metrics.interTokenLatencySeconds.observe((offset - previous) / 1000)
      previous = offset
    }
    metrics.generationTokens += offsetsMs.length
  }
}

/**
 * A streamed (SSE) answer. Tokens go out in groups of `coalesce`, each group in one socket write
 * at the deadline of its last token; the deadline of every token comes from the schedule, relative
 * to receipt, so a late write never delays the next one. Chat's role chunk rides with the first
 * group, and usage and [DONE] with the last, as vLLM sends them back to back.
 */
export class StreamingGeneration extends Generation {
  private nextTokenIndex = 0
  private previousTokenOffsetMs = 0
  /** Offsets of the tokens of the pending group (reused to avoid an allocation per write). */
  private readonly groupOffsetsMs: number[] = []
  /** Offset at which the last group reached the client (network delay included), for ordering. */
  private deliveredOffsetMs = 0
  /** Engine feed: produced-time offsets of tokens not yet written (waiting to fill a group). */
  private pendingProducedMs: number[] = []
  private engineHandle: { cancel(): void } | undefined

  constructor(
    setup: GenerationSetup,
    private readonly formatter: StreamChunkFormatter,
  ) {
    super(setup)
  }

  protected begin(): void {
    // Headers go out at once (as uvicorn's StreamingResponse does); the first data at TTFT.
    this.setup.response.writeHead(200, SSE_HEADERS)
    this.setup.response.flushHeaders()
    const source = this.setup.schedule
    if (isEngineFeed(source)) {
      this.engineHandle = source.start(this.setup.receivedAtMs + this.setup.requestDelayMs, {
        onToken: (tokenIndex, producedAtMs) => this.onEngineToken(tokenIndex, producedAtMs),
      })
    } else {
      this.scheduleNextGroup()
    }
  }

  protected override finish(reason: 'length' | 'abort', e2eLatencyMs?: number): void {
    super.finish(reason, e2eLatencyMs)
    this.engineHandle?.cancel()
  }

  private scheduleNextGroup(): void {
    const { context, schedule, receivedAtMs } = this.setup
    const groupEnd = Math.min(this.nextTokenIndex + context.coalesce, this.stopAfterTokens)
    const offsets = this.groupOffsetsMs
    offsets.length = 0
    let offset = this.previousTokenOffsetMs
    for (let index = this.nextTokenIndex; index < groupEnd; index++) {
      // Jitter must not reorder tokens.
      offset = Math.max(offset, (schedule as TokenSchedule).tokenOffsetMs(index))
      offsets.push(offset)
    }
    this.deliveredOffsetMs = Math.max(this.deliveredOffsetMs, offset + this.setup.requestDelayMs + this.setup.deliveryDelayMs())
    context.scheduler.schedule(receivedAtMs + this.deliveredOffsetMs, this)
  }

  onDue(scheduledAtMs: number): void {
    if (this.finished) return
    this.writeGroup(this.groupOffsetsMs, scheduledAtMs)
  }

  /** Engine feed: a token was produced; write it (with its group) after the network's delay. */
  private onEngineToken(tokenIndex: number, producedAtMs: number): void {
    if (this.finished || tokenIndex >= this.stopAfterTokens) return
    const { receivedAtMs, requestDelayMs } = this.setup
    const produced = this.pendingProducedMs
    // Offsets from the request's arrival at the (simulated) server, as vLLM's own clock sees them.
    produced.push(producedAtMs - receivedAtMs - requestDelayMs)
    if (produced.length < this.setup.context.coalesce && tokenIndex < this.stopAfterTokens - 1) return
    this.pendingProducedMs = []
    const lastProduced = produced[produced.length - 1] as number
    this.deliveredOffsetMs = Math.max(this.deliveredOffsetMs, requestDelayMs + lastProduced + this.setup.deliveryDelayMs())
    const dueAtMs = this.setup.receivedAtMs + this.deliveredOffsetMs
    if (dueAtMs <= performance.now()) this.writeGroup(produced, dueAtMs)
    else this.setup.context.scheduler.schedule(dueAtMs, { onDue: (at) => !this.finished && this.writeGroup(produced, at) })
  }

  /**
   * Writes the next `offsetsMs.length` tokens in one socket write. `offsetsMs` are the engine's
   * production times (what vLLM's histograms record); `scheduledAtMs` is when the write was due.
   */
  private writeGroup(offsetsMs: number[], scheduledAtMs: number): void {
    const { request, response, ending } = this.setup
    const formatter = this.formatter
    const firstIndex = this.nextTokenIndex
    const groupEnd = firstIndex + offsetsMs.length
    const isLastGroup = groupEnd === this.stopAfterTokens

    let text = firstIndex === 0 ? formatter.firstChunk() : ''
    for (let index = firstIndex; index < groupEnd; index++) {
      const finishesRequest = ending === 'complete' && index === request.outputTokens - 1
      text += formatter.tokenChunk(index, finishesRequest ? 'length' : null)
    }
    if (isLastGroup && ending === 'complete') {
      if (request.includeUsage) text += formatter.usageChunk(request.outputTokens)
      text += SSE_DONE
    } else if (isLastGroup && ending === 'error') {
      text += streamErrorEvent('simulated engine error in the middle of the stream (x-geopat-fault: error-midstream)')
      text += SSE_DONE
    }

    this.noteWrite(offsetsMs.length, scheduledAtMs)
    writeChunk(response, text)
    this.observeTokenTimes(firstIndex, this.previousTokenOffsetMs, offsetsMs)
    this.previousTokenOffsetMs = offsetsMs[offsetsMs.length - 1] as number
    this.nextTokenIndex = groupEnd

    if (!isLastGroup) {
      if (!this.engineHandle) this.scheduleNextGroup()
      return
    }
    switch (ending) {
      case 'complete':
        this.finish('length', this.previousTokenOffsetMs)
        response.end()
        break
      case 'error':
        this.finish('abort')
        response.end()
        break
      case 'cut':
        this.finish('abort')
        // Close after the written bytes are flushed, without the final chunk or [DONE].
        response.socket?.destroySoon()
        break
    }
  }
}

/** A non-streamed answer: one JSON body at the deadline of the last token. */
export class BufferedGeneration extends Generation {
  private tokenOffsetsMs: Float64Array = new Float64Array(0)

  private engineHandle: { cancel(): void } | undefined

  protected begin(): void {
    const { schedule, receivedAtMs, context, requestDelayMs } = this.setup
    const offsets = new Float64Array(this.stopAfterTokens)
    this.tokenOffsetsMs = offsets
    if (isEngineFeed(schedule)) {
      // The answer leaves once the engine has produced the last token.
      this.engineHandle = schedule.start(receivedAtMs + requestDelayMs, {
        onToken: (tokenIndex, producedAtMs) => {
          if (this.finished || tokenIndex >= offsets.length) return
          offsets[tokenIndex] = producedAtMs - receivedAtMs - requestDelayMs
          if (tokenIndex === offsets.length - 1) {
            context.scheduler.schedule(producedAtMs + this.setup.deliveryDelayMs(), this)
          }
        },
      })
      return
    }
    // The schedule is asked for every token, in order, as its contract says.
    let offset = 0
    for (let index = 0; index < offsets.length; index++) {
      offset = Math.max(offset, schedule.tokenOffsetMs(index))
      offsets[index] = offset
    }
    context.scheduler.schedule(receivedAtMs + offset + requestDelayMs + this.setup.deliveryDelayMs(), this)
  }

  protected override finish(reason: 'length' | 'abort', e2eLatencyMs?: number): void {
    super.finish(reason, e2eLatencyMs)
    this.engineHandle?.cancel()
  }

  onDue(scheduledAtMs: number): void {
    if (this.finished) return
    const { request, response, ending } = this.setup
    this.noteWrite(this.tokenOffsetsMs.length, scheduledAtMs)
    this.observeTokenTimes(0, 0, this.tokenOffsetsMs)
    const lastOffsetMs = this.tokenOffsetsMs[this.tokenOffsetsMs.length - 1] ?? 0
    switch (ending) {
      case 'complete': {
        const body = completionResponseBody({
          endpoint: request.endpoint,
          id: this.setup.id,
          createdS: this.setup.createdS,
          model: request.model,
          promptTokens: request.promptTokens,
          completionTokens: request.outputTokens,
          ...(request.output ? { plan: request.output } : {}),
        })
        this.finish('length', lastOffsetMs)
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        response.end(body)
        break
      }
      case 'error': {
        const body = errorBody({
          status: 500,
          type: 'InternalServerError',
          message: 'simulated engine error during generation (x-geopat-fault: error-midstream)',
        })
        this.finish('abort')
        response.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        response.end(body)
        break
      }
      case 'cut':
        this.finish('abort')
        response.destroy()
        break
    }
  }
}
