import { performance } from 'node:perf_hooks'
import { createLengthSampler } from '../input/distributions.js'
import type { LengthSpec } from '../io/schema/length-spec.js'
import { createArrivalSchedule } from '../load/arrivals.js'
import { type LoadStep, requestedLoad } from '../load/runner.js'
import { judgeClient } from '../load/client-check.js'
import { emptyDistribution } from '../metrics/distribution.js'
import { summarizeRun } from '../metrics/summarize.js'
import type { SloConfig } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import { MinHeap } from '../util/min-heap.js'
import { type StopCheck, yieldAndCheck } from '../util/interrupt.js'
import { type Random, deriveSeed, seededRandom } from '../util/rng.js'
import { type EngineRequest, EngineModel, type StepResult, coldStartMs } from './engine/engine.js'
import { FrontendQueue, entryDelayMs } from './engine/frontend.js'
import type { SimProfile } from '../io/schema/sim-profile.js'
import { type NetworkPath, LOOPBACK, connectionSetupMs, oneWayDelayMs } from './network.js'
import { type FinishedVirtualRequest, type VirtualRecord, toRecord } from './virtual-record.js'
import { type SessionTurnRef, VirtualSessions } from './virtual-sessions.js'
import type { SessionPlanOptions } from '../input/session/session-plan.js'

export interface VirtualRunOptions {
  profile: SimProfile
  confidential: boolean
  network?: NetworkPath
  load: LoadStep
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  seed: number
  /** Seed of the engine's step noise and network jitter (default: seed); prompts follow `seed`. */
  noiseSeed?: number
  /**
   * Replays measured requests instead of drawing them (`geopat sim fit`): request i gets the i-th
   * length pair (cycling when the run sends more), and an open loop sends at `sendTimesMs` (ms from
   * the step's start) instead of drawing a schedule. inputTokens/outputTokens are then unused. A
   * request may carry its prompt's full-block hashes (promptBlockHashes): prefix caching sees its reuse.
   */
  replay?: { lengths: ReadonlyArray<{ inputTokens: number; outputTokens: number; blockHashes?: readonly string[] }>; sendTimesMs?: readonly number[] }
  /**
   * Multi-turn sessions (src/sim/virtual-sessions.ts): the load's arrivals start sessions (open loop:
   * ratePerS is sessions per second; closed loop: concurrency is sessions in flight, each user
   * starting the next when one ends); a turn is sent its think time after the previous answer's
   * last token arrived, while the load's duration lasts. Lengths come from the plans.
   */
  sessions?: SessionPlanOptions
  slo?: SloConfig
  label?: string
  /** Keep every record (tests, report; a session's turn says its sessionId and turnIndex); otherwise records only feed the summary. */
  keepRecords?: boolean
  /** Seconds at the start and at the end of sending left out of the statistics (steady state). */
  warmupS?: number
  cooldownS?: number
  /** The model loads first: nothing enters the engine before the profile's cold start (×CC factor). */
  coldStart?: boolean
  /** Looked at every STOP_CHECK_MS of work, letting the event loop turn: once stopped, the run throws Interrupted. */
  stop?: StopCheck
  /** Times (ms, ascending) at which to read the running requests, as a /metrics scrape reads vllm:num_requests_running (`geopat sim fit`). */
  runningAtMs?: readonly number[]
}

/** Wall-clock milliseconds of simulation between two looks at `stop`. */
const STOP_CHECK_MS = 50
/** Events between two readings of the clock. */
const EVENTS_PER_CLOCK_READING = 512

export interface VirtualRunResult {
  summary: RunSummary
  records: VirtualRecord[]
  /** Simulated seconds / wall-clock seconds. */
  speedup: number
  /** The running requests at each of `runningAtMs` (empty without it). */
  runningAt: number[]
  engine: { preemptions: number; steps: number; kvCacheTokens: number; peakWaiting: number; peakRunning: number; peakKvUsage: number }
  /** Prefix caching (vLLM's counters, tokens): prompt tokens queried and found cached; 0 with caching off. */
  prefixCache: { queryTokens: number; hitTokens: number }
}

/** What the engine sees of a virtual request. */
function engineRequestOf(request: VirtualRequest): EngineRequest {
  const { id, promptTokens, outputTokens, blockHashes } = request
  return blockHashes ? { id, promptTokens, outputTokens, blockHashes } : { id, promptTokens, outputTokens }
}

interface VirtualRequest extends FinishedVirtualRequest {
  user: number
  blockHashes?: readonly string[]
  /** A session's turn: which one, so that the next is sent when this one ends. */
  sessionTurn?: SessionTurnRef
}

type Event =
  | { kind: 'arrive'; request: VirtualRequest }
  | { kind: 'enter'; request: VirtualRequest }
  | { kind: 'step-end'; result: StepResult }
  | { kind: 'engine-free' }
  | { kind: 'send'; user: number; turn?: SessionTurnRef }

/**
 * The simulator's engine model as a discrete-event simulation, with no HTTP: the same engine and
 * the same network model as `geopat sim`, the same records and summary as `geopat bench`, in
 * simulated time. Sizing uses it to search rates quickly.
 */
export async function runVirtual(options: VirtualRunOptions): Promise<VirtualRunResult> {
  const wallStart = performance.now()
  const run = new VirtualRun(options)
  run.scheduleInitialLoad()
  await run.processEvents(wallStart)
  return run.result(wallStart)
}

/** One virtual run's state: the event queue, the engine and front end, the requests and records. */
class VirtualRun {
  private readonly options: VirtualRunOptions
  private readonly profile: SimProfile
  private readonly load: LoadStep
  private readonly networkRandom: Random
  private readonly sampleInput: () => number
  private readonly sampleOutput: () => number
  private readonly engine: EngineModel
  private readonly frontend: FrontendQueue
  private readonly path: NetworkPath
  private readonly events = new MinHeap<Event>()
  /** Without jitter every delivery takes the same time: no draw per token. */
  private readonly fixedDeliveryMs: number | undefined
  /** Requests in the engine, by id (ids are 0, 1, 2, …: an array is a faster map). */
  private readonly inFlight: Array<VirtualRequest | undefined> = []
  private readonly records: VirtualRecord[] = []
  private readonly frontendMs: number
  private readonly readyAtMs: number
  private readonly durationMs: number
  private readonly maxRequests: number
  private sent = 0
  private engineBusy = false
  /** vllm-0.5: the engine waits for its process's core (front-end work queued before the step). */
  private engineWaitUntilMs = Number.NEGATIVE_INFINITY
  private lastSendMs = 0
  private peakWaiting = 0
  private peakRunning = 0
  private peakKvUsage = 0
  private readonly openConnections = new Set<number>()
  private readonly replayLengths: NonNullable<VirtualRunOptions['replay']>['lengths'] | undefined
  private readonly runningAtMs: readonly number[]
  private readonly runningAt: number[] = []
  private readonly sessions: VirtualSessions | undefined

  constructor(options: VirtualRunOptions) {
    const { profile, load } = options
    this.options = options
    this.profile = profile
    this.load = load
    const network = options.network ?? LOOPBACK
    const cc = options.confidential ? profile.confidential : undefined
    const random = seededRandom(deriveSeed(options.noiseSeed ?? options.seed, 11))
    this.networkRandom = seededRandom(deriveSeed(options.noiseSeed ?? options.seed, 12))
    this.sampleInput = createLengthSampler(options.inputTokens, seededRandom(deriveSeed(options.seed, 1)))
    this.sampleOutput = createLengthSampler(options.outputTokens, seededRandom(deriveSeed(options.seed, 2)))
    this.engine = new EngineModel(profile, options.confidential, random)
    this.frontend = new FrontendQueue(profile, options.confidential)
    this.path = cc ? { ...network, jitterMs: network.jitterMs + cc.networkJitterMs } : network
    this.fixedDeliveryMs = this.path.jitterMs === 0 ? this.path.rttMs / 2 : undefined
    this.frontendMs = entryDelayMs(profile, options.confidential)
    this.readyAtMs = options.coldStart ? coldStartMs(profile, options.confidential) : 0
    this.durationMs = load.durationMs ?? Number.POSITIVE_INFINITY
    this.maxRequests = load.maxRequests ?? Number.POSITIVE_INFINITY
    this.replayLengths = options.replay && options.replay.lengths.length > 0 ? options.replay.lengths : undefined
    this.runningAtMs = options.runningAtMs ?? []
    this.sessions = options.sessions ? new VirtualSessions(options.sessions, profile.engine.blockSize) : undefined
  }

  /** Reads the running count at every asked time before `nowMs` (the count since the last step began). */
  private readRunning(nowMs: number): void {
    const { runningAt, runningAtMs } = this
    while (runningAt.length < runningAtMs.length && (runningAtMs[runningAt.length] as number) < nowMs) runningAt.push(this.engine.runningCount)
  }

  /** The next request of `user`: a session's turn (`turn`, or a new session's first), a replayed one, or one drawn. */
  private nextRequest(atMs: number, user: number, turn: SessionTurnRef | undefined): VirtualRequest | undefined {
    if (this.sessions) {
      const ref = turn ?? this.sessions.start(user)
      if (!ref) return undefined
      const { sessionId, turnIndex, promptTokens, outputTokens, blockHashes } = this.sessions.request(ref)
      return { id: this.sent, sendMs: atMs, arrivals: [], promptTokens, outputTokens, user, blockHashes, sessionTurn: ref, turn: { sessionId, turnIndex } }
    }
    const replayLengths = this.replayLengths
    const replayed = replayLengths ? replayLengths[this.sent % replayLengths.length] : undefined
    const promptTokens = replayed ? replayed.inputTokens : this.sampleInput()
    const outputTokens = replayed ? replayed.outputTokens : this.sampleOutput()
    const request: VirtualRequest = { id: this.sent, sendMs: atMs, arrivals: [], promptTokens, outputTokens, user }
    if (replayed?.blockHashes) request.blockHashes = replayed.blockHashes
    return request
  }

  private send(atMs: number, user: number, turn?: SessionTurnRef): void {
    if (this.sent >= this.maxRequests || atMs >= this.durationMs) return
    const request = this.nextRequest(atMs, user, turn)
    if (!request) return
    this.sent++
    this.lastSendMs = atMs
    const newConnection = !this.openConnections.has(user)
    this.openConnections.add(user)
    const arriveMs = atMs + connectionSetupMs(this.path, newConnection) + oneWayDelayMs(this.path, this.networkRandom)
    this.inFlight[request.id] = request
    // With a front-end queue the request takes its turn on the API server's cores when it arrives.
    if (this.frontend.modelled) this.events.push(arriveMs, { kind: 'arrive', request })
    else this.events.push(Math.max(arriveMs + this.frontendMs, this.readyAtMs), { kind: 'enter', request })
  }

  private startStep(atMs: number): void {
    const startMs = this.frontend.engineStartMs(atMs)
    if (startMs > atMs) {
      // The engine's process is busy with front-end work queued before this step (vllm-0.5).
      if (this.engineWaitUntilMs !== startMs) this.events.push(startMs, { kind: 'engine-free' })
      this.engineWaitUntilMs = startMs
      return
    }
    const engine = this.engine
    if (this.runningAtMs.length > 0) this.readRunning(atMs)
    const result = engine.step(atMs)
    this.frontend.holdForStep(result.endMs)
    this.engineBusy = true
    this.peakWaiting = Math.max(this.peakWaiting, engine.waitingCount)
    this.peakRunning = Math.max(this.peakRunning, engine.runningCount)
    this.peakKvUsage = Math.max(this.peakKvUsage, engine.kvUsage)
    this.events.push(result.endMs, { kind: 'step-end', result })
  }

  /** At the end of a step its tokens go through the front end's output work, then the network. */
  private endStep(result: StepResult): void {
    const { inFlight, fixedDeliveryMs, path, networkRandom } = this
    const ids = result.tokenRequestIds
    const writtenMs = this.frontend.deliver(result.endMs, ids.length)
    for (let i = 0; i < ids.length; i++) {
      const request = inFlight[ids[i] as number]
      if (!request) continue
      const arrivals = request.arrivals
      const delay = fixedDeliveryMs ?? oneWayDelayMs(path, networkRandom)
      const arrival = writtenMs + delay - request.sendMs
      // Same connection: later tokens never overtake earlier ones (only jitter can reorder).
      if (fixedDeliveryMs !== undefined || arrivals.length === 0) arrivals.push(arrival)
      else arrivals.push(Math.max(arrivals[arrivals.length - 1] as number, arrival))
    }
    for (const id of result.finished) {
      const request = inFlight[id]
      if (!request) continue
      inFlight[id] = undefined
      const record = toRecord(request, this.options.label ?? this.profile.name, this.profile.model.servedName, this.load.step)
      this.records.push(record)
      const endMs = record.sendMs + (record.endToEndLatencyMs ?? 0)
      const next = request.sessionTurn && this.sessions?.next(request.sessionTurn)
      // A session's next turn follows its think time; a closed-loop user whose session (or request) ended starts the next.
      if (next) this.events.push(endMs + next.thinkTimeMs, { kind: 'send', user: request.user, turn: next.ref })
      else if (this.load.mode === 'closed') this.events.push(endMs, { kind: 'send', user: request.user })
    }
  }

  /** Open-loop arrivals to schedule: the sessions' count with sessions (their turns follow), else the load's request bound. */
  private get arrivalCount(): number | undefined {
    return this.sessions ? this.options.sessions?.sessions.count : this.load.maxRequests
  }

  /** The first sends: every closed-loop user's first request, or every open-loop arrival. */
  scheduleInitialLoad(): void {
    const { load, options, events, durationMs, maxRequests, openConnections } = this
    if (load.mode === 'closed') {
      const users = load.concurrency ?? 1
      // Ramp-up: user i starts at i/users of the ramp, so the users' requests do not move in lockstep.
      for (let user = 0; user < users; user++) events.push(((load.rampUpMs ?? 0) * user) / users, { kind: 'send', user })
    } else if (options.replay?.sendTimesMs) {
      const times = options.replay.sendTimesMs
      for (let i = 0; i < times.length && (times[i] as number) < durationMs && i < maxRequests; i++) {
        openConnections.add(-1 - i)
        events.push(times[i] as number, { kind: 'send', user: -1 - i })
      }
    } else {
      const schedule = createArrivalSchedule({
        process: load.arrival,
        ratePerSecond: load.ratePerS ?? 1,
        burstiness: load.burstiness,
        seed: load.seed,
        ...(this.arrivalCount !== undefined ? { count: this.arrivalCount } : {}),
      })
      // Open loop: every arrival is known in advance; each gets its own connection from a warm pool.
      for (
        let at = schedule.nextOffsetMs(), i = 0;
        at !== undefined && at < durationMs && i < (this.arrivalCount ?? maxRequests);
        at = schedule.nextOffsetMs(), i++
      ) {
        openConnections.add(-1 - i)
        events.push(at, { kind: 'send', user: -1 - i })
      }
    }
  }

  /** Runs the events in time order until none is left, looking at `stop` every STOP_CHECK_MS of work. */
  async processEvents(wallStart: number): Promise<void> {
    const { options, events, engine } = this
    let untilClockReading = EVENTS_PER_CLOCK_READING
    let lastStopCheck = wallStart
    while (events.size > 0) {
      if (options.stop !== undefined && --untilClockReading === 0) {
        untilClockReading = EVENTS_PER_CLOCK_READING
        if (performance.now() - lastStopCheck >= STOP_CHECK_MS) {
          await yieldAndCheck(options.stop)
          lastStopCheck = performance.now()
        }
      }
      const now = events.peekKey() as number
      const event = events.pop() as Event
      if (event.kind === 'send') this.send(now, event.user, event.turn)
      else if (event.kind === 'arrive')
        events.push(Math.max(this.frontend.intake(now) + this.frontendMs, this.readyAtMs), { kind: 'enter', request: event.request })
      else if (event.kind === 'enter') engine.add(engineRequestOf(event.request))
      else if (event.kind === 'step-end') {
        this.engineBusy = false
        this.endStep(event.result)
      }
      if (!this.engineBusy && engine.hasWork()) this.startStep(now)
    }
  }

  /** The records' summary (as `geopat bench` writes it) and the engine's counters. */
  async result(wallStart: number): Promise<VirtualRunResult> {
    const { options, profile, load, records, runningAt, runningAtMs, engine, sent, lastSendMs } = this
    while (runningAt.length < runningAtMs.length) runningAt.push(engine.runningCount)
    const runEndMs = records.reduce((end, r) => Math.max(end, r.sendMs + (r.endToEndLatencyMs ?? 0)), 0)
    const wallSeconds = (performance.now() - wallStart) / 1000
    records.sort((a, b) => a.id - b.id)
    const summary = await summarizeRun(() => records, {
      endpoint: {
        label: options.label ?? profile.name,
        url: `virtual://${profile.name}${options.confidential ? '?cc=on' : ''}`,
        model: profile.model.servedName,
        api: 'chat',
      },
      step: load.step,
      stepLabel: `${load.label} (virtual time)`,
      requested: requestedLoad(load, options.warmupS ?? 0, options.cooldownS ?? 0),
      achieved: {
        concurrencyMean: records.reduce((sum, r) => sum + (r.endToEndLatencyMs ?? 0), 0) / Math.max(1, runEndMs),
        concurrencyMax: load.mode === 'closed' ? (load.concurrency ?? 1) : 0,
        sendRatePerS: sent > 1 && lastSendMs > 0 ? ((sent - 1) / lastSendMs) * 1000 : null,
        runDurationS: runEndMs / 1000,
      },
      client: judgeClient({
        eventLoopDelayMeanMs: 0,
        eventLoopDelayP99Ms: 0,
        eventLoopDelayMaxMs: 0,
        eventLoopUtilization: 0,
        sendLatenessMs: emptyDistribution(),
        dispatchWaitMs: emptyDistribution(),
        dispatchWaitShare: 0,
        cpuCores: 0,
        workers: 1,
      }),
      interrupted: false,
      sendEndMs: load.durationMs ?? lastSendMs,
      slo: options.slo ?? {},
      warnings: ['virtual time: no HTTP, the engine model and network model only'],
    })
    return {
      summary,
      records: options.keepRecords ? records : [],
      speedup: runEndMs / 1000 / Math.max(1e-6, wallSeconds),
      runningAt,
      engine: {
        preemptions: engine.counters.preemptions,
        steps: engine.counters.steps,
        kvCacheTokens: engine.capacity.kvCacheTokens,
        peakWaiting: this.peakWaiting,
        peakRunning: this.peakRunning,
        peakKvUsage: this.peakKvUsage,
      },
      prefixCache: { queryTokens: engine.counters.prefixQueryTokens, hitTokens: engine.counters.prefixHitTokens },
    }
  }
}
