import { closeSync, openSync, writeSync } from 'node:fs'
import { z } from 'zod'

/**
 * One line of the simulator's request log (`geopat sim --request-log FILE`): when the server saw a
 * request and when it wrote its first token, on the machine's clock (Unix ms with sub-ms digits:
 * performance.timeOrigin + performance.now(), which every process on a machine shares). With the
 * client's send time on the same clock (`clockOriginUnixMs` + a record's `sendMs`, joined on the
 * `x-request-id` header geopat sends), it gives each request's true time to first token from the
 * client's socket write, and where that time went: the trip in and the server's intake before the
 * request was read, then the server's own first-token time.
 */
export const simRequestLogEntrySchema = z
  .object({
    /** The request's `x-request-id` header, or null when it had none. */
    requestId: z.string().nullable(),
    /** The simulated endpoint's name. */
    endpoint: z.string(),
    /** The server's HTTP layer handed the request's head to the simulator. */
    headersUnixMs: z.number(),
    /** The whole body was read: the origin of the simulator's token schedule. */
    receivedUnixMs: z.number(),
    /** When the first token's write was due, and when it went to the socket (null: none written). */
    firstTokenDueUnixMs: z.number().nullable(),
    firstTokenWrittenUnixMs: z.number().nullable(),
    /** Tokens written, and how the answer ended. */
    tokensWritten: z.number().int().nonnegative(),
    outcome: z.enum(['complete', 'abort']),
  })
  .strict()
export type SimRequestLogEntry = z.infer<typeof simRequestLogEntrySchema>

/**
 * Appends entries to a JSONL file in batches (one write per 256 entries or per second), so that the
 * log costs the server's event loop little at thousands of requests per second. `close()` writes the
 * rest; entries are whole lines, so a file cut short by a crash still parses line by line.
 */
export class SimRequestLog {
  private readonly fd: number
  private pending: string[] = []
  private readonly timer: NodeJS.Timeout
  private closed = false

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
    this.timer = setInterval(() => this.flush(), 1000)
    this.timer.unref()
  }

  write(entry: SimRequestLogEntry): void {
    if (this.closed) return
    this.pending.push(JSON.stringify(entry))
    if (this.pending.length >= 256) this.flush()
  }

  flush(): void {
    if (this.pending.length === 0) return
    const text = `${this.pending.join('\n')}\n`
    this.pending = []
    writeSync(this.fd, text)
  }

  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    clearInterval(this.timer)
    closeSync(this.fd)
  }
}
