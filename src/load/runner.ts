import { performance } from 'node:perf_hooks'
import type { StreamingClient } from '../client/stream-request.js'
import type { AttemptContext } from '../client/stream-attempt.js'
import type { GenerationRequest } from '../client/openai.js'
import { type RequestRecord, connectedInSend } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import type { StepKind } from '../metrics/knee.js'
import type { ArrivalProcess } from './arrivals.js'
import { ClientMonitor } from './client-check.js'
import { connectionsAhead, runClosedLoop, runOpenLoop } from './send-loops.js'
import { type ServerLost, type ServerLostRule, ServerWatch } from './server-watch.js'
import { toUnixMs } from '../util/clock.js'
import type { StopSignal } from './run-stop.js'
import { type SessionTurnSend, sessionLoadOn, sessionRecordFields } from './session-load.js'
import type { ConversationSource, ConversationTurn } from '../input/session/conversation.js'

export { StopSignal, cancelAfterGrace, openRunRecords, stopOnSignals } from './run-stop.js'
import { type ShardSlice, globalRequestId, requestsToSend } from './shard.js'

/** One load step: a closed loop at a concurrency, or an open loop at a rate. */
export interface LoadStep {
  step: number
  label: string
  /** What the step is (a sweep's synchronous or maximum-throughput step, a rate, a concurrency); absent: stepKindOf's reading of mode and concurrency. */
  kind?: StepKind
  mode: 'closed' | 'open'
  concurrency?: number
  ratePerS?: number
  arrival: ArrivalProcess
  burstiness: number
  maxConcurrency?: number
  maxRequests?: number
  durationMs?: number
  /** Closed loop: virtual users start one after another over this time (k6's ramping), not at once. */
  rampUpMs?: number
  seed: number
  /**
   * One shard of a run spread over machines (src/load/shard.ts): this process sends the ids ≡
   * shard.index (mod shard.count); maxRequests, the rate and the seed stay the whole run's, and
   * concurrency and maxConcurrency are this shard's share.
   */
  shard?: ShardSlice
  /** Open loop replaying a trace: the whole trace's send times (ms from the start), instead of a drawn schedule. */
  sendTimesMs?: readonly number[]
  /** Multi-turn sessions: maxRequests (and a closed loop's concurrency) count sessions, not requests. */
  countsSessions?: boolean
  /** What the replayed trace was, for the summary's `requested.trace`. */
  trace?: NonNullable<RunSummary['requested']['trace']>
}

export interface PreparedRequest {
  /** The record's id when someone else numbers the requests (the load workers' coordinator). */
  id?: number
  request: GenerationRequest
  requestedInputTokens: number | null
  requestedOutputTokens: number | null
  headers?: Record<string, string>
}

/** What a summary says was asked of a step (of a shard: its share, so that the shards' figures add up to the whole's). */
export function requestedLoad(step: LoadStep, warmupS: number, cooldownS: number): RunSummary['requested'] {
  return {
    mode: step.mode,
    concurrency: step.concurrency ?? null,
    ratePerS: step.ratePerS !== undefined ? step.ratePerS / (step.shard?.count ?? 1) : null,
    arrival: step.mode === 'open' ? (step.trace ? 'trace' : step.arrival) : null,
    burstiness: step.mode === 'open' && !step.trace ? step.burstiness : null,
    maxConcurrency: step.maxConcurrency ?? null,
    requests: step.countsSessions ? null : (requestsToSend(step) ?? null),
    durationS: step.durationMs !== undefined ? step.durationMs / 1000 : null,
    warmupS,
    cooldownS,
    ...(step.trace ? { trace: step.trace } : {}),
  }
}

export interface LoadStepDependencies {
  client: StreamingClient
  prepare: (id: number) => PreparedRequest
  onRecord: (record: RequestRecord) => void
  stop: StopSignal
  onProgress?: (progress: { sent: number; completed: number; inFlight: number; elapsedMs: number }) => void
  /** The warm-up (ms from the start) that the statistics leave out: the self-check's read probe does too. */
  warmupMs?: number
  /** The run's time origin (performance.now() of this thread), when it started elsewhere (load workers). */
  runStartedAt?: number
  /** Awaited before the time origin is set (a shard waiting for --start-at); it should resolve early on a stop. */
  waitToStart?: () => Promise<void>
  /** Told the time origin, Unix ms, as the load starts (a shard writes its shard.json then). */
  onStart?: (runStartedAtUnixMs: number) => void
  /**
   * Load workers: requests come from the coordinator. `hasMore` is false once none is left to send;
   * `ready` returns a promise while none has arrived yet (undefined when one can be sent now).
   */
  hasMore?: () => boolean
  ready?: () => Promise<void> | undefined
  /**
   * Seconds the streams still in flight get after the end of the duration, or after the server is
   * taken as gone, before they are cancelled (class `cancelled`); default 5, as the scenario's.
   */
  graceSeconds?: number
  /** When to take the server as gone and stop sending (none: never). */
  serverLost?: ServerLostRule
  /**
   * Multi-turn sessions (session-load.ts): the loops start sessions where they would send requests;
   * the step's maxRequests (and a closed loop's concurrency) count sessions. `prepare` makes a turn's request.
   */
  sessions?: { source: ConversationSource; prepare: (turn: ConversationTurn) => PreparedRequest }
  /** Told at once when this step takes the server as gone (load workers tell the coordinator). */
  onServerLost?: (lost: ServerLost) => void
}

export interface LoadStepResult {
  runStartedAt: number
  sendEndMs: number
  sent: number
  interrupted: boolean
  /** The server went away during the step: sending stopped then. */
  serverLost?: ServerLost
  achieved: RunSummary['achieved']
  client: RunSummary['client']
}

/**
 * Drives one load step against one endpoint and hands every record to `onRecord` as it finishes.
 * Keeps no per-request state after a record is handed over, so memory stays flat however long the
 * run is. Resolves once sending has stopped and every request in flight has finished.
 */
export async function runLoadStep(step: LoadStep, deps: LoadStepDependencies): Promise<LoadStepResult> {
  // An open loop's sends keep to a schedule: their first connections are opened before it starts (awaited unless the start is set elsewhere).
  if (step.mode === 'open') {
    const ahead = deps.client.preconnect(connectionsAhead(step))
    if (deps.runStartedAt === undefined) await ahead
  }
  await deps.waitToStart?.()
  const runStartedAt = deps.runStartedAt ?? performance.now()
  deps.onStart?.(toUnixMs(runStartedAt))
  const monitor = new ClientMonitor()
  monitor.start(deps.warmupMs ? runStartedAt + deps.warmupMs : 0)
  try {
    return await driveLoadStep(step, deps, runStartedAt, monitor)
  } finally {
    // A step that throws leaves no probe, GC observer or loop histogram running (no-op after finish).
    monitor.dispose()
  }
}

async function driveLoadStep(step: LoadStep, deps: LoadStepDependencies, runStartedAt: number, monitor: ClientMonitor): Promise<LoadStepResult> {
  // Sending stops on the user's stop or when the server is gone; only the first is an interruption.
  const { signal: sending, release: unlinkStop } = deps.stop.follower()
  const timers: NodeJS.Timeout[] = []
  const graceMs = (deps.graceSeconds ?? 5) * 1000
  const cancelAt = (atPerfMs: number, reason: string): void => {
    timers.push(setTimeout(() => deps.client.stop(true, reason), Math.max(0, atPerfMs - performance.now())))
  }
  // A frozen server cannot stretch a run past its duration: the streams in flight get the grace, then are cancelled.
  if (step.durationMs !== undefined) cancelAt(runStartedAt + step.durationMs + graceMs, `still in flight ${graceMs / 1000} s after the end of the duration`)
  let serverLost: ServerLost | undefined
  const watch = deps.serverLost
    ? new ServerWatch(
        deps.serverLost,
        runStartedAt,
        (lost) => {
          // The server is gone: no new requests, no retries, and the streams in flight get the grace.
          serverLost = lost
          sending.stop()
          deps.client.stop(false)
          cancelAt(performance.now() + graceMs, `server unreachable since ${lost.since}`)
          deps.onServerLost?.(lost)
        },
        performance.now(),
      )
    : undefined
  try {
    const result = await sendAndMeasure(step, deps, { runStartedAt, monitor, sending, watch })
    return { ...result, ...(serverLost ? { serverLost } : {}), client: monitor.finish(1, { mode: step.mode, concurrency: step.concurrency }, serverLost) }
  } finally {
    unlinkStop()
    watch?.stop()
    for (const timer of timers) clearTimeout(timer)
  }
}

/** What a step's sending shares with the step around it: the time origin, the self-check, the stop signal and the server watch. */
interface StepSending {
  runStartedAt: number
  monitor: ClientMonitor
  /** Stops on the user's stop or when the server is gone. */
  sending: StopSignal
  watch: ServerWatch | undefined
}

/** The load a step sent and achieved (the self-check and the server's loss are added by driveLoadStep). */
type SentStep = Omit<LoadStepResult, 'client' | 'serverLost'>

async function sendAndMeasure(step: LoadStep, deps: LoadStepDependencies, run: StepSending): Promise<SentStep> {
  const { runStartedAt, monitor, sending, watch } = run
  const elapsed = (): number => performance.now() - runStartedAt
  let sent = 0
  let completed = 0
  let inFlight = 0
  let maxInFlight = 0
  let concurrencyArea = 0
  let lastChangeMs = 0
  let firstSendMs: number | undefined
  let lastSendMs = 0
  let lastEndMs = 0
  let onIdle: (() => void) | undefined
  /** Open loop with a concurrency cap: told when a request finishes, so it can send again. */
  let slotListener: ((now: number) => void) | undefined
  const lastProgressAt = { ms: 0 }

  const changeInFlight = (delta: number, now: number): void => {
    concurrencyArea += inFlight * (now - lastChangeMs)
    lastChangeMs = now
    inFlight += delta
    if (inFlight > maxInFlight) maxInFlight = inFlight
  }

  const reportProgress = (now: number): void => {
    if (!deps.onProgress || now - lastProgressAt.ms < 100) return
    lastProgressAt.ms = now
    deps.onProgress({ sent, completed, inFlight, elapsedMs: now })
  }

  /**
   * `dueMs`: open loop, when the send was due (a concurrency cap's wait excluded); its lateness is
   * measured when undici actually writes the request, so the client's own queue counts. The loops
   * start requests, or whole sessions (a turn of one is sent with `turn`); toSend counts what they start.
   */
  const sendOne = (intendedSendMs: number, dueMs?: number, turn?: SessionTurnSend): Promise<RequestRecord> => {
    const ownId = globalRequestId(sent++, step.shard)
    const prepared = turn && deps.sessions ? deps.sessions.prepare(turn.turn) : deps.prepare(ownId)
    const id = prepared.id ?? ownId
    const now = elapsed()
    if (firstSendMs === undefined) firstSendMs = now
    lastSendMs = now
    changeInFlight(+1, now)
    return deps.client.send(prepared.request, attemptContext(prepared, { id, step: step.step, runStartedAt, intendedSendMs }, turn)).then((answered) => {
      const record = turn ? { ...answered, ...sessionRecordFields(turn) } : answered
      const end = elapsed()
      lastEndMs = end
      completed++
      changeInFlight(-1, end)
      // Connection set-up is the network's and the server's time, not the client's queue (a spare from the reserve has none in it).
      if (!connectedInSend(record)) {
        if (dueMs !== undefined) monitor.recordSendLateness(record.sendMs - dueMs)
        else monitor.recordDispatchWait(record.dispatchWaitMs, record.endToEndLatencyMs ?? 0)
      }
      deps.onRecord(record)
      watch?.observe(record)
      reportProgress(end)
      if (!turn) slotListener?.(end) // a session's slot frees when the session ends (sessionEnded)
      checkIdle()
      return record
    })
  }
  /** Requests in flight, or sessions still running (between turns too). */
  const busy = (): boolean => inFlight > 0 || (sessions?.active ?? 0) > 0
  const checkIdle = (): void => {
    if (!busy() && onIdle) onIdle()
  }

  const toSend = requestsToSend(step)
  const withinDuration = (atMs: number): boolean => step.durationMs === undefined || atMs < step.durationMs
  const sessionEnded = (now: number): void => {
    slotListener?.(now)
    checkIdle()
  }
  const sessions = deps.sessions
    ? sessionLoadOn(deps.sessions.source, step.shard, { sendOne, sending, withinDuration, elapsed, onSessionEnd: sessionEnded })
    : undefined
  const started = (): number => sessions?.started ?? sent
  const startOne = sessions ? (intendedSendMs: number, dueMs?: number) => sessions.run(intendedSendMs, dueMs) : sendOne
  const canSendMore = (): boolean => !sending.stopped && (toSend === undefined || started() < toSend) && (deps.hasMore?.() ?? true)

  watch?.watchStalls(() => inFlight)
  const loop = { sendOne: startOne, canSendMore, withinDuration, elapsed }
  let sendEndMs: number
  if (step.mode === 'closed') {
    await runClosedLoop(step, { ...loop, ...(deps.ready ? { ready: deps.ready } : {}) })
    sendEndMs = step.durationMs !== undefined && !sending.stopped ? Math.min(step.durationMs, elapsed()) : lastSendMs
  } else {
    const inFlightNow = (): number => sessions?.active ?? inFlight
    sendEndMs = await runOpenLoop(step, { ...loop, monitor, inFlightNow, setSlotListener: (listener) => (slotListener = listener), stop: sending })
    if (busy()) await new Promise<void>((resolve) => (onIdle = resolve))
  }
  const endMs = Math.max(lastEndMs, elapsed())
  changeInFlight(0, endMs)
  const achieved = achievedLoad({ runStartedAt, endMs, sent, firstSendMs, lastSendMs, concurrencyArea, maxInFlight })
  return { runStartedAt, sendEndMs, sent, interrupted: deps.stop.stopped, achieved }
}

/** What the client is told of one request: its ids and times, the lengths asked, and, for a session's turn, where its answer's text goes. */
function attemptContext(
  prepared: PreparedRequest,
  sending: Pick<AttemptContext, 'id' | 'step' | 'runStartedAt' | 'intendedSendMs'>,
  turn: SessionTurnSend | undefined,
): AttemptContext {
  return {
    ...sending,
    requestedInputTokens: prepared.requestedInputTokens,
    requestedOutputTokens: prepared.requestedOutputTokens,
    ...(prepared.headers ? { headers: prepared.headers } : {}),
    ...(turn ? { onAnswerText: turn.onAnswerText } : {}),
  }
}

/** The load a step achieved, from what its sending counted (times in ms from the run's start). */
function achievedLoad(counted: {
  runStartedAt: number
  endMs: number
  sent: number
  firstSendMs: number | undefined
  lastSendMs: number
  /** ∫ requests in flight dt, ms. */
  concurrencyArea: number
  maxInFlight: number
}): RunSummary['achieved'] {
  const { runStartedAt, endMs, sent, firstSendMs, lastSendMs } = counted
  const activeSpan = Math.max(1e-9, endMs - (firstSendMs ?? 0))
  return {
    concurrencyMean: sent > 0 ? counted.concurrencyArea / activeSpan : 0,
    concurrencyMax: counted.maxInFlight,
    sendRatePerS: sent > 1 && firstSendMs !== undefined && lastSendMs > firstSendMs ? (sent - 1) / ((lastSendMs - firstSendMs) / 1000) : null,
    runDurationS: endMs / 1000,
    runStartedAtUnixMs: toUnixMs(runStartedAt),
  }
}
