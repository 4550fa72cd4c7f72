/**
 * Conversations to send as multi-turn sessions: each turn's chat messages carry the whole history
 * (the system prompt, every earlier user message and the assistant's answer as actually received,
 * then the new user message). Synthetic sessions follow their seeded plan (session-plan.ts) with
 * text of exact token lengths from the built-in corpus; a ShareGPT file's conversations are replayed
 * turn by turn (session-file.ts).
 */
import type { LengthSpec } from '../../io/schema/length-spec.js'
import type { SessionConfig } from '../../io/schema/session.js'
import { deriveSeed, seededRandom } from '../../util/rng.js'
import type { ChatMessage } from '../prompts.js'
import { idMarker } from '../prompts.js'
import { countTokens } from '../tokenizer.js'
import { fitToTokenCount, proseCorpus } from '../token-exact-text.js'
import { type PlannedSession, planSession } from './session-plan.js'

/** One turn of a session, ready to send. */
export interface ConversationTurn {
  /** Turn index in its session, from 0. */
  index: number
  /** Turns the session has in all. */
  turns: number
  messages: ChatMessage[]
  /** Tokens of every message's text (cl100k_base; the server's chat template adds its own). */
  promptTokens: number
  /** max_tokens asked for the answer. */
  answerTokens: number
  /** Wait after the previous answer ended before sending this turn (0 for the first). */
  thinkTimeMs: number
}

/** One session's turns, handed out one at a time as the answers come back. */
export interface Conversation {
  readonly id: number
  /** The next turn, carrying the history so far; undefined once the session has no more turns. */
  nextTurn(): ConversationTurn | undefined
  /** The answer to the turn last handed out, as received (its content text). */
  answered(text: string): void
}

/** What starts sessions: session `id`'s conversation. */
export interface ConversationSource {
  open(id: number): Conversation
  /** Sessions the source holds when it bounds their number itself (a file's conversations); undefined for synthetic ones. */
  readonly size?: number
}

/** A user turn to come: its text (or how to make it) and its tokens, the answer's max_tokens and the think time before it. */
export interface ScriptedTurn {
  text: () => string
  /** Tokens of the text (cl100k_base), known before it is made: no count between a turn's due time and its send. */
  tokens: number
  answerTokens: number
  thinkTimeMs: number
}

/**
 * A conversation over `turns` (already cut to the context: planSession's rule), each handed-out
 * turn sending `system` (when not empty; `systemTokens` its tokens), the history as answered and the
 * turn's text. Only an answer's tokens are counted here, as it comes back.
 */
export function scriptedConversation(id: number, system: string, systemTokens: number, turns: readonly ScriptedTurn[]): Conversation {
  const history: ChatMessage[] = system.length > 0 ? [{ role: 'system', content: system }] : []
  let historyTokens = system.length > 0 ? systemTokens : 0
  let next = 0
  let waitingForAnswer = false
  return {
    id,
    nextTurn() {
      const turn = turns[next]
      if (turn === undefined || waitingForAnswer) return undefined
      const text = turn.text()
      const promptTokens = historyTokens + turn.tokens
      history.push({ role: 'user', content: text })
      historyTokens = promptTokens
      waitingForAnswer = true
      return { index: next++, turns: turns.length, messages: history.slice(), promptTokens, answerTokens: turn.answerTokens, thinkTimeMs: turn.thinkTimeMs }
    },
    answered(text) {
      if (!waitingForAnswer) return
      waitingForAnswer = false
      history.push({ role: 'assistant', content: text })
      historyTokens += text.length > 0 ? countTokens(text) : 0
    },
  }
}

export interface SyntheticConversationOptions {
  sessions: SessionConfig
  userTokens: LengthSpec
  answerTokens: LengthSpec
  seed: number
}

/** Random stream of a session's text (its plan uses others: session-plan.ts). */
const TEXT_STREAM = 5

/**
 * Synthetic sessions: session `id` follows planSession's plan; every session starts with the same
 * system prompt (`systemPromptTokens` tokens of the corpus, shared: a prefix cache reuses it across
 * sessions) and its first message starts with the session's id, so that nothing past the system
 * prompt is shared between sessions; each message is prose from a seeded place in the corpus, of
 * exactly its planned length.
 */
export function syntheticConversations(options: SyntheticConversationOptions): ConversationSource {
  const corpus = proseCorpus()
  const system = corpus.take(0, options.sessions.systemPromptTokens)
  const systemTokens = countTokens(system)
  return {
    open(id) {
      const plan: PlannedSession = planSession(options, id)
      const random = seededRandom(deriveSeed(deriveSeed(options.seed, TEXT_STREAM), id))
      const turns = plan.turns.map((turn) => {
        const start = corpus.wordStarts[Math.floor(random.next() * corpus.wordStarts.length)] as number
        return {
          text: () => {
            const marker = turn.index === 0 ? idMarker(id, turn.userTokens) : { text: '', tokens: 0 }
            return fitToTokenCount(marker.text + corpus.take(start, turn.userTokens - marker.tokens), turn.userTokens)
          },
          // fitToTokenCount makes exactly this many (or throws).
          tokens: turn.userTokens,
          answerTokens: turn.answerTokens,
          thinkTimeMs: turn.thinkTimeMs,
        }
      })
      return scriptedConversation(id, system, systemTokens, turns)
    },
  }
}
