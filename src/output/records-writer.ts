import { closeSync, openSync, writeSync } from 'node:fs'
import type { RequestRecord } from '../schema/record.js'

/**
 * Appends JSON lines to a file. Lines written in the same event-loop turn go to the kernel in one
 * write at the end of that turn, so an interrupted run (Ctrl-C, a crash of the server, a kill) keeps
 * every line that was complete a moment before, at the cost of one write per busy turn. A process
 * that exits before that turn ends (a second Ctrl-C calls process.exit) writes them on its way out.
 */
export class JsonLinesWriter<T> {
  private readonly fd: number
  private pending: string[] = []
  private flushScheduled = false
  private closed = false
  written = 0
  private readonly flushOnExit = (): void => this.flush()

  /** `flags`: 'a' appends to what is there, 'w' starts the file anew. */
  constructor(
    readonly path: string,
    flags: 'a' | 'w' = 'a',
  ) {
    this.fd = openSync(path, flags)
    process.on('exit', this.flushOnExit)
  }

  write(record: T): void {
    this.writeSerialized(JSON.stringify(record), 1)
  }

  /** `lines`: `count` records already serialized elsewhere (a load worker), joined by '\n'. */
  writeSerialized(lines: string, count: number): void {
    if (this.closed || count === 0) return
    this.pending.push(lines)
    this.written += count
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
  }

  flush(): void {
    this.flushScheduled = false
    if (this.pending.length === 0 || this.closed) return
    const text = `${this.pending.join('\n')}\n`
    this.pending = []
    writeSync(this.fd, text)
  }

  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    process.off('exit', this.flushOnExit)
    closeSync(this.fd)
  }
}

/** records.jsonl: one line per request, appended as requests finish. */
export class RecordsWriter extends JsonLinesWriter<RequestRecord> {}
