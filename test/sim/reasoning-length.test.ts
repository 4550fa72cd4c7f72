import { describe, expect, it } from 'vitest'
import { SIM_FLAGS, simEndpointsFromFlags } from '../../src/cli/flags/sim.js'
import { readFlags } from '../../src/cli/flags/table.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { planChatOutput, reasoningOption } from '../../src/sim/output-plan.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * A simulated reasoning model whose reasoning length is a distribution drawn per request (#21 scope
 * 3), beside the share form: what each chat answer's plan streams on the reasoning channel. Counts
 * only; the client's count of the streamed tokens is test/client/reasoning-tools.test.ts's.
 */
const ask = { messages: [{ role: 'user', content: 'hi' }] }

describe('reasoning tokens drawn from a length distribution', () => {
  it('uniform:10-30: every integer of the range, none outside, mean 20; the answer keeps the rest', () => {
    const option = reasoningOption({ tokens: { dist: 'uniform', min: 10, max: 30 }, field: 'reasoning' }, seededRandom(7))
    const drawn = Array.from({ length: 4000 }, () => planChatOutput(ask, 100, option)?.reasoningTokens ?? 0)
    expect(new Set(drawn)).toEqual(new Set(Array.from({ length: 21 }, (_, i) => 10 + i)))
    const mean = drawn.reduce((sum, n) => sum + n, 0) / drawn.length
    // The uniform's standard deviation is 6.06: the mean of 4000 draws is within 4 standard errors (0.38) of 20.
    expect(Math.abs(mean - 20)).toBeLessThan(0.4)
  })

  it('at least one answer token is left, and the request can still turn thinking off or set its own effort', () => {
    const option = reasoningOption({ tokens: 500, field: 'reasoning_content' }, seededRandom(1))
    expect(planChatOutput(ask, 40, option)).toMatchObject({ reasoningTokens: 39, reasoningField: 'reasoning_content' })
    expect(planChatOutput(ask, 600, option)?.reasoningTokens).toBe(500)
    expect(planChatOutput({ ...ask, chat_template_kwargs: { enable_thinking: false } }, 600, option)).toBeUndefined()
    expect(planChatOutput({ ...ask, reasoning_effort: 'low' }, 600, option)?.reasoningTokens).toBe(150)
  })

  it('the share form is unchanged: a quarter of 40 is 10', () => {
    const option = reasoningOption({ share: 0.25, field: 'reasoning' }, seededRandom(1))
    expect(planChatOutput(ask, 40, option)?.reasoningTokens).toBe(10)
    expect(option.drawTokens).toBeUndefined()
  })
})

describe('--reasoning-tokens and the endpoint schema', () => {
  const endpointOf = (raw: Record<string, unknown>) => simEndpointsFromFlags(readFlags(SIM_FLAGS, raw)).sim

  it('sets reasoning.tokens from N or a distribution', () => {
    expect(endpointOf({ 'reasoning-tokens': 'lognormal:800,300' })?.reasoning).toEqual({
      tokens: { dist: 'lognormal', mean: 800, std: 300 },
      field: 'reasoning',
    })
    expect(endpointOf({ 'reasoning-tokens': '64', 'reasoning-field': 'reasoning_content' })?.reasoning).toEqual({ tokens: 64, field: 'reasoning_content' })
  })

  it('refuses share and tokens together, or a reasoning field with neither, naming the flags', () => {
    expect(() => endpointOf({ 'reasoning-tokens': '64', 'reasoning-share': '0.5' })).toThrow(/^--reasoning-share, --reasoning-tokens: give either share/)
    expect(() => endpointOf({ 'reasoning-field': 'reasoning' })).toThrow(/^--reasoning-share, --reasoning-tokens: give either share/)
    expect(simEndpointSchema.safeParse({ reasoning: { tokens: { dist: 'uniform', min: 9, max: 3 } } }).success).toBe(false)
  })
})
