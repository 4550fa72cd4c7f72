import { z } from 'zod'
import { confidenceSchema, countrySchema, isoDateSchema, sealLevelSchema } from './catalog.js'

/** A calendar month, YYYY-MM. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM')

const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, dot, dash or underscore')

/** A dated obligation a workload's move is held to (data/regulation/deadlines.yaml, or the inventory's own). */
const deadlineSchema = z
  .object({
    id: nameSchema,
    date: isoDateSchema,
    title: z.string().min(1),
    /** What it bears on (free text: high-risk, switching, financial, contract …). */
    appliesTo: z.string().optional(),
    source: z.string().min(1),
    confidence: confidenceSchema,
  })
  .strict()
export type Deadline = z.infer<typeof deadlineSchema>

export const deadlineFileSchema = z.object({ deadlines: z.array(deadlineSchema) }).strict()

/**
 * The 7 Rs mapped to inference (shared/reference/economics.md, "TCO and migration practice"):
 * Rehost/Relocate to a hyperscaler sovereign region, Replatform to an EU GPU cloud or on-prem,
 * Repurchase an EU token API, Refactor behind a model gateway or to another model, Retain with
 * redaction and transfer assessments, Retire.
 */
export const strategySchema = z.enum(['rehost', 'relocate', 'replatform', 'repurchase', 'refactor', 'retain', 'retire'])
export type Strategy = z.infer<typeof strategySchema>

/** Where a workload can move: one hosting option. */
const targetOptionSchema = z
  .object({
    id: nameSchema,
    description: z.string().optional(),
    kind: z.enum(['hyperscaler-sovereign-region', 'eu-gpu-cloud', 'on-prem', 'eu-token-api', 'model-gateway']),
    provider: z.string().min(1),
    jurisdiction: z.object({ region: countrySchema, parent: countrySchema }).strict(),
    sovereignty: sealLevelSchema,
    confidentialComputing: z.boolean().default(false),
    /** Models it serves; a workload whose model is not here must refactor (switch model) to use it. */
    models: z.array(z.string().min(1)).min(1),
    /** The option of a TCO model this target is costed as: `geopat tco --plan` times that option's move from the plan. */
    tcoOption: z.string().optional(),
    /**
     * The offer: a catalog row (GPU rental per GPU- or instance-hour, or a token API per Mtok). Its
     * price ranks the options for each workload, and the TCO option named by tcoOption must price
     * the same row. An on-prem option has none and gives costPerGpuMonth.
     */
    catalogRow: z.string().min(1).optional(),
    /** Monthly cost per GPU in the inventory's currency, for an option without a catalog row (on-prem), to rank the options that pass every gate. */
    costPerGpuMonth: z.number().nonnegative().optional(),
    /** Endpoint label in a geopat bench summary (--from) measured on this option: its latency evidence. */
    benchEndpoint: z.string().optional(),
    /** Token APIs need no GPUs of the plan's own. */
    usesPlanGpus: z.boolean().default(true),
  })
  .strict()
export type TargetOption = z.infer<typeof targetOptionSchema>

export const workloadSchema = z
  .object({
    name: nameSchema,
    owner: z.string().min(1),
    description: z.string().optional(),
    /** Data classes it processes (personal, special-category, financial, trade-secret, public …). */
    dataClasses: z.array(z.string().min(1)).min(1),
    /** The lowest sovereignty level its data classes allow (C11 gate). */
    requiredSovereignty: sealLevelSchema,
    /** Must run on confidential-computing GPUs. */
    requiresConfidentialComputing: z.boolean().default(false),
    aiActRisk: z.enum(['prohibited', 'high', 'limited', 'minimal', 'gpai']),
    current: z
      .object({
        provider: z.string().min(1),
        region: z.string().min(1),
        endpoint: z.string().optional(),
        /** The catalog row today's host is priced from (geopat catalog list): a GPU rental or a token API. */
        catalogRow: z.string().min(1).optional(),
        /** GPUs rented today, when the host is a GPU rental (a token API is priced per token instead). */
        gpus: z.number().int().positive().optional(),
        model: z.string().min(1),
        sovereignty: sealLevelSchema,
        jurisdiction: z.object({ region: countrySchema, parent: countrySchema }).strict(),
      })
      .strict(),
    traffic: z
      .object({
        peakRequestsPerS: z.number().nonnegative(),
        /** Requests per second averaged over a month: the token volume a token API bills (average × 730 h × tokens per request). */
        averageRequestsPerS: z.number().nonnegative().optional(),
        inputTokensPerRequest: z.number().positive(),
        outputTokensPerRequest: z.number().positive(),
        /** GPUs it needs on a GPU option (from `geopat size`); token APIs need none of the plan's. */
        gpus: z.number().int().nonnegative(),
      })
      .strict(),
    slo: z
      .object({
        ttftMs: z.number().positive(),
        tpotMs: z.number().positive(),
        /** Largest tolerable share of failed requests, percent. */
        errorRatePct: z.number().nonnegative(),
      })
      .strict(),
    /** May move to another model (a Refactor) when no option serves its model. */
    canSwitchModel: z.boolean().default(false),
    /** Business value of moving it: higher goes earlier among equals. */
    value: z.enum(['low', 'medium', 'high']).default('medium'),
    /** Being switched off: Retire. */
    retire: z.boolean().default(false),
    dependsOn: z.array(z.string().min(1)).default([]),
    /** Deadline ids (data/regulation/deadlines.yaml or the inventory's own `deadlines:`). */
    deadlines: z.array(z.string().min(1)).default([]),
  })
  .strict()
export type InventoryWorkload = z.infer<typeof workloadSchema>

/** How long each step of a wave takes, in months (assumptions of the inventory's owner). */
const practiceSchema = z
  .object({
    assessmentMonths: z.number().int().positive().default(1),
    pilotMonths: z.number().int().positive().default(1),
    /** Canary ramp 1% → 10% → 50% → 100%. */
    canaryMonths: z.number().int().positive().default(1),
    /** Old and new both serve (shared/reference/economics.md C14: 3–6 months). */
    dualRunningMonths: z.number().int().nonnegative().default(3),
    decommissionMonths: z.number().int().positive().default(1),
    canarySteps: z.array(z.number().positive().max(100)).default([1, 10, 50, 100]),
    /** Rollback when the eval score drops by more than this many points. */
    evalRegressionPoints: z.number().positive().default(2),
    /** Rollback when $/Mtok deviates from the plan by more than this share. */
    costDeviation: z.number().positive().default(0.2),
    /** At most this many workloads start in one month (a programme's change capacity). */
    maxWorkloadsPerMonth: z.number().int().positive().default(4),
  })
  .strict()

export const inventorySchema = z
  .object({
    description: z.string().optional(),
    organisation: z.string().min(1),
    /** First month of the plan. */
    start: monthSchema,
    /** Months the plan may run to before a move counts as unschedulable. */
    horizonMonths: z.number().int().positive().max(120).default(48),
    /** Currency of costPerGpuMonth (catalog prices are converted to it to rank options). */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .default('USD'),
    /** GPUs the target environments can hold, from a month on (a step function). */
    capacity: z.array(z.object({ from: monthSchema, gpus: z.number().int().nonnegative() }).strict()).min(1),
    practice: practiceSchema.default(practiceSchema.parse({})),
    /**
     * Per-workload sizing (`geopat run` with a size: step): the simulator profile that models each
     * model on the GPU offers. A workload whose model is listed gets its GPUs from its own traffic
     * (peak req/s, token lengths, SLO) instead of traffic.gpus.
     */
    sizing: z
      .object({ profiles: z.record(z.string().min(1), z.string().min(1)) })
      .strict()
      .optional(),
    options: z.array(targetOptionSchema).min(1),
    deadlines: z.array(deadlineSchema).default([]),
    workloads: z.array(workloadSchema).min(1),
  })
  .strict()
export type Inventory = z.infer<typeof inventorySchema>
