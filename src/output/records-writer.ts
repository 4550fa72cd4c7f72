import { closeSync, openSync, writeSync } from 'node:fs'
import type { RequestRecord } from '../schema/record.js'

/**
 * Appends records to records.jsonl as requests finish. Lines written in the same event-loop turn go
 * to the kernel in one write at the end of that turn, so an interrupted run (Ctrl-C, a crash of the
 * server, a kill) keeps every record that was complete a moment before.
 */
export class RecordsWriter {
  private readonly fd: number
  private pending: string[] = []
  private flushScheduled = false
  private closed = false
  written = 0

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a')
  }

  write(record: RequestRecord): void {
    if (this.closed) return
    this.pending.push(JSON.stringify(record))
    this.written++
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
    closeSync(this.fd)
  }
}
