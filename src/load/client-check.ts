import { availableParallelism } from 'node:os'
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { RunSummary } from '../io/schema/summary.js'
import { CLIENT_BOUND_THRESHOLDS } from '../metrics/client-bound-thresholds.js'
import { describeValues } from '../metrics/distribution.js'
import { type GcPauses, watchGcPauses } from './gc-watch.js'
import { type ReadLatenessSamples, watchReadLateness } from './io-probe.js'
import { type ServerLost, describeServerLost } from './server-watch.js'

const SAMPLE_RESOLUTION_MS = 1

/** Watches the load client itself while a run goes on: event-loop delay, CPU, send lateness. */
export class ClientMonitor {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS })
  private readonly lateness: number[] = []
  private readonly dispatchWaits: number[] = []
  private busyMs = 0
  private cpuAtStart = process.cpuUsage()
  private startedAt = performance.now()
  private utilizationAtStart = performance.eventLoopUtilization()
  private stopReadProbe: (() => ReadLatenessSamples) | undefined
  private stopGcWatch: (() => GcPauses) | undefined

  /** `statsFromMs`: performance.now() from which the statistics count (the end of the warm-up). */
  start(statsFromMs = 0): void {
    this.stopReadProbe = watchReadLateness(statsFromMs)
    this.stopGcWatch = watchGcPauses(statsFromMs)
    this.cpuAtStart = process.cpuUsage()
    this.startedAt = performance.now()
    this.utilizationAtStart = performance.eventLoopUtilization()
    this.loopDelay.reset()
    this.loopDelay.enable()
  }

  /** Open loop: how late a send left against the time it was due. */
  recordSendLateness(latenessMs: number): void {
    this.lateness.push(latenessMs)
  }

  /** How long a request that did not connect in its send (a kept-alive connection or a spare) waited inside the client before it was written. */
  recordDispatchWait(waitMs: number, latencyMs: number): void {
    this.dispatchWaits.push(waitMs)
    this.busyMs += waitMs + latencyMs
  }

  /** Stops the watchers without a verdict (a step that failed); nothing happens after finish(). */
  dispose(): void {
    this.stopWatching()
  }

  private stopWatching(): { probe: ReadLatenessSamples | undefined; gcPauses: GcPauses | undefined } {
    const probe = this.stopReadProbe?.()
    const gcPauses = this.stopGcWatch?.()
    this.stopReadProbe = undefined
    this.stopGcWatch = undefined
    this.loopDelay.disable()
    return { probe, gcPauses }
  }

  /** `load`: the step's load, for the advice a client-bound verdict carries; `serverLost`: the server went away. */
  finish(workers = 1, load?: LoadShape, serverLost?: ServerLost): RunSummary['client'] {
    const { probe, gcPauses } = this.stopWatching()
    const readLatenessMs = describeValues(probe?.latenessMs ?? [])
    const wallMs = Math.max(1, performance.now() - this.startedAt)
    const cpu = process.cpuUsage(this.cpuAtStart)
    const cpuCores = (cpu.user + cpu.system) / 1000 / wallMs
    const hasSamples = this.loopDelay.count > 0
    // The histogram measures timer firings against the resolution; report only the extra delay.
    const extra = (ns: number): number => (hasSamples ? Math.max(0, ns / 1e6 - SAMPLE_RESOLUTION_MS) : 0)
    const eventLoopDelayMeanMs = extra(this.loopDelay.mean)
    const eventLoopDelayP99Ms = extra(this.loopDelay.percentile(99))
    const eventLoopDelayMaxMs = extra(this.loopDelay.max)
    const sendLatenessMs = describeValues(this.lateness)
    const dispatchWaitMs = describeValues(this.dispatchWaits)
    const eventLoopUtilization = performance.eventLoopUtilization(this.utilizationAtStart).utilization
    const dispatchWaitShare = this.busyMs > 0 ? this.dispatchWaits.reduce((sum, wait) => sum + wait, 0) / this.busyMs : 0
    return judgeClient(
      {
        eventLoopDelayMeanMs,
        eventLoopDelayP99Ms,
        eventLoopDelayMaxMs,
        eventLoopUtilization,
        sendLatenessMs,
        dispatchWaitMs,
        dispatchWaitShare,
        cpuCores,
        workers,
        ...(readLatenessMs.count > 0 ? { readLatenessMs } : {}),
        ...(probe?.perReadMeanMs != null ? { readLatenessPerReadMeanMs: probe.perReadMeanMs } : {}),
        ...(gcPauses ? { gcPauses } : {}),
      },
      load,
      undefined,
      serverLost,
    )
  }
}

/** What the client measured of itself, before the verdict is drawn from it. */
export type ClientFigures = Omit<RunSummary['client'], 'verdict' | 'reasons' | 'advice'>

/** The load a step offered, as far as the advice on a client-bound run needs it. */
export interface LoadShape {
  mode: 'closed' | 'open'
  /** Closed loop: the streams asked for (more worker threads than streams cannot help). */
  concurrency?: number | undefined
}

/**
 * The verdict on the client from what it measured of itself; with `load`, a client-bound verdict
 * also says what would help. A run whose server went away (`serverLost`) is not judged: a flood of
 * failed connections busies the event loop and delays sends, which says nothing of the client's
 * capacity, and more workers would only fail faster.
 */
export function judgeClient(measured: ClientFigures, load?: LoadShape, machineCores = availableParallelism(), serverLost?: ServerLost): RunSummary['client'] {
  if (serverLost) {
    const { verdict: _verdict, reasons: _reasons, advice: _advice, ...figures } = measured as RunSummary['client']
    return { ...figures, verdict: 'server-lost', reasons: [`${describeServerLost(serverLost)}; the client's own figures are not judged`] }
  }
  const reasons = [...loopAndSendReasons(measured), ...readReasons(measured)]
  // A re-judged summary's old verdict, reasons and advice give way to the new ones.
  const { verdict: _verdict, reasons: _reasons, advice: _advice, ...figures } = measured as RunSummary['client']
  if (reasons.length === 0) return { ...figures, verdict: 'ok', reasons }
  return { ...figures, verdict: 'client-bound', reasons, ...(load ? { advice: clientBoundAdvice(measured, load, machineCores) } : {}) }
}

/** Why the client was slow to send: a delayed event loop, late sends, requests queued inside the client. */
function loopAndSendReasons(measured: ClientFigures): string[] {
  const t = CLIENT_BOUND_THRESHOLDS
  const reasons: string[] = []
  if (measured.eventLoopDelayMeanMs > t.eventLoopDelayMeanMs) {
    reasons.push(
      `event-loop delay mean ${measured.eventLoopDelayMeanMs.toFixed(2)} ms > ${t.eventLoopDelayMeanMs} ms: chunk timestamps may be late by that much`,
    )
  }
  if (measured.eventLoopDelayP99Ms > t.eventLoopDelayP99Ms) {
    reasons.push(`event-loop delay p99 ${measured.eventLoopDelayP99Ms.toFixed(1)} ms > ${t.eventLoopDelayP99Ms} ms`)
  }
  const lateness = measured.sendLatenessMs
  if (lateness.count > 0 && (lateness.mean ?? 0) > t.sendLatenessMeanMs) {
    reasons.push(`sends left ${(lateness.mean ?? 0).toFixed(2)} ms late on average (> ${t.sendLatenessMeanMs} ms): the rate asked for was not offered`)
  }
  if (lateness.count > 0 && (lateness.p99 ?? 0) > t.sendLatenessP99Ms) {
    reasons.push(`send lateness p99 ${(lateness.p99 ?? 0).toFixed(1)} ms > ${t.sendLatenessP99Ms} ms`)
  }
  if (measured.dispatchWaitShare > t.dispatchWaitShare) {
    reasons.push(
      `requests waited ${(measured.dispatchWaitMs.mean ?? 0).toFixed(2)} ms on average inside the client before being written, ` +
        `${(measured.dispatchWaitShare * 100).toFixed(1)}% of their time (> ${t.dispatchWaitShare * 100}%): the concurrency offered was lower than asked`,
    )
  }
  return reasons
}

/** Why the client was slow to read: data waiting on its sockets, garbage collection pauses. */
function readReasons(measured: ClientFigures): string[] {
  const t = CLIENT_BOUND_THRESHOLDS
  const reasons: string[] = []
  const readLateness = measured.readLatenessMs
  const perRead = measured.readLatenessPerReadMeanMs ?? 0
  const probeMean = readLateness?.mean ?? 0
  const readLatenessMs = Math.max(probeMean, perRead)
  const busy = measured.eventLoopUtilization >= t.readLatenessBusyUtilization
  if (readLateness && (readLatenessMs > t.readLatenessAnyLoadMs || (busy && readLatenessMs > t.readLatenessMeanMs))) {
    const measuredBy = perRead > probeMean ? 'weighted by the reads around each probe' : `probe p99 ${(readLateness.p99 ?? 0).toFixed(1)} ms`
    const threshold = busy
      ? `${t.readLatenessMeanMs} ms with the event loop busy ${(measured.eventLoopUtilization * 100).toFixed(0)}% of the time`
      : `${t.readLatenessAnyLoadMs} ms`
    reasons.push(
      `data waited ${readLatenessMs.toFixed(2)} ms on average (${measuredBy}) on its socket before the client read it (> ${threshold}): ` +
        'TTFT and E2E may read late by several times that, as reads come in bursts',
    )
  }
  const gc = measured.gcPauses
  if (gc && gc.readDelayMeanMs > t.readLatenessMeanMs) {
    reasons.push(
      `garbage collection stopped the client ${gc.count} times, ${gc.totalMs.toFixed(0)} ms in all (longest ${gc.maxMs.toFixed(1)} ` +
        `ms): a read arriving at a random moment waited ${gc.readDelayMeanMs.toFixed(2)} ms on average for it (> ${t.readLatenessMeanMs} ms)`,
    )
  }
  return reasons
}

/**
 * What would let a client-bound run keep up, from where its CPU went: a saturated machine needs
 * more cores (or less load); a closed loop on fewer threads than cores (and than streams) can spread
 * over more, each with its own event loop and heap (the streams benchmark: 2 workers held at 5,000
 * streams what one thread did not); an open loop runs on one thread.
 */
export function clientBoundAdvice(measured: Pick<RunSummary['client'], 'cpuCores' | 'workers'>, load: LoadShape, machineCores: number): string {
  const used = `geopat used ${measured.cpuCores.toFixed(2)} of this machine's ${machineCores} cores`
  const threads = measured.workers === 1 ? 'one thread' : `${measured.workers} threads`
  const elsewhere = 'run it on a machine with more cores, apart from the server, or offer less load'
  if (measured.cpuCores >= 0.8 * machineCores) return `${used}: ${elsewhere}`
  if (load.mode === 'open') {
    return `${used} on one thread (open loops are not spread over workers): offer a lower rate, or split it over several geopat processes`
  }
  const usefulThreads = Math.min(machineCores, load.concurrency ?? machineCores)
  if (measured.workers < usefulThreads) {
    const workers = Math.min(usefulThreads, Math.max(2, measured.workers * 2))
    return `${used} on ${threads}: try --workers ${workers}, which gives each thread its own event loop and heap`
  }
  if (measured.workers >= machineCores) return `${used} on ${threads}: more threads than cores will not help; ${elsewhere}`
  return `${used} on ${threads}: ${elsewhere}`
}
