import { z } from 'zod'

export const operatingPointSchema = z
  .object({
    label: z.string().min(1),
    concurrency: z.number().int().min(1).max(10_000).optional(),
    rate: z.number().positive().optional(),
    /** Requests per arm per round at this point (default: compare.requestsPerBlock); near saturation it should exceed the concurrency. */
    requestsPerBlock: z.number().int().min(2).max(100_000).optional(),
  })
  .strict()
  .refine((p) => (p.concurrency === undefined) !== (p.rate === undefined), { message: 'give either concurrency or rate' })

/** The `compare:` section of a scenario: how endpoints are measured against each other. */
export const compareConfigSchema = z
  .object({
    /** Order of the arms in each round: ABBA (A B, then B A, ...) or a seeded random order. */
    design: z.enum(['randomized', 'abba']).default('randomized'),
    /** Requests each arm gets in one block; the same prompts go to every arm of a round. */
    requestsPerBlock: z.number().int().min(2).max(100_000).default(20),
    /** Rounds per operating point: each round runs every arm once. */
    rounds: z.number().int().min(1).max(1000).default(5),
    /** Requests sent to each arm before its first round at each operating point, left out. */
    warmupRequests: z.number().int().nonnegative().default(4),
    /** Low load and near saturation are measured apart, never pooled. */
    operatingPoints: z
      .array(operatingPointSchema)
      .min(1)
      .default([{ label: 'low-load', concurrency: 1 }]),
    /** Also measure the first endpoint against itself: the A/A noise floor. */
    aa: z.boolean().default(false),
    resamples: z.number().int().min(200).max(100_000).default(2000),
    confidence: z.number().min(0.5).max(0.999).default(0.95),
    /** "Run longer" when an interval's half-width exceeds this share of its estimate. */
    targetRelativeHalfWidth: z.number().positive().max(1).default(0.05),
    /**
     * Saturation: a sweep per arm (synchronous, maximum throughput, then rates between) for the
     * throughput at saturation and the knee. Seconds per step, rates between, concurrency of the
     * maximum-throughput step.
     */
    saturation: z
      .object({
        durationS: z.number().positive().default(10),
        steps: z.number().int().min(1).max(20).default(4),
        maxConcurrency: z.number().int().min(1).default(128),
      })
      .strict()
      .optional(),
    /** Front-end probe (autocannon, GET /v1/models): requests per second and seconds per endpoint. */
    probe: z
      .object({ rate: z.number().positive().default(50), durationS: z.number().positive().default(3) })
      .strict()
      .optional(),
  })
  .strict()
export type CompareConfig = z.infer<typeof compareConfigSchema>
