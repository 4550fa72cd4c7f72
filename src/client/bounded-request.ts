import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

/** Why a bounded request gave up. */
export type BoundedRequestFailure = 'deadline' | 'too-large' | 'interrupted'

export class BoundedRequestError extends Error {
  constructor(
    readonly reason: BoundedRequestFailure,
    message: string,
  ) {
    super(message)
    this.name = 'BoundedRequestError'
  }
}

export interface RequestBounds {
  /** The whole exchange (connection, headers, every byte of the body) ends within this, ms. */
  deadlineMs: number
  /** Largest body read; a larger one is abandoned, not buffered. */
  maxBytes: number
  /** Aborts the request at once when it fires (Ctrl-C). */
  signal?: AbortSignal
}

export interface BoundedResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  text: string
}

/**
 * One request whose answer is read whole (GET /v1/models, /metrics, an attestation report), under
 * an overall deadline and a size cap: undici's own headers/body timeouts only bound the gap between
 * two reads, so a server trickling a byte a second, or sending a body that never ends, would hold
 * geopat for ever or fill its memory.
 */
export async function requestBounded(
  dispatcher: Dispatcher,
  request: Omit<Dispatcher.RequestOptions, 'signal'>,
  bounds: RequestBounds,
): Promise<BoundedResponse> {
  const controller = new AbortController()
  let failure: BoundedRequestError | undefined
  const giveUp = (error: BoundedRequestError): void => {
    failure ??= error
    controller.abort(failure)
  }
  const timer = setTimeout(() => giveUp(new BoundedRequestError('deadline', `no complete answer within ${bounds.deadlineMs} ms`)), bounds.deadlineMs)
  const onInterrupt = (): void => giveUp(new BoundedRequestError('interrupted', 'interrupted'))
  if (bounds.signal?.aborted) onInterrupt()
  else bounds.signal?.addEventListener('abort', onInterrupt, { once: true })
  const tooLarge = (): BoundedRequestError => new BoundedRequestError('too-large', `the answer is larger than ${bounds.maxBytes} bytes (--max-response-bytes)`)
  try {
    const response = await dispatcher.request({ ...request, signal: controller.signal, headersTimeout: bounds.deadlineMs, bodyTimeout: bounds.deadlineMs })
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > bounds.maxBytes) giveUp(tooLarge())
    const parts: Buffer[] = []
    let size = 0
    if (!failure) {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length
        if (size > bounds.maxBytes) {
          giveUp(tooLarge())
          break
        }
        parts.push(chunk as Buffer)
      }
    }
    if (failure) {
      response.body.destroy()
      throw failure
    }
    return { statusCode: response.statusCode, headers: response.headers, text: Buffer.concat(parts).toString('utf8') }
  } catch (error) {
    throw failure ?? error
  } finally {
    clearTimeout(timer)
    bounds.signal?.removeEventListener('abort', onInterrupt)
  }
}
