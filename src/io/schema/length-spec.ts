/**
 * The token-length spec of scenario files and calibration sets (how long prompts and replies
 * should be); its samplers and the CLI flag parser are in src/input/distributions.ts.
 */
import { z } from 'zod'

const tokenCount = z.number().int().min(1)
const positive = z.number().positive()
const nonNegative = z.number().min(0)

const fixedSpec = z.object({ dist: z.literal('fixed'), value: tokenCount })
const uniformSpec = z.object({ dist: z.literal('uniform'), min: tokenCount, max: tokenCount })
const normalSpec = z.object({
  dist: z.literal('normal'),
  mean: positive,
  std: nonNegative,
  min: tokenCount.optional(),
  max: tokenCount.optional(),
})
const lognormalSpec = z.object({
  dist: z.literal('lognormal'),
  mean: positive,
  std: nonNegative,
  min: tokenCount.optional(),
  max: tokenCount.optional(),
})

export const lengthSpecSchema = z
  .union([tokenCount, z.discriminatedUnion('dist', [fixedSpec, uniformSpec, normalSpec, lognormalSpec])])
  .superRefine((spec, ctx) => {
    if (typeof spec === 'number' || spec.dist === 'fixed') return
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min (${spec.min}) must be <= max (${spec.max})` })
    }
  })

/** A token count: a fixed number, or a distribution whose draws are rounded and clamped to >= 1. */
export type LengthSpec = z.infer<typeof lengthSpecSchema>
