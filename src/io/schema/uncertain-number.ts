import { z } from 'zod'

/**
 * The uncertain numbers of a TCO model and of the finance file: a fixed number or a distribution
 * (triangular, PERT, lognormal) the Monte Carlo samples, and the bounded variants their fields use.
 */

const UNCERTAIN_RULE =
  'must be a number, { triangular: [min, mode, max] }, { pert: [min, mode, max] } or { lognormal: { p10, p90 } } ' +
  '(or { lognormal: { median, sigma } }), each with an optional shared: KEY'

/**
 * The key of a shared driver: every uncertain input that names the same key is one quantity, drawn
 * once per Monte Carlo draw (each input at the same quantile of its own distribution), and moved as
 * one bar in the tornado. `correlations` may name it.
 */
const driverKeySchema = z
  .string()
  .regex(/^[a-z0-9][A-Za-z0-9._-]*$/, 'must be a key of letters, digits, dot, dash or underscore, starting lower-case or with a digit')
const shared = { shared: driverKeySchema.optional() }

const triple = z.tuple([z.number(), z.number(), z.number()])
const isOrdered = ([min, mode, max]: [number, number, number]): boolean => min <= mode && mode <= max && min < max
const triangularSchema = z
  .object({ triangular: triple, ...shared })
  .strict()
  .refine((spec) => isOrdered(spec.triangular), 'triangular: needs min ≤ mode ≤ max with min < max')
const pertSchema = z
  .object({ pert: triple, ...shared })
  .strict()
  .refine((spec) => isOrdered(spec.pert), 'pert: needs min ≤ mode ≤ max with min < max')
const lognormalSchema = z
  .object({
    lognormal: z.union([
      z
        .object({ p10: z.number().positive('must be > 0'), p90: z.number().positive('must be > 0') })
        .strict()
        .refine((spec) => spec.p10 < spec.p90, 'lognormal: p10 must be below p90'),
      z.object({ median: z.number().positive('must be > 0'), sigma: z.number().positive('must be > 0') }).strict(),
    ]),
    ...shared,
  })
  .strict()

/**
 * A numeric driver: a fixed number, or an uncertain input the Monte Carlo samples and the tornado
 * moves from its P10 to its P90. The deterministic run uses the mode (triangular, PERT) or the
 * median (lognormal).
 */
export const uncertainNumberSchema = z.union([z.number(), triangularSchema, pertSchema, lognormalSchema], { error: UNCERTAIN_RULE })
export type UncertainNumber = z.infer<typeof uncertainNumberSchema>

/** The smallest and largest values an uncertain number can take (lognormal: (0, ∞)). */
function uncertainSupport(value: UncertainNumber): [number, number] {
  if (typeof value === 'number') return [value, value]
  if ('triangular' in value) return [value.triangular[0], value.triangular[2]]
  if ('pert' in value) return [value.pert[0], value.pert[2]]
  return [Number.MIN_VALUE, Number.POSITIVE_INFINITY]
}

/** An uncertain number whose every possible value lies in [min, max] (`rule` says so in the error). */
export function boundedUncertain(bounds: { min?: number; max?: number; below?: number }, rule: string) {
  return uncertainNumberSchema.refine((value) => {
    const [low, high] = uncertainSupport(value)
    if (bounds.min !== undefined && low < bounds.min) return false
    if (bounds.max !== undefined && high > bounds.max) return false
    if (bounds.below !== undefined && high >= bounds.below) return false
    return true
  }, rule)
}

/** A yearly rate of change: every value of the distribution from −0.9 to +1 (−90% to +100% a year). */
export const yearlyRateSchema = boundedUncertain(
  { min: -0.9, max: 1 },
  'must be a yearly rate from -0.9 to 1 (-0.08 = -8%/yr), every value of the distribution',
)

export const nonNegative = () => boundedUncertain({ min: 0 }, 'must be ≥ 0 (every value of the distribution)')
export const positive = () => boundedUncertain({ min: Number.MIN_VALUE }, 'must be > 0 (every value of the distribution)')
export const fraction = () => boundedUncertain({ min: 0, max: 1 }, 'must be a fraction from 0 to 1 (every value of the distribution)')
