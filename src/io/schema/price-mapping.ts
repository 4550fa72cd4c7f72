import { z } from 'zod'
import { countrySchema, sealLevelSchema } from './catalog.js'

/**
 * The mapping table of `geopat catalog refresh` (data/price-sources/mapping.yaml): how a provider's
 * priced item becomes a catalog row. A SKU maps to the GPU model and count, the unit the provider
 * prices it in and its confidential-computing capability; a region maps to the country of its data
 * centres. What the table does not map is listed by the refresh, never guessed. Each entry names
 * where its facts come from.
 */
export const priceProviderSchema = z.enum(['azure', 'aws', 'gcp'])
export type PriceProvider = z.infer<typeof priceProviderSchema>

/**
 * One priced part of a machine type that its provider prices as the sum of its parts (GCP: an
 * accelerator-optimized VM is billed as its GPUs, its vCPUs and its memory, each a SKU of its own).
 * The instance-hour price is the sum over the parts of the SKU's unit price times `quantity`.
 */
export const skuComponentSchema = z
  .object({
    /** What the part is, in words (GPU, vCPU, memory): said in the row's notes. */
    part: z.string().min(1),
    /** How many of the SKU's usage units one instance uses per hour (8 GPUs, 208 vCPUs, 1872 GiB). */
    quantity: z.number().positive(),
    /** The SKU's usage unit the quantity counts, exactly as the price list writes it (GCP: h, GiBy.h). */
    usageUnit: z.string().min(1),
    /**
     * A regular expression the SKU's description must match, per term (on-demand, spot, 1-yr, 3-yr);
     * a term with no expression is not priced for the machine type. Anchor it (^…): the price list has
     * look-alike SKUs (DWS, Mega, sole-tenancy) that must not match.
     */
    descriptions: z
      .object({
        'on-demand': z.string().min(1).optional(),
        spot: z.string().min(1).optional(),
        '1-yr': z.string().min(1).optional(),
        '3-yr': z.string().min(1).optional(),
      })
      .strict()
      .refine((patterns) => Object.values(patterns).every((pattern) => isRegExp(pattern)), 'each must be a valid regular expression'),
  })
  .strict()
export type SkuComponent = z.infer<typeof skuComponentSchema>

function isRegExp(pattern: string | undefined): boolean {
  if (pattern === undefined) return true
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}

const skuMappingSchema = z
  .object({
    provider: priceProviderSchema,
    /** The provider's name of the priced item, exactly: Azure armSkuName, AWS instance type, GCP machine type. */
    sku: z.string().min(1),
    /** Catalog row ids are `<idStem>-<region>` plus `-1yr`, `-3yr` or `-spot` for those terms. */
    idStem: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, dot, dash or underscore'),
    /** GPU model as the catalog names it (H100 SXM, H100 NVL, H200, B200, L40S, A100-80). */
    gpu: z.string().min(1),
    /** GPUs in one instance (VM): the provider's price buys this many. */
    gpuCount: z.number().int().positive(),
    confidentialComputing: z.boolean().default(false),
    /** Where the SKU's GPU model, count and CC capability are documented. */
    source: z.string().min(1),
    note: z.string().optional(),
    /** For a machine type priced as its parts (GCP): the parts, each a SKU of the price list. */
    components: z.array(skuComponentSchema).min(1).optional(),
  })
  .strict()
export type SkuMapping = z.infer<typeof skuMappingSchema>

const regionMappingSchema = z
  .object({
    provider: priceProviderSchema,
    /** The provider's region id: Azure armRegionName, AWS region code, GCP region. */
    region: z.string().min(1),
    /** Country of the region's data centres. */
    country: countrySchema,
    /** The provider's display name, where its price data uses that instead of the id (AWS "EU (Stockholm)"). */
    displayName: z.string().optional(),
    source: z.string().min(1),
  })
  .strict()
export type RegionMapping = z.infer<typeof regionMappingSchema>

const providerMappingSchema = z
  .object({
    provider: priceProviderSchema,
    /** The catalog's provider name (AWS, Azure, GCP). */
    catalogName: z.string().min(1),
    /** Country of the provider's ultimate parent. */
    parent: countrySchema,
    /** SEAL level of an offer in a region outside the parent's country and inside it (economics.md "Sovereignty levels"). */
    sovereignty: z.object({ abroad: sealLevelSchema, home: sealLevelSchema }).strict(),
    /** First-tier egress per GB in USD, where the catalog's rows carry one. */
    egressPerGB: z.number().nonnegative().optional(),
    source: z.string().min(1),
  })
  .strict()
export type ProviderMapping = z.infer<typeof providerMappingSchema>

export const priceMappingFileSchema = z
  .object({
    description: z.string().optional(),
    providers: z.array(providerMappingSchema),
    skus: z.array(skuMappingSchema),
    regions: z.array(regionMappingSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.skus.forEach((sku, index) => {
      const key = `${sku.provider}/${sku.sku}`
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['skus', index, 'sku'], message: `${key} is mapped twice` })
      seen.add(key)
    })
    const regions = new Set<string>()
    file.regions.forEach((region, index) => {
      const key = `${region.provider}/${region.region}`
      if (regions.has(key)) ctx.addIssue({ code: 'custom', path: ['regions', index, 'region'], message: `${key} is mapped twice` })
      regions.add(key)
    })
  })
export type PriceMappingFile = z.infer<typeof priceMappingFileSchema>
