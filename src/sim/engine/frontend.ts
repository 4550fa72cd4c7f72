import { cpuTollFactor } from './engine.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'

/**
 * The fixed delay before the engine sees a request, apart from its turn on the front end's cores:
 * the HTTP path and IPC (timing.frontendMs) and, in a confidential VM, the first-token toll.
 */
export function entryDelayMs(profile: SimProfile, confidential: boolean): number {
  return profile.timing.frontendMs + ((confidential ? profile.confidential?.firstTokenTollMs : undefined) ?? 0)
}

/** vllm-0.5 runs the API server in the engine's own Python process: one core for both. */
export function frontendSharesEngineCore(profile: SimProfile): boolean {
  return profile.frontend !== undefined && profile.engine.version === 'vllm-0.5'
}

/**
 * The OpenAI-compatible API server's CPU as a FIFO queue on `frontend.cpuCores` cores: a request's
 * intake (HTTP, validation, tokenisation: `perRequestMs`) before it reaches the engine, and each
 * step's output tokens (detokenisation, JSON and SSE framing: `perOutputTokenUs` each) before the
 * client can see them, × the confidential VM's cpuTollFactor. When the cores are busy, work waits its
 * turn: latency grows and throughput caps at what the cores can do.
 *
 * vllm-0.5 runs the API server in the engine's own Python process: the queue has one core, and the
 * engine's steps hold it too (`holdForStep`), so front-end work and steps serialize.
 *
 * Pure and clock-agnostic: times are whatever clock the caller runs on (virtual milliseconds in
 * virtual.ts, performance.now() in real-time.ts), so the HTTP simulator and virtual time agree.
 * Work must be submitted in the order it arrives (non-decreasing times), as a FIFO queue sees it.
 */
export class FrontendQueue {
  /** When each core is next free. */
  private readonly coreFreeAtMs: number[]
  private readonly perRequestMs: number
  private readonly perOutputTokenMs: number
  /** Output of one response is written in order: a later step's tokens never overtake an earlier step's. */
  private lastDeliveryMs = Number.NEGATIVE_INFINITY
  /** The engine's steps take the front end's core (vllm-0.5, one process). */
  readonly sharedWithEngine: boolean
  /** CPU ms the queue has done (intake and output), for utilisation. */
  busyMs = 0

  constructor(profile: SimProfile, confidential: boolean) {
    const frontend = profile.frontend
    const toll = cpuTollFactor(profile, confidential)
    this.sharedWithEngine = frontendSharesEngineCore(profile)
    this.coreFreeAtMs = new Array<number>(frontend === undefined ? 0 : this.sharedWithEngine ? 1 : frontend.cpuCores).fill(Number.NEGATIVE_INFINITY)
    this.perRequestMs = (frontend?.perRequestMs ?? 0) * toll
    this.perOutputTokenMs = ((frontend?.perOutputTokenUs ?? 0) / 1000) * toll
  }

  /** True when the profile has a front end to queue on (otherwise every call returns its time unchanged). */
  get modelled(): boolean {
    return this.coreFreeAtMs.length > 0
  }

  /** A request that reached the server at `atMs` is handed to the engine at the returned time. */
  intake(atMs: number): number {
    return this.run(atMs, this.perRequestMs)
  }

  /** `tokens` output tokens produced at `atMs` are written to their clients at the returned time. */
  deliver(atMs: number, tokens: number): number {
    const doneMs = Math.max(this.lastDeliveryMs, this.run(atMs, tokens * this.perOutputTokenMs))
    this.lastDeliveryMs = doneMs
    return doneMs
  }

  /** Shared with the engine: the earliest time a step wanted at `atMs` can start (after the work queued before it). */
  engineStartMs(atMs: number): number {
    return this.sharedWithEngine ? Math.max(atMs, this.coreFreeAtMs[0] as number) : atMs
  }

  /** Shared with the engine: a step that started holds the core until `endMs` (the loop waits on the GPU). */
  holdForStep(endMs: number): void {
    if (this.sharedWithEngine) this.coreFreeAtMs[0] = Math.max(this.coreFreeAtMs[0] as number, endMs)
  }

  private run(atMs: number, costMs: number): number {
    if (this.coreFreeAtMs.length === 0 || costMs === 0) return atMs
    let core = 0
    for (let i = 1; i < this.coreFreeAtMs.length; i++) if ((this.coreFreeAtMs[i] as number) < (this.coreFreeAtMs[core] as number)) core = i
    const doneMs = Math.max(atMs, this.coreFreeAtMs[core] as number) + costMs
    this.coreFreeAtMs[core] = doneMs
    this.busyMs += costMs
    return doneMs
  }
}
