import { z } from 'zod'
import { confidenceSchema, priceBasisSchema } from './catalog.js'

/**
 * A catalog row as a figure used it: what was priced, how the price was obtained, when it was last
 * confirmed and how old it was on the day of use. sizing.json (costs[].catalogPrice) and tco.json
 * (pricesUsed) carry it, and the report's "Prices used" table reads it.
 */
export const priceUsedSchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    sku: z.string(),
    region: z.string(),
    /** The row's own price, as the row quotes it (per `unit`, in `currency`); null for a token API. */
    price: z.number().nullable(),
    /** A token API's price per million input and output tokens; null for a GPU offer. */
    pricePerMtok: z.object({ input: z.number(), output: z.number() }).strict().nullable(),
    currency: z.string(),
    unit: z.enum(['gpu-hour', 'instance-hour', 'mtok']),
    gpuCount: z.number().int().positive(),
    pricingModel: z.string(),
    /** How the price was obtained (price-api, published, quote, derived, assumed); null on a row that does not say. */
    basis: priceBasisSchema.nullable(),
    /** The provider's effective date of the price. */
    effectiveDate: z.string(),
    /** When `geopat catalog refresh` fetched it (ISO 8601); null for a row not fetched. */
    fetchedAt: z.string().nullable(),
    /** The last confirmation of the price: the day it was fetched, else its effective date. */
    confirmedOn: z.string(),
    /** `fetched`: confirmedOn is the fetch's day; `effective`: nothing confirmed it after its effective date. */
    confirmedBy: z.enum(['fetched', 'effective']),
    /** Whole days from confirmedOn to asOf. */
    ageDays: z.number().int(),
    /** The day its age was counted on (the day the figure was made). */
    asOf: z.string(),
    source: z.string(),
    /** The primary source's address (http(s)); null where the row gives none. */
    sourceUrl: z.string().nullable(),
    confidence: confidenceSchema,
    /** The catalog file the row came from. */
    file: z.string(),
    providerSkuId: z.string().nullable(),
    /** Older rows of the same offer (same id) in other files, not used. */
    superseded: z.array(z.object({ file: z.string(), effectiveDate: z.string(), fetchedAt: z.string().nullable() }).strict()),
  })
  .strict()
export type PriceUsed = z.infer<typeof priceUsedSchema>

/** An exchange rate a figure was converted with, dated, with its age on the day of use. */
export const fxRateUsedSchema = z
  .object({
    base: z.string(),
    quote: z.string(),
    rate: z.number(),
    /** The rate's own date (the ECB's reference day). */
    date: z.string(),
    /** When `geopat catalog refresh` fetched it; null otherwise. */
    fetchedAt: z.string().nullable(),
    /** Whole days from `date` to asOf: a rate is the market's on its date, fetching it later does not make it newer. */
    ageDays: z.number().int(),
    asOf: z.string(),
    source: z.string(),
    sourceUrl: z.string().nullable(),
    file: z.string(),
  })
  .strict()
export type FxRateUsed = z.infer<typeof fxRateUsedSchema>
