import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleepFor } from 'node:timers/promises'
import { hostNowUnixMs } from '../client/clock-offset.js'
import { type TimeSource, measureEndpointDate, measureTimeSource } from '../client/clock-sources.js'
import type { PreparedEndpoint } from '../client/endpoint.js'
import { writeFileAtomic } from '../io/output/files.js'
import type { Scenario } from '../io/schema/scenario.js'
import { type ClockOffset, SHARD_FILE, type ShardInfo, shardInfoSchema } from '../io/schema/shard.js'
import type { StopSignal } from '../load/runner.js'
import type { ShardSlice } from '../load/shard.js'
import { GEOPAT_VERSION } from '../util/version.js'

/** What `geopat bench --shard I/N` (or --shards N with JOB_COMPLETION_INDEX) asks of a bench. */
export interface ShardRequest {
  slice: ShardSlice
  /** --run-key; default: from the scenario's hash and --start-at. */
  runKey?: string
  /** --start-at, Unix ms on the shared clock (this host's when no --time-source was measured). */
  startAtUnixMs?: number
  /** --time-source: the clock the shards share. */
  timeSource?: TimeSource
}

/**
 * SHA-256 of the scenario as resolved, keys sorted, what may differ between the shards of one run
 * left out: the output folder and the worker threads (a machine's own choice, not the load's).
 */
export function scenarioSha256(scenario: Scenario): string {
  const { out: _out, ...shared } = scenario
  const { workers: _workers, ...load } = shared.load
  return createHash('sha256')
    .update(canonicalJson({ ...shared, load }))
    .digest('hex')
}

/** JSON with every object's keys in sorted order (undefined fields left out, as JSON.stringify does). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  )
}

/** The pod's name in a pod (Kubernetes sets HOSTNAME to it), else this machine's host name. */
export function shardHost(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.HOSTNAME?.trim()
  return fromEnv ? fromEnv : hostname()
}

/** The run key the shards share when none is given: the scenario's hash and the start time. */
export function defaultRunKey(sha256: string, startAtUnixMs: number | undefined): string {
  return `${sha256.slice(0, 16)}-${startAtUnixMs === undefined ? 'unscheduled' : new Date(startAtUnixMs).toISOString()}`
}

const formatOffset = (offset: ClockOffset): string =>
  `${offset.offsetMs >= 0 ? '+' : ''}${offset.offsetMs.toFixed(1)} ms ± ${offset.uncertaintyMs.toFixed(1)} ms`

/**
 * One shard of a bench: its clocks measured before the load, its start held until --start-at,
 * and shard.json written when the load starts (running) and when it ends.
 */
export class ShardSession {
  private info: ShardInfo | undefined
  private started = false

  private constructor(
    private readonly dir: string,
    private readonly base: Omit<ShardInfo, 'startedAtUnixMs' | 'status' | 'sent'>,
  ) {}

  /** Measures this host's clock against the first endpoint's Date and the shared time source, and logs both. */
  static async prepare(
    request: ShardRequest,
    context: { scenario: Scenario; prepared: PreparedEndpoint[]; dir: string; log: (line: string) => void; stop: StopSignal },
  ): Promise<ShardSession> {
    const { scenario, prepared, log } = context
    const interrupt = new AbortController()
    const unsubscribe = context.stop.onStop(() => interrupt.abort())
    const bounds = { deadlineMs: Math.min(scenario.timeouts.connectMs * 2, 30_000), maxBytes: scenario.limits.maxResponseBytes, signal: interrupt.signal }
    try {
      const first = prepared[0] as PreparedEndpoint
      const endpointDate = await measureEndpointDate(first.endpoint, scenario.timeouts.connectMs, bounds, { signal: interrupt.signal })
      if ('reason' in endpointDate) log(`note: ${first.endpoint.label}: clock offset not measured (${endpointDate.reason})`)
      else log(`clock: ${first.endpoint.label}'s Date ${formatOffset(endpointDate.offset)} from this host`)
      const shared = request.timeSource ? await measureTimeSource(request.timeSource, bounds, { signal: interrupt.signal }) : null
      if (shared) log(`clock: ${shared.source} ${formatOffset(shared)} from this host`)
      const sha = scenarioSha256(scenario)
      return new ShardSession(context.dir, {
        schema: 'geopat.shard/v1',
        index: request.slice.index,
        count: request.slice.count,
        runKey: request.runKey ?? defaultRunKey(sha, request.startAtUnixMs),
        scenarioSha256: sha,
        host: shardHost(),
        startAtUnixMs: request.startAtUnixMs ?? null,
        clock: { endpointDate: 'offset' in endpointDate ? endpointDate.offset : null, shared },
        geopatVersion: GEOPAT_VERSION,
      })
    } finally {
      unsubscribe()
    }
  }

  /** This host's time at which the shared clock (or this host's, when none was measured) reads --start-at. */
  private startAtHostMs(): number | undefined {
    const { startAtUnixMs, clock } = this.base
    return startAtUnixMs === null ? undefined : startAtUnixMs - (clock.shared?.offsetMs ?? 0)
  }

  /** The first step's waitToStart: holds until --start-at (at once when it is past, or on a stop); later steps start at once. */
  waitToStart(stop: StopSignal, log: (line: string) => void): () => Promise<void> {
    return async () => {
      const at = this.startAtHostMs()
      if (this.started || at === undefined) return
      const leftMs = at - hostNowUnixMs()
      if (leftMs <= 0) {
        log(`start-at was ${(-leftMs / 1000).toFixed(3)} s ago: starting now`)
        return
      }
      log(`waiting ${(leftMs / 1000).toFixed(1)} s for --start-at ${new Date(this.base.startAtUnixMs as number).toISOString()}`)
      const stopped = new AbortController()
      const unsubscribe = stop.onStop(() => stopped.abort())
      try {
        // In slices of at most a second, so that a clock stepped meanwhile is followed.
        while (!stop.stopped && hostNowUnixMs() < at)
          await sleepFor(Math.min(1000, at - hostNowUnixMs()), undefined, { signal: stopped.signal }).catch(() => undefined)
      } finally {
        unsubscribe()
      }
    }
  }

  /** The first step's onStart: shard.json with status running. */
  onStart(runStartedAtUnixMs: number): void {
    if (this.started) return
    this.started = true
    const at = this.startAtHostMs()
    this.info = {
      ...this.base,
      startedAtUnixMs: runStartedAtUnixMs,
      ...(at !== undefined ? { startLateMs: Math.max(0, runStartedAtUnixMs - at) } : {}),
      status: 'running',
      sent: null,
    }
    this.write()
  }

  /** shard.json at the end: finished, or interrupted (Ctrl-C, a lost server, a failed write), with the requests sent. */
  finish(status: 'finished' | 'interrupted', sent: number): void {
    // A run stopped before its load started: shard.json says so all the same.
    if (!this.started) this.onStart(hostNowUnixMs())
    this.info = { ...(this.info as ShardInfo), status, sent }
    this.write()
  }

  private write(): void {
    const valid = shardInfoSchema.parse(this.info)
    writeFileAtomic(join(this.dir, SHARD_FILE), `${JSON.stringify(valid, null, 2)}\n`)
  }
}
