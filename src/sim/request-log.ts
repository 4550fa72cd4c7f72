import { JsonLinesWriter } from '../io/output/records-writer.js'
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

/** The simulator's request log file (`--request-log`), written as generations finish. */
export class SimRequestLog extends JsonLinesWriter<SimRequestLogEntry> {
  constructor(path: string) {
    super(path, 'w')
  }
}
