import { type Server, type Socket, createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { responseReads } from '../client/read-counter.js'

/**
 * Measures how late this process's event loop reads data that has arrived on a socket: the error
 * in every chunk timestamp geopat takes. A worker thread (its own event loop, idle but for this)
 * writes the machine's monotonic clock to a loopback connection every PERIOD_MS; the main thread
 * reads it like any response data and records (read time − written time). Those reads wait in the
 * same places as the server's chunks: behind the other sockets that became readable at once, behind
 * a busy loop, behind garbage collection. The event-loop delay (timer lateness) misses the first.
 * One probe serves each thread that runs load; it runs while any run there is being watched.
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

/** `weight`: response reads handled since the previous probe read, shared among the samples of one read. */
type Listener = (latenessMs: number, weight: number) => void

class IoProbe {
  private readonly listeners = new Set<Listener>()
  private server: Server | undefined
  private worker: Worker | undefined
  private lingerTimer: NodeJS.Timeout | undefined
  private pending: Buffer = Buffer.alloc(0)
  private readsAtLastSample = responseReads.count

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
    const samples = Math.floor(buffer.length / 8)
    const weight = samples > 0 ? (responseReads.count - this.readsAtLastSample) / samples : 0
    if (samples > 0) this.readsAtLastSample = responseReads.count
    let offset = 0
    for (; offset + 8 <= buffer.length; offset += 8) {
      const latenessMs = Number(now - buffer.readBigInt64LE(offset)) / 1e6
      for (const listener of this.listeners) listener(latenessMs, weight)
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

/** What the probe saw while a run was watched. */
export interface ReadLatenessSamples {
  /** Each probe read's lateness, ms. */
  latenessMs: number[]
  /** Mean lateness weighted by the response reads handled around each probe read (0 without reads). */
  perReadMeanMs: number | null
}

/**
 * Starts recording the read lateness of this thread; the returned function stops and hands the
 * samples over. Reads before `fromMs` (performance.now(); a warm-up the statistics leave out too)
 * are not kept.
 */
export function watchReadLateness(fromMs = 0): () => ReadLatenessSamples {
  const latenessMs: number[] = []
  let weighted = 0
  let weights = 0
  const unsubscribe = processProbe.subscribe((lateness, weight) => {
    if (fromMs !== 0 && performance.now() < fromMs) return
    latenessMs.push(lateness)
    weighted += lateness * weight
    weights += weight
  })
  return () => {
    unsubscribe()
    return { latenessMs, perReadMeanMs: weights > 0 ? weighted / weights : null }
  }
}
