import { expect } from 'vitest'
import { UserError } from '../../src/util/errors.js'

/** A valid row of a user's catalog file (the fields a quote carries); override any field. */
export function userCatalogRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'Example GmbH',
    sku: 'H100 node',
    region: 'fra-1',
    jurisdiction: { region: 'DE', parent: 'DE' },
    gpu: 'H100 SXM',
    price: 2,
    currency: 'USD',
    effectiveDate: '2026-10-01',
    source: 'a written quote',
    confidence: 'high',
    sovereignty: 'SEAL-3',
    ...overrides,
  }
}

/** The same offer as `geopat catalog refresh` writes it: per instance-hour of 8 GPUs, fetched, with its URL. */
export function refreshedP5(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'aws-p5.48xlarge-us-east-1',
    provider: 'AWS',
    sku: 'p5.48xlarge',
    region: 'us-east-1',
    jurisdiction: { region: 'US', parent: 'US' },
    kind: 'gpu-rental',
    gpu: 'H100 SXM',
    gpuCount: 8,
    unit: 'instance-hour',
    soldBy: 'node',
    gpusPerNode: 8,
    price: 57.6, // illustrative
    currency: 'USD',
    pricingModel: 'on-demand',
    effectiveDate: '2025-06-01',
    source: 'AWS price list: p5.48xlarge On Demand Linux (illustrative)',
    confidence: 'high',
    basis: 'price-api',
    sourceUrl: 'https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/us-east-1/index.csv',
    fetchedAt: '2026-12-05T08:00:00Z',
    providerSkuId: 'TESTSKU.JRTCKXETXF.6YS6EN2CT7',
    confidentialComputing: false,
    sovereignty: 'SEAL-0',
    ...overrides,
  }
}

/** The message of the one-line UserError that `run` throws; fails the test on anything else. */
export function userErrorOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    const message = (error as Error).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('expected a UserError, nothing was thrown')
}
