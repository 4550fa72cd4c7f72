/**
 * Multi-turn sessions as a load (input.sessions): the open and closed loops (send-loops.ts) start
 * sessions where they would send requests (an open loop's arrivals are session starts, a closed
 * loop's users run one session after another), and each session sends its turns one after another:
 * a turn a think time after the previous answer ended, carrying the history. A session ends after
 * its last turn, on a failed turn, when sending stops (Ctrl-C, a lost server) or when its next turn
 * would be due past the load's duration.
 */
import type { ConversationSource, ConversationTurn } from '../input/session/conversation.js'
import type { RequestRecord } from '../io/schema/record.js'
import { type ShardSlice, globalRequestId } from './shard.js'

/** One turn as the runner sends it: its messages, and where its answer and record go. */
export interface SessionTurnSend {
  sessionId: number
  turn: ConversationTurn
  /** The think time actually waited (ms) before sending this turn. */
  thinkTimeMs: number
  onAnswerText: (text: string) => void
}

export interface SessionLoadContext {
  source: ConversationSource
  shard?: ShardSlice
  /** Sends one turn (the runner's accounting, the client) and resolves with its record. */
  sendTurn: (send: SessionTurnSend, intendedSendMs: number, dueMs: number | undefined) => Promise<RequestRecord>
  /** False once sending has stopped (Ctrl-C, a lost server, a full disk). */
  sending: () => boolean
  withinDuration: (atMs: number) => boolean
  elapsed: () => number
  /** Resolves after `ms`, or at once when sending stops. */
  sleep: (ms: number) => Promise<void>
  /** Told when a session has ended (the open loop's concurrency cap counts sessions). */
  onSessionEnd?: (now: number) => void
}

/** Starts sessions and counts them. */
export class SessionLoad {
  private startedCount = 0
  private activeCount = 0

  constructor(private readonly context: SessionLoadContext) {}

  /** Sessions started so far (this shard's). */
  get started(): number {
    return this.startedCount
  }

  /** Sessions started and not yet ended. */
  get active(): number {
    return this.activeCount
  }

  /** Runs the next session: its first turn due at `intendedSendMs` (the open loop's `dueMs`: when the send was due). Resolves when it ends. */
  async run(intendedSendMs: number, dueMs?: number): Promise<void> {
    const id = globalRequestId(this.startedCount++, this.context.shard)
    this.activeCount++
    try {
      await this.converse(id, intendedSendMs, dueMs)
    } finally {
      this.activeCount--
      this.context.onSessionEnd?.(this.context.elapsed())
    }
  }

  private async converse(id: number, firstSendMs: number, firstDueMs: number | undefined): Promise<void> {
    const { context } = this
    const conversation = context.source.open(id)
    let intendedSendMs = firstSendMs
    for (let turn = conversation.nextTurn(); turn !== undefined; turn = conversation.nextTurn()) {
      let waitedMs = 0
      if (turn.index > 0) {
        const endedAt = context.elapsed()
        intendedSendMs = endedAt + turn.thinkTimeMs
        if (!context.withinDuration(intendedSendMs)) return
        // Timers round and may fire a little early against this clock: the turn waits until its time has come.
        while (context.elapsed() < intendedSendMs && context.sending()) await context.sleep(intendedSendMs - context.elapsed())
        waitedMs = context.elapsed() - endedAt
      }
      if (!context.sending()) return
      let answer = ''
      const record = await context.sendTurn(
        { sessionId: id, turn, thinkTimeMs: waitedMs, onAnswerText: (text) => (answer = text) },
        intendedSendMs,
        turn.index === 0 ? firstDueMs : undefined,
      )
      if (!record.ok) return
      conversation.answered(answer)
    }
  }
}

/** The fields a turn's record carries (src/io/schema/record.ts). */
export function sessionRecordFields(send: SessionTurnSend): Pick<RequestRecord, 'sessionId' | 'sessionTurn' | 'sessionTurns' | 'thinkTimeMs'> {
  return { sessionId: send.sessionId, sessionTurn: send.turn.index, sessionTurns: send.turn.turns, thinkTimeMs: send.thinkTimeMs }
}

/** Resolves after `ms`, or as soon as `stop` stops. */
function sleepUnlessStopped(ms: number, stop: { onStop(listener: () => void): () => void }): Promise<void> {
  return new Promise((resolve) => {
    let unsubscribe = (): void => undefined
    const timer = setTimeout(
      () => {
        unsubscribe()
        resolve()
      },
      Math.max(1, Math.ceil(ms)),
    )
    unsubscribe = stop.onStop(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** The session load of a step, on the runner's sending of one turn, its stop signal and its clock. */
export function sessionLoadOn(
  source: ConversationSource,
  shard: ShardSlice | undefined,
  runner: {
    sendOne: (intendedSendMs: number, dueMs: number | undefined, turn: SessionTurnSend) => Promise<RequestRecord>
    sending: { readonly stopped: boolean; onStop(listener: () => void): () => void }
    withinDuration: (atMs: number) => boolean
    elapsed: () => number
    onSessionEnd: (now: number) => void
  },
): SessionLoad {
  return new SessionLoad({
    source,
    ...(shard ? { shard } : {}),
    sendTurn: (turn, intendedSendMs, dueMs) => runner.sendOne(intendedSendMs, dueMs, turn),
    sending: () => !runner.sending.stopped,
    withinDuration: runner.withinDuration,
    elapsed: runner.elapsed,
    sleep: (ms) => sleepUnlessStopped(ms, runner.sending),
    onSessionEnd: runner.onSessionEnd,
  })
}
