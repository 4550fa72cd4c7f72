import { z } from 'zod'
import { currencySchema, isoDateSchema } from './catalog.js'
import { uncertainNumberSchema } from './uncertain-number.js'
import { provenanceFields } from './data-file-parts.js'
import { refuseRepeated } from './refine.js'

/** The compliance-tax data files: data/compliance/components.yaml and data/compliance/fine-ceilings.yaml (one schema each). */

/** One default: its value (fixed or uncertain), unit, and where it comes from. */
const complianceParameterSchema = z
  .object({
    value: uncertainNumberSchema,
    unit: z.string().min(1),
    /** For money: the currency of `value` (converted to the model's currency with the FX table). */
    currency: currencySchema.optional(),
    ...provenanceFields,
  })
  .strict()
export type ComplianceParameter = z.infer<typeof complianceParameterSchema>

/** Which options a component applies to when the model's option does not list its own. */
const appliesToSchema = z.enum(['all', 'non-eu-parent', 'migrating', 'listed'])

const complianceComponentSchema = z
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
    dates: z
      .object({
        /** EU Data Act Art. 29: switching charges prohibited from this date (at cost only before). */
        switchingChargesProhibitedFrom: z.object({ from: isoDateSchema, ...provenanceFields }).strict(),
        /** C10 reserve stops at this date (the DPF appeal decided); null while it is pending. */
        dpfReserveUntil: z.object({ until: isoDateSchema.nullable(), ...provenanceFields }).strict(),
      })
      .strict(),
    components: z.array(complianceComponentSchema),
  })
  .strict()
export type ComplianceComponentsFile = z.infer<typeof complianceComponentsFileSchema>

/** A fine ceiling: the higher of a fixed amount and a share of worldwide annual turnover. */
const fineCeilingSchema = z
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
    ...provenanceFields,
  })
  .strict()
export type FineCeiling = z.infer<typeof fineCeilingSchema>

export const fineCeilingsFileSchema = z
  .object({ description: z.string().optional(), fines: z.array(fineCeilingSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => refuseRepeated(ctx, file.fines, 'fines', 'id'))
export type FineCeilingsFile = z.infer<typeof fineCeilingsFileSchema>
