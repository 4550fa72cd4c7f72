import { performance } from 'node:perf_hooks'
import { responseReads } from '../client/read-counter.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { Scenario } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import { toUnixMs } from '../util/clock.js'

/**
 * When a run takes its server as gone (scenario `serverLost:`, bench --max-connect-errors and
 * --stall-timeout): this many connect errors in a row, or this long with requests in flight and not
 * one byte from any stream. 0 turns a rule off.
 */
export interface ServerLostRule {
  connectErrors: number
  stallMs: number
}

/**
 * A scenario's rule. The stall timeout defaults to twice the first-token timeout, and at least 60 s:
 * one request may rightly be silent until its first-token timeout (a saturated server queues it),
 * after which it fails and the next one is sent, so only a longer silence is the server's.
 */
export function serverLostRule(scenario: Pick<Scenario, 'serverLost' | 'timeouts'>): ServerLostRule {
  const stallMs =
    scenario.serverLost.stallSeconds !== undefined
      ? scenario.serverLost.stallSeconds * 1000
      : Math.max(DEFAULT_MIN_STALL_MS, 2 * scenario.timeouts.firstTokenMs)
  return { connectErrors: scenario.serverLost.connectErrors, stallMs }
}
const DEFAULT_MIN_STALL_MS = 60_000

/** The exit code of a bench whose server went away during a run (2 is bad input, 130 an interruption). */
export const SERVER_LOST_EXIT_CODE = 3

/** What a summary says of a server that went away during a run (summary.json `serverLost`). */
export type ServerLost = NonNullable<RunSummary['serverLost']>

/** The warning line of a run that lost its server. */
export function describeServerLost(lost: ServerLost): string {
  const why =
    lost.reason === 'connect-errors'
      ? `${lost.consecutiveConnectErrors} connect errors in a row`
      : 'no byte from any stream while requests were in flight, for the stall timeout'
  return `server unreachable since ${lost.since} (${why}): sending stopped; the figures cover what was measured before`
}

/**
 * Endings that mean the server answered in full (a success, or an error it chose to send): they
 * start the count of connect errors again. A broken stream, a timeout or a cancel do not: a
 * server that dies breaks the streams it was serving.
 */
const ANSWERED: ReadonlySet<RequestRecord['errorClass']> = new Set(['http-429', 'http-4xx', 'http-5xx', 'stream-error', 'protocol'])

/**
 * Watches one step's requests for signs that the server is gone: connect errors in a row (a full
 * answer from the server starts the count again), or a stall (no response data read on this
 * thread while requests are in flight). Calls `onLost` once.
 */
export class ServerWatch {
  private consecutive = 0
  private firstConnectErrorAt: number | undefined
  private readsSeen = responseReads.count
  private quietSince: number
  private lostAlready = false
  private stallTimer: NodeJS.Timeout | undefined

  /** `runStartedAt`: performance.now() of the run's time origin (records' sendMs count from it). */
  constructor(
    private readonly rule: ServerLostRule,
    private readonly runStartedAt: number,
    private readonly onLost: (lost: ServerLost) => void,
    now: number,
  ) {
    this.quietSince = now
  }

  /** Checks for a stall (see `check`) until stop(), often enough to see one within a quarter of its deadline. */
  watchStalls(inFlight: () => number): void {
    if (this.rule.stallMs <= 0 || this.stallTimer) return
    const periodMs = Math.max(10, Math.min(1000, this.rule.stallMs / 4))
    this.stallTimer = setInterval(() => this.check(performance.now(), inFlight()), periodMs)
  }

  stop(): void {
    clearInterval(this.stallTimer)
    this.stallTimer = undefined
  }

  /** A finished request; `originPerfMs`: the time origin of its sendMs when not the watch's own (a watch over several steps). */
  observe(record: RequestRecord, originPerfMs = this.runStartedAt): void {
    if (record.errorClass === 'connect') {
      if (this.consecutive === 0) this.firstConnectErrorAt = originPerfMs + record.sendMs
      this.consecutive++
      if (this.rule.connectErrors > 0 && this.consecutive >= this.rule.connectErrors) {
        this.lose('connect-errors', this.firstConnectErrorAt ?? originPerfMs + record.sendMs)
      }
    } else if (record.ok || ANSWERED.has(record.errorClass)) {
      this.consecutive = 0
    }
  }

  /** Called every checkPeriodMs with the requests now in flight. */
  check(now: number, inFlight: number): void {
    if (responseReads.count !== this.readsSeen || inFlight === 0) {
      this.readsSeen = responseReads.count
      this.quietSince = now
      return
    }
    if (this.rule.stallMs > 0 && now - this.quietSince >= this.rule.stallMs) this.lose('stall', this.quietSince)
  }

  private lose(reason: ServerLost['reason'], sincePerfMs: number): void {
    if (this.lostAlready) return
    this.lostAlready = true
    this.onLost({ since: new Date(toUnixMs(sincePerfMs)).toISOString(), reason, consecutiveConnectErrors: this.consecutive })
  }
}
