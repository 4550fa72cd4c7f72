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
