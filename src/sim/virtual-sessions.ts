/**
 * Multi-turn sessions in virtual time (src/sim/virtual.ts): the load's arrivals start sessions
 * planned by src/input/session/session-plan.ts, and each turn after the first is sent a think time
 * after the previous turn's last token reached the client. Each turn's engine request names the
 * blocks of its session's token stream (system prompt, then each turn's user message and answer):
 * the system prompt's full blocks by the same names in every session, the others by (session id,
 * block index), so turn k+1 shares every full block of turn k's prompt. The names cover the turn's
 * answer too (the stream's next tokens): whether the answer's blocks are found again next turn is
 * the engine's behaviour (vLLM v1 caches full blocks of generated tokens; a prompt-only cache
 * caches the prompt's), not the names'.
 */
import { type PlannedSession, type PlannedTurn, type SessionPlanOptions, planSession } from '../input/session/session-plan.js'

/** Per-record fields of a session's turn (virtual records carry them; a test groups records by them). */
export interface SessionTurnFields {
  sessionId: number
  turnIndex: number
}

/** A session under way: its plan and the names of its token stream's full blocks. */
export interface ActiveSession {
  plan: PlannedSession
  /** The closed-loop user (or open-loop connection) sending its turns. */
  user: number
  blockNames: readonly string[]
}

/** One turn of a session under way, as the run sends it. */
export interface SessionTurnRef {
  session: ActiveSession
  index: number
}

/** A turn's request: its lengths, its block names (prompt and answer), and which session and turn it is. */
export interface SessionTurnRequest extends SessionTurnFields {
  promptTokens: number
  outputTokens: number
  blockHashes: readonly string[]
}

/**
 * Names of the first `streamTokens / blockSize` full blocks of session `id`'s token stream: a block
 * that lies inside the shared system prompt is named by its index alone (the same in every
 * session), any other by the session and its index.
 */
export function sessionBlockNames(id: number, systemPromptTokens: number, streamTokens: number, blockSize: number): string[] {
  const names: string[] = []
  const sharedBlocks = Math.floor(systemPromptTokens / blockSize)
  for (let block = 0; block < Math.floor(streamTokens / blockSize); block++) names.push(block < sharedBlocks ? `system/${block}` : `session-${id}/${block}`)
  return names
}

/** Tokens of a session's whole stream: the last turn's prompt (all history) and its answer. */
const streamTokensOf = (plan: PlannedSession): number => {
  const last = plan.turns[plan.turns.length - 1]
  return last ? last.promptTokens + last.answerTokens : 0
}

/** The sessions of one virtual run: ids 0, 1, 2, … in the order they start, each planned from its id and the seed alone. */
export class VirtualSessions {
  private started = 0

  constructor(
    private readonly options: SessionPlanOptions,
    private readonly blockSize: number,
  ) {}

  /** The most sessions the run starts (the config's count; unbounded without it). */
  get limit(): number {
    return this.options.sessions.count ?? Number.POSITIVE_INFINITY
  }

  /** Starts the next session for `user` (its first turn), or undefined when `count` sessions have started or it plans no turn. */
  start(user: number): SessionTurnRef | undefined {
    if (this.started >= this.limit) return undefined
    const plan = planSession(this.options, this.started++)
    if (plan.turns.length === 0) return undefined
    const blockNames = sessionBlockNames(plan.id, this.options.sessions.systemPromptTokens, streamTokensOf(plan), this.blockSize)
    return { session: { plan, user, blockNames }, index: 0 }
  }

  /** The request of turn `ref`. */
  request(ref: SessionTurnRef): SessionTurnRequest {
    const turn = ref.session.plan.turns[ref.index] as PlannedTurn
    const blocks = Math.floor((turn.promptTokens + turn.answerTokens) / this.blockSize)
    return {
      sessionId: ref.session.plan.id,
      turnIndex: turn.index,
      promptTokens: turn.promptTokens,
      outputTokens: turn.answerTokens,
      blockHashes: ref.session.blockNames.slice(0, blocks),
    }
  }

  /** The turn after `ref` and its think time (ms), or undefined when `ref` was the session's last. */
  next(ref: SessionTurnRef): { ref: SessionTurnRef; thinkTimeMs: number } | undefined {
    const turn = ref.session.plan.turns[ref.index + 1]
    return turn ? { ref: { session: ref.session, index: ref.index + 1 }, thinkTimeMs: turn.thinkTimeMs } : undefined
  }
}
