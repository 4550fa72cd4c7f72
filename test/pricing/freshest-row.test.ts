import { describe, expect, it } from 'vitest'
import { type CatalogEntry, convertCurrency, listCatalog, loadCatalog, pricePerGpuHour, staleRows, validateCatalogFiles } from '../../src/pricing/catalog.js'
import { formatCatalogEntry, formatCatalogList } from '../../src/cli/render/catalog.js'
import { staleFxRates } from '../../src/pricing/fx.js'
import { priceUsed } from '../../src/pricing/provenance.js'
import { gpuHourPriceFromCatalog } from '../../src/sizing/run.js'
import { refreshedP5, userCatalogRow, userErrorOf } from '../helpers/catalog.js'
import { yamlFileWriter } from '../helpers/yaml-files.js'

/**
 * Issue 18, the consumers' side: an id names one offer; the freshest row of it (latest fetchedAt,
 * else effectiveDate) prices it, the others are kept as superseded; a price's age is counted from
 * its last confirmation; a catalog file's fxRates convert like an FX file's.
 */
const writeYaml = yamlFileWriter('geopat-freshest-')

/** The built-in AWS p5.48xlarge us-east-1 row: 8 H100 SXM per instance, priced per GPU-hour, sold by node. */
const builtIn = loadCatalog().byId('aws-p5.48xlarge-us-east-1') as CatalogEntry

describe('one offer in several files: the freshest row prices it', () => {
  it('a refreshed row with a newer fetchedAt supersedes the built-in one; the built-in is kept as superseded', () => {
    const file = writeYaml({ rows: [refreshedP5()] })
    const catalog = loadCatalog({ files: [file] })
    const row = catalog.byId('aws-p5.48xlarge-us-east-1') as CatalogEntry
    expect(row.file).toBe(file)
    expect(row.fetchedAt).toBe('2026-12-05T08:00:00Z')
    expect(row.superseded?.map((older) => older.file)).toEqual([builtIn.file])
    // The id is listed once.
    expect(catalog.rows.filter((entry) => entry.id === row.id)).toHaveLength(1)
    // Per GPU: the instance-hour price over its 8 GPUs.
    expect(pricePerGpuHour(row, 'USD', catalog.fx)).toBeCloseTo(57.6 / 8, 12)
  })

  it('an older user row does not supersede a fresher built-in row (it is kept as superseded)', () => {
    const file = writeYaml({ rows: [refreshedP5({ fetchedAt: '2025-01-10T08:00:00Z', effectiveDate: '2024-06-01' })] })
    const catalog = loadCatalog({ files: [file] })
    const row = catalog.byId('aws-p5.48xlarge-us-east-1') as CatalogEntry
    // The built-in's effective date (2026-03) is later than the user row's fetch (2025-01-10).
    expect(row.file).toBe(builtIn.file)
    expect(row.price).toBe(builtIn.price)
    expect(row.superseded?.map((older) => older.file)).toEqual([file])
  })

  it("a tie goes to the file given later: the user's over the built-in, a later --catalog over an earlier", () => {
    const first = writeYaml({ rows: [userCatalogRow({ id: 'tied', price: 2, effectiveDate: '2026-10-01' })] })
    const second = writeYaml({ rows: [userCatalogRow({ id: 'tied', price: 3, effectiveDate: '2026-10-01' })] })
    expect(loadCatalog({ files: [first, second], builtIn: false }).byId('tied')?.file).toBe(second)
    expect(loadCatalog({ files: [second, first], builtIn: false }).byId('tied')?.file).toBe(first)
    const sameDay = writeYaml({ rows: [{ ...userCatalogRow(), ...refreshedP5({ fetchedAt: undefined, effectiveDate: builtIn.effectiveDate }) }] })
    expect(loadCatalog({ files: [sameDay] }).byId(builtIn.id)?.file).toBe(sameDay)
  })

  it('a row not yet in force on the as-of date (an announced price) does not supersede one in force', () => {
    const announced = writeYaml({ rows: [refreshedP5({ effectiveDate: '2027-02-01', fetchedAt: '2026-12-05T08:00:00Z' })] })
    const asOf = new Date('2026-12-06T00:00:00Z')
    const catalog = loadCatalog({ files: [announced], asOf })
    expect(catalog.byId(builtIn.id)?.file).toBe(builtIn.file)
    expect(catalog.byId(builtIn.id)?.superseded?.map((older) => older.file)).toEqual([announced])
    // From its effective date on, it prices the offer.
    expect(loadCatalog({ files: [announced], asOf: new Date('2027-02-01T00:00:00Z') }).byId(builtIn.id)?.file).toBe(announced)
    // catalog validate still checks it, naming its place in its file.
    const message = userErrorOf(() => validateCatalogFiles({ files: [announced], asOf }))
    expect(message).toMatch(new RegExp(`^${announced}: rows\\.0\\.effectiveDate: 2027-02-01 is after the as-of date 2026-12-06`))
  })

  it('catalog validate counts and checks a user row that the built-in row supersedes', () => {
    const older = writeYaml({ rows: [userCatalogRow({ id: 'other-offer' }), refreshedP5({ fetchedAt: '2025-01-10T08:00:00Z', effectiveDate: '2024-06-01' })] })
    const validation = validateCatalogFiles({ files: [older], asOf: new Date('2026-12-06T00:00:00Z') })
    expect(validation.totals.rows).toBe(2)
    // The superseded row (fetched 2025-01-10) is stale, and its warning names the user's file.
    expect(validation.staleRows.map((warning) => [warning.id, warning.confirmedOn])).toEqual([[builtIn.id, '2025-01-10']])
    expect(validation.staleRows[0]?.message).toContain(older)
  })

  it('a different offer under the same id is one line naming both files and the differing field', () => {
    const file = writeYaml({ rows: [refreshedP5({ region: 'eu-north-1', jurisdiction: { region: 'SE', parent: 'US' } })] })
    const message = userErrorOf(() => loadCatalog({ files: [file] }))
    expect(message).toContain(file)
    expect(message).toContain(builtIn.file)
    expect(message).toContain('aws-p5.48xlarge-us-east-1')
    expect(message).toMatch(/region: "us-east-1" there, "eu-north-1" here/)
    // The node size is part of the offer: 4 GPUs per instance is another one.
    const smaller = writeYaml({ rows: [refreshedP5({ gpuCount: 4, gpusPerNode: 4 })] })
    expect(userErrorOf(() => loadCatalog({ files: [smaller] }))).toMatch(/soldBy: "whole nodes of 8 GPUs" there, "whole nodes of 4 GPUs" here/)
    const reserved = writeYaml({ rows: [refreshedP5({ pricingModel: '1-yr' })] })
    expect(userErrorOf(() => loadCatalog({ files: [reserved] }))).toMatch(/pricingModel: "on-demand" there, "1-yr" here/)
  })

  it('a region written as its name or as its id is one region (West Europe, westeurope)', () => {
    const azure = loadCatalog().byId('azure-ncc40ads-h100-v5-westeurope') as CatalogEntry
    expect(azure.region).toBe('West Europe')
    const file = writeYaml({
      rows: [
        {
          ...refreshedP5(),
          id: azure.id,
          provider: 'Azure',
          sku: 'Standard_NCC40ads_H100_v5',
          region: 'westeurope',
          jurisdiction: azure.jurisdiction,
          gpu: azure.gpu,
          gpuCount: 1,
          soldBy: 'gpu',
          gpusPerNode: undefined,
          price: 9.1,
          confidentialComputing: true,
          sovereignty: 'SEAL-1',
        },
      ],
    })
    expect(loadCatalog({ files: [file] }).byId(azure.id)?.file).toBe(file)
  })

  it('the same id twice in one file is an error, also where both rows are the same offer', () => {
    const file = writeYaml({ rows: [userCatalogRow({ id: 'dup' }), userCatalogRow({ id: 'dup', price: 3 })] })
    const message = userErrorOf(() => loadCatalog({ files: [file], builtIn: false }))
    expect(message).toMatch(new RegExp(`^${file}: rows\\.1\\.id: "dup" is already rows\\.0\\.id in this file`))
  })

  it('catalog list says which file won and that an older row was superseded; catalog show lists the superseded row', () => {
    const file = writeYaml({ rows: [refreshedP5()] })
    const catalog = loadCatalog({ files: [file] })
    const asOf = new Date('2026-12-06T00:00:00Z')
    const listed = listCatalog(catalog, { currency: 'USD', asOf, filter: { provider: 'AWS' } })
    const text = formatCatalogList(listed)
    expect(text).toContain(
      `aws-p5.48xlarge-us-east-1: priced from ${file} (confirmed 2026-12-05 by a price fetch (effective since 2025-06-01)); superseded: ${builtIn.file} (effective ${builtIn.effectiveDate}, not confirmed since)`,
    )
    const json = listed.rows.find((row) => row.id === builtIn.id)
    expect(json?.superseded?.[0]?.file).toBe(builtIn.file)
    const shown = formatCatalogEntry(catalog.byId(builtIn.id) as CatalogEntry, undefined, asOf)
    expect(shown).toMatch(/^last confirmed:\s+confirmed 2026-12-05 by a price fetch \(effective since 2025-06-01\); 1 days old on 2026-12-06$/m)
    expect(shown).toMatch(/^source URL:\s+https:\/\/pricing\.us-east-1\.amazonaws\.com\//m)
    expect(shown).toMatch(new RegExp(`^superseded:\\s+${builtIn.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${builtIn.price}`, 'm'))
  })
})

describe("a price's age is counted from its last confirmation", () => {
  const asOf = new Date('2026-12-06T00:00:00Z')

  it('a price fetched yesterday with an effective date in 2024 is current, and its record says "confirmed"', () => {
    const file = writeYaml({ rows: [refreshedP5({ effectiveDate: '2024-02-01', fetchedAt: '2026-12-05T23:30:00Z' })] })
    const row = loadCatalog({ files: [file] }).byId(builtIn.id) as CatalogEntry
    expect(staleRows([row], { asOf })).toEqual([])
    const record = priceUsed(row, asOf)
    expect(record).toMatchObject({
      confirmedOn: '2026-12-05',
      confirmedBy: 'fetched',
      ageDays: 1,
      effectiveDate: '2024-02-01',
      basis: 'price-api',
      sourceUrl: refreshedP5().sourceUrl,
      file,
    })
  })

  it('a fetched price older than the limit warns with its fetch date; a never-fetched one with its effective date', () => {
    const file = writeYaml({
      rows: [
        userCatalogRow({ id: 'fetched-long-ago', effectiveDate: '2024-01-01', fetchedAt: '2026-03-01T10:00:00Z', basis: 'price-api' }),
        userCatalogRow({ id: 'copied', effectiveDate: '2026-03-01' }),
      ],
    })
    const catalog = loadCatalog({ files: [file], builtIn: false })
    const warnings = staleRows(catalog.rows, { asOf })
    // 2026-03-01 → 2026-12-06: 280 days, both.
    const days = Math.floor((asOf.getTime() - Date.UTC(2026, 2, 1)) / 86_400_000)
    expect(warnings.map((warning) => [warning.id, warning.confirmedBy, warning.ageDays])).toEqual([
      ['fetched-long-ago', 'fetched', days],
      ['copied', 'effective', days],
    ])
    expect(warnings[0]?.message).toContain('price confirmed 2026-03-01 (fetched; effective since 2024-01-01)')
    expect(warnings[1]?.message).toContain('price effective 2026-03-01 (not confirmed since)')
  })

  it('sizing with a refreshed row records its dates, age, basis and URL and gives no stale note', () => {
    const file = writeYaml({ rows: [refreshedP5()] })
    const price = gpuHourPriceFromCatalog(loadCatalog({ files: [file] }), builtIn.id, 'USD', 'test', undefined, asOf)
    expect(price.notes).toEqual([])
    expect(price.pricePerGpuHour).toBeCloseTo(57.6 / 8, 12)
    expect(price.catalogPrice).toMatchObject({
      id: builtIn.id,
      confirmedBy: 'fetched',
      confirmedOn: '2026-12-05',
      ageDays: 1,
      sourceUrl: refreshedP5().sourceUrl,
      superseded: [{ file: builtIn.file, fetchedAt: null }],
    })
    // The built-in row alone is stale on that date, and says so with its effective date.
    const stale = gpuHourPriceFromCatalog(loadCatalog(), builtIn.id, 'USD', 'test', undefined, asOf)
    expect((stale.notes ?? []).join(' ')).toContain(`price effective ${builtIn.effectiveDate} (not confirmed since)`)
  })
})

describe("a catalog file's fxRates", () => {
  it('join the FX table and convert its rows; the freshest rate of a pair wins; their age counts from their own date', () => {
    const rate = {
      base: 'EUR',
      quote: 'CHF',
      rate: 0.9321,
      date: '2026-12-04',
      source: 'ECB euro foreign exchange reference rates (test)',
      confidence: 'high' as const,
      sourceUrl: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml',
      fetchedAt: '2026-12-05T08:00:00Z',
    }
    const older = { ...rate, rate: 0.95, date: '2026-06-01', fetchedAt: undefined, sourceUrl: undefined }
    const file = writeYaml({ rows: [userCatalogRow({ id: 'chf-gpu', currency: 'CHF', price: 4 })], fxRates: [older, rate] })
    const catalog = loadCatalog({ files: [file], builtIn: false })
    expect(catalog.files[0]).toMatchObject({ kind: 'catalog', rows: 1, fxRates: 2 })
    const row = catalog.byId('chf-gpu') as CatalogEntry
    // 4 CHF → EUR at the freshest rate (1 EUR = 0.9321 CHF).
    expect(pricePerGpuHour(row, 'EUR', catalog.fx)).toBeCloseTo(4 / 0.9321, 12)
    expect(convertCurrency(100, 'EUR', 'CHF', catalog.fx, 'test')).toBeCloseTo(93.21, 9)
    const used = catalog.fx.rates.find((entry) => entry.date === '2026-12-04')
    expect(used?.file).toBe(file)
    // A rate fetched later is still the market's on its date: fetched 2026-12-05, dated 2026-06-01 → stale on 2026-12-31.
    const late = staleFxRates([{ ...rate, date: '2026-06-01', file }], { asOf: new Date('2026-12-31T00:00:00Z') })
    expect(late.map((warning) => warning.ageDays)).toEqual([Math.floor((Date.UTC(2026, 11, 31) - Date.UTC(2026, 5, 1)) / 86_400_000)])
    expect(late[0]?.message).toContain('(fetched 2026-12-05')
  })
})

describe('the built-in rows say how they were obtained (issue 18)', () => {
  it('every row has a basis and an http(s) sourceUrl; the row derived from another region says derived', () => {
    const catalog = loadCatalog()
    for (const row of catalog.rows) {
      expect(row.basis, row.id).toBeDefined()
      expect(row.sourceUrl, row.id).toMatch(/^https:\/\//)
      // Built-in rows are not fetched: their age counts from their effective date.
      expect(row.fetchedAt, row.id).toBeUndefined()
    }
    const derived = catalog.rows.filter((row) => row.basis === 'derived')
    expect(derived.map((row) => row.id)).toEqual(['aws-p5.48xlarge-eu-north-1'])
    expect(derived[0]?.notes).toMatch(/×1\.07/)
    // Every built-in FX rate points at the ECB's own page for its currency.
    for (const rate of catalog.fx.rates) expect(rate.sourceUrl, `${rate.base}/${rate.quote}`).toMatch(/^https:\/\/www\.ecb\.europa\.eu\//)
  })
})
