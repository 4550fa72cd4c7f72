import { z } from 'zod'
import { fxRateUsedSchema, priceUsedSchema } from './price-provenance.js'

/** tco.json: what `geopat tco` found, validated before it is written and what --json prints. */

const quantilesSchema = z.object({ p10: z.number(), p50: z.number(), p90: z.number(), mean: z.number() }).strict()

const ownedGpuHourSchema = z
  .object({
    capex: z.number(),
    support: z.number(),
    power: z.number(),
    colocation: z.number(),
    staff: z.number(),
    beforeStaff: z.number(),
    withStaff: z.number(),
    /** How it was computed (capital recovery factor, allocation, staff spread). */
    method: z.string(),
  })
  .strict()

const tcoOptionResultSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['rental', 'owned', 'token-api']),
    strategy: z.string().nullable(),
    provider: z.string(),
    region: z.string(),
    jurisdiction: z.object({ region: z.string(), parent: z.string() }).strict(),
    seal: z.string(),
    catalogRow: z.string().nullable(),
    gpu: z.string().nullable(),
    baseline: z.boolean(),
    /** C11: false when the option's SEAL level is below what a data class it carries requires. */
    feasible: z.boolean(),
    excludedReason: z.string().nullable(),
    requiredSeal: z.string().nullable(),
    complianceComponents: z.array(z.string()),
    /** The deterministic case: every input at its mode (or median); null for an excluded option. Not the headline: see monteCarlo. */
    deterministic: z
      .object({
        npvCost: z.number(),
        totalCost: z.number(),
        costByYear: z.array(z.number()),
        /** Present value by cost category (own costs; the baseline's while it still runs under before-move/dual-running). */
        presentValueByCategory: z.record(z.string(), z.number()),
        /** Billed cash (FOCUS BilledCost), cost of risk (expected losses, never billed) and valuation (residual value), undiscounted and at present value. */
        byBasis: z
          .object({
            billed: z.number(),
            costOfRisk: z.number(),
            valuation: z.number(),
            npvBilled: z.number(),
            npvCostOfRisk: z.number(),
            npvValuation: z.number(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .nullable(),
    /** Deterministic case (inputs at their modes), against the baseline (baseline cost − this option's cost); null for the baseline and excluded options. */
    savings: z
      .object({
        npv: z.number(),
        irrAnnual: z.number().nullable(),
        irrNote: z.string().nullable(),
        /** Month (0 = the start month) by whose end cumulative savings turn ≥ 0 for good. */
        paybackMonth: z.number().int().nullable(),
        paybackCalendarMonth: z.string().nullable(),
        discountedPaybackMonth: z.number().int().nullable(),
      })
      .strict()
      .nullable(),
    /**
     * The headline basis: Monte Carlo quantiles. Savings and payback are per draw (this option vs the
     * baseline in the same draw): quantiles of the difference.
     */
    monteCarlo: z
      .object({
        npvCost: quantilesSchema,
        savings: quantilesSchema.extend({ probabilityPositive: z.number() }).nullable(),
        /** Payback month of the move (0 = the start month), nearest rank; null: that quantile does not pay back within the horizon. */
        paybackMonth: z
          .object({
            p10: z.number().int().nullable(),
            p50: z.number().int().nullable(),
            p90: z.number().int().nullable(),
            probabilityWithinHorizon: z.number(),
          })
          .strict()
          .nullable()
          .optional(),
      })
      .strict()
      .nullable(),
    perGpuHour: ownedGpuHourSchema.nullable(),
    /** C13: whether the deterministic cutover pays switching charges (EU Data Act Art. 29). */
    switching: z.object({ date: z.string(), charged: z.boolean(), note: z.string() }).strict().nullable(),
    notes: z.array(z.string()),
  })
  .strict()
export type TcoOptionResult = z.infer<typeof tcoOptionResultSchema>

const tornadoBarSchema = z
  .object({
    driver: z.string(),
    low: z.number(),
    high: z.number(),
    central: z.number(),
    savingsAtLow: z.number(),
    savingsAtHigh: z.number(),
    swing: z.number(),
  })
  .strict()

export const tcoResultSchema = z
  .object({
    kind: z.literal('geopat-tco'),
    geopatVersion: z.string(),
    model: z
      .object({
        file: z.string(),
        name: z.string(),
        description: z.string().nullable(),
        currency: z.string(),
        startMonth: z.string(),
        horizonYears: z.number().int(),
        baseline: z.string(),
        conventions: z.string(),
      })
      .strict(),
    monteCarlo: z
      .object({
        draws: z.number().int().positive(),
        seed: z.number().int(),
        uncertainDrivers: z.number().int().nonnegative(),
        method: z.string(),
        /** Shared keys: each drawn once per draw for every driver that names it. */
        sharedDrivers: z.array(z.object({ key: z.string(), drivers: z.array(z.string()) }).strict()).optional(),
        /** Rank correlations induced (Iman–Conover). */
        correlations: z.array(z.object({ between: z.tuple([z.string(), z.string()]), rank: z.number() }).strict()).optional(),
      })
      .strict(),
    /** Which basis each figure has: the headline (Monte Carlo) and the deterministic case. */
    basis: z.object({ headline: z.string(), deterministic: z.string() }).strict().optional(),
    options: z.array(tcoOptionResultSchema),
    tornado: z.array(z.object({ option: z.string(), savingsAtCentral: z.number(), bars: z.array(tornadoBarSchema) }).strict()),
    drivers: z.array(
      z
        .object({
          name: z.string(),
          distribution: z.string(),
          central: z.number(),
          p10: z.number(),
          p90: z.number(),
          origin: z.string(),
          /** The shared key this driver is one reading of (drawn once per draw with the others of the key). */
          shared: z.string().nullable().optional(),
        })
        .strict(),
    ),
    compliance: z
      .object({
        componentsFile: z.string(),
        finesFile: z.string(),
        components: z.array(z.object({ id: z.string(), title: z.string(), appliesTo: z.string(), formula: z.string() }).strict()),
        switchingChargesProhibitedFrom: z.string(),
        /** Why the company's own regulations (AI Act high-risk C15, DORA C16, NIS2 C17) apply or not. */
        scope: z.array(z.string()).optional(),
        /** The inventory's workloads behind the counts (compliance.inventory), or null. */
        estate: z
          .object({ file: z.string(), highRiskSystems: z.array(z.string()), transferFlows: z.array(z.string()), useCases: z.array(z.string()) })
          .strict()
          .nullable()
          .optional(),
        /** Where the compliance data's figures come from. */
        figures: z
          .object({
            total: z.number(),
            sourced: z.number(),
            fromInventory: z.number(),
            fromModel: z.number(),
            assumption: z.number(),
            assumptions: z.array(z.string()),
          })
          .strict()
          .optional(),
      })
      .strict(),
    /**
     * With a plan (`tco --plan`, `geopat run`): one estate. The baseline is the inventory's workloads
     * priced from their catalog rows, and each option is the part of the plan that moves workloads to
     * that offer, so the options' savings add up to the plan's. Absent without a plan.
     */
    estate: z
      .object({
        inventoryFile: z.string(),
        workloads: z.number().int(),
        /** Today's estate a month at the catalog's prices, in the model's currency. */
        monthlyCost: z.number(),
        /** Tokens (input + output) the workloads' average rates send in a month (730 h), or null when a workload has no average rate. */
        tokensPerMonth: z.number().nullable(),
        /** Workloads the plan moves, by TCO option. */
        moves: z.record(z.string(), z.array(z.string())),
      })
      .strict()
      .optional(),
    /** Every catalog row a figure was priced from (the options', and today's estate's with a plan): basis, dates, age, source URL. */
    pricesUsed: z.array(priceUsedSchema).optional(),
    /** The dated exchange rates those rows were converted into the model's currency with. */
    fxRatesUsed: z.array(fxRateUsedSchema).optional(),
    warnings: z.array(z.string()),
    files: z.object({ json: z.string(), cashflows: z.string(), focus: z.string(), riskEstimates: z.string().optional() }).strict().nullable(),
  })
  .strict()
export type TcoResult = z.infer<typeof tcoResultSchema>
