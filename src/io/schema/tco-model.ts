import { z } from 'zod'
import { confidenceSchema, countrySchema, currencySchema, isoDateSchema, pricingModelSchema, sealLevelSchema } from './catalog.js'

/**
 * A TCO model file (`geopat tco MODEL.yaml`) and the compliance-tax data files it draws its
 * defaults from (data/compliance/*.yaml). One schema each: every field a finance user may change
 * is here, with the rule a wrong value breaks.
 */

const UNCERTAIN_RULE =
  'must be a number, { triangular: [min, mode, max] }, { pert: [min, mode, max] } or { lognormal: { p10, p90 } } (or { lognormal: { median, sigma } }), each with an optional shared: KEY'

/**
 * The key of a shared driver: every uncertain input that names the same key is one quantity, drawn
 * once per Monte Carlo draw (each input at the same quantile of its own distribution), and moved as
 * one bar in the tornado. `correlations` may name it.
 */
export const driverKeySchema = z.string().regex(/^[a-z0-9][A-Za-z0-9._-]*$/, 'must be a key of letters, digits, dot, dash or underscore, starting lower-case or with a digit')
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
export function uncertainSupport(value: UncertainNumber): [number, number] {
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
export const yearlyRateSchema = boundedUncertain({ min: -0.9, max: 1 }, 'must be a yearly rate from -0.9 to 1 (-0.08 = -8%/yr), every value of the distribution')

const nonNegative = () => boundedUncertain({ min: 0 }, 'must be ≥ 0 (every value of the distribution)')
const positive = () => boundedUncertain({ min: Number.MIN_VALUE }, 'must be > 0 (every value of the distribution)')
const fraction = () => boundedUncertain({ min: 0, max: 1 }, 'must be a fraction from 0 to 1 (every value of the distribution)')

export const optionIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM')
const componentIdSchema = z.enum(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C10', 'C12'], {
  error: 'must be one of C1–C8, C10, C12 (C9 comes from regulatoryRisks, C11 is the SEAL gate, C13 and C14 from egress, switching and migration, C15–C17 from the company and its inventory)',
})
export type ComplianceComponentId = z.infer<typeof componentIdSchema>

/** DORA Art. 2(1): the financial entities it applies to (a subset of its list; `other` for the rest of it). */
export const financialEntitySchema = z.enum([
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

/** The seven Rs mapped to inference (economics.md, "TCO and migration practice"). */
const strategySchema = z.enum(['retain', 'rehost', 'relocate', 'replatform', 'repurchase', 'refactor', 'retire'])

const egressSchema = z
  .object({
    /** GB leaving the provider per month in the first year (grows with demand). */
    gbPerMonth: nonNegative(),
    /** Price per GB; default: the catalog row's egressPerGB. */
    perGB: nonNegative().optional(),
    /** Currency of perGB; default the option's price currency, else the model's. */
    currency: currencySchema.optional(),
  })
  .strict()

const switchingSchema = z
  .object({
    /** A fixed exit fee the old provider charges for switching (at cost only until 11 Jan 2027). */
    exitFee: nonNegative().optional(),
    /** Data copied out of the old provider at cutover, GB. */
    dataGB: nonNegative().optional(),
    /** Egress price of that copy per GB; default the baseline's egress price. */
    perGB: nonNegative().optional(),
    currency: currencySchema.optional(),
    /** When the charge falls due; default the first day of the cutover month. */
    date: isoDateSchema.optional(),
  })
  .strict()

const migrationSchema = z
  .object({
    /** Months after the model's start month at which the move begins (capex, re-validation). */
    startMonth: z.number().int('must be a whole number of months').min(0, 'must be ≥ 0').default(0),
    /** Months the baseline keeps running beside the new option (C14); default the compliance data's. */
    dualRunningMonths: nonNegative().optional(),
    /** One-off re-validation (evals, security review, audit) at the start of the move (C14). */
    revalidationCost: nonNegative().optional(),
    /** One-off engineering cost of the move itself. */
    projectCost: nonNegative().optional(),
    switching: switchingSchema.optional(),
  })
  .strict()

const regulatoryRiskSchema = z
  .object({
    /** An id from the fine-ceilings file (gdpr-art83-5, ai-act-art99-4, nis2-essential …). */
    fine: z.string().min(1),
    /** Probability per year that this option draws such a fine. */
    probabilityPerYear: fraction(),
    /** The fine as a share of annual turnover before the cap is applied. */
    severity: fraction(),
    note: z.string().optional(),
  })
  .strict()

const correlationSchema = z
  .object({
    between: z.tuple([z.string().min(1), z.string().min(1)], { error: 'must name two drivers: [a, b]' }),
    rank: z.number().min(-1, 'must be a rank correlation from -1 to 1').max(1, 'must be a rank correlation from -1 to 1'),
    note: z.string().optional(),
  })
  .strict()
  .refine((pair) => pair.between[0] !== pair.between[1], { message: 'must name two different drivers', path: ['between'] })

const commonOptionFields = {
  id: optionIdSchema,
  name: z.string().min(1).optional(),
  strategy: strategySchema.optional(),
  provider: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  /** Country of the region and of the provider's ultimate parent; default from the catalog row. */
  jurisdiction: z.object({ region: countrySchema, parent: countrySchema }).strict().optional(),
  /** Sovereignty level (EC Cloud Sovereignty Framework); default the catalog row's. */
  seal: sealLevelSchema.optional(),
  /** Data classes this option would carry (default: all of the model's). */
  dataClasses: z.array(z.string().min(1)).optional(),
  /** Compliance-tax components that apply; default: the data file's appliesTo rule. */
  compliance: z.array(componentIdSchema).optional(),
  /** Vendors under contract for this option (C3, C8). */
  vendors: z.number().int().min(0, 'must be ≥ 0').default(1),
  regulatoryRisks: z.array(regulatoryRiskSchema).default([]),
  egress: egressSchema.optional(),
  /** How the move from the baseline to this option happens (not for the baseline). */
  migration: migrationSchema.optional(),
  /** Finance mechanics: months over which this option's fleet is brought up from its start (default the finance file's ramp). */
  rampMonths: z.number().int('must be a whole number of months').min(0, 'must be ≥ 0').max(24, 'must be ≤ 24').optional(),
  notes: z.string().optional(),
}

const rentalOptionSchema = z
  .object({
    kind: z.literal('rental'),
    ...commonOptionFields,
    /** A catalog row id (gpu-rental, unit gpu-hour or instance-hour); or give `price`. */
    catalogRow: z.string().min(1).optional(),
    price: z
      .object({
        perGpuHour: nonNegative(),
        currency: currencySchema,
        pricingModel: pricingModelSchema.default('on-demand'),
      })
      .strict()
      .optional(),
    /** What you buy; default the price's own pricing model. */
    pricingModel: pricingModelSchema.optional(),
    /** Fraction off the on-demand price for `pricingModel`; default the catalog's pricing defaults. */
    discount: boundedUncertain({ min: 0, below: 1 }, 'must be a fraction from 0 to below 1').optional(),
    /** GPUs needed in the first year; default the model's demand.gpus. */
    gpus: positive().optional(),
    /** With `geopat tco --from RUN`: GPUs from this endpoint's sizing (sizing.json), its range as a triangular input. */
    gpusFromSizing: z.string().min(1).optional(),
    /** Rented in whole instances of this many GPUs; default the catalog row's gpuCount, else 1. */
    gpusPerInstance: z.number().int().min(1, 'must be ≥ 1').optional(),
    /** Finance mechanics: yearly change of this price (default the finance file's trend for the row's GPU generation). */
    priceTrend: yearlyRateSchema.optional(),
    /** Finance mechanics, the baseline bought 1-yr/3-yr: month (from the model's start, may be negative) at which its running term began; default 0. */
    commitmentStartMonth: z.number().int('must be a whole number of months').optional(),
    /** Finance mechanics: staff operating this rented fleet (default the finance file's rule per GPU count). */
    staff: z.object({ fte: nonNegative(), loadedCostPerYear: nonNegative() }).strict().optional(),
  })
  .strict()
  .refine((option) => (option.catalogRow === undefined) !== (option.price === undefined), {
    message: 'give either catalogRow or price, one of the two',
    path: ['price'],
  })

const ownedOptionSchema = z
  .object({
    kind: z.literal('owned'),
    ...commonOptionFields,
    /** Currency of every amount of this block (capex, energy, colocation, staff); default the model's. */
    currency: currencySchema.optional(),
    gpus: positive().optional(),
    /** With `geopat tco --from RUN`: GPUs from this endpoint's sizing (sizing.json), its range as a triangular input. */
    gpusFromSizing: z.string().min(1).optional(),
    /** Price of one server (node) with its GPUs. */
    serverCapexPerNode: positive(),
    gpusPerNode: z.number().int().min(1, 'must be ≥ 1'),
    /** Network and storage, as a share of server capex (reference: +15–25%). */
    networkStorageShare: nonNegative(),
    /** Straight-line depreciation = the servers' life; they are replaced when it ends inside the horizon. */
    depreciationYears: z.number().int('must be a whole number of years').min(1, 'must be ≥ 1').max(10, 'must be ≤ 10'),
    /** Support contracts per year as a share of capex (server + network; reference 8–12%). */
    supportPerYear: fraction(),
    /** Maximum power per GPU in kW (DGX H100: 10.2 kW / 8 GPUs). */
    powerKwPerGpu: positive(),
    /** Share of maximum power drawn under inference (reference 60–80%). */
    powerUtilization: fraction(),
    pue: boundedUncertain({ min: 1 }, 'must be ≥ 1 (every value of the distribution)'),
    /** Energy price per kWh at the meter (IT load × PUE). */
    energyPerKWh: nonNegative().optional(),
    /** Colocation price per provisioned kW per month, and the kW provisioned per GPU (reference all-in: 1.73 H100/H200). */
    colocation: z.object({ perKwMonth: nonNegative(), provisionedKwPerGpu: positive() }).strict().optional(),
    staff: z.object({ fte: nonNegative(), loadedCostPerYear: nonNegative() }).strict().optional(),
    /** Credit the undepreciated book value of the servers in the last month (equal-life comparison). */
    residualValue: z.boolean().default(true),
    /** What the residual is worth: resale (the finance file's curve by age) or book value; default resale with a finance block, else book. */
    residualBasis: z.enum(['resale', 'book']).optional(),
  })
  .strict()
  .refine((option) => option.energyPerKWh !== undefined || option.colocation !== undefined, {
    message: 'give energyPerKWh, colocation, or both',
    path: ['energyPerKWh'],
  })

const tokenApiOptionSchema = z
  .object({
    kind: z.literal('token-api'),
    ...commonOptionFields,
    catalogRow: z.string().min(1).optional(),
    price: z.object({ inputPerMtok: nonNegative(), outputPerMtok: nonNegative(), currency: currencySchema }).strict().optional(),
    /** Finance mechanics: yearly change of the per-token price (default the finance file's token-api trend). */
    priceTrend: yearlyRateSchema.optional(),
  })
  .strict()
  .refine((option) => (option.catalogRow === undefined) !== (option.price === undefined), {
    message: 'give either catalogRow or price, one of the two',
    path: ['price'],
  })

export const tcoOptionSchema = z.discriminatedUnion('kind', [rentalOptionSchema, ownedOptionSchema, tokenApiOptionSchema], {
  error: 'kind must be rental, owned or token-api',
})
export type TcoOption = z.infer<typeof tcoOptionSchema>
export type RentalOption = Extract<TcoOption, { kind: 'rental' }>
export type OwnedOption = Extract<TcoOption, { kind: 'owned' }>
export type TokenApiOption = Extract<TcoOption, { kind: 'token-api' }>

export const tcoModelSchema = z
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
        dataClasses: z
          .array(z.object({ name: z.string().min(1), requiredSeal: sealLevelSchema, description: z.string().optional() }).strict())
          .default([]),
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
            z.object({ gpusPerFte: positive().optional(), minimumFte: z.number().min(0, 'must be ≥ 0').optional(), loadedCostPerYear: nonNegative().optional() }).strict(),
          ])
          .optional(),
        /** Commitments (1-yr, 3-yr) keep billing to the end of their term after an exit or a shrink; false: not modelled. */
        commitments: z.boolean().default(true),
        /** Tax shield on owned capex (depreciation × rate): off unless given; rate default the finance file's. */
        taxShield: z.object({ rate: z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1').optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    /** Labels of the FOCUS export. */
    focus: z.object({ billingAccountId: z.string().min(1), billingAccountName: z.string().min(1) }).strict().optional(),
    /**
     * Rank (Spearman) correlations between uncertain drivers, each named by its driver name
     * (`demand.growthPerYear`, `options.own-dc.energyPerKWh`) or its shared key; applied with
     * Iman–Conover. Pairs not listed are independent.
     */
    correlations: z.array(correlationSchema).default([]),
  })
  .strict()
  .superRefine((model, ctx) => {
    const ids = new Set<string>()
    model.options.forEach((option, index) => {
      if (ids.has(option.id)) ctx.addIssue({ code: 'custom', path: ['options', index, 'id'], message: `${option.id} is used twice` })
      ids.add(option.id)
    })
    const baseline = model.baseline ?? model.options[0]?.id
    if (model.baseline !== undefined && !ids.has(model.baseline)) ctx.addIssue({ code: 'custom', path: ['baseline'], message: `no option has id ${model.baseline}` })
    const classes = new Set(model.sovereignty.dataClasses.map((dataClass) => dataClass.name))
    model.options.forEach((option, index) => {
      option.dataClasses?.forEach((name, classIndex) => {
        if (!classes.has(name)) ctx.addIssue({ code: 'custom', path: ['options', index, 'dataClasses', classIndex], message: `no data class ${name} under sovereignty.dataClasses` })
      })
      if (option.id === baseline && option.migration !== undefined) ctx.addIssue({ code: 'custom', path: ['options', index, 'migration'], message: 'the baseline does not migrate: move this block to the other options' })
      if (option.id === baseline && option.kind === 'owned') ctx.addIssue({ code: 'custom', path: ['options', index, 'kind'], message: 'an owned baseline (an installed base) is not modelled: use a rental or token-api baseline' })
      if (option.kind !== 'token-api' && option.gpus === undefined && model.demand.gpus === undefined) {
        ctx.addIssue({ code: 'custom', path: ['options', index, 'gpus'], message: 'is required when demand.gpus is not given' })
      }
      if (option.kind === 'token-api' && model.demand.tokensPerMonth === undefined) {
        ctx.addIssue({ code: 'custom', path: ['demand', 'tokensPerMonth'], message: `is required by token-api option ${option.id}` })
      }
      const fines = new Set<string>()
      option.regulatoryRisks.forEach((risk, riskIndex) => {
        if (fines.has(risk.fine)) ctx.addIssue({ code: 'custom', path: ['options', index, 'regulatoryRisks', riskIndex, 'fine'], message: `${risk.fine} is listed twice: give one probability and severity per fine` })
        fines.add(risk.fine)
      })
      if (option.regulatoryRisks.length > 0 && model.company === undefined) {
        ctx.addIssue({ code: 'custom', path: ['company', 'annualTurnover'], message: `is required by option ${option.id}'s regulatoryRisks (C9)` })
      }
      if (option.migration?.startMonth !== undefined && option.migration.startMonth >= model.horizonYears * 12) {
        ctx.addIssue({ code: 'custom', path: ['options', index, 'migration', 'startMonth'], message: `must be inside the horizon (below ${model.horizonYears * 12})` })
      }
    })
  })
export type TcoModel = z.infer<typeof tcoModelSchema>

// ---------------------------------------------------------------------------------------------
// Compliance-tax data (data/compliance/components.yaml, data/compliance/fine-ceilings.yaml)

const provenance = {
  source: z.string().min(1),
  date: isoDateSchema,
  confidence: confidenceSchema,
  note: z.string().optional(),
}

/** One default: its value (fixed or uncertain), unit, and where it comes from. */
export const complianceParameterSchema = z
  .object({
    value: uncertainNumberSchema,
    unit: z.string().min(1),
    /** For money: the currency of `value` (converted to the model's currency with the FX table). */
    currency: currencySchema.optional(),
    ...provenance,
  })
  .strict()
export type ComplianceParameter = z.infer<typeof complianceParameterSchema>

/** Which options a component applies to when the model's option does not list its own. */
export const appliesToSchema = z.enum(['all', 'non-eu-parent', 'migrating', 'listed'])

export const complianceComponentSchema = z
  .object({
    id: z.enum(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'C12', 'C13', 'C14', 'C15', 'C16', 'C17']),
    title: z.string().min(1),
    /** C15–C17 (`entity`): the company's own obligations (AI Act, DORA, NIS2), decided by its facts, not by an option. */
    appliesTo: appliesToSchema.or(z.literal('gate')).or(z.literal('option-drivers')).or(z.literal('entity')),
    /** The formula geopat applies, in words (the code in src/tco/compliance-tax.ts follows it). */
    formula: z.string().min(1),
    parameters: z.array(z.string().min(1)).default([]),
  })
  .strict()

export const complianceComponentsFileSchema = z
  .object({
    description: z.string().optional(),
    parameters: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'must be a camelCase name'), complianceParameterSchema),
    dates: z.object({
      /** EU Data Act Art. 29: switching charges prohibited from this date (at cost only before). */
      switchingChargesProhibitedFrom: z.object({ from: isoDateSchema, ...provenance }).strict(),
      /** C10 reserve stops at this date (the DPF appeal decided); null while it is pending. */
      dpfReserveUntil: z.object({ until: isoDateSchema.nullable(), ...provenance }).strict(),
    }).strict(),
    components: z.array(complianceComponentSchema),
  })
  .strict()
export type ComplianceComponentsFile = z.infer<typeof complianceComponentsFileSchema>

/** A fine ceiling: the higher of a fixed amount and a share of worldwide annual turnover. */
export const fineCeilingSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
    title: z.string().min(1),
    fixedAmount: z.number().nonnegative(),
    currency: currencySchema,
    shareOfTurnover: z.number().min(0).max(1),
    /** higher: the higher of the two; SMEs get the lower where the regulation says so (AI Act Art. 99(6)). */
    smeRule: z.enum(['higher', 'lower']).default('higher'),
    /** Who the fine falls on, when not the deployer (e.g. a critical ICT provider under DORA). */
    appliesTo: z.string().optional(),
    ...provenance,
  })
  .strict()
export type FineCeiling = z.infer<typeof fineCeilingSchema>

export const fineCeilingsFileSchema = z
  .object({ description: z.string().optional(), fines: z.array(fineCeilingSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.fines.forEach((fine, index) => {
      if (seen.has(fine.id)) ctx.addIssue({ code: 'custom', path: ['fines', index, 'id'], message: `${fine.id} is given twice` })
      seen.add(fine.id)
    })
  })
export type FineCeilingsFile = z.infer<typeof fineCeilingsFileSchema>
