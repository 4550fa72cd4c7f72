import { describe, expect, it } from 'vitest'
import { planSession } from '../../src/input/session/session-plan.js'
import { sessionConfigSchema } from '../../src/io/schema/session.js'

const config = (fields: Record<string, unknown>) => sessionConfigSchema.parse(fields)

describe('session plans', () => {
  it('each turn sends the system prompt, every earlier message and answer, and its own message', () => {
    const sessions = config({ turns: { dist: 'uniform', min: 2, max: 6 }, systemPromptTokens: 300 })
    for (let id = 0; id < 50; id++) {
      const { turns } = planSession({ sessions, userTokens: { dist: 'uniform', min: 20, max: 200 }, answerTokens: 100, seed: 3 }, id)
      expect(turns.length).toBeGreaterThanOrEqual(2)
      expect(turns.length).toBeLessThanOrEqual(6)
      let history = 300
      for (const turn of turns) {
        expect(turn.promptTokens).toBe(history + turn.userTokens)
        expect(turn.answerTokens).toBe(100)
        history += turn.userTokens + turn.answerTokens
      }
      expect(turns[0]?.thinkTimeMs).toBe(0)
    }
  })

  it("a session's plan depends on its id and the seed only", () => {
    const options = {
      sessions: config({ turns: 4, thinkTimeS: { dist: 'exponential', mean: 2 } }),
      userTokens: { dist: 'normal' as const, mean: 80, std: 30 },
      answerTokens: 50,
      seed: 9,
    }
    const alone = planSession(options, 17)
    for (let id = 0; id < 17; id++) planSession(options, id)
    expect(planSession(options, 17)).toEqual(alone)
    expect(planSession({ ...options, seed: 10 }, 17)).not.toEqual(alone)
  })

  it('think times follow their distribution (exponential: mean within 5% over 20,000 draws)', () => {
    const options = { sessions: config({ turns: 11, thinkTimeS: { dist: 'exponential', mean: 3 } }), userTokens: 10, answerTokens: 10, seed: 1 }
    let sum = 0
    let count = 0
    for (let id = 0; id < 2000; id++) {
      for (const turn of planSession(options, id).turns.slice(1)) {
        sum += turn.thinkTimeMs
        count++
      }
    }
    // Standard error of the mean of 20,000 exponential draws: 3000 / sqrt(20000) ≈ 21 ms, so 5% (150 ms) is 7 standard errors.
    expect(count).toBe(20_000)
    expect(Math.abs(sum / count - 3000)).toBeLessThan(150)
  })

  it('a session ends before a turn whose prompt and answer would pass the context', () => {
    const sessions = config({ turns: 20, systemPromptTokens: 100, maxContextTokens: 1000 })
    const { turns } = planSession({ sessions, userTokens: 100, answerTokens: 100, seed: 1 }, 0)
    // Turn k's prompt is 100 + 200k + 100 tokens and its answer 100: 100 + 200k + 200 <= 1000 holds for k <= 3.
    expect(turns.map((turn) => turn.index)).toEqual([0, 1, 2, 3])
  })

  it('refuses a block with both a file and synthetic turns, or neither', () => {
    expect(sessionConfigSchema.safeParse({ file: 'a.json', turns: 3 }).success).toBe(false)
    expect(sessionConfigSchema.safeParse({}).success).toBe(false)
  })
})
