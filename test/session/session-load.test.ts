import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import type { StreamingClient } from '../../src/client/stream-request.js'
import type { AttemptContext } from '../../src/client/stream-attempt.js'
import type { GenerationRequest } from '../../src/client/openai.js'
import { type ConversationTurn, syntheticConversations } from '../../src/input/session/conversation.js'
import { planSession } from '../../src/input/session/session-plan.js'
import { countTokens } from '../../src/input/tokenizer.js'
import { COMPLETED_RECORD_END, type RequestRecord } from '../../src/io/schema/record.js'
import { sessionConfigSchema } from '../../src/io/schema/session.js'
import { createArrivalSchedule } from '../../src/load/arrivals.js'
import { type LoadStep, type PreparedRequest, StopSignal, runLoadStep } from '../../src/load/runner.js'
import { sessionsCollector } from '../../src/metrics/sessions.js'

/**
 * The session load in-process, against a client that answers at once (no server, no timing claim):
 * which sessions start when, that every turn carries the history as answered, that the think time
 * is waited (never less than planned), and that a stop ends the sessions
 * with every record kept.
 */
interface Sent {
  messages: GenerationRequest['messages']
  context: AttemptContext
  atMs: number
}

function answeringClient(sent: Sent[], stop?: { afterRequests: number; signal: StopSignal }): StreamingClient {
  let runStartedAt = 0
  const client = {
    send: async (request: GenerationRequest, context: AttemptContext): Promise<RequestRecord> => {
      runStartedAt = context.runStartedAt
      const atMs = performance.now() - runStartedAt
      sent.push({ messages: request.messages, context, atMs })
      if (stop && sent.length === stop.afterRequests) stop.signal.stop()
      const answer = `answer to request ${context.id} of ${request.messages.length} messages`
      context.onAnswerText?.(answer)
      return {
        id: context.id,
        endpoint: 'stub',
        step: context.step,
        api: 'chat',
        model: 'm',
        intendedSendMs: context.intendedSendMs,
        sendMs: atMs,
        dispatchWaitMs: 0,
        newConnection: false,
        responseHeadersMs: 1,
        firstByteMs: 1,
        chunks: [[1, 1]],
        tokenEvents: 1,
        timeToFirstTokenMs: 1,
        timeToFirstContentMs: 1,
        endToEndLatencyMs: 1,
        requestedInputTokens: context.requestedInputTokens,
        requestedOutputTokens: context.requestedOutputTokens,
        inputTokens: context.requestedInputTokens,
        inputTokensSource: 'client',
        outputTokens: countTokens(answer),
        ...COMPLETED_RECORD_END,
      }
    },
    stop: () => undefined,
    preconnect: async () => undefined, // no connections to open ahead
  }
  return client as unknown as StreamingClient
}

const sessions = sessionConfigSchema.parse({
  turns: { dist: 'uniform', min: 2, max: 4 },
  thinkTimeS: { dist: 'uniform', min: 0.005, max: 0.02 },
  systemPromptTokens: 50,
})
const options = { sessions, userTokens: { dist: 'uniform' as const, min: 10, max: 40 }, answerTokens: 8, seed: 5 }

function prepareTurn(turn: ConversationTurn): PreparedRequest {
  const request: GenerationRequest = {
    model: 'm',
    api: 'chat',
    prompt: '',
    messages: turn.messages,
    maxOutputTokens: turn.answerTokens,
    fixedOutput: false,
    continuousUsage: false,
    extraBody: undefined,
  }
  return { request, requestedInputTokens: turn.promptTokens, requestedOutputTokens: turn.answerTokens }
}

async function runSessions(step: Partial<LoadStep>, stopAfter?: number) {
  const sent: Sent[] = []
  const records: RequestRecord[] = []
  const stop = new StopSignal()
  const full: LoadStep = { step: 0, label: 'sessions', mode: 'closed', arrival: 'poisson', burstiness: 1, seed: 5, countsSessions: true, ...step }
  const result = await runLoadStep(full, {
    client: answeringClient(sent, stopAfter ? { afterRequests: stopAfter, signal: stop } : undefined),
    prepare: () => {
      throw new Error('a session load prepares turns only')
    },
    sessions: { source: syntheticConversations(options), prepare: prepareTurn },
    onRecord: (record) => records.push(record),
    stop,
  })
  return { sent, records, result }
}

describe('sessions as a load', () => {
  it('closed loop: each user runs whole sessions in turn; every turn carries the system prompt, the history as answered, and its message', async () => {
    const { sent, records } = await runSessions({ mode: 'closed', concurrency: 2, maxRequests: 5 })
    const plans = Array.from({ length: 5 }, (_, id) => planSession(options, id))
    expect(records.length).toBe(plans.reduce((sum, plan) => sum + plan.turns.length, 0))
    for (const plan of plans) {
      const turns = sent.filter((s) => records.find((r) => r.id === s.context.id)?.sessionId === plan.id)
      expect(turns.length).toBe(plan.turns.length)
      for (const [index, turn] of turns.entries()) {
        const messages = turn.messages
        // system, then (user, assistant) per earlier turn, then this turn's user message.
        expect(messages.map((m) => m.role)).toEqual(['system', ...Array.from({ length: index }, () => ['user', 'assistant']).flat(), 'user'])
        expect(countTokens(messages[0]?.content ?? '')).toBe(50)
        expect(countTokens(messages[messages.length - 1]?.content ?? '')).toBe(plan.turns[index]?.userTokens)
        // The assistant messages are the answers the client received, to the earlier turns of this session.
        const earlier = turns.slice(0, index).map((t) => `answer to request ${t.context.id} of ${t.messages.length} messages`)
        expect(messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(earlier)
        // The prompt tokens asked: every message's text.
        expect(turn.context.requestedInputTokens).toBe(messages.reduce((sum, m) => sum + countTokens(m.content), 0))
      }
      // Sessions share the system prompt and nothing after it: the first user messages differ.
    }
    const firstMessages = sent.filter((s) => s.messages.length === 2).map((s) => s.messages[1]?.content)
    expect(new Set(firstMessages).size).toBe(5)
  })

  it('each turn after the first is sent at least its planned think time after the previous answer, and records the time it waited', async () => {
    const { records } = await runSessions({ mode: 'closed', concurrency: 1, maxRequests: 4 })
    for (const record of records) {
      const plan = planSession(options, record.sessionId as number)
      const planned = plan.turns[record.sessionTurn as number]?.thinkTimeMs as number
      expect(record.sessionTurns).toBe(plan.turns.length)
      if (record.sessionTurn === 0) expect(record.thinkTimeMs).toBe(0)
      // The load waits until the planned time has come on its own clock (timers may round or fire early); the wait recorded is the one measured.
      else expect(record.thinkTimeMs).toBeGreaterThanOrEqual(planned)
    }
    for (const record of records.filter((r) => (r.sessionTurn as number) > 0)) {
      const previous = records.find((r) => r.sessionId === record.sessionId && r.sessionTurn === (record.sessionTurn as number) - 1) as RequestRecord
      expect(record.sendMs).toBeGreaterThanOrEqual(previous.sendMs + (record.thinkTimeMs as number))
    }
  })

  it("open loop: sessions start on the arrival schedule (one per arrival), a shard starting the ids ≡ k (mod N) at the whole schedule's times", async () => {
    const { sent, records } = await runSessions({ mode: 'open', ratePerS: 200, arrival: 'constant', maxRequests: 6, shard: { index: 1, count: 2 } })
    const ids = [...new Set(records.map((r) => r.sessionId))]
    expect(ids).toEqual([1, 3, 5])
    const schedule = createArrivalSchedule({ process: 'constant', ratePerSecond: 200, burstiness: 1, seed: 5, count: 6 })
    const times = Array.from({ length: 6 }, () => schedule.nextOffsetMs() as number)
    for (const id of ids) {
      const first = sent.find((s) => s.messages.length === 2 && records.find((r) => r.id === s.context.id)?.sessionId === id) as Sent
      expect(first.context.intendedSendMs).toBe(times[id as number])
    }
  })

  it('a stop ends the sessions: no new turn or session, every record measured kept, and the summary counts the cut sessions as not completed', async () => {
    const { sent, records, result } = await runSessions({ mode: 'closed', concurrency: 1, maxRequests: 20 }, 3)
    expect(result.interrupted).toBe(true)
    expect(records.length).toBe(sent.length)
    expect(sent.length).toBe(3)
    const collector = sessionsCollector()
    for (const record of records) collector.add(record)
    const block = collector.describe(null)
    const complete = [...new Set(records.map((r) => r.sessionId))].filter((id) => {
      const turns = records.filter((r) => r.sessionId === id)
      return turns.length === turns[0]?.sessionTurns
    })
    expect(block?.started).toBe(new Set(records.map((r) => r.sessionId)).size)
    expect(block?.completed).toBe(complete.length)
    expect(block?.completed).toBeLessThan(block?.started as number)
  })
})
