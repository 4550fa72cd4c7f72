import { performance } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import { type ResolvedEndpoint, createStreamPool } from '../client/endpoint.js'
import { StreamingClient, type StreamingClientOptions } from '../client/stream-request.js'
import type { RequestRecord } from '../schema/record.js'
import { type LoadStep, type LoadStepResult, type PreparedRequest, StopSignal, runLoadStep } from './runner.js'

/** What the coordinator (src/load/load-workers.ts) gives a load worker when it starts it. */
export interface LoadWorkerData {
  endpoint: ResolvedEndpoint
  connectTimeoutMs: number
  client: StreamingClientOptions
  /** This worker's share of the step: its part of the concurrency, no request count of its own. */
  step: LoadStep
  /** The run's time origin on the machine's clock, shared by every worker and the coordinator. */
  originUnixMs: number
  warmupMs: number
}

export type ToLoadWorker =
  | { type: 'requests'; requests: PreparedRequest[]; last: boolean }
  | { type: 'stop'; cancelInFlight: boolean; reason?: string }

export type FromLoadWorker =
  | { type: 'record'; record: RequestRecord }
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
  let queue: PreparedRequest[] = []
  let head = 0
  const queued = (): number => queue.length - head
  let last = false
  /** Virtual users waiting for requests to arrive. */
  let waiters: Array<() => void> = []
  const stop = new StopSignal()
  const pool = createStreamPool(data.endpoint, { connectTimeoutMs: data.connectTimeoutMs })
  const client = new StreamingClient(data.endpoint, pool, data.client)
  port.on('message', (message: ToLoadWorker) => {
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
    const result = await runLoadStep(data.step, {
      client,
      prepare: () => queue[head++] as PreparedRequest,
      onRecord: (record) => post({ type: 'record', record }),
      stop,
      runStartedAt: data.originUnixMs - performance.timeOrigin,
      warmupMs: data.warmupMs,
      hasMore: () => queued() > 0 || !last,
      ready: () => (queued() > 0 || last || stop.stopped ? undefined : new Promise<void>((resolve) => waiters.push(resolve))),
    })
    post({ type: 'done', result })
  } catch (error) {
    post({ type: 'failed', message: (error as Error).message })
  } finally {
    await pool.close().catch(() => undefined)
    port.close()
  }
}

void main()
