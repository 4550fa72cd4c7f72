import { z } from 'zod'
import { refuseRepeated } from './refine.js'

/** ISO 4217 code, upper case (USD, EUR, GBP, CHF …). */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 currency code such as USD or EUR')

/** ISO 3166-1 alpha-2 country code, upper case (US, DE, FR …), or EU for an EU-wide offer. */
export const countrySchema = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166-1 country code such as DE or US')

/** A calendar date written YYYY-MM-DD, or YYYY-MM when the source gives only a month (read as its first day). */
export const isoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be a date written YYYY-MM-DD (or YYYY-MM)')
  .refine((text) => !Number.isNaN(Date.parse(text.length === 7 ? `${text}-01` : text)), 'must be a real calendar date')

/**
 * How sure a figure is: `high` a primary source (a provider's price page, a regulation's text),
 * `medium` a community dataset with history or a reputable secondary source, `low` a single
 * secondary or derived figure, `assumption` a default with no source for this exact case.
 */
export const confidenceSchema = z.enum(['high', 'medium', 'low', 'assumption'])

/** How a price was obtained (see catalogRowSchema's `basis`). */
export const priceBasisSchema = z.enum(['price-api', 'published', 'quote', 'derived', 'assumed'])
export type PriceBasis = z.infer<typeof priceBasisSchema>

export const pricingModelSchema = z.enum(['on-demand', '1-yr', '3-yr', 'spot'])

/**
 * EC Cloud Sovereignty Framework (Oct 2025): SEAL-0 none, SEAL-1 jurisdictional (formal; CLOUD Act
 * exposure), SEAL-2 data sovereignty (typical hyperscaler "sovereign" offers), SEAL-3 digital
 * resilience, SEAL-4 full sovereignty.
 */
export const sealLevelSchema = z.enum(['SEAL-0', 'SEAL-1', 'SEAL-2', 'SEAL-3', 'SEAL-4'])
export type SealLevel = z.infer<typeof sealLevelSchema>
export const sealRank = (level: SealLevel): number => Number(level.slice(5))

/** Where a figure comes from: enough for an auditor to find it again. */
export const sourceSchema = z
  .object({
    /** Citation: URL, document, or a shared/reference section. */
    source: z.string().min(1),
    /** When the figure was valid (the price's effective date, not when it was copied). */
    date: isoDateSchema,
    confidence: confidenceSchema,
    note: z.string().optional(),
  })
  .strict()

/**
 * The rule for every price of a row: a 0 (or a negative) would cost a fleet or a token volume at
 * nothing, silently, so it is refused; a free tier or a bundled price is not a catalog price.
 * (Egress, which providers do bundle, may be 0.)
 */
const PRICE_RULE = 'must be greater than 0 (a free offer is not a price; leave the row out)'

/**
 * One priced offer. `unit` says what `price` buys: one GPU for an hour, a whole instance or VM for
 * an hour (then `gpuCount` GPUs), or a million input / output tokens of a token API.
 */
export const catalogRowSchema = z
  .object({
    /** Unique across every loaded catalog file; other files refer to a row by it. */
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, dot, dash or underscore'),
    provider: z.string().min(1),
    sku: z.string().min(1),
    region: z.string().min(1),
    jurisdiction: z
      .object({
        /** Country where the region's data centres are. */
        region: countrySchema,
        /** Country of the provider's ultimate parent (US for AWS, Azure, GCP, OCI). */
        parent: countrySchema,
      })
      .strict(),
    kind: z.enum(['gpu-rental', 'token-api', 'owned']).default('gpu-rental'),
    /** GPU model (H100 SXM, H100 NVL, H200, B200, L40S, A100-80); absent for a token API. */
    gpu: z.string().min(1).optional(),
    /** GPUs that one unit of `price` buys (8 for an 8-GPU instance billed per instance-hour). */
    gpuCount: z.number().int().positive().default(1),
    unit: z.enum(['gpu-hour', 'instance-hour', 'mtok']).default('gpu-hour'),
    /**
     * What the provider rents out, whatever `unit` the price is quoted in: `gpu`, any number of GPUs
     * (a fleet is bought GPU by GPU); `node`, only whole instances or servers of `gpusPerNode` GPUs
     * (AWS p5.48xlarge: 8 H100s, quoted here per GPU-hour), so a fleet rounds up to whole nodes.
     * Absent: node for an instance-hour price of several GPUs (the instance is the node), else gpu.
     */
    soldBy: z.enum(['gpu', 'node']).optional(),
    /** With soldBy node: GPUs in one node (instance, server). */
    gpusPerNode: z.number().int().positive().optional(),
    /** For unit gpu-hour or instance-hour. Above 0: a free offer is not a price to cost a fleet with. */
    price: z.number().positive(PRICE_RULE).optional(),
    /** For unit mtok: price per million input and output tokens, each above 0. */
    pricePerMtok: z
      .object({ input: z.number().positive(PRICE_RULE), output: z.number().positive(PRICE_RULE) })
      .strict()
      .optional(),
    /** For a token API: the model served (prices differ per model). */
    model: z.string().optional(),
    currency: currencySchema,
    pricingModel: pricingModelSchema.default('on-demand'),
    effectiveDate: isoDateSchema,
    source: z.string().min(1),
    confidence: confidenceSchema,
    /**
     * How the price was obtained: `price-api` fetched from the provider's price API or price file by
     * `geopat catalog refresh`; `published` copied from a provider's public price page or a cited
     * table of them; `quote` a dated vendor quote; `derived` computed from another figure (the notes
     * say how); `assumed` no source for this exact offer. Absent on rows written before it existed.
     */
    basis: priceBasisSchema.optional(),
    /** The primary source's address: the API request or price page the figure comes from (or can be checked against). */
    sourceUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** When geopat fetched the price (ISO 8601 date-time, UTC); only on rows written by `geopat catalog refresh`. */
    fetchedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-12-06T09:30:00Z' }).optional(),
    /** The provider's own id of the priced item (Azure meterId/skuId, AWS SKU and rate code, GCP skuId). */
    providerSkuId: z.string().min(1).optional(),
    confidentialComputing: z.boolean().default(false),
    sovereignty: sealLevelSchema,
    /** Egress per GB in `currency`, first tier; 0 where the provider bundles it. */
    egressPerGB: z.number().nonnegative().optional(),
    notes: z.string().optional(),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (row.unit === 'mtok' && row.pricePerMtok === undefined)
      ctx.addIssue({ code: 'custom', path: ['pricePerMtok'], message: 'is required when unit is mtok' })
    if (row.unit !== 'mtok' && row.price === undefined) ctx.addIssue({ code: 'custom', path: ['price'], message: `is required when unit is ${row.unit}` })
    if (row.unit !== 'mtok' && row.gpu === undefined) ctx.addIssue({ code: 'custom', path: ['gpu'], message: `is required when unit is ${row.unit}` })
    if (row.soldBy === 'node' && row.gpusPerNode === undefined)
      ctx.addIssue({ code: 'custom', path: ['gpusPerNode'], message: 'is required when soldBy is node (the GPUs in one node)' })
    if (row.soldBy !== 'node' && row.gpusPerNode !== undefined)
      ctx.addIssue({ code: 'custom', path: ['gpusPerNode'], message: 'is only for soldBy node (an offer sold by the GPU has no node size)' })
    if (row.unit === 'instance-hour' && row.gpuCount > 1 && row.soldBy === 'gpu')
      ctx.addIssue({
        code: 'custom',
        path: ['soldBy'],
        message: `must be node when unit is instance-hour with gpuCount ${row.gpuCount} (an instance is sold whole)`,
      })
    if (row.unit === 'instance-hour' && row.soldBy === 'node' && row.gpusPerNode !== undefined && row.gpusPerNode !== row.gpuCount)
      ctx.addIssue({
        code: 'custom',
        path: ['gpusPerNode'],
        message: `must equal gpuCount (${row.gpuCount}) when unit is instance-hour (the instance is the node)`,
      })
    if (row.unit === 'mtok' && row.soldBy === 'node') ctx.addIssue({ code: 'custom', path: ['soldBy'], message: 'is for GPU offers; a token API sells tokens' })
    if (row.unit === 'gpu-hour' && row.gpuCount !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['gpuCount'],
        message: 'must be 1 when unit is gpu-hour (the price is already per GPU); use unit instance-hour for a price per multi-GPU instance',
      })
  })
export type CatalogRow = z.infer<typeof catalogRowSchema>

/**
 * A default discount off the on-demand price for a pricing model, for offers whose 1-yr, 3-yr or
 * spot price is not published (economics.md: 1-yr 35%, 3-yr 55%, spot about −45%).
 */
const discountDefaultSchema = z
  .object({
    pricingModel: pricingModelSchema.exclude(['on-demand']),
    /** Fraction off the on-demand price: 0.35 means 35% cheaper. */
    discountFraction: z
      .number()
      .min(0, 'must be a fraction from 0 to below 1 (0.35 = 35% off on-demand)')
      .lt(1, 'must be a fraction from 0 to below 1 (0.35 = 35% off on-demand)'),
    ...sourceSchema.shape,
  })
  .strict()
export type DiscountDefault = z.infer<typeof discountDefaultSchema>

const pricingDefaultsSchema = z
  .object({
    discounts: z.array(discountDefaultSchema).default([]),
  })
  .strict()
  .superRefine((defaults, ctx) => refuseRepeated(ctx, defaults.discounts, 'discounts', 'pricingModel', ' in this file'))
export type PricingDefaultsFile = z.infer<typeof pricingDefaultsSchema>

/** One exchange rate: how many units of `quote` one unit of `base` buys, on `date`. */
export const fxRateSchema = z
  .object({
    base: currencySchema,
    quote: currencySchema,
    rate: z.number().positive(),
    date: isoDateSchema,
    source: z.string().min(1),
    confidence: confidenceSchema,
    /** The published file or API request the rate was read from. */
    sourceUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** When geopat fetched it (ISO 8601 date-time); only on rates written by `geopat catalog refresh`. */
    fetchedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-12-06T09:30:00Z' }).optional(),
    note: z.string().optional(),
  })
  .strict()
export type FxRateRow = z.infer<typeof fxRateSchema>

/** One price source's part in a refresh: what was asked, when, and what came of it. */
export const refreshSourceSchema = z
  .object({
    /** azure, aws, gcp, ecb. */
    source: z.string().min(1),
    /** `api` fetched over HTTP(S); `file` read from a price file downloaded elsewhere (--from-file). */
    via: z.enum(['api', 'file']),
    /** The first request's URL, or the file's path. */
    location: z.string().min(1),
    fetchedAt: z.iso.datetime({ offset: true }),
    status: z.enum(['ok', 'failed']),
    /** Why the source failed (one line); its rows are then absent, never half-written. */
    error: z.string().optional(),
    rows: z.number().int().nonnegative(),
    /** Priced items that the mapping table could not map to a catalog row, and why: listed, not guessed. */
    unmapped: z.array(z.object({ sku: z.string(), region: z.string().optional(), reason: z.string() }).strict()).default([]),
  })
  .strict()
export type RefreshSource = z.infer<typeof refreshSourceSchema>

/** One catalog file: rows, and the defaults the reference gives where no price is published. */
export const catalogFileSchema = z
  .object({
    description: z.string().optional(),
    /** Written by `geopat catalog refresh`: when and from where this file's rows and rates came. */
    refresh: z
      .object({
        generatedAt: z.iso.datetime({ offset: true }),
        sources: z.array(refreshSourceSchema),
      })
      .strict()
      .optional(),
    rows: z.array(catalogRowSchema).default([]),
    /** Exchange rates carried with the rows (a refresh writes the ECB's here); loaded as an FX file's. */
    fxRates: z.array(fxRateSchema).optional(),
    pricingDefaults: pricingDefaultsSchema.optional(),
  })
  .strict()
export type CatalogFile = z.infer<typeof catalogFileSchema>

/** A dated FX table: how many units of `quote` one unit of `base` buys. */
export const fxFileSchema = z
  .object({
    description: z.string().optional(),
    rates: z.array(fxRateSchema),
  })
  .strict()
export type FxFile = z.infer<typeof fxFileSchema>
