import { performance } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import { type ResolvedEndpoint, createStreamPool } from '../client/endpoint.js'
import { StreamingClient, type StreamingClientOptions } from '../client/stream-request.js'
import type { RequestRecord } from '../io/schema/record.js'
import { type LoadStep, type LoadStepResult, type PreparedRequest, StopSignal, runLoadStep } from './runner.js'
import type { ServerLost, ServerLostRule } from './server-watch.js'

/** What the coordinator (src/load/load-workers.ts) gives a load worker when it starts it. */
export interface LoadWorkerData {
  endpoint: ResolvedEndpoint
  connectTimeoutMs: number
  client: StreamingClientOptions
  /** This worker's share of the step: its part of the concurrency, no request count of its own. */
  step: LoadStep
  warmupMs: number
  graceSeconds: number
  serverLost?: ServerLostRule
  /** Tests: start-up made this much slower (ms), as on a loaded machine. */
  startDelayMs?: number
}

export type ToLoadWorker =
  /** Every worker is ready: the run's time origin on the machine's clock, shared by all, and the start. */
  | { type: 'go'; originUnixMs: number }
  | { type: 'requests'; requests: PreparedRequest[]; last: boolean }
  | { type: 'stop'; cancelInFlight: boolean; reason?: string }

export type FromLoadWorker =
  /** Its client is built: the step's duration may start. */
  | { type: 'ready' }
  /** This worker took the server as gone: the coordinator stops the others. */
  | { type: 'server-lost'; lost: ServerLost }
  /** The records finished in one event-loop turn, as JSON lines (joined by '\n'): one message, not one per record. */
  | { type: 'records'; lines: string; count: number }
  | { type: 'done'; result: LoadStepResult }
  | { type: 'failed'; message: string }

/**
 * A load worker: one event loop of its own with its own connections, running its share of a closed
 * loop's virtual users on requests the coordinator hands it (numbered, prompts made there), and
 * posting every record back as it finishes.
 */
async function main(): Promise<void> {
  const port = parentPort
  if (!port) return
  const data = workerData as LoadWorkerData
  const post = (message: FromLoadWorker): void => port.postMessage(message)
  // Records are serialized here, on the worker's core, and sent once per turn: a message per record
  // (and its structured clone) cost the coordinator as much again as writing it.
  let finishedLines: string[] = []
  let flushScheduled = false
  const flushRecords = (): void => {
    flushScheduled = false
    if (finishedLines.length === 0) return
    post({ type: 'records', lines: finishedLines.join('\n'), count: finishedLines.length })
    finishedLines = []
  }
  const onRecord = (record: RequestRecord): void => {
    finishedLines.push(JSON.stringify(record))
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushRecords)
    }
  }
  let queue: PreparedRequest[] = []
  let head = 0
  const queued = (): number => queue.length - head
  let last = false
  /** Virtual users waiting for requests to arrive. */
  let waiters: Array<() => void> = []
  const stop = new StopSignal()
  const pool = createStreamPool(data.endpoint, { connectTimeoutMs: data.connectTimeoutMs })
  const client = new StreamingClient(data.endpoint, pool, data.client)
  let go: (originUnixMs: number) => void = () => undefined
  const origin = new Promise<number>((resolve) => (go = resolve))
  port.on('message', (message: ToLoadWorker) => {
    if (message.type === 'go') {
      go(message.originUnixMs)
      return
    }
    if (message.type === 'requests') {
      if (head > 4096) {
        queue = queue.slice(head)
        head = 0
      }
      for (const request of message.requests) queue.push(request)
      last ||= message.last
    } else {
      stop.stop()
      client.stop(message.cancelInFlight, message.reason)
    }
    for (const resolve of waiters) resolve()
    waiters = []
  })
  try {
    if (data.startDelayMs) await new Promise((resolve) => setTimeout(resolve, data.startDelayMs))
    post({ type: 'ready' })
    const originUnixMs = await origin
    const result = await runLoadStep(data.step, {
      client,
      prepare: () => queue[head++] as PreparedRequest,
      onRecord,
      stop,
      runStartedAt: originUnixMs - performance.timeOrigin,
      warmupMs: data.warmupMs,
      graceSeconds: data.graceSeconds,
      ...(data.serverLost ? { serverLost: data.serverLost } : {}),
      onServerLost: (lost) => post({ type: 'server-lost', lost }),
      hasMore: () => queued() > 0 || !last,
      ready: () => (queued() > 0 || last || stop.stopped ? undefined : new Promise<void>((resolve) => waiters.push(resolve))),
    })
    flushRecords()
    post({ type: 'done', result })
  } catch (error) {
    flushRecords()
    post({ type: 'failed', message: (error as Error).message })
  } finally {
    await pool.close().catch(() => undefined)
    port.close()
  }
}

void main()
