import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ResolvedEndpoint } from '../client/endpoint.js'
import type { StreamingClientOptions } from '../client/stream-request.js'
import type { RunSummary } from '../io/schema/summary.js'
import { toUnixMs } from '../util/clock.js'
import { PACKAGE_ROOT } from '../util/version.js'
import { type ClientFigures, judgeClient } from './client-check.js'
import type { FromLoadWorker, LoadWorkerData, ToLoadWorker } from './load-worker.js'
import type { LoadStep, LoadStepResult, PreparedRequest, StopSignal } from './runner.js'
import type { ServerLost, ServerLostRule } from './server-watch.js'
import { globalRequestId, requestsToSend } from './shard.js'

/** The compiled worker beside this file, or in dist/ when this file runs from source (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./load-worker.js', import.meta.url))
  return existsSync(beside) ? beside : join(PACKAGE_ROOT, 'dist', 'src', 'load', 'load-worker.js')
}

export interface LoadWorkersDependencies {
  endpoint: ResolvedEndpoint
  connectTimeoutMs: number
  client: StreamingClientOptions
  /** Makes request `id` (in the coordinator: prompts are made here, in the order of a single loop). */
  prepare: (id: number) => PreparedRequest
  /** Records as JSON lines joined by '\n' (serialized in the workers), `count` of them. */
  onRecordLines: (lines: string, count: number) => void
  stop: StopSignal
  /** Seconds the streams in flight get after a stop before they are cancelled. */
  graceSeconds: number
  warmupMs: number
  /** When to take the server as gone and stop every worker sending (none: never). */
  serverLost?: ServerLostRule
  /** Tests: each worker's start-up made this much slower (ms), as on a loaded machine. */
  workerStartDelayMs?: number
  onProgress?: (progress: { sent: number; completed: number; inFlight: number; elapsedMs: number }) => void
  /** Awaited once every worker is ready, before the time origin is set (a shard waiting for --start-at); it should resolve early on a stop. */
  waitToStart?: () => Promise<void>
  /** Told the time origin, Unix ms, as the load starts. */
  onStart?: (runStartedAtUnixMs: number) => void
}

/** The coordinator's state for one step: what was handed out and came back, and the workers started. */
interface Coordination {
  step: LoadStep
  deps: LoadWorkersDependencies
  concurrency: number
  script: string
  runStartedAt: number
  handedOut: number
  completed: number
  serverLost: ServerLost | undefined
  started: Worker[]
  readiness: Array<Promise<void>>
  /** Each worker's first fill, given after all are started so that the first round's ids come first. */
  firstFills: Array<{ share: number; feed: (wanted: number) => void }>
}

const stopped = (c: Coordination): boolean => c.deps.stop.stopped || c.serverLost !== undefined
const exhausted = (c: Coordination): boolean => {
  const toSend = requestsToSend(c.step)
  return toSend !== undefined && c.handedOut >= toSend
}

/** Up to `wanted` more requests, numbered in the order one loop would send them (a shard's by their global ids). */
function take(c: Coordination, wanted: number): PreparedRequest[] {
  const requests: PreparedRequest[] = []
  while (requests.length < wanted && !exhausted(c) && !stopped(c)) {
    const id = globalRequestId(c.handedOut++, c.step.shard)
    requests.push({ ...c.deps.prepare(id), id })
  }
  return requests
}

function tellAll(c: Coordination, message: ToLoadWorker): void {
  for (const worker of c.started) worker.postMessage(message)
}

/** Every worker stops sending; after the grace, the streams still in flight are cancelled. */
function stopAll(c: Coordination, reason: string): void {
  tellAll(c, { type: 'stop', cancelInFlight: false })
  setTimeout(() => tellAll(c, { type: 'stop', cancelInFlight: true, reason }), c.deps.graceSeconds * 1000).unref()
}

/** What worker `index` runs: its share of the virtual users, its own seed, no request cap (the coordinator counts). */
function workerDataOf(c: Coordination, index: number, share: number): LoadWorkerData {
  const { deps, step } = c
  const workerStep: LoadStep = { ...step, concurrency: share, maxRequests: undefined, seed: step.seed + index }
  return {
    endpoint: deps.endpoint,
    connectTimeoutMs: deps.connectTimeoutMs,
    client: deps.client,
    step: workerStep,
    warmupMs: deps.warmupMs,
    graceSeconds: deps.graceSeconds,
    ...(deps.serverLost ? { serverLost: deps.serverLost } : {}),
    ...(deps.workerStartDelayMs ? { startDelayMs: deps.workerStartDelayMs } : {}),
  }
}

/** Starts worker `index` of `count`; resolves with its step result, rejects when it fails. */
function startWorker(c: Coordination, index: number, count: number): Promise<LoadStepResult> {
  const { deps, concurrency } = c
  const share = Math.floor(concurrency / count) + (index < concurrency % count ? 1 : 0)
  const worker = new Worker(c.script, { workerData: workerDataOf(c, index, share) })
  c.started.push(worker)
  const send = (message: ToLoadWorker): void => worker.postMessage(message)
  let toldLast = false
  const feed = (wanted: number): void => {
    if (toldLast) return
    const requests = take(c, wanted)
    toldLast = exhausted(c) || stopped(c)
    if (requests.length > 0 || toldLast) send({ type: 'requests', requests, last: toldLast })
  }
  let ready: () => void = () => undefined
  c.readiness.push(new Promise<void>((resolve) => (ready = resolve)))
  return new Promise<LoadStepResult>((resolve, reject) => {
    let settled = false
    worker.on('message', (message: FromLoadWorker) => {
      if (message.type === 'ready') {
        ready()
      } else if (message.type === 'server-lost') {
        if (c.serverLost === undefined) {
          c.serverLost = message.lost
          stopAll(c, `server unreachable since ${message.lost.since}`)
        }
      } else if (message.type === 'records') {
        c.completed += message.count
        deps.onRecordLines(message.lines, message.count)
        // One request back for each one finished keeps the worker's queue as full as it started.
        feed(message.count)
        deps.onProgress?.({ sent: c.handedOut, completed: c.completed, inFlight: c.handedOut - c.completed, elapsedMs: performance.now() - c.runStartedAt })
      } else if (message.type === 'done') {
        settled = true
        resolve(message.result)
      } else {
        settled = true
        reject(new Error(`load worker ${index + 1}: ${message.message}`))
      }
    })
    worker.on('error', (error) => {
      if (!settled) reject(new Error(`load worker ${index + 1}: ${error.message}`))
    })
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`load worker ${index + 1} exited (${code}) before it finished`))
    })
    c.firstFills.push({ share, feed })
  })
}

/**
 * Runs a closed-loop step over `workers` worker threads, each with its own event loop and
 * connections, so that reading thousands of streams is spread over the machine's cores. This
 * thread numbers the requests and makes their prompts in the same order as one loop would, hands
 * each worker a few ahead of its need, and writes every record as it comes back. The workers share
 * the run's time origin on the machine's clock, so all records count from the same zero; it is set
 * once every worker is ready, so that a slow start-up does not eat into the duration.
 */
export async function runLoadStepInWorkers(step: LoadStep, workers: number, deps: LoadWorkersDependencies): Promise<LoadStepResult> {
  if (step.mode !== 'closed') throw new Error('load workers run closed loops only')
  const concurrency = step.concurrency ?? 1
  const count = Math.max(1, Math.min(workers, concurrency))
  const c: Coordination = {
    step,
    deps,
    concurrency,
    runStartedAt: performance.now(),
    handedOut: 0,
    completed: 0,
    serverLost: undefined,
    script: workerScript(),
    started: [],
    readiness: [],
    firstFills: [],
  }
  let cpuAtStart = process.cpuUsage()
  const running = Promise.all(Array.from({ length: count }, (_, index) => startWorker(c, index, count)))
  // One listener for the step (every worker is started by now): stop sending, then cancel after the grace.
  const stopListening = deps.stop.onStop(() => stopAll(c, 'interrupted by the user'))
  let results: LoadStepResult[]
  try {
    // The duration and the time origin start once every worker is ready (a worker that fails first rejects).
    await Promise.race([Promise.all(c.readiness), running])
    // Every virtual user's first request (ids 0 … concurrency − 1, as one loop numbers its first
    // round), then as many again and a few more per worker, so that none waits for the next: all
    // queued in the workers before the start, which then needs one message.
    for (const { share, feed } of c.firstFills) feed(share)
    for (const { share, feed } of c.firstFills) feed(share + 16)
    await deps.waitToStart?.()
    c.runStartedAt = performance.now()
    deps.onStart?.(toUnixMs(c.runStartedAt))
    cpuAtStart = process.cpuUsage()
    tellAll(c, { type: 'go', originUnixMs: toUnixMs(c.runStartedAt) })
    results = await running
  } catch (error) {
    // One worker failed: the others must not go on loading the server with no one to take their records.
    await Promise.all(c.started.map((worker) => worker.terminate()))
    throw error
  } finally {
    stopListening()
  }
  return mergeWorkerResults(results, {
    runStartedAt: c.runStartedAt,
    cpuAtStart,
    workers: count,
    concurrency,
    interrupted: deps.stop.stopped,
    serverLost: c.serverLost,
  })
}

/** One step's result from its workers' results: sums of the load, the worst worker's self-check. */
function mergeWorkerResults(
  results: LoadStepResult[],
  context: {
    runStartedAt: number
    cpuAtStart: NodeJS.CpuUsage
    workers: number
    concurrency: number
    interrupted: boolean
    serverLost: ServerLost | undefined
  },
): LoadStepResult {
  const sum = (pick: (r: LoadStepResult) => number): number => results.reduce((total, r) => total + pick(r), 0)
  const max = (pick: (r: LoadStepResult) => number): number => Math.max(...results.map(pick))
  const worst = <T extends { mean: number | null }>(pick: (r: LoadStepResult) => T | undefined): T | undefined =>
    results
      .map(pick)
      .filter((d): d is T => d !== undefined)
      .reduce<T | undefined>((a, b) => (a === undefined || (b.mean ?? 0) > (a.mean ?? 0) ? b : a), undefined)
  const wallMs = Math.max(1, performance.now() - context.runStartedAt)
  const cpu = process.cpuUsage(context.cpuAtStart)
  const rates = results.map((r) => r.achieved.sendRatePerS).filter((rate): rate is number => rate !== null)
  const readLatenessMs = worst((r) => r.client.readLatenessMs)
  const perRead = results.map((r) => r.client.readLatenessPerReadMeanMs).filter((m): m is number => m !== undefined)
  const gcPauses = results
    .map((r) => r.client.gcPauses)
    .reduce<RunSummary['client']['gcPauses']>((a, b) => (a === undefined || (b !== undefined && b.readDelayMeanMs > a.readDelayMeanMs) ? b : a), undefined)
  const client: ClientFigures = {
    eventLoopDelayMeanMs: max((r) => r.client.eventLoopDelayMeanMs),
    eventLoopDelayP99Ms: max((r) => r.client.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: max((r) => r.client.eventLoopDelayMaxMs),
    eventLoopUtilization: max((r) => r.client.eventLoopUtilization),
    sendLatenessMs: worst((r) => r.client.sendLatenessMs) ?? (results[0] as LoadStepResult).client.sendLatenessMs,
    dispatchWaitMs: worst((r) => r.client.dispatchWaitMs) ?? (results[0] as LoadStepResult).client.dispatchWaitMs,
    dispatchWaitShare: max((r) => r.client.dispatchWaitShare),
    // process.cpuUsage covers every thread of the process.
    cpuCores: (cpu.user + cpu.system) / 1000 / wallMs,
    workers: context.workers,
    ...(readLatenessMs ? { readLatenessMs } : {}),
    ...(perRead.length > 0 ? { readLatenessPerReadMeanMs: Math.max(...perRead) } : {}),
    ...(gcPauses ? { gcPauses } : {}),
  }
  return {
    runStartedAt: context.runStartedAt,
    sendEndMs: max((r) => r.sendEndMs),
    sent: sum((r) => r.sent),
    // The coordinator stops the workers for the user and when the server is gone: only the first interrupts.
    interrupted: context.interrupted,
    ...(context.serverLost ? { serverLost: context.serverLost } : {}),
    achieved: {
      concurrencyMean: sum((r) => r.achieved.concurrencyMean),
      // An upper bound: the workers' peaks need not coincide.
      concurrencyMax: sum((r) => r.achieved.concurrencyMax),
      sendRatePerS: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) : null,
      runDurationS: max((r) => r.achieved.runDurationS),
      runStartedAtUnixMs: toUnixMs(context.runStartedAt),
    },
    client: judgeClient(client, { mode: 'closed', concurrency: context.concurrency }, undefined, context.serverLost),
  }
}
