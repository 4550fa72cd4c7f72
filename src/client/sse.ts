import { StringDecoder } from 'node:string_decoder'

/** One dispatched server-sent event (WHATWG HTML, "event stream interpretation"). */
export interface ServerSentEvent {
  event: string
  data: string
  id: string | undefined
}

/** A server-sent event (or one of its lines) longer than the parser's cap. */
export class EventTooLargeError extends Error {
  constructor(readonly maxEventChars: number) {
    super(`a server-sent event is longer than ${maxEventChars} bytes (--max-event-bytes)`)
    this.name = 'EventTooLargeError'
  }
}

/**
 * Incremental parser for `text/event-stream` bodies, fed with raw network reads.
 *
 * - Bytes are decoded as UTF-8 with a streaming decoder, so a read that ends inside a multi-byte
 *   character is completed by the next read.
 * - Lines end with LF, CRLF or CR; a CR at the end of one read followed by LF at the start of the
 *   next is one line end, not two.
 * - Lines starting with ':' are comments; `data:` with or without the following space; several
 *   `data:` lines join with '\n'; a blank line dispatches the event; a leading BOM is dropped.
 * - `end()` dispatches a last event that was not followed by a blank line (the spec would drop it;
 *   servers that close without a final blank line are common enough to be lenient).
 * - One event (its unfinished line plus the data lines gathered so far) may hold at most
 *   `maxEventChars` characters: beyond that `push` throws EventTooLargeError and drops what it
 *   held, so a line that never ends cannot fill the memory.
 */
export class ServerSentEventParser {
  private readonly decoder = new StringDecoder('utf8')
  private pendingLine = ''
  private lastCharWasCarriageReturn = false
  private atStreamStart = true
  private dataLines: string[] = []
  private dataChars = 0
  private eventType = ''
  private lastEventId: string | undefined

  constructor(private readonly maxEventChars = Number.POSITIVE_INFINITY) {}

  /** Characters held for the event in progress (its unfinished line and data lines). */
  get bufferedChars(): number {
    return this.pendingLine.length + this.dataChars
  }

  /** Feeds one read; returns the events completed by it (often none or one, sometimes many). */
  push(chunk: Buffer | Uint8Array): ServerSentEvent[] {
    let text = this.decoder.write(chunk as Buffer)
    if (this.atStreamStart && text.length > 0) {
      this.atStreamStart = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    return this.consume(text)
  }

  /** Call when the body has ended. */
  end(): ServerSentEvent[] {
    const events = this.consume(this.decoder.end())
    if (this.pendingLine.length > 0) {
      this.processLine(this.pendingLine, events)
      this.pendingLine = ''
    }
    this.dispatch(events)
    return events
  }

  private consume(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = []
    let start = 0
    const length = text.length
    if (this.lastCharWasCarriageReturn && length > 0 && text.charCodeAt(0) === 10) start = 1
    this.lastCharWasCarriageReturn = false
    for (let i = start; i < length; i++) {
      const code = text.charCodeAt(i)
      if (code !== 10 && code !== 13) continue
      const line = this.pendingLine.length > 0 ? this.pendingLine + text.slice(start, i) : text.slice(start, i)
      this.pendingLine = ''
      this.processLine(line, events)
      if (code === 13) {
        if (i + 1 < length) {
          if (text.charCodeAt(i + 1) === 10) i++
        } else {
          this.lastCharWasCarriageReturn = true
        }
      }
      start = i + 1
    }
    if (start < length) this.pendingLine += text.slice(start)
    this.checkSize()
    return events
  }

  private checkSize(): void {
    if (this.pendingLine.length + this.dataChars <= this.maxEventChars) return
    this.pendingLine = ''
    this.dataLines = []
    this.dataChars = 0
    throw new EventTooLargeError(this.maxEventChars)
  }

  private processLine(line: string, events: ServerSentEvent[]): void {
    if (line.length === 0) {
      this.dispatch(events)
      return
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return
    const colon = line.indexOf(':')
    let field: string
    let value: string
    if (colon === -1) {
      field = line
      value = ''
    } else {
      field = line.slice(0, colon)
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1)
    }
    switch (field) {
      case 'data':
        this.dataLines.push(value)
        this.dataChars += value.length
        this.checkSize()
        break
      case 'event':
        this.eventType = value
        break
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value
        break
      default:
        // `retry` and unknown fields do not matter to a benchmark client.
        break
    }
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.dataLines.length === 0) {
      this.eventType = ''
      return
    }
    const data = this.dataLines.length === 1 ? (this.dataLines[0] as string) : this.dataLines.join('\n')
    events.push({ event: this.eventType || 'message', data, id: this.lastEventId })
    this.dataLines = []
    this.dataChars = 0
    this.eventType = ''
  }
}
