import { describe, expect, it } from 'vitest'
import { createLengthSampler, parseLengthFlag } from '../../src/input/distributions.js'
import { type LengthSpec, lengthSpecSchema } from '../../src/io/schema/length-spec.js'
import { UserError } from '../../src/util/errors.js'
import { seededRandom } from '../../src/util/rng.js'

function draws(spec: LengthSpec, count = 20_000, seed = 1): number[] {
  const sample = createLengthSampler(spec, seededRandom(seed))
  return Array.from({ length: count }, () => sample())
}

function meanAndStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)
  return { mean, std: Math.sqrt(variance) }
}

describe('parseLengthFlag', () => {
  it('reads every documented form', () => {
    expect(parseLengthFlag('512')).toBe(512)
    expect(parseLengthFlag(' fixed:64 ')).toBe(64)
    expect(parseLengthFlag('uniform:128-1024')).toEqual({ dist: 'uniform', min: 128, max: 1024 })
    expect(parseLengthFlag('normal:512,64')).toEqual({ dist: 'normal', mean: 512, std: 64 })
    expect(parseLengthFlag('lognormal:512,200')).toEqual({ dist: 'lognormal', mean: 512, std: 200 })
    expect(parseLengthFlag('normal:512.5,64,256-1024')).toEqual({
      dist: 'normal',
      mean: 512.5,
      std: 64,
      min: 256,
      max: 1024,
    })
  })

  it('throws a one-line UserError naming the rule on bad text', () => {
    for (const text of ['', 'abc', 'normal:512', 'uniform:128', 'poisson:3,4', '12.5', '-3', 'uniform:1-2-3']) {
      expect(() => parseLengthFlag(text)).toThrow(UserError)
      expect(() => parseLengthFlag(text)).toThrow(/expected N, uniform:MIN-MAX, normal:MEAN,STD/)
    }
  })

  it('reports a rule broken by well-formed text', () => {
    expect(() => parseLengthFlag('uniform:1024-128')).toThrow(/min: min \(1024\) must be <= max \(128\)/)
    expect(() => parseLengthFlag('0')).toThrow(UserError)
    expect(() => parseLengthFlag('normal:0,5')).toThrow(/mean/)
    expect(() => parseLengthFlag('uniform:0-5')).toThrow(/^invalid token length "uniform:0-5": min: [^\n]+$/)
  })
})

describe('lengthSpecSchema', () => {
  it('accepts numbers and each distribution', () => {
    for (const spec of [
      7,
      { dist: 'fixed', value: 3 },
      { dist: 'uniform', min: 1, max: 1 },
      { dist: 'normal', mean: 100, std: 0 },
      { dist: 'lognormal', mean: 100, std: 50, min: 10, max: 400 },
    ]) {
      expect(lengthSpecSchema.safeParse(spec).success).toBe(true)
    }
  })

  it('rejects counts below one, fractions, unknown kinds and inverted ranges', () => {
    for (const spec of [
      0,
      2.5,
      { dist: 'fixed', value: 0 },
      { dist: 'uniform', min: 0, max: 5 },
      { dist: 'uniform', min: 9, max: 5 },
      { dist: 'normal', mean: 100, std: -1 },
      { dist: 'normal', mean: 100, std: 1, min: 50, max: 20 },
      { dist: 'zipf', s: 1 },
      '512',
    ]) {
      expect(lengthSpecSchema.safeParse(spec).success).toBe(false)
    }
  })
})

describe('createLengthSampler', () => {
  it('fixed specs always give their value', () => {
    expect(new Set(draws(300, 100))).toEqual(new Set([300]))
    expect(new Set(draws({ dist: 'fixed', value: 5 }, 100))).toEqual(new Set([5]))
  })

  it('uniform covers [min, max] inclusive, evenly', () => {
    const values = draws({ dist: 'uniform', min: 10, max: 20 })
    expect(Math.min(...values)).toBe(10)
    expect(Math.max(...values)).toBe(20)
    expect(meanAndStd(values).mean).toBeCloseTo(15, 0)
  })

  it('normal has the asked mean and std, in whole tokens', () => {
    const values = draws({ dist: 'normal', mean: 512, std: 64 })
    const { mean, std } = meanAndStd(values)
    expect(Math.abs(mean - 512)).toBeLessThan(2)
    expect(Math.abs(std / 64 - 1)).toBeLessThan(0.03)
    expect(values.every(Number.isInteger)).toBe(true)
  })

  it('lognormal has the asked mean and std of the counts themselves', () => {
    const { mean, std } = meanAndStd(draws({ dist: 'lognormal', mean: 512, std: 200 }))
    expect(Math.abs(mean / 512 - 1)).toBeLessThan(0.02)
    expect(Math.abs(std / 200 - 1)).toBeLessThan(0.05)
  })

  it('clamps to min and max, and never below 1', () => {
    const clamped = draws({ dist: 'normal', mean: 100, std: 50, min: 80, max: 120 })
    expect(Math.min(...clamped)).toBe(80)
    expect(Math.max(...clamped)).toBe(120)
    const wide = draws({ dist: 'normal', mean: 2, std: 10 })
    expect(Math.min(...wide)).toBe(1)
    expect(wide.every((n) => Number.isInteger(n) && n >= 1)).toBe(true)
  })

  it('is deterministic under a seed', () => {
    const spec: LengthSpec = { dist: 'lognormal', mean: 300, std: 100 }
    expect(draws(spec, 50, 9)).toEqual(draws(spec, 50, 9))
    expect(draws(spec, 50, 9)).not.toEqual(draws(spec, 50, 10))
  })

  it('rejects an invalid spec with a UserError', () => {
    expect(() => createLengthSampler({ dist: 'uniform', min: 5, max: 1 }, seededRandom(1))).toThrow(UserError)
  })
})
