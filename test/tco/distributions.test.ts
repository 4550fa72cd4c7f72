import { describe, expect, it } from 'vitest'
import { Z90, makeDistribution, standardNormalQuantile } from '../../src/tco/distributions.js'
import { uncertainNumberSchema } from '../../src/io/schema/tco-model.js'
import { seededRandom } from '../../src/util/rng.js'

const sampleMean = (spec: Parameters<typeof makeDistribution>[0], draws = 200_000, seed = 5): { mean: number; values: Float64Array } => {
  const distribution = makeDistribution(spec)
  const random = seededRandom(seed)
  const values = new Float64Array(draws)
  let sum = 0
  for (let i = 0; i < draws; i++) {
    values[i] = distribution.sample(random)
    sum += values[i] as number
  }
  return { mean: sum / draws, values: values.sort() }
}

describe('input distributions', () => {
  it('standard normal quantiles (AS 241) to double precision', () => {
    expect(standardNormalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 14)
    expect(standardNormalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14)
    expect(standardNormalQuantile(0.5)).toBe(0)
    expect(standardNormalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 10)
    expect(Z90).toBeCloseTo(standardNormalQuantile(0.9), 14)
  })

  it('a fixed number is its own centre and quantiles, and is not uncertain', () => {
    const fixed = makeDistribution(7)
    expect(fixed.uncertain).toBe(false)
    expect([fixed.central, fixed.quantile(0.1), fixed.quantile(0.9)]).toEqual([7, 7, 7])
  })

  it('triangular: closed-form quantiles, mean (a + c + b) / 3', () => {
    const triangular = makeDistribution({ triangular: [0, 2, 10] })
    expect(triangular.central).toBe(2)
    // F(2) = (2 − 0)/(10 − 0) = 0.2; P10 = sqrt(0.1 × 10 × 2).
    expect(triangular.quantile(0.2)).toBeCloseTo(2, 12)
    expect(triangular.quantile(0.1)).toBeCloseTo(Math.sqrt(2), 12)
    expect(triangular.quantile(0.9)).toBeCloseTo(10 - Math.sqrt(0.1 * 10 * 8), 12)
    const { mean, values } = sampleMean({ triangular: [0, 2, 10] })
    expect(mean).toBeCloseTo(4, 1)
    expect(values[Math.floor(values.length * 0.1)]).toBeCloseTo(Math.sqrt(2), 1)
  })

  it('PERT: mean (min + 4 mode + max) / 6, quantiles from the tabulated beta', () => {
    const pert = makeDistribution({ pert: [0, 1, 10] })
    expect(pert.central).toBe(1)
    const { mean, values } = sampleMean({ pert: [0, 1, 10] })
    expect(mean).toBeCloseTo(14 / 6, 1)
    // Empirical quantiles agree with the table's.
    expect(values[Math.floor(values.length * 0.1)]).toBeCloseTo(pert.quantile(0.1), 1)
    expect(values[Math.floor(values.length * 0.9)]).toBeCloseTo(pert.quantile(0.9), 1)
    // A symmetric PERT is Beta(3, 3) on [min, max]: median at the mode; Beta(3, 3)'s P90 is 0.753364 (scipy.stats.beta.ppf).
    const symmetric = makeDistribution({ pert: [0, 5, 10] })
    expect(symmetric.quantile(0.5)).toBeCloseTo(5, 3)
    expect(symmetric.quantile(0.9)).toBeCloseTo(7.53364, 4)
  })

  it('lognormal from P10/P90 (or median and sigma), with scale for currency', () => {
    const lognormal = makeDistribution({ lognormal: { p10: 2, p90: 8 } })
    expect(lognormal.central).toBeCloseTo(4, 12)
    expect(lognormal.quantile(0.1)).toBeCloseTo(2, 10)
    expect(lognormal.quantile(0.9)).toBeCloseTo(8, 10)
    const { values } = sampleMean({ lognormal: { p10: 2, p90: 8 } })
    expect(values[Math.floor(values.length * 0.5)]).toBeCloseTo(4, 1)
    const scaled = makeDistribution({ lognormal: { median: 100, sigma: 0.5 } }, 1.175)
    expect(scaled.central).toBeCloseTo(117.5, 9)
    expect(scaled.quantile(0.9)).toBeCloseTo(117.5 * Math.exp(0.5 * Z90), 9)
  })

  it('the same seed draws the same numbers', () => {
    expect(sampleMean({ pert: [1, 2, 4] }, 1000, 9).values).toEqual(sampleMean({ pert: [1, 2, 4] }, 1000, 9).values)
    expect(sampleMean({ pert: [1, 2, 4] }, 1000, 9).values).not.toEqual(sampleMean({ pert: [1, 2, 4] }, 1000, 10).values)
  })

  it('the schema says what an uncertain number may be, in one rule', () => {
    expect(uncertainNumberSchema.safeParse({ triangular: [3, 2, 1] }).error?.issues[0]?.message).toMatch(/min ≤ mode ≤ max/)
    expect(uncertainNumberSchema.safeParse({ normal: [1, 2] }).error?.issues[0]?.message).toMatch(/must be a number, \{ triangular/)
    expect(uncertainNumberSchema.safeParse({ lognormal: { p10: 5, p90: 1 } }).error?.issues[0]?.message).toMatch(/p10 must be below p90/)
  })
})
