import { describe, expect, it } from 'vitest'
import { type PlannedSession, type PlannedTurn, planSession } from '../../src/input/session/session-plan.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { sessionConfigSchema } from '../../src/io/schema/session.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { sizeOptionsForScenario } from '../../src/app/size-scenario.js'
import { EngineModel, engineCapacity } from '../../src/sim/engine/engine.js'
import { sessionBlockNames } from '../../src/sim/virtual-sessions.js'
import { seededRandom } from '../../src/util/rng.js'
import { withPrefixCaching } from '../../src/sim/simulated-endpoint.js'
import { type VirtualRunResult, runVirtual } from '../../src/sim/virtual.js'
import { runUntilIdle } from '../helpers/engine-steps.js'

const BASE = loadProfile('h100-sxm-llama-3.1-8b-bf16')
const BLOCK = BASE.engine.blockSize
const SESSIONS = sessionConfigSchema.parse({ turns: 4, thinkTimeS: 1, systemPromptTokens: 1000 })
const PLAN = { sessions: SESSIONS, userTokens: { dist: 'uniform' as const, min: 1500, max: 2500 }, answerTokens: 100, seed: 3 }
const DURATION_S = 1500

/** A low rate of sessions (one every 50 s: seldom two at a time), every record kept. */
function run(caching: boolean): Promise<VirtualRunResult> {
  return runVirtual({
    profile: withPrefixCaching(BASE, caching ? 'on' : 'off'),
    confidential: false,
    load: { step: 0, label: 'sessions', mode: 'open', ratePerS: 0.02, durationMs: DURATION_S * 1000, arrival: 'poisson', burstiness: 1, seed: 918_273 },
    inputTokens: 1,
    outputTokens: 1,
    seed: 3,
    sessions: PLAN,
    keepRecords: true,
  })
}

const on = run(true)
const off = run(false)

/**
 * Does the engine cache the full blocks of generated tokens (vLLM v1 does), or the prompt's only?
 * Asked of the engine itself: a request whose block names go on over its answer, then one whose
 * prompt is that prompt and answer: its hits say which blocks were kept.
 */
function engineCachesAnswers(): boolean {
  const engine = new EngineModel(withPrefixCaching(BASE, 'on'), false, seededRandom(1))
  const names = sessionBlockNames(0, 0, 8 * BLOCK, BLOCK)
  const now = runUntilIdle(engine, { id: 0, promptTokens: 2 * BLOCK, outputTokens: 4 * BLOCK, blockHashes: names.slice(0, 6) }, 0).endMs
  engine.add({ id: 1, promptTokens: 6 * BLOCK + 1, outputTokens: 1, blockHashes: names.slice(0, 6) })
  engine.step(now)
  return engine.counters.prefixHitTokens > 2 * BLOCK
}

/** Tokens of the previous turn the engine keeps cached: its prompt's full blocks, and its answer's when the engine caches generated blocks. */
const CACHES_ANSWERS = engineCachesAnswers()
const keptTokens = (turn: { promptTokens: number; answerTokens: number }): number => turn.promptTokens + (CACHES_ANSWERS ? turn.answerTokens - 1 : 0)

/** Mean TTFT (ms) of each turn index, over the sessions whose every turn was sent. */
function ttftByTurn(result: VirtualRunResult): number[] {
  const sums: number[] = []
  const counts: number[] = []
  for (const record of result.records) {
    const turn = record.turnIndex as number
    sums[turn] = (sums[turn] ?? 0) + (record.timeToFirstTokenMs as number)
    counts[turn] = (counts[turn] ?? 0) + 1
  }
  return sums.map((sum, turn) => sum / (counts[turn] as number))
}

/** Sessions started in the run, planned again here from their ids (the records name them). */
function plansOf(result: VirtualRunResult): PlannedSession[] {
  const ids = [...new Set(result.records.map((record) => record.sessionId as number))].sort((a, b) => a - b)
  return ids.map((id) => planSession(PLAN, id))
}

describe('multi-turn sessions in virtual time', () => {
  it('records say their session and turn, and each turn is sent after the previous answer ended plus the think time', async () => {
    const { records } = await on
    const bySession = new Map<number, typeof records>()
    for (const record of records) bySession.set(record.sessionId as number, [...(bySession.get(record.sessionId as number) ?? []), record])
    expect(bySession.size).toBeGreaterThan(10)
    for (const [id, turns] of bySession) {
      const plan = planSession(PLAN, id)
      turns.sort((a, b) => (a.turnIndex as number) - (b.turnIndex as number))
      turns.forEach((record, index) => {
        expect(record.turnIndex).toBe(index)
        expect(record.inputTokens).toBe(plan.turns[index]?.promptTokens)
        const previous = turns[index - 1]
        if (previous) expect(record.sendMs).toBeCloseTo(previous.sendMs + (previous.endToEndLatencyMs as number) + 1000, 6)
      })
    }
  })

  it('with caching on, later turns compute only their new tokens: TTFT falls below the uncached turn’s by the prefill of the cached ones', async () => {
    const cached = ttftByTurn(await on)
    const uncached = ttftByTurn(await off)
    expect(cached).toHaveLength(4)
    // Caching off: each turn prefills its whole history, so TTFT rises turn after turn (no fall).
    for (let turn = 1; turn < 4; turn++) expect(uncached[turn] as number).toBeGreaterThan(uncached[turn - 1] as number)
    // Caching on: every later turn is below turn 1 without caching… and below its own uncached figure by the prefill compute of what was cached.
    const capacity = engineCapacity(BASE, false)
    const prefillMsPerToken = (2 * BASE.model.parametersB * 1e9) / capacity.prefillFlopsPerMs
    for (let turn = 1; turn < 4; turn++) {
      expect(cached[turn] as number).toBeLessThan(uncached[turn] as number)
      const plans = plansOf(await on).filter((plan) => plan.turns.length > turn)
      const cachedTokens = plans.reduce((sum, plan) => sum + Math.floor(keptTokens(plan.turns[turn - 1] as PlannedTurn) / BLOCK) * BLOCK, 0) / plans.length
      const expectedSaving = cachedTokens * prefillMsPerToken
      expect(Math.abs((uncached[turn] as number) - (cached[turn] as number) - expectedSaving) / expectedSaving).toBeLessThan(0.15)
    }
  })

  it('the prefix hit rate is what the plans imply: the shared system prompt and each previous prompt’s full blocks', async () => {
    const result = await on
    let query = 0
    let hit = 0
    for (const plan of plansOf(result)) {
      const sent = result.records.filter((record) => record.sessionId === plan.id).length
      plan.turns.slice(0, sent).forEach((turn, index) => {
        query += turn.promptTokens
        const previous = plan.turns[index - 1]
        // Cached: the previous turn's full blocks (its prompt's, and its answer's if the engine keeps generated blocks),
        // or the system prompt's for a first turn; capped as vLLM does: the last token is always computed.
        const cachedBlocks = previous ? Math.floor(keptTokens(previous) / BLOCK) : Math.floor(SESSIONS.systemPromptTokens / BLOCK)
        hit += Math.min(cachedBlocks, Math.floor((turn.promptTokens - 1) / BLOCK)) * BLOCK
      })
    }
    // The very first session finds no system prompt cached.
    hit -= Math.floor(SESSIONS.systemPromptTokens / BLOCK) * BLOCK
    expect(result.prefixCache.queryTokens).toBe(query)
    expect(Math.abs(result.prefixCache.hitTokens / result.prefixCache.queryTokens - hit / query)).toBeLessThan(0.05 * (hit / query))
    expect((await off).prefixCache.hitTokens).toBe(0)
  })
})

describe("a scenario's size step on a session mix", () => {
  it('sizes the endpoint’s profile with input.sessions and the endpoint’s prefix caching', () => {
    const scenario = scenarioSchema.parse({
      name: 'sessions',
      endpoints: [{ label: 'eu', sim: { profile: 'h100-sxm-llama-3.1-8b-bf16', prefixCaching: 'on' } }],
      load: { rate: 1, duration: 30 },
      input: { inputTokens: 200, outputTokens: 100, sessions: { turns: 3, systemPromptTokens: 64 } },
      slo: { ttftMs: 500 },
      size: { peakRequestsPerS: 10 },
    })
    const options = sizeOptionsForScenario(scenario, scenario.size as NonNullable<typeof scenario.size>, 'scenario.yaml', undefined)
    const source = options.sources[0]
    expect(source?.kind).toBe('simulated')
    if (source?.kind !== 'simulated') return
    expect(source.sessions).toEqual(scenario.input.sessions)
    expect(source.profile.engine.prefixCaching).toBe(true)
    expect([source.inputTokens, source.outputTokens]).toEqual([200, 100])
  })
})
