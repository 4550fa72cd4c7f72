import { performance } from 'node:perf_hooks'
import type { Random } from '../../util/rng.js'
import type { DeadlineScheduler, DueTask } from '../deadline-scheduler.js'
import { EngineModel, type StepResult, coldStartMs } from './engine.js'
import { FrontendQueue, entryDelayMs } from './frontend.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'

/** Receives the tokens of one request as the engine produces them. */
export interface TokenSink {
  /** Token `tokenIndex` (0 = first) was produced at `producedAtMs` (performance.now() clock). */
  onToken(tokenIndex: number, producedAtMs: number): void
}

export interface EngineSubmission {
  promptTokens: number
  outputTokens: number
  /** The prompt's full-block hashes, for prefix caching. */
  blockHashes?: readonly string[]
}

/**
 * Runs the engine model in real time behind the HTTP front end: requests enter the engine after
 * their turn on the front end's queue and its delay, steps run back to back while there is work, and
 * every token is handed to its request's sink once the front end has written the step that produced
 * it (FrontendQueue, the same queue virtual time uses). Step boundaries follow the model's own
 * clock: when the process is late, the next step starts at the previous step's ideal end, so
 * lateness does not accumulate into the simulated timeline.
 */
export class RealTimeEngine {
  readonly engine: EngineModel
  private readonly sinks = new Map<number, TokenSink>()
  private nextId = 0
  private busy = false
  private lastStepEndMs = 0
  private readonly readyAtMs: number
  private readonly entryDelayMs: number
  private readonly frontend: FrontendQueue
  /** vllm-0.5: a step is waiting for the engine process's core (front-end work queued before it). */
  private waitingForCore = false

  constructor(
    profile: SimProfile,
    confidential: boolean,
    random: Random,
    private readonly scheduler: DeadlineScheduler,
    options: { coldStart?: boolean } = {},
  ) {
    this.engine = new EngineModel(profile, confidential, random)
    this.frontend = new FrontendQueue(profile, confidential)
    this.entryDelayMs = entryDelayMs(profile, confidential)
    this.readyAtMs = performance.now() + (options.coldStart ? coldStartMs(profile, confidential) : 0)
  }

  /** Milliseconds until the model is loaded (0 once it is). */
  get coldStartRemainingMs(): number {
    return Math.max(0, this.readyAtMs - performance.now())
  }

  submit(submission: EngineSubmission, receivedAtMs: number, sink: TokenSink): { cancel(): void } {
    const id = this.nextId++
    this.sinks.set(id, sink)
    const enter: DueTask = {
      onDue: (dueAtMs) => {
        if (!this.sinks.has(id)) return
        this.engine.add({
          id,
          promptTokens: submission.promptTokens,
          outputTokens: submission.outputTokens,
          ...(submission.blockHashes ? { blockHashes: submission.blockHashes } : {}),
        })
        // An idle engine starts at the ideal entry time, not when this timer happened to fire.
        this.kick(Math.max(dueAtMs, this.lastStepEndMs))
      },
    }
    this.scheduler.schedule(Math.max(this.frontend.intake(receivedAtMs) + this.entryDelayMs, this.readyAtMs), enter)
    return {
      cancel: () => {
        if (!this.sinks.delete(id)) return
        this.engine.cancel(id)
      },
    }
  }

  /**
   * Starts a step at `startAtMs` if the engine is idle and has work: the previous step's ideal end
   * when steps run back to back, so the model's clock never drifts, or a request's ideal entry
   * time after idling.
   */
  private kick(startAtMs: number): void {
    if (this.busy || this.waitingForCore || !this.engine.hasWork()) return
    const coreFreeMs = this.frontend.engineStartMs(startAtMs)
    if (coreFreeMs > startAtMs) {
      // The engine's process is busy with front-end work queued before this step (vllm-0.5).
      this.waitingForCore = true
      this.scheduler.schedule(coreFreeMs, {
        onDue: (dueAtMs) => {
          this.waitingForCore = false
          this.kick(dueAtMs)
        },
      })
      return
    }
    const result = this.engine.step(startAtMs)
    this.frontend.holdForStep(result.endMs)
    this.busy = true
    this.scheduler.schedule(result.endMs, { onDue: () => this.endStep(result) })
  }

  private endStep(result: StepResult): void {
    this.busy = false
    this.lastStepEndMs = result.endMs
    const writtenMs = this.frontend.deliver(result.endMs, result.tokenRequestIds.length)
    if (writtenMs > result.endMs) this.scheduler.schedule(writtenMs, { onDue: () => this.handOver(result, writtenMs) })
    else this.handOver(result, writtenMs)
    this.kick(result.endMs)
  }

  /** The step's tokens, written by the front end at `writtenMs`, go to their requests' sinks. */
  private handOver(result: StepResult, writtenMs: number): void {
    const { tokenRequestIds, tokenIndexes } = result
    for (let i = 0; i < tokenRequestIds.length; i++) this.sinks.get(tokenRequestIds[i] as number)?.onToken(tokenIndexes[i] as number, writtenMs)
    for (const id of result.finished) this.sinks.delete(id)
  }
}
