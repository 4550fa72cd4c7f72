import { z } from 'zod'
import { countrySchema, currencySchema, isoDateSchema, pricingModelSchema, sealLevelSchema } from './catalog.js'
import { boundedUncertain, fraction, nonNegative, positive, yearlyRateSchema } from './uncertain-number.js'

/** One option of a TCO model (`options:` of MODEL.yaml): rented GPUs, an owned fleet or a token API, and how the move to it happens. */

export const optionIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
const componentIdSchema = z.enum(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C10', 'C12'], {
  error:
    'must be one of C1–C8, C10, C12 (C9 comes from regulatoryRisks, C11 is the SEAL gate, ' +
    'C13 and C14 from egress, switching and migration, C15–C17 from the company and its inventory)',
})
export type ComplianceComponentId = z.infer<typeof componentIdSchema>

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
