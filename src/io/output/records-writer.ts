import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { constants } from 'node:os'
import type { RequestRecord } from '../schema/record.js'
import { describeWriteError } from './files.js'

/** fs.writeSync's shape, for a test to inject a failing or short write. */
export type WriteFunction = (fd: number, buffer: Buffer, offset: number, length: number) => number

export interface JsonLinesWriterOptions {
  /** Called once when a write fails (a full disk): the message says where and how many records are kept. */
  onFailure?: (message: string) => void
  write?: WriteFunction
}

/**
 * Writes JSON lines to a file. Lines written in the same event-loop turn go to the kernel in one
 * write at the end of that turn, so an interrupted run (Ctrl-C, a crash of the server, a kill) keeps
 * every line that was complete a moment before, at the cost of one write per busy turn. A process
 * that exits before that turn ends (a second Ctrl-C calls process.exit) writes them on its way out.
 *
 * Only whole lines stay on disk: a short write is continued until every byte is written, and a
 * write that fails (ENOSPC, EDQUOT, EIO, …) is cut back to the last whole line; the writer then
 * takes no more lines, keeps the failure in `failure` and tells `onFailure` once. It never throws
 * from a write.
 */
export class JsonLinesWriter<T> {
  private readonly fd: number
  private pending: string[] = []
  private pendingCount = 0
  private flushScheduled = false
  private closed = false
  /** Bytes of whole lines on disk. */
  private offset = 0
  /** Records handed to the writer. */
  written = 0
  /** Records whole on disk. */
  onDisk = 0
  /** Set when a write failed: "disk full (ENOSPC) writing PATH: stopped after N records". */
  failure: string | undefined
  private readonly writeFunction: WriteFunction
  private readonly flushOnExit = (): void => this.flush()

  /** `flags`: 'wx' creates the file and fails if it exists (a run never appends to another's), 'w' starts it anew. */
  constructor(
    readonly path: string,
    flags: 'wx' | 'w' = 'wx',
    private readonly options: JsonLinesWriterOptions = {},
  ) {
    this.fd = openSync(path, flags)
    ignoreFileSizeSignal()
    this.writeFunction = options.write ?? writeSync
    process.on('exit', this.flushOnExit)
  }

  write(record: T): void {
    this.writeSerialized(JSON.stringify(record), 1)
  }

  /** `lines`: `count` records already serialized elsewhere (a load worker), joined by '\n'. */
  writeSerialized(lines: string, count: number): void {
    if (this.closed || this.failure !== undefined || count === 0) return
    this.pending.push(lines)
    this.pendingCount += count
    this.written += count
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
  }

  flush(): void {
    this.flushScheduled = false
    if (this.pending.length === 0 || this.closed || this.failure !== undefined) return
    const buffer = Buffer.from(`${this.pending.join('\n')}\n`)
    const count = this.pendingCount
    this.pending = []
    this.pendingCount = 0
    let done = 0
    try {
      while (done < buffer.length) {
        const bytes = this.writeFunction(this.fd, buffer, done, buffer.length - done)
        if (bytes <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' })
        done += bytes
      }
    } catch (error) {
      if (done > 0) {
        try {
          ftruncateSync(this.fd, this.offset)
        } catch {
          // a device that cannot be truncated (/dev/full): nothing of ours is on it
        }
      }
      this.fail(error)
      return
    }
    this.offset += buffer.length
    this.onDisk += count
  }

  private fail(error: unknown): void {
    this.failure = `${describeWriteError(error)} writing ${this.path}: stopped after ${this.onDisk} records`
    this.options.onFailure?.(this.failure)
  }

  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    process.off('exit', this.flushOnExit)
    closeSync(this.fd)
  }
}

let fileSizeSignalIgnored = false
/**
 * A file size limit (ulimit -f) kills a process with SIGXFSZ by default; ignored, the write fails
 * with EFBIG instead, which the writer handles like a full disk (whole lines kept, a summary, one line).
 */
function ignoreFileSizeSignal(): void {
  if (fileSizeSignalIgnored || !('SIGXFSZ' in constants.signals)) return
  fileSizeSignalIgnored = true
  process.on('SIGXFSZ', () => undefined)
}

/** records.jsonl: one line per request, written as requests finish. */
export class RecordsWriter extends JsonLinesWriter<RequestRecord> {}
