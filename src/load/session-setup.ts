/**
 * A bench of multi-turn sessions (input.sessions): what it refuses, its conversations and its step.
 * Bounds: `sessions.count` sessions are started (with a file and no count nor duration: each of its
 * conversations once), and the load's duration, when given, ends the run: no session starts and no
 * turn is sent past it. `load.requests` is refused (it would count requests, not sessions). Rate
 * is sessions per second on the load's arrival process; concurrency is sessions in flight, a user
 * starting a new session when its last one ends; maxConcurrency caps the sessions in flight. A
 * shard (--shard k/N) runs the sessions whose id ≡ k (mod N), as it sends requests.
 */
import { type ConversationSource, syntheticConversations } from '../input/session/conversation.js'
import { loadSessionFile } from '../input/session/session-file.js'
import type { Scenario } from '../io/schema/scenario.js'
import { OptionMessageError } from '../util/option-error.js'
import type { LoadStep } from './runner.js'
import { singleStep } from './sweep.js'

/** The scenario's sessions' conversations, checked; undefined when it has no sessions. */
export async function scenarioSessions(scenario: Scenario): Promise<ConversationSource | undefined> {
  const sessions = scenario.input.sessions
  if (sessions === undefined) return undefined
  checkSessionScenario(scenario)
  if (sessions.file !== undefined) return loadSessionFile({ ...sessions, file: sessions.file }, scenario.load.seed)
  return syntheticConversations({ sessions, userTokens: scenario.input.inputTokens, answerTokens: scenario.input.outputTokens, seed: scenario.load.seed })
}

/** One-line refusals of what sessions cannot be combined with. */
function checkSessionScenario(scenario: Scenario): void {
  const { load, input } = scenario
  // `{key}`: the CLI names the flag that set it (--requests), a scenario file reader the key.
  const refuse = (key: string, message: string): never => {
    throw new OptionMessageError(`{${key}} ${message}`)
  }
  const completions = scenario.endpoints.findIndex((endpoint) => endpoint.api === 'completions')
  if (completions >= 0) refuse(`endpoints.${completions}.api`, 'completions with sessions: sessions send chat messages, use the chat API')
  if (load.trace !== undefined) refuse('load.trace.file', 'and sessions are two different loads: give one')
  if (input.promptsFile !== undefined)
    refuse('input.promptsFile', 'with sessions: sessions make their own prompts (a sessions file or turns), give no prompt file')
  if (load.requests !== undefined)
    refuse('load.requests', 'with sessions: sessions are bounded by their count ({input.sessions.count}) and/or the duration, not by requests')
  if (load.profile === 'sweep') refuse('load.profile', 'sweep with sessions is not supported: give a rate (sessions/s) or a concurrency (sessions in flight)')
  if (load.workers > 1) refuse('load.workers', 'with sessions: sessions run on one thread, give 1')
  if (input.sessions?.turns !== undefined && input.sessions.count === undefined && load.duration === undefined)
    refuse('input.sessions.count', 'or {load.duration} must bound synthetic sessions: give one or both')
}

/** The step that runs the sessions: the load's rate or concurrency, its maxRequests counting sessions. */
export function sessionStep(scenario: Scenario, source: ConversationSource): LoadStep {
  const step = singleStep(scenario.load)
  const count = scenario.input.sessions?.count ?? (scenario.load.duration === undefined ? source.size : undefined)
  const { maxRequests: _requests, ...rest } = step
  return {
    ...rest,
    label: `sessions, ${step.label}`,
    countsSessions: true,
    ...(count !== undefined ? { maxRequests: count } : {}),
  }
}
