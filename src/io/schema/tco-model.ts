import { z } from 'zod'
import { currencySchema, sealLevelSchema } from './catalog.js'
import { monthSchema } from './inventory.js'
import { type TcoOption, optionIdSchema, tcoOptionSchema } from './tco-option.js'
import { boundedUncertain, nonNegative, positive, uncertainNumberSchema, yearlyRateSchema } from './uncertain-number.js'

/**
 * A TCO model file (`geopat tco MODEL.yaml`): every field a finance user may change is here or in
 * its parts (tco-option.ts, uncertain-number.ts), with the rule a wrong value breaks. The
 * compliance-tax data files it draws its defaults from are in compliance-data.ts.
 */

// The model's parts live in their own files; the TCO code imports them from here, the format's one entry point.
export { type UncertainNumber, uncertainNumberSchema } from './uncertain-number.js'
export type { ComplianceComponentId, OwnedOption, RentalOption, TcoOption, TokenApiOption } from './tco-option.js'
export {
  type ComplianceComponentsFile,
  type FineCeiling,
  type FineCeilingsFile,
  complianceComponentsFileSchema,
  fineCeilingsFileSchema,
} from './compliance-data.js'

/** DORA Art. 2(1): the financial entities it applies to (a subset of its list; `other` for the rest of it). */
const financialEntitySchema = z.enum([
  'credit-institution',
  'payment-institution',
  'e-money-institution',
  'investment-firm',
  'crypto-asset-service-provider',
  'insurance-undertaking',
  'reinsurance-undertaking',
  'insurance-intermediary',
  'occupational-pension-fund',
  'other',
])

const correlationSchema = z
  .object({
    between: z.tuple([z.string().min(1), z.string().min(1)], { error: 'must name two drivers: [a, b]' }),
    rank: z.number().min(-1, 'must be a rank correlation from -1 to 1').max(1, 'must be a rank correlation from -1 to 1'),
    note: z.string().optional(),
  })
  .strict()
  .refine((pair) => pair.between[0] !== pair.between[1], { message: 'must name two different drivers', path: ['between'] })

const tcoModelObjectSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore'),
    description: z.string().optional(),
    /** Every amount of the result is in this one currency; others are converted with the FX table. */
    currency: currencySchema,
    /** First month of the cash flows. */
    startMonth: monthSchema,
    horizonYears: z.number().int('must be a whole number of years').min(3, 'must be 3 to 5 years').max(5, 'must be 3 to 5 years'),
    /** Annual weighted average cost of capital; monthly rate (1 + wacc)^(1/12) − 1. */
    wacc: boundedUncertain({ min: 0, max: 1 }, 'must be an annual rate from 0 to 1 (0.08 = 8%)'),
    /** The option the others are compared with (default: the first). */
    baseline: optionIdSchema.optional(),
    demand: z
      .object({
        /** GPUs needed in the first year (rental and owned options; an option may override). */
        gpus: positive().optional(),
        /** Tokens per month in the first year (token-API options, C4 redaction). */
        tokensPerMonth: z.object({ input: nonNegative(), output: nonNegative() }).strict().optional(),
        /** Growth of demand per year, applied at each anniversary of the start month. */
        growthPerYear: boundedUncertain({ min: -0.9, max: 10 }, 'must be a yearly growth rate from -0.9 to 10 (0.25 = +25%/yr)').default(0),
      })
      .strict(),
    /** For C9 (expected regulatory loss): annual worldwide turnover in the model's currency. */
    company: z
      .object({
        annualTurnover: nonNegative(),
        sme: z.boolean().default(false),
        /** DORA (Regulation (EU) 2022/2554) Art. 2(1): the kind of financial entity, if the company is one (C16). */
        financialEntity: financialEntitySchema.optional(),
        /** DORA Art. 26(8): identified by the competent authority for threat-led penetration testing (C16). */
        doraTlpt: z.boolean().default(false),
        /** NIS2 (Directive (EU) 2022/2555): the annex that lists the company's sector, or none (C17). */
        nis2Annex: z.enum(['I', 'II', 'none']).default('none'),
        /** Staff headcount, for NIS2's size rule (medium ≥ 50, large ≥ 250); default: decided by turnover alone. */
        employees: z.number().int('must be a whole number').min(0, 'must be ≥ 0').optional(),
      })
      .strict()
      .optional(),
    sovereignty: z
      .object({
        dataClasses: z.array(z.object({ name: z.string().min(1), requiredSeal: sealLevelSchema, description: z.string().optional() }).strict()).default([]),
      })
      .strict()
      .default({ dataClasses: [] }),
    compliance: z
      .object({
        /** Replace the built-in data/compliance files (paths relative to the working directory). */
        componentsFile: z.string().min(1).optional(),
        finesFile: z.string().min(1).optional(),
        /**
         * An inventory (geopat plan's file; path relative to this model): the counts the compliance
         * tax needs come from its workloads instead of hand-set parameters: AI Act high-risk systems
         * (C15), transfer flows to non-EU-parent providers (C1), personal-data use cases (C2 DPIA).
         */
        inventory: z.string().min(1).optional(),
        /** Overrides of the data file's parameters, in the model's currency where they are money. */
        parameters: z.record(z.string(), uncertainNumberSchema).default({}),
      })
      .strict()
      .default({ parameters: {} }),
    options: z.array(tcoOptionSchema).min(2, 'needs at least two options: a baseline and an alternative'),
    /**
     * Finance mechanics (price trends, inflation, FX uncertainty, commitments with stranding, resale value,
     * staff for rented fleets, utilization ramp, optional tax shield): absent, none apply; `finance: {}`
     * applies data/finance/mechanics.yaml's defaults; each field below overrides one.
     */
    finance: z
      .object({
        /** Replace the built-in data/finance/mechanics.yaml. */
        file: z.string().min(1).optional(),
        /** Yearly price change by trend id of the finance file (hopper, blackwell, token-api …). */
        priceTrends: z.record(z.string(), yearlyRateSchema).default({}),
        inflation: z.object({ staff: yearlyRateSchema.optional(), energy: yearlyRateSchema.optional() }).strict().default({}),
        /** false: convert at the dated rates only (no FX driver). */
        fxUncertainty: z.boolean().default(true),
        /** Default utilization ramp of every new option, months. */
        rampMonths: z.number().int('must be a whole number of months').min(0, 'must be ≥ 0').max(24, 'must be ≤ 24').optional(),
        /** false: no staff for rented fleets; or the rule's parameters (loadedCostPerYear in the model's currency). */
        rentedFleetStaff: z
          .union([
            z.literal(false),
            z
              .object({
                gpusPerFte: positive().optional(),
                minimumFte: z.number().min(0, 'must be ≥ 0').optional(),
                loadedCostPerYear: nonNegative().optional(),
              })
              .strict(),
          ])
          .optional(),
        /** Commitments (1-yr, 3-yr) keep billing to the end of their term after an exit or a shrink; false: not modelled. */
        commitments: z.boolean().default(true),
        /** Tax shield on owned capex (depreciation × rate): off unless given; rate default the finance file's. */
        taxShield: z
          .object({ rate: z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1').optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** Labels of the FOCUS export. */
    focus: z
      .object({ billingAccountId: z.string().min(1), billingAccountName: z.string().min(1) })
      .strict()
      .optional(),
    /**
     * Rank (Spearman) correlations between uncertain drivers, each named by its driver name
     * (`demand.growthPerYear`, `options.own-dc.energyPerKWh`) or its shared key; applied with
     * Iman–Conover. Pairs not listed are independent.
     */
    correlations: z.array(correlationSchema).default([]),
  })
  .strict()

export const tcoModelSchema = tcoModelObjectSchema.superRefine((model, ctx) => {
  checkOptionIds(model, ctx)
  for (const [index, option] of model.options.entries()) checkOption(model, option, index, ctx)
})

type ParsedModel = z.infer<typeof tcoModelObjectSchema>

function checkOptionIds(model: ParsedModel, ctx: z.RefinementCtx): void {
  const ids = new Set<string>()
  model.options.forEach((option, index) => {
    if (ids.has(option.id)) ctx.addIssue({ code: 'custom', path: ['options', index, 'id'], message: `${option.id} is used twice` })
    ids.add(option.id)
  })
  if (model.baseline !== undefined && !ids.has(model.baseline))
    ctx.addIssue({ code: 'custom', path: ['baseline'], message: `no option has id ${model.baseline}` })
}

/** One option's rules that depend on the rest of the model (its data classes, the baseline, demand, the company, the horizon). */
function checkOption(model: ParsedModel, option: TcoOption, index: number, ctx: z.RefinementCtx): void {
  const baseline = model.baseline ?? model.options[0]?.id
  const classes = new Set(model.sovereignty.dataClasses.map((dataClass) => dataClass.name))
  option.dataClasses?.forEach((name, classIndex) => {
    if (!classes.has(name))
      ctx.addIssue({ code: 'custom', path: ['options', index, 'dataClasses', classIndex], message: `no data class ${name} under sovereignty.dataClasses` })
  })
  if (option.id === baseline && option.migration !== undefined)
    ctx.addIssue({ code: 'custom', path: ['options', index, 'migration'], message: 'the baseline does not migrate: move this block to the other options' })
  if (option.id === baseline && option.kind === 'owned')
    ctx.addIssue({
      code: 'custom',
      path: ['options', index, 'kind'],
      message: 'an owned baseline (an installed base) is not modelled: use a rental or token-api baseline',
    })
  if (option.kind !== 'token-api' && option.gpus === undefined && model.demand.gpus === undefined) {
    ctx.addIssue({ code: 'custom', path: ['options', index, 'gpus'], message: 'is required when demand.gpus is not given' })
  }
  if (option.kind === 'token-api' && model.demand.tokensPerMonth === undefined) {
    ctx.addIssue({ code: 'custom', path: ['demand', 'tokensPerMonth'], message: `is required by token-api option ${option.id}` })
  }
  checkRegulatoryRisks(model, option, index, ctx)
  if (option.migration?.startMonth !== undefined && option.migration.startMonth >= model.horizonYears * 12) {
    ctx.addIssue({
      code: 'custom',
      path: ['options', index, 'migration', 'startMonth'],
      message: `must be inside the horizon (below ${model.horizonYears * 12})`,
    })
  }
}

function checkRegulatoryRisks(model: ParsedModel, option: TcoOption, index: number, ctx: z.RefinementCtx): void {
  const fines = new Set<string>()
  option.regulatoryRisks.forEach((risk, riskIndex) => {
    if (fines.has(risk.fine))
      ctx.addIssue({
        code: 'custom',
        path: ['options', index, 'regulatoryRisks', riskIndex, 'fine'],
        message: `${risk.fine} is listed twice: give one probability and severity per fine`,
      })
    fines.add(risk.fine)
  })
  if (option.regulatoryRisks.length > 0 && model.company === undefined) {
    ctx.addIssue({ code: 'custom', path: ['company', 'annualTurnover'], message: `is required by option ${option.id}'s regulatoryRisks (C9)` })
  }
}

export type TcoModel = z.infer<typeof tcoModelSchema>
