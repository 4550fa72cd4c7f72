import { z } from 'zod'

/** An estimate with its interval and how the interval was obtained. */
export const estimateSchema = z
  .object({
    estimate: z.number(),
    low: z.number(),
    /** null: unbounded (the measurement cannot rule out a capacity near zero). */
    high: z.number().nullable(),
    /** e.g. "95% t-interval over 5 independent simulated runs", "Wilson 95% on each sweep step's attainment". */
    method: z.string(),
  })
  .strict()
export type Estimate = z.infer<typeof estimateSchema>

const sloSchema = z.object({ ttftMs: z.number().optional(), tpotMs: z.number().optional(), e2eMs: z.number().optional() }).strict()

/** One load level tried (a sweep step, or a rate the simulator search ran). */
export const capacityEvaluationSchema = z
  .object({
    ratePerS: z.number(),
    /** Fraction of requests in the measurement window that met every SLO. */
    attainment: z.number().nullable(),
    requests: z.number().int().nonnegative(),
    seed: z.number().int().nullable(),
  })
  .strict()

export const costLineSchema = z
  .object({
    catalogRow: z.string(),
    provider: z.string(),
    region: z.string(),
    sovereignty: z.string(),
    currency: z.string(),
    pricePerGpuHour: z.number(),
    /** Where the price comes from (the catalog row's source, effective date and confidence); null when given by hand. */
    priceSource: z.object({ source: z.string(), date: z.string(), confidence: z.string() }).strict().nullable(),
    /** The sized fleet (GPUs rounded to whole nodes) for a 730-hour month. */
    fleetPerMonth: estimateSchema,
    /** $/Mtok at one replica's goodput (InferenceX's split: each carries the whole cost). */
    perMtok: z.object({ input: estimateSchema.nullable(), output: estimateSchema.nullable(), total: estimateSchema.nullable() }).strict(),
    joulesPerOutputToken: z.number().nullable(),
    notes: z.array(z.string()),
  })
  .strict()
export type CostLine = z.infer<typeof costLineSchema>

/**
 * The simulator's own error, carried into a simulated endpoint's capacity (and from there into its
 * GPU range and $/Mtok): the profile's validation error at saturation (`calibration.error.underLoad`
 * of data/sim-profiles/*.yaml or a `geopat sim fit` profile) widens the interval of the virtual-time
 * searches. A reader recomputes the widened bounds from `sampling`, `fraction` and `rule`.
 */
export const modelErrorSchema = z
  .object({
    /** published: tuned on published points; fitted: `geopat sim fit`; derived: borrowed from another profile; unvalidated: no calibration block. */
    basis: z.enum(['published', 'fitted', 'derived', 'unvalidated']),
    /** The regime the error was measured in: underLoad (sizing happens near saturation); lowLoad only when no held-out point under load exists; null: no error known. */
    regime: z.enum(['underLoad', 'lowLoad']).nullable(),
    /** Largest |simulated / measured − 1| on the held-out points of that regime, a fraction (0.08 = ±8%); null: none known, no band. */
    fraction: z.number().nonnegative().nullable(),
    /** Held-out points behind the error (calibration.error.heldOutPoints); null when unvalidated. */
    points: z.number().int().nonnegative().nullable(),
    /** derived: the profile whose error is borrowed; fitted: the bench run folder fitted to; else null. */
    from: z.string().nullable(),
    /** What the report says beside the capacity, e.g. "simulated (validated to ±8% under load on 6 published points)". */
    sentence: z.string(),
    /** How the band is combined with the sampling interval, in words and formula. */
    rule: z.string(),
    /** Capacity per replica (req/s) from the searches alone: the t-interval over the virtual-time searches. */
    sampling: z.object({ low: z.number(), high: z.number().nullable() }).strict(),
    /** The same with the model error applied: capacityPerReplica.ratePerS's low and high. */
    widened: z.object({ low: z.number(), high: z.number().nullable() }).strict(),
  })
  .strict()
export type ModelError = z.infer<typeof modelErrorSchema>

export const endpointSizingSchema = z
  .object({
    label: z.string(),
    source: z.enum(['measured', 'simulated']),
    /** Simulated: the profile and CC mode searched. Measured: the summary file read. */
    detail: z.string(),
    /** Simulated only: the simulator profile searched (data/sim-profiles) and whether CC was on. */
    profile: z.object({ name: z.string(), confidential: z.boolean() }).strict().nullable(),
    /** Highest request rate one replica serves with the SLO attainment asked for. */
    capacityPerReplica: z
      .object({
        ratePerS: estimateSchema,
        inputTokensPerS: estimateSchema,
        outputTokensPerS: estimateSchema,
        /** The sweep never breached the SLO: the true capacity is at least this. */
        lowerBoundOnly: z.boolean(),
      })
      .strict(),
    /** Simulated only: the mean-value model of the profile (an upper bound that ignores queueing and noise). */
    firstCut: z
      .object({ ratePerS: z.number(), outputTokensPerS: z.number(), limitedBy: z.enum(['tpot', 'batch', 'stability']), stepMs: z.number(), batch: z.number() })
      .strict()
      .nullable(),
    evaluations: z.array(capacityEvaluationSchema),
    /**
     * Simulated only: the profile's validation error and how it widened the capacity interval
     * (null for a measured endpoint: its interval is the measurement's). Absent in sizing.json
     * written before the band existed: read as null.
     */
    modelError: modelErrorSchema.nullable().default(null),
    gpusPerReplica: z.number().int().positive(),
    replicas: z
      .object({
        /** ⌈peak / (capacity per replica × target utilization)⌉. */
        base: z.number().int(),
        spare: z.number().int(),
        surge: z.number().int(),
        total: z.number().int(),
        /** Totals at the capacity interval's high and low ends (high null: the low end is 0, unbounded). */
        low: z.number().int(),
        high: z.number().int().nullable(),
      })
      .strict(),
    gpus: z
      .object({ total: z.number().int(), nodes: z.number().int(), roundedToNodes: z.number().int(), low: z.number().int(), high: z.number().int().nullable() })
      .strict(),
    costs: z.array(costLineSchema),
    warnings: z.array(z.string()),
  })
  .strict()
export type EndpointSizing = z.infer<typeof endpointSizingSchema>

/** sizing.json: what `geopat size` found. */
export const sizingResultSchema = z
  .object({
    schema: z.literal('geopat.sizing/v1'),
    createdAt: z.string(),
    tool: z.object({ name: z.literal('geopat'), version: z.string() }).strict(),
    demand: z.object({ peakRequestsPerS: z.number(), inputTokensMean: z.number().nullable(), outputTokensMean: z.number().nullable() }).strict(),
    slo: sloSchema,
    attainment: z.number(),
    policy: z
      .object({
        targetUtilization: z.number(),
        failureDomains: z.number().int(),
        sparePerFailureDomain: z.number().int(),
        surgeFraction: z.number(),
        gpusPerNode: z.number().int(),
      })
      .strict(),
    endpoints: z.array(endpointSizingSchema),
  })
  .strict()
export type SizingResult = z.infer<typeof sizingResultSchema>
