import { type Server, type Socket, createServer } from 'node:net'
import { Worker } from 'node:worker_threads'

/**
 * Measures how late this process's event loop reads data that has arrived on a socket: the error
 * in every chunk timestamp geopat takes. A worker thread (its own event loop, idle but for this)
 * writes the machine's monotonic clock to a loopback connection every PERIOD_MS; the main thread
 * reads it like any response data and records (read time − written time). Those reads wait in the
 * same places as the server's chunks: behind the other sockets that became readable at once, behind
 * a busy loop, behind garbage collection. The event-loop delay (timer lateness) misses the first.
 * One probe serves the whole process; it runs while any run is being watched.
 */
const PERIOD_MS = 2
/** The probe stays up this long after the last watcher leaves, so back-to-back runs share it. */
const LINGER_MS = 2000

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const { connect } = require('node:net')
const socket = connect({ host: '127.0.0.1', port: workerData.port, noDelay: true })
let timer
socket.on('connect', () => {
  timer = setInterval(() => {
    const stamp = Buffer.allocUnsafe(8)
    stamp.writeBigInt64LE(process.hrtime.bigint())
    socket.write(stamp)
  }, workerData.periodMs)
})
socket.on('error', () => undefined)
parentPort.on('message', () => {
  clearInterval(timer)
  socket.destroy()
  process.exit(0)
})
`

type Listener = (latenessMs: number) => void

class IoProbe {
  private readonly listeners = new Set<Listener>()
  private server: Server | undefined
  private worker: Worker | undefined
  private lingerTimer: NodeJS.Timeout | undefined
  private pending: Buffer = Buffer.alloc(0)

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer)
      this.lingerTimer = undefined
    }
    if (!this.server) this.start()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0 && !this.lingerTimer) {
        this.lingerTimer = setTimeout(() => this.stop(), LINGER_MS)
        this.lingerTimer.unref()
      }
    }
  }

  private start(): void {
    const server = createServer((socket: Socket) => {
      socket.setNoDelay(true)
      socket.unref()
      socket.on('data', (data: Buffer) => this.onData(data))
      socket.on('error', () => undefined)
    })
    server.unref()
    server.on('error', () => this.stop())
    this.server = server
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      if (this.server !== server) return
      const address = server.address()
      if (address === null || typeof address === 'string') return
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: address.port, periodMs: PERIOD_MS } })
      worker.unref()
      worker.on('error', () => undefined)
      this.worker = worker
    })
  }

  private onData(data: Buffer): void {
    const now = process.hrtime.bigint()
    const buffer = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data
    let offset = 0
    for (; offset + 8 <= buffer.length; offset += 8) {
      const latenessMs = Number(now - buffer.readBigInt64LE(offset)) / 1e6
      for (const listener of this.listeners) listener(latenessMs)
    }
    this.pending = buffer.subarray(offset)
  }

  private stop(): void {
    this.lingerTimer = undefined
    this.worker?.postMessage('stop')
    this.worker = undefined
    this.server?.close()
    this.server = undefined
    this.pending = Buffer.alloc(0)
  }
}

const processProbe = new IoProbe()

/** Starts recording the read lateness of this process; the returned function stops and hands the samples over. */
export function watchReadLateness(): () => number[] {
  const samples: number[] = []
  const unsubscribe = processProbe.subscribe((latenessMs) => samples.push(latenessMs))
  return () => {
    unsubscribe()
    return samples
  }
}
