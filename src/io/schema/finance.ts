import { z } from 'zod'
import { currencySchema } from './catalog.js'
import { boundedUncertain, yearlyRateSchema } from './uncertain-number.js'
import { provenanceFields } from './data-file-parts.js'
import { refuseRepeated } from './refine.js'

/**
 * The finance mechanics file (data/finance/mechanics.yaml, or the model's finance.file): price trends
 * per GPU generation, inflation on staff and energy, FX volatility, resale values, staff for rented
 * fleets, the utilization ramp and the tax rate. Every figure with its source, date and confidence.
 */

/** A fraction from 0 to 1 (a fresh schema at each use). */
const fractionSchema = (): z.ZodNumber => z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1')

const priceTrendSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
    appliesTo: z.enum(['gpu-rental', 'token-api']),
    /** GPU names of the generation (a catalog row's gpu matches when it contains one): gpu-rental only. */
    gpus: z.array(z.string().min(1)).min(1).optional(),
    perYear: yearlyRateSchema,
    ...provenanceFields,
  })
  .strict()
  .refine((trend) => (trend.appliesTo === 'gpu-rental') === (trend.gpus !== undefined), {
    message: 'gpus is required for a gpu-rental trend and not allowed for token-api',
    path: ['gpus'],
  })

const inflationSchema = z.object({ perYear: yearlyRateSchema, ...provenanceFields }).strict()

const fxVolatilitySchema = z
  .object({
    base: currencySchema,
    quote: currencySchema,
    /** Yearly volatility of the log exchange rate (0.07 = 7%). */
    perYear: fractionSchema(),
    ...provenanceFields,
  })
  .strict()

const resalePointSchema = z.object({ ageYears: z.number().min(0, 'must be ≥ 0'), fraction: fractionSchema() }).strict()

export const financeMechanicsFileSchema = z
  .object({
    description: z.string().optional(),
    priceTrends: z.array(priceTrendSchema),
    inflation: z.object({ staff: inflationSchema, energy: inflationSchema }).strict(),
    fx: z.object({ volatilities: z.array(fxVolatilitySchema) }).strict(),
    resale: z
      .object({ curve: z.array(resalePointSchema).min(1), ...provenanceFields })
      .strict()
      .refine((resale) => resale.curve.every((point, index) => index === 0 || point.ageYears > (resale.curve[index - 1] as { ageYears: number }).ageYears), {
        message: 'ages must increase from one point to the next',
        path: ['curve'],
      }),
    rentedFleetStaff: z
      .object({
        gpusPerFte: boundedUncertain({ min: Number.MIN_VALUE }, 'must be > 0 (every value of the distribution)'),
        minimumFte: z.number().min(0, 'must be ≥ 0'),
        loadedCostPerYear: boundedUncertain({ min: 0 }, 'must be ≥ 0 (every value of the distribution)'),
        currency: currencySchema,
        ...provenanceFields,
      })
      .strict(),
    ramp: z.object({ months: z.number().int('must be a whole number of months').min(0, 'must be ≥ 0').max(24, 'must be ≤ 24'), ...provenanceFields }).strict(),
    taxShield: z.object({ rate: fractionSchema(), ...provenanceFields }).strict(),
  })
  .strict()
  .superRefine((file, ctx) => {
    refuseRepeated(ctx, file.priceTrends, 'priceTrends', 'id')
    if (file.priceTrends.filter((trend) => trend.appliesTo === 'token-api').length > 1)
      ctx.addIssue({ code: 'custom', path: ['priceTrends'], message: 'give at most one token-api trend' })
  })
export type FinanceMechanicsFile = z.infer<typeof financeMechanicsFileSchema>
