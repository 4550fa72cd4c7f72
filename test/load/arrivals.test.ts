import { describe, expect, it } from 'vitest'
import { createArrivalSchedule, sampleGamma, type ArrivalScheduleOptions } from '../../src/load/arrivals.js'
import { UserError } from '../../src/util/errors.js'
import { sampleExponential, seededRandom } from '../../src/util/rng.js'

function offsets(options: ArrivalScheduleOptions, limit: number): number[] {
  const schedule = createArrivalSchedule(options)
  const out: number[] = []
  for (let i = 0; i < limit; i++) {
    const offset = schedule.nextOffsetMs()
    if (offset === undefined) break
    out.push(offset)
  }
  return out
}

function gaps(times: number[]): number[] {
  return times.map((t, i) => t - (i === 0 ? 0 : (times[i - 1] as number)))
}

function meanAndCv(values: number[]): { mean: number; cv: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)
  return { mean, cv: Math.sqrt(variance) / mean }
}

const DRAWS = 20_000
const RATE = 50 // req/s: mean gap 20 ms

describe('arrival schedules', () => {
  const cases: Array<{ name: string; options: Omit<ArrivalScheduleOptions, 'seed'>; cv: number }> = [
    { name: 'poisson', options: { process: 'poisson', ratePerSecond: RATE }, cv: 1 },
    { name: 'gamma shape 0.5', options: { process: 'gamma', ratePerSecond: RATE, burstiness: 0.5 }, cv: Math.SQRT2 },
    { name: 'gamma shape 4', options: { process: 'gamma', ratePerSecond: RATE, burstiness: 4 }, cv: 0.5 },
    { name: 'constant', options: { process: 'constant', ratePerSecond: RATE }, cv: 0 },
  ]

  for (const { name, options, cv } of cases) {
    for (const scaled of [false, true]) {
      it(`${name}${scaled ? ' (count given, rescaled)' : ''}: mean gap 1/rate, CV ${cv.toFixed(3)}`, () => {
        const times = offsets({ ...options, seed: 7, ...(scaled ? { count: DRAWS } : {}) }, DRAWS)
        expect(times).toHaveLength(DRAWS)
        const stats = meanAndCv(gaps(times))
        expect(Math.abs(stats.mean / (1000 / RATE) - 1)).toBeLessThan(0.03)
        expect(Math.abs(stats.cv - cv)).toBeLessThan(0.05)
      })
    }
  }

  it('gamma with burstiness 1 is the Poisson schedule', () => {
    expect(offsets({ process: 'gamma', burstiness: 1, ratePerSecond: 10, seed: 3 }, 100)).toEqual(
      offsets({ process: 'poisson', ratePerSecond: 10, seed: 3 }, 100),
    )
  })

  it('with a count, the last arrival lands exactly at count/rate and the schedule then ends', () => {
    for (const process of ['poisson', 'gamma', 'constant'] as const) {
      for (const [count, rate] of [
        [1, 3],
        [7, 3],
        [1000, 13.7],
        [12_345, 250],
      ] as const) {
        const schedule = createArrivalSchedule({ process, ratePerSecond: rate, burstiness: 0.3, seed: 11, count })
        const times: number[] = []
        for (let t = schedule.nextOffsetMs(); t !== undefined; t = schedule.nextOffsetMs()) times.push(t)
        expect(times).toHaveLength(count)
        expect(times.at(-1)).toBe((count / rate) * 1000)
        expect(schedule.nextOffsetMs()).toBeUndefined()
      }
    }
  })

  it('offsets never decrease and start after zero', () => {
    for (const options of [
      { process: 'gamma', burstiness: 0.2, ratePerSecond: 100, seed: 5 },
      { process: 'gamma', burstiness: 0.2, ratePerSecond: 100, seed: 5, count: 5000 },
      { process: 'poisson', ratePerSecond: 1000, seed: 5, count: 5000 },
    ] satisfies ArrivalScheduleOptions[]) {
      const times = offsets(options, 5000)
      expect(times[0]).toBeGreaterThanOrEqual(0)
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number)
    }
  })

  it('a count of zero yields nothing', () => {
    expect(createArrivalSchedule({ process: 'poisson', ratePerSecond: 5, seed: 1, count: 0 }).nextOffsetMs()).toBeUndefined()
  })

  it('is deterministic under a seed and differs between seeds', () => {
    for (const count of [undefined, 500]) {
      const a = offsets({ process: 'gamma', burstiness: 2, ratePerSecond: 20, seed: 42, count }, 500)
      const b = offsets({ process: 'gamma', burstiness: 2, ratePerSecond: 20, seed: 42, count }, 500)
      const c = offsets({ process: 'gamma', burstiness: 2, ratePerSecond: 20, seed: 43, count }, 500)
      expect(a).toEqual(b)
      expect(a).not.toEqual(c)
    }
  })

  it('rejects a non-positive rate, a bad count and a bad burstiness with a UserError', () => {
    expect(() => createArrivalSchedule({ process: 'poisson', ratePerSecond: 0, seed: 1 })).toThrow(UserError)
    expect(() => createArrivalSchedule({ process: 'poisson', ratePerSecond: Number.NaN, seed: 1 })).toThrow(/rate/)
    expect(() => createArrivalSchedule({ process: 'constant', ratePerSecond: 1, seed: 1, count: 1.5 })).toThrow(/count/)
    expect(() => createArrivalSchedule({ process: 'gamma', ratePerSecond: 1, burstiness: 0, seed: 1 })).toThrow(/burstiness/)
  })
})

describe('variate samplers', () => {
  for (const shape of [0.3, 1, 2.5, 9]) {
    it(`gamma(${shape}) has mean and variance equal to its shape`, () => {
      const random = seededRandom(99)
      const draws = Array.from({ length: DRAWS }, () => sampleGamma(shape, random))
      const { mean, cv } = meanAndCv(draws)
      expect(Math.abs(mean / shape - 1)).toBeLessThan(0.03)
      expect(Math.abs(cv - 1 / Math.sqrt(shape))).toBeLessThan(0.05)
      expect(draws.every((x) => x >= 0 && Number.isFinite(x))).toBe(true)
    })
  }

  it('exponential has mean 1 and CV 1', () => {
    const random = seededRandom(4)
    const { mean, cv } = meanAndCv(Array.from({ length: DRAWS }, () => sampleExponential(random)))
    expect(Math.abs(mean - 1)).toBeLessThan(0.03)
    expect(Math.abs(cv - 1)).toBeLessThan(0.05)
  })
})
