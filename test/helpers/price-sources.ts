import type { CatalogRow, FxRateRow } from '../../src/io/schema/catalog.js'
import type { PriceMappingFile } from '../../src/io/schema/price-mapping.js'
import {
  type PriceSource,
  type SourceContext,
  type SourceName,
  type SourceResult,
  type Term,
  findRegion,
  findSku,
  mappedRow,
} from '../../src/pricing/refresh/source.js'

/**
 * Test-only price sources and a small mapping table for the refresh's orchestration tests. The
 * figures are illustrative (not a provider's price); each test computes what it expects from them.
 */
export const TEST_MAPPING: PriceMappingFile = {
  providers: [
    { provider: 'azure', catalogName: 'Azure', parent: 'US', sovereignty: { abroad: 'SEAL-1', home: 'SEAL-0' }, source: 'test' },
    { provider: 'aws', catalogName: 'AWS', parent: 'US', sovereignty: { abroad: 'SEAL-1', home: 'SEAL-0' }, egressPerGB: 0.09, source: 'test' },
    { provider: 'gcp', catalogName: 'GCP', parent: 'US', sovereignty: { abroad: 'SEAL-1', home: 'SEAL-0' }, source: 'test' },
  ],
  skus: [
    {
      provider: 'azure',
      sku: 'Standard_NCC40ads_H100_v5',
      idStem: 'test-azure-ncc40ads-h100-v5',
      gpu: 'H100 NVL',
      gpuCount: 1,
      confidentialComputing: true,
      source: 'test',
    },
    // The built-in catalog's id stem: a refreshed row of it supersedes the built-in row of the same offer.
    { provider: 'aws', sku: 'p5.48xlarge', idStem: 'aws-p5.48xlarge', gpu: 'H100 SXM', gpuCount: 8, confidentialComputing: false, source: 'test' },
    { provider: 'gcp', sku: 'a3-highgpu-8g', idStem: 'test-gcp-a3-highgpu-8g', gpu: 'H100 SXM', gpuCount: 8, confidentialComputing: false, source: 'test' },
  ],
  regions: [
    { provider: 'azure', region: 'westeurope', country: 'NL', source: 'test' },
    { provider: 'azure', region: 'swedencentral', country: 'SE', source: 'test' },
    { provider: 'aws', region: 'us-east-1', country: 'US', displayName: 'US East (N. Virginia)', source: 'test' },
    { provider: 'aws', region: 'eu-north-1', country: 'SE', displayName: 'EU (Stockholm)', source: 'test' },
    { provider: 'gcp', region: 'europe-west4', country: 'NL', source: 'test' },
  ],
}

export interface TestPrice {
  sku: string
  region: string
  term?: Term
  price: number
  currency?: string
  effectiveDate?: string
  providerSkuId?: string
}

/** Catalog rows for `prices`, built the way every real source builds them (mappedRow). */
export function testRows(
  provider: 'azure' | 'aws' | 'gcp',
  prices: readonly TestPrice[],
  context: Pick<SourceContext, 'mapping' | 'fetchedAt'>,
  sourceUrl: string,
): CatalogRow[] {
  return prices.map((price, index) => {
    const sku = findSku(context.mapping, provider, price.sku)
    const region = findRegion(context.mapping, provider, price.region)
    if (!sku || !region) throw new Error(`test mapping lacks ${provider} ${price.sku} ${price.region}`)
    return mappedRow(
      {
        provider,
        sku,
        region,
        term: price.term ?? 'on-demand',
        pricePerInstanceHour: price.price,
        currency: price.currency ?? 'USD',
        effectiveDate: price.effectiveDate ?? '2026-12-01',
        sourceUrl,
        providerSkuId: price.providerSkuId ?? `${provider}-sku-${index + 1}`,
        providerDescription: `${price.sku} ${price.region}`,
      },
      context.mapping,
      context.fetchedAt,
    )
  })
}

/** A source whose fetch and readFile run `produce` (which may throw, log, or call context.http). */
export function fakeSource(
  name: SourceName,
  produce: (context: SourceContext, file?: string) => Promise<SourceResult> | SourceResult,
  extra: Partial<PriceSource> = {},
): PriceSource & { calls: Array<{ via: 'api' | 'file'; file?: string; context: SourceContext }> } {
  const calls: Array<{ via: 'api' | 'file'; file?: string; context: SourceContext }> = []
  return {
    name,
    description: `test source ${name}`,
    defaultBaseUrl: `https://${name}.invalid/prices`,
    calls,
    async fetch(context) {
      calls.push({ via: 'api', context })
      return produce(context)
    },
    async readFile(path, context) {
      calls.push({ via: 'file', file: path, context })
      return produce(context, path)
    },
    ...extra,
  }
}

/** A source that returns rows for `prices` (sourceUrl: its base URL, or the file read). */
export function rowsSource(provider: 'azure' | 'aws' | 'gcp', prices: readonly TestPrice[], unmapped: SourceResult['unmapped'] = []) {
  return fakeSource(provider, (context, file) => {
    const location = file ?? `${context.baseUrl ?? `https://${provider}.invalid/prices`}?region=all`
    return { rows: testRows(provider, prices, context, file ? `https://${provider}.invalid/prices` : location), unmapped, location }
  })
}

/** A source that fails with `message`. */
export function throwingSource(name: SourceName, message: string) {
  return fakeSource(name, () => {
    throw new Error(message)
  })
}

/** An ECB-like source returning FX rates. */
export function ratesSource(rates: readonly Omit<FxRateRow, 'source' | 'confidence'>[]) {
  return fakeSource('ecb', (context) => ({
    rows: [],
    fxRates: rates.map((rate) => ({ ...rate, source: 'test reference rates', confidence: 'high' as const, fetchedAt: context.fetchedAt.toISOString() })),
    unmapped: [],
    location: 'https://ecb.invalid/eurofxref-daily.xml',
  }))
}
