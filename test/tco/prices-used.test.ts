import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { runTcoModel } from '../../src/app/tco.js'

/**
 * Issue 18: tco.json records every catalog row and FX rate it priced with (pricesUsed,
 * fxRatesUsed), the freshest row of an offer prices it, and a refreshed row warns of no staleness.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-tco-prices-'))
const asOf = new Date('2026-12-06T00:00:00Z')

describe('tco.json: the prices used', () => {
  it("prices with a refreshed row and its file's FX rate, records both with dates and age, and warns of neither", () => {
    const builtIn = loadCatalog().byId('aws-p5.48xlarge-eu-north-1')
    expect(builtIn).toBeDefined()
    const refreshed = {
      ...Object.fromEntries(Object.entries(builtIn ?? {}).filter(([key]) => !['file', 'superseded', 'notes', 'gpusPerNode', 'soldBy'].includes(key))),
      unit: 'instance-hour',
      gpuCount: 8,
      soldBy: 'node',
      gpusPerNode: 8,
      price: 60.8, // illustrative
      effectiveDate: '2025-06-01',
      source: 'AWS price list (illustrative)',
      confidence: 'high',
      basis: 'price-api',
      sourceUrl: 'https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/eu-north-1/index.csv',
      fetchedAt: '2026-12-05T07:00:00Z',
    }
    const ecb = {
      base: 'EUR',
      quote: 'USD',
      rate: 1.16,
      date: '2026-12-04',
      source: 'ECB reference rates (illustrative)',
      confidence: 'high',
      sourceUrl: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml',
      fetchedAt: '2026-12-05T07:00:00Z',
    }
    const catalogFile = join(work, 'refreshed.yaml')
    writeFileSync(catalogFile, YAML.stringify({ rows: [refreshed], fxRates: [ecb] }))
    const { result } = runTcoModel({
      modelFile: 'scenarios/tco-eu-exit.yaml',
      catalogFiles: [catalogFile],
      fxFiles: [],
      seed: 1,
      asOf,
      outDir: join(work, 'tco'),
    })
    const used = result.pricesUsed?.find((price) => price.id === 'aws-p5.48xlarge-eu-north-1')
    expect(used).toMatchObject({
      file: catalogFile,
      basis: 'price-api',
      fetchedAt: refreshed.fetchedAt,
      confirmedOn: '2026-12-05',
      confirmedBy: 'fetched',
      ageDays: 1,
      effectiveDate: '2025-06-01',
      sourceUrl: refreshed.sourceUrl,
      price: 60.8,
      unit: 'instance-hour',
      gpuCount: 8,
    })
    expect(used?.superseded.map((older) => older.file)).toEqual([builtIn?.file])
    // Every option's catalog row is listed once.
    const ids = result.options.flatMap((option) => (option.catalogRow === null ? [] : [option.catalogRow]))
    expect(result.pricesUsed?.map((price) => price.id).sort()).toEqual([...new Set(ids)].sort())
    // The USD row converts to the model's EUR at the file's rate, the freshest EUR/USD.
    expect(result.fxRatesUsed).toContainEqual(
      expect.objectContaining({ base: 'EUR', quote: 'USD', rate: 1.16, date: '2026-12-04', file: catalogFile, ageDays: 2 }),
    )
    expect(result.warnings.join('\n')).not.toMatch(/aws-p5\.48xlarge-eu-north-1: price .* days old/)
    // The price driver is the refreshed price per GPU-hour in the model's EUR: the instance-hour price over its 8 GPUs, at the file's EUR/USD.
    const driver = result.drivers.find((entry) => entry.name === 'options.stay-aws.pricePerGpuHour')
    expect(driver?.origin).toContain('confirmed 2026-12-05 by a price fetch')
    expect(driver?.central).toBeCloseTo(60.8 / 8 / 1.16, 9)
  }, 60_000)
})
