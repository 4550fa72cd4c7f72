import { z } from 'zod'
import { fxRateUsedSchema, priceUsedSchema } from './price-provenance.js'

/** An estimate with its interval and how the interval was obtained. */
const estimateSchema = z
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

const sloSchema = z
  .object({ ttftMs: z.number().optional(), tpotMs: z.number().optional(), e2eMs: z.number().optional(), objectives: z.array(z.string()).optional() })
  .strict()

/** One load level tried (a sweep step, or a rate the simulator search ran). */
const capacityEvaluationSchema = z
  .object({
    ratePerS: z.number(),
    /** Fraction of requests in the measurement window that met every SLO. */
    attainment: z.number().nullable(),
    requests: z.number().int().nonnegative(),
    seed: z.number().int().nullable(),
  })
  .strict()

const costLineSchema = z
  .object({
    catalogRow: z.string(),
    provider: z.string(),
    region: z.string(),
    sovereignty: z.string(),
    currency: z.string(),
    pricePerGpuHour: z.number(),
    /** Where the price comes from (the catalog row's source, effective date and confidence); null when given by hand. */
    priceSource: z.object({ source: z.string(), date: z.string(), confidence: z.string() }).strict().nullable(),
    /**
     * The catalog row that priced it: basis, effective and fetched dates, age at sizing, source URL;
     * absent for a price given by hand (and in files written before it).
     */
    catalogPrice: priceUsedSchema.optional(),
    /** The dated exchange rates the row's price was converted with (empty when it is in `currency`); with catalogPrice. */
    fxRates: z.array(fxRateUsedSchema).optional(),
    /** What the offer rents out (the catalog row's soldBy): gpu, any number; node, whole nodes of gpusPerNode GPUs (1 for gpu). */
    soldBy: z.enum(['gpu', 'node']),
    gpusPerNode: z.number().int().positive(),
    /** The steady fleet's GPUs as bought from this offer: the endpoint's gpus rounded up to whole nodes where it sells nodes. */
    gpusBought: z.object({ estimate: z.number().int(), low: z.number().int(), high: z.number().int().nullable(), nodes: z.number().int().nullable() }).strict(),
    /** The steady fleet (GPUs bought × price × 730 h), without the rollout surge. */
    fleetPerMonth: estimateSchema,
    /** The rollout surge, bought only while rollouts run (policy.rolloutMonths), never in fleetPerMonth. */
    surge: z
      .object({
        /**
         * GPUs bought for the surge: the surge's GPUs beyond the idle ones of the steady fleet's
         * nodes, rounded up to whole nodes where the offer sells nodes.
         */
        gpus: z.number().int(),
        perMonth: z.number(),
        months: z.number(),
        /** perMonth × months: paid once over the rollout windows. */
        total: z.number(),
      })
      .strict(),
    /**
     * Fleet $/Mtok at the demand: fleetPerMonth / the tokens the demand sends in a month (its
     * average rate × tokens per request × 730 h), ×1e6. What a token served costs with the fleet
     * that is bought. Interval from the fleet's GPU range; null when the demand's tokens are unknown.
     */
    perMtokFleetAtDemand: z.object({ input: estimateSchema.nullable(), output: estimateSchema.nullable(), total: estimateSchema.nullable() }).strict(),
    /** With demand growth: the steady fleet re-sized for the demand in a year (estimates at the capacity's estimate); null without growth. */
    inOneYear: z.object({ gpusBought: z.number().int(), fleetPerMonth: z.number(), perMtokFleetAtDemandTotal: z.number().nullable() }).strict().nullable(),
    /**
     * $/Mtok at full load, one replica: the price of one replica / its goodput at the SLO
     * (InferenceX's formula and split: each carries the whole cost). The marginal figure: a lower
     * bound on what a token costs, reached only by a replica kept at full SLO load around the clock.
     */
    perMtokOneReplicaAtFullLoad: z.object({ input: estimateSchema.nullable(), output: estimateSchema.nullable(), total: estimateSchema.nullable() }).strict(),
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
const modelErrorSchema = z
  .object({
    /** published: tuned on published points; fitted: `geopat sim fit`; derived: borrowed from another profile; unvalidated: no calibration block. */
    basis: z.enum(['published', 'fitted', 'derived', 'unvalidated']),
    /**
     * The regime the error was measured in: underLoad (sizing happens near saturation); lowLoad only
     * when no held-out point under load exists; null: no error known.
     */
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

/**
 * Simulated only: the traffic searched and the prefix reuse the simulator saw. A session mix's
 * turns carry their history, so a prefix cache serves part of each prompt; the hit rate recorded
 * is the simulator's at the capacity found, an assumption about the real server (its cache size,
 * eviction and routing decide the real one). Absent in sizing.json written before it existed.
 */
const trafficSchema = z
  .object({
    /** single-turn: independent prompts; sessions: multi-turn sessions, each turn carrying its history; trace: a trace replayed. */
    shape: z.enum(['single-turn', 'sessions', 'trace']),
    /** The traffic in words (sessions: turns, think time, system prompt, context bound, per-turn lengths). */
    detail: z.string(),
    /** Sessions: mean turns (requests) per session; null otherwise. */
    requestsPerSession: z.number().nullable(),
    /** Mean prompt tokens per request, history included (what the server is sent), and mean answer tokens. */
    promptTokensMean: z.number(),
    answerTokensMean: z.number(),
    /** Sessions: the capacity in sessions per second (ratePerS = this × requestsPerSession); null otherwise. */
    sessionsPerS: estimateSchema.nullable(),
    /** The profile's engine caches prefixes (vLLM's automatic prefix caching). */
    prefixCaching: z.boolean(),
    /** vLLM's definition: prompt tokens found cached / prompt tokens queried, over the runs at each search's capacity; null: none queried. */
    prefixHitRate: z.number().min(0).max(1).nullable(),
    prefixQueryTokens: z.number().nonnegative(),
    prefixHitTokens: z.number().nonnegative(),
    /** What the hit rate is: the simulator's, assumed for the real server. */
    assumption: z.string(),
    /**
     * Sessions: the same profile and SLO searched with single-turn prompts of the very same lengths
     * (each turn's prompt with its history, and its answer) sharing no prefix: the capacity without reuse.
     */
    singleTurn: z.object({ ratePerS: estimateSchema, outputTokensPerS: estimateSchema, prefixHitRate: z.number().nullable() }).strict().nullable(),
    /**
     * A trace: its own mean rate (req/s), the capacity as a speedup of it (the rate found ÷ its own),
     * and the prefix reuse its hash ids imply (repeated blocks' tokens / prompt tokens); absent otherwise.
     */
    trace: z.object({ ownRatePerS: z.number(), speedup: estimateSchema, impliedPrefixReuse: z.number() }).strict().optional(),
  })
  .strict()
export type SizingTraffic = z.infer<typeof trafficSchema>

const endpointSizingSchema = z
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
    /** Simulated only: the traffic searched and the prefix hit rate it assumed (see trafficSchema). */
    traffic: trafficSchema.optional(),
    /**
     * Simulated only: the profile's validation error and how it widened the capacity interval
     * (null for a measured endpoint: its interval is the measurement's). Absent in sizing.json
     * written before the band existed: read as null.
     */
    modelError: modelErrorSchema.nullable().default(null),
    gpusPerReplica: z.number().int().positive(),
    replicas: z
      .object({
        /** ⌈peak / (capacity per replica × target utilization)⌉: the only head-room on the peak. */
        base: z.number().int(),
        /** Added only where base cannot carry the peak at full capacity after the failure guarded against. */
        spare: z.number().int(),
        /** ⌈base × surgeFraction⌉, during rollouts only: not in total. */
        surge: z.number().int(),
        /** The steady fleet: base + spare. */
        total: z.number().int(),
        /** Totals at the capacity interval's high and low ends (high null: the low end is 0, unbounded). */
        low: z.number().int(),
        high: z.number().int().nullable(),
        /** Each term in words, what it buys and how it was counted. */
        terms: z.object({ base: z.string(), spare: z.string(), surge: z.string() }).strict(),
      })
      .strict(),
    /** GPUs the steady fleet needs (replicas.total × GPUs per replica), before rounding to what an offer sells; surge: the rollout surge's. */
    gpus: z.object({ total: z.number().int(), low: z.number().int(), high: z.number().int().nullable(), surge: z.number().int() }).strict(),
    costs: z.array(costLineSchema),
    warnings: z.array(z.string()),
  })
  .strict()
export type EndpointSizing = z.infer<typeof endpointSizingSchema>

/**
 * sizing.json: what `geopat size` found. v2 (fleet economics): GPUs needed and bought per offer,
 * fleet $/Mtok at the demand beside $/Mtok at full load of one replica, the surge apart from the
 * steady fleet; a v1 file is refused by its schema name (re-run geopat size).
 */
export const sizingResultSchema = z
  .object({
    schema: z.literal('geopat.sizing/v2'),
    createdAt: z.string(),
    tool: z.object({ name: z.literal('geopat'), version: z.string() }).strict(),
    demand: z
      .object({
        peakRequestsPerS: z.number(),
        /** The month's average request rate: what the fleet serves, and what fleet $/Mtok divides by. */
        averageRequestsPerS: z.number(),
        /**
         * given: size.averageRequestsPerS; ratio: peak × size.averageToPeak; assumed-peak: neither
         * given, the average taken as the peak (fleet $/Mtok is then a lower bound).
         */
        averageBasis: z.enum(['given', 'ratio', 'assumed-peak']),
        /** Growth per year of peak and average alike (0: none given). */
        growthPerYear: z.number(),
        /** The demand in a year with that growth; null without growth. */
        inOneYear: z.object({ peakRequestsPerS: z.number(), averageRequestsPerS: z.number() }).strict().nullable(),
        inputTokensMean: z.number().nullable(),
        outputTokensMean: z.number().nullable(),
        /** Tokens the demand sends in a 730-hour month: average rate × tokens per request × 730 × 3600. */
        tokensPerMonth: z.object({ input: z.number(), output: z.number() }).strict().nullable(),
      })
      .strict(),
    slo: sloSchema,
    attainment: z.number(),
    policy: z
      .object({
        targetUtilization: z.number(),
        failureDomains: z.number().int(),
        sparePerFailureDomain: z.number().int(),
        surgeFraction: z.number(),
        /** Months in which rollouts run: the surge is paid only then. */
        rolloutMonths: z.number(),
      })
      .strict(),
    endpoints: z.array(endpointSizingSchema),
  })
  .strict()
export type SizingResult = z.infer<typeof sizingResultSchema>
