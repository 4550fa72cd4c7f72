import { attestationRunSchema } from './attestation.js'
import { z } from 'zod'
import { runSafetySchema } from './safety.js'
import { distributionSchema, serverLostSchema } from './summary.js'
export { type CompareConfig, compareConfigSchema, operatingPointSchema } from './compare-config.js'

const intervalSchema = z.object({ estimate: z.number(), low: z.number(), high: z.number(), confidence: z.number(), resamples: z.number() }).strict()
/** A bootstrap interval as compare.json records it. */
export type CompareInterval = z.infer<typeof intervalSchema>

export const STATISTICS = ['mean', 'p50', 'p90', 'p99'] as const
export const COMPARED_METRICS = ['ttft', 'itl', 'tpot', 'e2e'] as const

const perStatistic = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(STATISTICS.map((s) => [s, schema])) as Record<(typeof STATISTICS)[number], T>).strict()
const perMetric = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(COMPARED_METRICS.map((m) => [m, schema])) as Record<(typeof COMPARED_METRICS)[number], T>).strict()

const contrastEntrySchema = z
  .object({
    ratio: intervalSchema.nullable(),
    difference: intervalSchema.nullable(),
    verdict: z.enum(['slower', 'faster', 'indistinguishable', 'too-few-requests']),
    /** Requests per arm for the ratio interval to reach the target width (null: already there). */
    runLongerRequests: z.number().int().nullable(),
  })
  .strict()

const armSummarySchema = z
  .object({
    label: z.string(),
    url: z.string(),
    sent: z.number().int(),
    succeeded: z.number().int(),
    metrics: perMetric(perStatistic(intervalSchema.nullable())),
    distributions: perMetric(distributionSchema),
  })
  .strict()

const reconciliationSchema = z
  .object({
    arm: z.string(),
    available: z.boolean(),
    note: z.string().nullable(),
    ttft: z.object({ clientMeanMs: z.number().nullable(), serverMeanMs: z.number().nullable(), gapPct: z.number().nullable() }).strict(),
    itl: z.object({ clientMeanMs: z.number().nullable(), serverMeanMs: z.number().nullable(), gapPct: z.number().nullable() }).strict(),
    e2e: z.object({ clientMeanMs: z.number().nullable(), serverMeanMs: z.number().nullable(), gapPct: z.number().nullable() }).strict(),
    requests: z.object({ client: z.number(), server: z.number().nullable() }).strict(),
    promptTokens: z.object({ client: z.number(), server: z.number().nullable() }).strict(),
    generationTokens: z.object({ client: z.number(), server: z.number().nullable() }).strict(),
    /**
     * geopat's simulator only: mean lateness of its socket writes against its own schedule, ms. The
     * precision to which a simulated endpoint realized the delays it was configured with; null for
     * any other server.
     */
    simulatorEmitLatenessMs: z.number().nullable(),
  })
  .strict()

const overheadSplitSchema = z
  .object({
    baseline: z.string(),
    arm: z.string(),
    /** Probe latency difference (arm − baseline): the confidential VM's network and I/O tax. */
    frontEndMs: intervalSchema.nullable(),
    /** TTFT difference minus the front-end share: the prefill (first-token) effect. */
    prefillMs: intervalSchema.nullable(),
    /** Per-request inter-token latency and TPOT differences: the decode effect. */
    decodeItlMs: intervalSchema.nullable(),
    decodeTpotMs: intervalSchema.nullable(),
    decodeItlRatio: intervalSchema.nullable(),
  })
  .strict()

/** One arm's sweep: throughput at saturation (with its interval) and the knee. */
const saturationSchema = z
  .object({
    arm: z.string(),
    /** Output tokens per second in the maximum-throughput step; interval from 1-s bins, bootstrapped. */
    outputTokensPerS: intervalSchema.nullable(),
    requestsPerS: z.number(),
    /** Highest offered rate whose median TTFT stayed within 3× the synchronous one, and the next rate tried. */
    knee: z.object({ ratePerS: z.number().nullable(), nextRatePerS: z.number().nullable() }).strict(),
    steps: z.array(
      z
        .object({
          label: z.string(),
          offeredRatePerS: z.number().nullable(),
          requestsPerS: z.number(),
          outputTokensPerS: z.number(),
          ttftP50Ms: z.number().nullable(),
        })
        .strict(),
    ),
  })
  .strict()

export const compareSummarySchema = z
  .object({
    schema: z.literal('geopat.compare-summary/v1'),
    runId: z.string(),
    tool: z.object({ name: z.literal('geopat'), version: z.string(), node: z.string() }).strict(),
    startedAt: z.string(),
    finishedAt: z.string(),
    recordsFile: z.string(),
    design: z.enum(['randomized', 'abba']),
    paired: z.boolean(),
    interrupted: z.boolean(),
    /** An endpoint went away during the comparison (connect errors in a row, or a stall): sending stopped there. */
    serverLost: z.array(serverLostSchema.extend({ endpoint: z.string() }).strict()).optional(),
    /** Present when compare.saturation is set: one sweep per arm, and each arm's ratio to the first. */
    saturation: z
      .object({
        arms: z.array(saturationSchema),
        ratios: z.array(z.object({ baseline: z.string(), arm: z.string(), outputTokensPerS: intervalSchema.nullable() }).strict()),
      })
      .strict()
      .nullable(),
    operatingPoints: z.array(
      z
        .object({
          label: z.string(),
          load: z.object({ concurrency: z.number().nullable(), ratePerS: z.number().nullable() }).strict(),
          blockOrder: z.array(z.array(z.string())),
          arms: z.array(armSummarySchema),
          contrasts: z.array(
            z
              .object({
                baseline: z.string(),
                arm: z.string(),
                paired: z.boolean(),
                pairs: z.number().int(),
                metrics: perMetric(perStatistic(contrastEntrySchema)),
              })
              .strict(),
          ),
          aaFloor: perMetric(perStatistic(z.number())).nullable(),
          overhead: z.array(overheadSplitSchema),
          reconciliation: z.array(reconciliationSchema),
          peers: z.array(z.object({ arm: z.string(), tool: z.string(), name: z.string(), formula: z.string(), distribution: distributionSchema }).strict()),
          coalescing: z.array(z.object({ arm: z.string(), eventsPerRead: z.number().nullable(), detected: z.boolean() }).strict()),
          clientVerdicts: z.array(z.object({ arm: z.string(), verdict: z.enum(['ok', 'client-bound', 'server-lost']), reasons: z.array(z.string()) }).strict()),
          probe: z.array(z.object({ arm: z.string(), latencyMeanMs: z.number(), latencyStdMs: z.number(), requests: z.number().int() }).strict()),
        })
        .strict(),
    ),
    warnings: z.array(z.string()),
    /** Evidence of each endpoint's confidentiality before and after the comparison (attest: in the scenario). */
    attestation: attestationRunSchema.optional(),
    /** TLS verification, CA file, client certificate, API key variable, header names, retries (absent in older summaries). */
    safety: runSafetySchema.optional(),
  })
  .strict()
export type CompareSummary = z.infer<typeof compareSummarySchema>
