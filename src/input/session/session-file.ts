/**
 * ShareGPT multi-turn conversations as sessions (input.sessions.file): the shape prompt-file.ts
 * reads for single-turn prompts ({"conversations": [{"from": "human", "value": ...}, {"from": "gpt", ...}]},
 * a JSON array or JSON Lines), replayed turn by turn: every human turn is sent in order behind the
 * history (a leading "system" turn as the system message, then each earlier human turn and the
 * answer actually received), asking as max_tokens the length of the file's reply to it. A human
 * turn with no reply after it ends the conversation there. Session i replays conversation i (mod
 * their number), in the file's order.
 */
import type { SessionConfig } from '../../io/schema/session.js'
import { UserError } from '../../util/errors.js'
import { deriveSeed, seededRandom } from '../../util/rng.js'
import { NON_REPLY_ROLES, PROMPT_ROLES, forEachJsonRecord, shareGptRecordSchema, validate } from '../prompt-file.js'
import { countTokens } from '../tokenizer.js'
import { type ConversationSource, type ScriptedTurn, scriptedConversation } from './conversation.js'
import { createThinkTimeSampler } from './session-plan.js'

interface FileConversation {
  system: string
  systemTokens?: number
  /** Each user turn's text and the file's reply to it, and their lengths (counted on first use). */
  turns: Array<{ text: string; reply: string; textTokens?: number; replyTokens?: number }>
}

/** Random stream of a file session's think times. */
const THINK_STREAM = 6

/** Reads the conversations of `sessions.file` (one line naming file:line, field and rule when one is malformed). */
export async function loadSessionFile(sessions: SessionConfig & { file: string }, seed: number): Promise<ConversationSource> {
  const conversations = await readConversations(sessions.file)
  return {
    size: conversations.length,
    open(id) {
      const conversation = conversations[id % conversations.length] as FileConversation
      const drawThinkMs = createThinkTimeSampler(sessions.thinkTimeS, seededRandom(deriveSeed(deriveSeed(seed, THINK_STREAM), id)))
      const turns = fileTurns(conversation, drawThinkMs, sessions.maxContextTokens)
      return scriptedConversation(id, conversation.system, conversation.systemTokens ?? 0, turns)
    },
  }
}

/** A conversation's turns, cut before the first whose prompt and reply would pass `maxContextTokens` (as planSession cuts; the first turn is kept). */
function fileTurns(conversation: FileConversation, drawThinkMs: () => number, maxContextTokens: number | undefined): ScriptedTurn[] {
  const turns: ScriptedTurn[] = []
  conversation.systemTokens ??= conversation.system.length > 0 ? countTokens(conversation.system) : 0
  let history = conversation.systemTokens
  for (const [index, turn] of conversation.turns.entries()) {
    turn.textTokens ??= countTokens(turn.text)
    turn.replyTokens ??= Math.max(1, countTokens(turn.reply))
    const thinkTimeMs = drawThinkMs()
    const promptTokens = history + turn.textTokens
    if (index > 0 && maxContextTokens !== undefined && promptTokens + turn.replyTokens > maxContextTokens) break
    turns.push({ text: () => turn.text, tokens: turn.textTokens, answerTokens: turn.replyTokens, thinkTimeMs: index === 0 ? 0 : thinkTimeMs })
    history = promptTokens + turn.replyTokens
  }
  return turns
}

async function readConversations(path: string): Promise<FileConversation[]> {
  const conversations: FileConversation[] = []
  await forEachJsonRecord(path, 'sessions file', (value, where) => {
    const conversation = toConversation(validate(shareGptRecordSchema, value, where).conversations)
    if (conversation.turns.length > 0) conversations.push(conversation)
  })
  if (conversations.length === 0) throw new UserError(`${path}: no conversation with a human turn and a reply to it`)
  return conversations
}

/** A ShareGPT conversation's system turn and its (human turn, reply) pairs, up to the first human turn without a non-empty reply. */
function toConversation(messages: ReadonlyArray<{ from: string; value: string }>): FileConversation {
  const system = messages[0]?.from === 'system' ? messages[0].value : ''
  const turns: FileConversation['turns'] = []
  for (let i = system.length > 0 ? 1 : 0; i < messages.length; i++) {
    const message = messages[i] as { from: string; value: string }
    if (!PROMPT_ROLES.has(message.from) || message.value.length === 0) continue
    const reply = messages[i + 1]
    if (reply === undefined || NON_REPLY_ROLES.has(reply.from) || reply.value.length === 0) break
    turns.push({ text: message.value, reply: reply.value })
    i++
  }
  return { system, turns }
}
