/**
 * The reference client of the accuracy benchmark: the smallest streaming client we can write, to
 * measure what the MACHINE adds to a TTFT or an ITL (loopback, the simulator's intake of a burst of
 * requests, waking an idle process, the other engineers' work) apart from what geopat adds.
 *
 * Raw TCP sockets, one keep-alive connection per stream, a closed loop like geopat's, no HTTP
 * library, no JSON parsing: a token is an SSE event holding `"delta":{"content":` (the simulator's
 * chat token chunks; its role-only first chunk has `"role"` first and does not count). Timing
 * follows geopat's definitions: TTFT = the read completing the first token event − the write of
 * the request; per-token ITL = for each later read carrying k token events, k values of (gap
 * since the previous token read) / k, pooled (its mean is Σ gaps / Σ k).
 *
 * Only for `geopat sim` on loopback (HTTP/1.1, chunked SSE answers); not a general client.
 */
import { type Socket, connect as netConnect } from 'node:net'
import { performance } from 'node:perf_hooks'

export interface ReferenceRunResult {
  sent: number
  succeeded: number
  failed: number
  /** Requests counted: every successful one after the first round (the connection-opening one). */
  counted: number
  ttftMeanMs: number | null
  itlPerTokenMeanMs: number | null
  /** Mean time from writing the request to reading the response headers (counted requests). */
  sendToHeadersMeanMs: number | null
  /** Mean event-loop lag of this (driver) process during the run, from a 1 ms interval timer. */
  timerLagMeanMs: number
  durationS: number
}

const TOKEN_MARK = '"delta":{"content":'
const END_MARK = '\r\n0\r\n\r\n'

/**
 * Closed loop: `concurrency` connections, each sending the next request when its previous one
 * ends, `requests` in all (request k sends `bodies[k mod n]`: pass geopat's own sequence). The first request of every connection (the first round) is left out
 * of the means, as geopat's --warmup leaves it out in the accuracy benchmark.
 */
export async function runReferenceClient(baseUrl: string, options: { concurrency: number; requests: number; bodies: string[] }): Promise<ReferenceRunResult> {
  const { hostname, port } = new URL(baseUrl)
  // Request k sends bodies[k mod n], as bytes ready to write (built before the clock starts).
  const wire = options.bodies.map((body) =>
    Buffer.from(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n` +
        `accept: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  )
  if (wire.length === 0) throw new Error('runReferenceClient: no request body')
  let sent = 0
  let succeeded = 0
  let failed = 0
  let counted = 0
  let ttftSum = 0
  let headersSum = 0
  let gapSum = 0
  let gapTokens = 0

  // This process's own event-loop lag, as geopat's client check measures its own.
  let lagSum = 0
  let lagCount = 0
  let expected = performance.now() + 1
  const lagTimer = setInterval(() => {
    const now = performance.now()
    lagSum += Math.max(0, now - expected)
    lagCount++
    expected = now + 1
  }, 1)

  const started = performance.now()
  const connection = async (): Promise<void> => {
    let socket: Socket | undefined
    let first = true
    while (sent < options.requests) {
      const request = wire[sent % wire.length] as Buffer
      sent++
      try {
        socket ??= await open(hostname, Number(port))
        const outcome = await oneRequest(socket, request)
        succeeded++
        if (!first) {
          counted++
          ttftSum += outcome.ttftMs
          headersSum += outcome.headersMs
          gapSum += outcome.gapSumMs
          gapTokens += outcome.gapTokens
        }
      } catch {
        failed++
        socket?.destroy()
        socket = undefined
      }
      first = false
    }
    socket?.destroy()
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.requests) }, connection))
  clearInterval(lagTimer)
  return {
    sent,
    succeeded,
    failed,
    counted,
    ttftMeanMs: counted > 0 ? ttftSum / counted : null,
    itlPerTokenMeanMs: gapTokens > 0 ? gapSum / gapTokens : null,
    sendToHeadersMeanMs: counted > 0 ? headersSum / counted : null,
    timerLagMeanMs: lagCount > 0 ? lagSum / lagCount : 0,
    durationS: (performance.now() - started) / 1000,
  }
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host, port })
    socket.setNoDelay(true)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

interface Outcome {
  ttftMs: number
  headersMs: number
  gapSumMs: number
  gapTokens: number
}

/** One streamed response read as it arrives: the status line and headers, then SSE events counted for tokens. */
class StreamedResponse {
  headersAt = 0
  firstTokenAt: number | undefined
  gapSumMs = 0
  gapTokens = 0
  private headerDone = false
  private head = ''
  private pending = ''
  private tail = ''
  private lastTokenReadAt = 0

  /** Reads one chunk: an Error for a status other than 200, true at the stream's end, false while more is to come. */
  read(chunk: Buffer, now: number): Error | boolean {
    let text = chunk.toString('latin1')
    this.tail = (this.tail + text).slice(-END_MARK.length)
    if (!this.headerDone) {
      const body = this.readHead(text, now)
      if (body === null || body instanceof Error) return body ?? false
      text = body
    }
    this.countTokens(text, now)
    return this.tail === END_MARK
  }

  /** The body's first bytes once the headers are complete; null before. */
  private readHead(text: string, now: number): string | null | Error {
    this.head += text
    const end = this.head.indexOf('\r\n\r\n')
    if (end < 0) return null
    if (!this.head.startsWith('HTTP/1.1 200')) return new Error(this.head.split('\r\n', 1)[0])
    this.headerDone = true
    this.headersAt = now
    const body = this.head.slice(end + 4)
    this.head = ''
    return body
  }

  /** Complete SSE events only (an event may straddle two reads). */
  private countTokens(text: string, now: number): void {
    this.pending += text
    const lastBreak = this.pending.lastIndexOf('\n\n')
    if (lastBreak < 0) return
    const complete = this.pending.slice(0, lastBreak)
    this.pending = this.pending.slice(lastBreak + 2)
    let tokens = 0
    for (let at = complete.indexOf(TOKEN_MARK); at >= 0; at = complete.indexOf(TOKEN_MARK, at + TOKEN_MARK.length)) tokens++
    if (tokens === 0) return
    if (this.firstTokenAt === undefined) this.firstTokenAt = now
    else {
      this.gapSumMs += now - this.lastTokenReadAt
      this.gapTokens += tokens
    }
    this.lastTokenReadAt = now
  }
}

function oneRequest(socket: Socket, request: Buffer): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let sentAt = 0
    const response = new StreamedResponse()
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      const read = response.read(chunk, performance.now())
      if (read === false) return
      cleanup()
      if (read instanceof Error) reject(read)
      else if (response.firstTokenAt === undefined) reject(new Error('no token'))
      else
        resolve({ ttftMs: response.firstTokenAt - sentAt, headersMs: response.headersAt - sentAt, gapSumMs: response.gapSumMs, gapTokens: response.gapTokens })
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => {
      cleanup()
      reject(new Error('connection closed'))
    }
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', onClose)
    sentAt = performance.now()
    socket.write(request)
  })
}
