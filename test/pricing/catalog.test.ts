import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import {
  type CatalogEntry,
  builtInCatalogFiles,
  builtInFxFiles,
  convertCurrency,
  defaultDiscount,
  filterRows,
  listCatalog,
  loadCatalog,
  pricePerGpuHour,
  staleRows,
  tokenPrice,
  validateCatalogFiles,
} from '../../src/pricing/catalog.js'
import { sealRank } from '../../src/io/schema/catalog.js'
import { PACKAGE_ROOT } from '../../src/util/version.js'
import { gpuHourPriceFromCatalog } from '../../src/sizing/run.js'
import { userCatalogRow, userErrorOf } from '../helpers/catalog.js'
import { yamlFileWriter } from '../helpers/yaml-files.js'

const writeYaml = yamlFileWriter('geopat-catalog-')
let rowNumber = 0

/** A valid user row with a fresh id; override any field. */
const userRow = (overrides: Record<string, unknown> = {}) => userCatalogRow({ id: `test-row-${++rowNumber}`, ...overrides })

/** The built-in EUR→USD rate, read from the data file itself (not copied into the test). */
function builtInEurUsd(): number {
  const fxFile = YAML.parse(readFileSync(join(PACKAGE_ROOT, 'data', 'fx', 'ecb-reference-rates.yaml'), 'utf8')) as {
    rates: Array<{ base: string; quote: string; rate: number }>
  }
  const rate = fxFile.rates.find((entry) => entry.base === 'EUR' && entry.quote === 'USD')
  if (!rate) throw new Error('the built-in FX file has no EUR/USD rate')
  return rate.rate
}

describe('the built-in catalog', () => {
  const catalog = loadCatalog()

  it('validates, and ships rows of every kind with a source in shared/reference/economics.md', () => {
    expect(builtInCatalogFiles().length).toBeGreaterThan(1)
    expect(builtInFxFiles().length).toBeGreaterThan(0)
    const validation = validateCatalogFiles({ asOf: new Date('2026-11-24T00:00:00Z') })
    expect(validation.totals.rows).toBe(catalog.rows.length)
    expect(validation.unconvertible).toEqual([])
    for (const kind of ['gpu-rental', 'token-api', 'owned'] as const) expect(catalog.rows.some((row) => row.kind === kind)).toBe(true)
    for (const row of catalog.rows) {
      expect(row.source, row.id).toContain('shared/reference/economics.md')
      expect(row.file, row.id).toMatch(/^data\/catalog\/.+\.yaml$/)
    }
    // Rows of every pricing model the reference gives, and confidential-computing rows.
    for (const model of ['on-demand', '1-yr', '3-yr'] as const) expect(catalog.rows.some((row) => row.pricingModel === model)).toBe(true)
    expect(catalog.rows.some((row) => row.confidentialComputing && row.unit === 'instance-hour')).toBe(true)
  })

  it('prices every row in USD and in EUR', () => {
    for (const currency of ['USD', 'EUR']) {
      const listed = listCatalog(catalog, { currency, asOf: new Date('2026-11-24T00:00:00Z') })
      expect(listed.count).toBe(catalog.rows.length)
      for (const row of listed.rows) {
        const value = row.unit === 'mtok' ? row.inCurrency.perMtok?.output : row.inCurrency.perGpuHour
        expect(Number.isFinite(value), row.id).toBe(true)
      }
    }
  })

  it('ships the default discounts as data', () => {
    for (const model of ['1-yr', '3-yr', 'spot'] as const) {
      const discount = defaultDiscount(catalog, model)
      expect(discount, model).toBeDefined()
      expect(discount?.discountFraction).toBeGreaterThan(0)
      expect(discount?.discountFraction).toBeLessThan(1)
      expect(discount?.source).toContain('shared/reference/economics.md')
    }
    expect(defaultDiscount(catalog, 'on-demand')).toBeUndefined()
  })

  it('converts a EUR price to USD with the dated FX table', () => {
    const rate = builtInEurUsd()
    expect(convertCurrency(10, 'EUR', 'USD', catalog.fx, 'test')).toBeCloseTo(10 * rate, 12)
    expect(convertCurrency(10, 'USD', 'EUR', catalog.fx, 'test')).toBeCloseTo(10 / rate, 12)
    expect(convertCurrency(10, 'EUR', 'EUR', catalog.fx, 'test')).toBe(10)
    // A built-in EUR row: its USD price is its own price times the table's rate.
    const eurRow = catalog.rows.find((row) => row.currency === 'EUR' && row.unit === 'gpu-hour')
    expect(eurRow).toBeDefined()
    const row = eurRow as CatalogEntry
    expect(pricePerGpuHour(row, 'USD', catalog.fx)).toBeCloseTo((row.price as number) * rate, 12)
    expect(pricePerGpuHour(row, 'EUR', catalog.fx)).toBe(row.price)
  })
})

describe('loading user files', () => {
  it('a wrong field fails with one line naming the file, the field path and the rule', () => {
    const typo = writeYaml({ rows: [userRow({ gpuCuont: 8 })] })
    const typoMessage = userErrorOf(() => loadCatalog({ files: [typo] }))
    expect(typoMessage).toContain(typo)
    expect(typoMessage).toMatch(/rows\.0.*gpuCuont/)
    const wrongType = writeYaml({ rows: [userRow({ price: 'cheap' })] })
    const wrongTypeMessage = userErrorOf(() => loadCatalog({ files: [wrongType] }))
    expect(wrongTypeMessage).toMatch(new RegExp(`^${wrongType}: rows\\.0\\.price: .*number`))
    const badSeal = writeYaml({ rows: [userRow({ sovereignty: 'SEAL-5' })] })
    expect(userErrorOf(() => loadCatalog({ files: [badSeal] }))).toMatch(/rows\.0\.sovereignty: /)
    const ambiguousCount = writeYaml({ rows: [userRow({ gpuCount: 8 })] })
    expect(userErrorOf(() => loadCatalog({ files: [ambiguousCount] }))).toMatch(/rows\.0\.gpuCount: must be 1 when unit is gpu-hour/)
  })

  // Issue 18 changed the rule: an id names one offer, and the same offer may be given in several
  // files (a refreshed catalog beside the built-in one). Another offer under an id still fails.
  it('a row id given in two files for different offers fails, naming both files and the field', () => {
    const first = writeYaml({ rows: [userRow({ id: 'same-id' })] })
    const second = writeYaml({ rows: [userRow({ id: 'same-id', region: 'par-1', jurisdiction: { region: 'FR', parent: 'DE' } })] })
    const message = userErrorOf(() => loadCatalog({ files: [first, second], builtIn: false }))
    expect(message).toContain(first)
    expect(message).toContain(second)
    expect(message).toContain('same-id')
    expect(message).toMatch(/region: "fra-1" there, "par-1" here/)
    // Also against a built-in row (the user row is another provider's offer).
    const builtInId = loadCatalog().rows[0]?.id as string
    const clash = writeYaml({ rows: [userRow({ id: builtInId })] })
    const clashMessage = userErrorOf(() => loadCatalog({ files: [clash] }))
    expect(clashMessage).toContain(clash)
    expect(clashMessage).toMatch(/data\/catalog\/.+\.yaml/)
    expect(clashMessage).toMatch(/provider: /)
  })

  it('tells FX files from catalog files by content, and uses the latest rate for a pair', () => {
    const catalogFile = writeYaml({ rows: [userRow({ id: 'chf-row', currency: 'CHF', price: 3 })] })
    const older = writeYaml({ rates: [{ base: 'USD', quote: 'CHF', rate: 0.5, date: '2026-01-01', source: 'test', confidence: 'assumption' }] })
    const newer = writeYaml({ rates: [{ base: 'CHF', quote: 'USD', rate: 1.25, date: '2026-10-01', source: 'test', confidence: 'assumption' }] })
    const catalog = loadCatalog({ files: [catalogFile, older], fxFiles: [newer], builtIn: false })
    expect(catalog.files.map((file) => file.kind)).toEqual(['catalog', 'fx', 'fx'])
    // The newer rate, written the other way round, wins over the older direct one.
    expect(pricePerGpuHour(catalog.byId('chf-row') as CatalogEntry, 'USD', catalog.fx)).toBeCloseTo(3 * 1.25, 12)
    // Two different rates for one pair on one date are a conflict.
    const conflicting = writeYaml({ rates: [{ base: 'CHF', quote: 'USD', rate: 1.3, date: '2026-10-01', source: 'test', confidence: 'assumption' }] })
    const message = userErrorOf(() => loadCatalog({ fxFiles: [newer, conflicting], builtIn: false }))
    expect(message).toContain(newer)
    expect(message).toContain(conflicting)
  })

  it('a missing FX pair is one line naming the currencies, the row and where to add a rate', () => {
    const file = writeYaml({ rows: [userRow({ id: 'yen-row', currency: 'JPY', price: 300 })] })
    const catalog = loadCatalog({ files: [file] })
    const message = userErrorOf(() => pricePerGpuHour(catalog.byId('yen-row') as CatalogEntry, 'USD', catalog.fx))
    expect(message).toContain('JPY')
    expect(message).toContain('USD')
    expect(message).toContain('yen-row')
    expect(message).toContain('data/fx/ecb-reference-rates.yaml')
    expect(userErrorOf(() => convertCurrency(1, 'JPY', 'EUR', catalog.fx, 'the TCO option "stay"'))).toMatch(
      /^the TCO option "stay": no exchange rate from JPY to EUR/,
    )
  })

  it('goes through another currency when there is no direct rate (GBP → USD via EUR)', () => {
    const fxFile = writeYaml({
      rates: [
        { base: 'EUR', quote: 'USD', rate: 1.2, date: '2026-10-01', source: 'test', confidence: 'assumption' },
        { base: 'EUR', quote: 'GBP', rate: 0.8, date: '2026-10-01', source: 'test', confidence: 'assumption' },
      ],
    })
    const catalog = loadCatalog({ fxFiles: [fxFile], builtIn: false })
    expect(convertCurrency(8, 'GBP', 'USD', catalog.fx, 'test')).toBeCloseTo((8 / 0.8) * 1.2, 12)
  })

  it('prices instance-hour rows per GPU and token APIs per million tokens, each only as what it is', () => {
    const file = writeYaml({
      rows: [
        userRow({ id: 'node-row', unit: 'instance-hour', gpuCount: 8, price: 40 }),
        {
          ...userRow({ id: 'token-row', kind: 'token-api', unit: 'mtok', pricePerMtok: { input: 0.5, output: 1.5 }, model: 'Llama-3.3-70B' }),
          gpu: undefined,
          price: undefined,
        },
      ],
    })
    const catalog = loadCatalog({ files: [file], builtIn: false })
    const node = catalog.byId('node-row') as CatalogEntry
    const tokens = catalog.byId('token-row') as CatalogEntry
    expect(pricePerGpuHour(node, 'USD', catalog.fx)).toBe(5)
    expect(tokenPrice(tokens, 'USD', catalog.fx)).toEqual({ input: 0.5, output: 1.5 })
    expect(userErrorOf(() => tokenPrice(node, 'USD', catalog.fx))).toContain('node-row')
    expect(userErrorOf(() => pricePerGpuHour(tokens, 'USD', catalog.fx))).toContain('token-row')
  })

  it("a user file's default discount replaces the built-in one; two user files giving one fail", () => {
    const override = writeYaml({
      pricingDefaults: { discounts: [{ pricingModel: '1-yr', discountFraction: 0.3, source: 'our contract', date: '2026-09-01', confidence: 'high' }] },
    })
    const catalog = loadCatalog({ files: [override] })
    expect(defaultDiscount(catalog, '1-yr')).toMatchObject({ discountFraction: 0.3, file: override })
    expect(defaultDiscount(catalog, '3-yr')?.file).toMatch(/data\/catalog\//)
    const again = writeYaml({
      pricingDefaults: { discounts: [{ pricingModel: '1-yr', discountFraction: 0.25, source: 'x', date: '2026-09-01', confidence: 'low' }] },
    })
    const message = userErrorOf(() => loadCatalog({ files: [override, again] }))
    expect(message).toContain(override)
    expect(message).toContain(again)
    const onDemand = writeYaml({
      pricingDefaults: { discounts: [{ pricingModel: 'on-demand', discountFraction: 0.1, source: 'x', date: '2026-09-01', confidence: 'low' }] },
    })
    expect(userErrorOf(() => loadCatalog({ files: [onDemand] }))).toMatch(/pricingDefaults\.discounts\.0\.pricingModel: /)
  })
})

describe('staleness', () => {
  const file = writeYaml({
    rows: [
      userRow({ id: 'old-row', effectiveDate: '2026-01-15' }),
      userRow({ id: 'fresh-row', effectiveDate: '2026-10-20' }),
      userRow({ id: 'month-row', effectiveDate: '2026-06' }),
    ],
  })
  const catalog = loadCatalog({ files: [file], builtIn: false })
  const asOf = new Date('2026-11-01T00:00:00Z')

  it('warns about a row older than the limit and not about a fresh one', () => {
    const warnings = staleRows(catalog.rows, { asOf })
    expect(warnings.map((warning) => warning.id)).toEqual(['old-row'])
    const [warning] = warnings
    expect(warning).toMatchObject({ id: 'old-row', effectiveDate: '2026-01-15', ageDays: 290 })
    expect(warning?.message).toContain('old-row')
    expect(warning?.message).toContain(file)
    expect(warning?.message).not.toContain('\n')
  })

  it('reads a month as its first day and honours maxAgeDays', () => {
    // 2026-06 is 2026-06-01: 153 days before 2026-11-01.
    expect(staleRows(catalog.rows, { asOf, maxAgeDays: 152 }).map((warning) => warning.id)).toEqual(['old-row', 'month-row'])
    expect(staleRows(catalog.rows, { asOf, maxAgeDays: 153 }).map((warning) => warning.id)).toEqual(['old-row'])
    expect(staleRows(catalog.rows, { asOf, maxAgeDays: 1000 })).toEqual([])
  })
})

describe('filters', () => {
  const catalog = loadCatalog()

  it('keeps rows at or above a minimum SEAL level', () => {
    const sovereign = filterRows(catalog.rows, { minSeal: 'SEAL-3' })
    expect(sovereign.length).toBeGreaterThan(0)
    expect(sovereign.length).toBeLessThan(catalog.rows.length)
    for (const row of sovereign) expect(sealRank(row.sovereignty)).toBeGreaterThanOrEqual(3)
    const excluded = catalog.rows.filter((row) => !sovereign.includes(row))
    for (const row of excluded) expect(sealRank(row.sovereignty)).toBeLessThan(3)
  })

  it('by provider, GPU, jurisdiction, confidential computing, kind and pricing model', () => {
    const byProvider = filterRows(catalog.rows, { provider: 'aws' })
    expect(byProvider.length).toBeGreaterThan(0)
    for (const row of byProvider) expect(row.provider).toBe('AWS')
    for (const row of filterRows(catalog.rows, { gpu: 'h100' })) expect(row.gpu).toMatch(/^H100/)
    const inEu = filterRows(catalog.rows, { jurisdiction: 'EU' })
    // A US-parent provider in an EU region counts (its region is in the EU); a US region does not.
    expect(inEu.some((row) => row.jurisdiction.parent === 'US' && row.jurisdiction.region !== 'US')).toBe(true)
    expect(inEu.some((row) => row.jurisdiction.region === 'US' && row.jurisdiction.parent === 'US')).toBe(false)
    for (const row of filterRows(catalog.rows, { jurisdiction: 'de' })) expect([row.jurisdiction.region, row.jurisdiction.parent]).toContain('DE')
    const confidential = filterRows(catalog.rows, { confidentialComputing: true })
    expect(confidential.length).toBeGreaterThan(0)
    for (const row of confidential) expect(row.confidentialComputing).toBe(true)
    for (const row of filterRows(catalog.rows, { kind: 'token-api' })) expect(row.unit).toBe('mtok')
    for (const row of filterRows(catalog.rows, { pricingModel: '3-yr' })) expect(row.pricingModel).toBe('3-yr')
    expect(filterRows(catalog.rows, { gpu: 'H100', minSeal: 'SEAL-3', confidentialComputing: true })).toEqual([])
  })
})

describe('a price that prices nothing is refused (issue 15.10)', () => {
  it('a price of 0 fails with one line naming the file, the path, the row id and the rule', () => {
    const zero = writeYaml({ rows: [userRow({ id: 'free-gpu', price: 0 })] })
    expect(userErrorOf(() => loadCatalog({ files: [zero] }))).toBe(
      `${zero}: rows.0.price: must be greater than 0 (a free offer is not a price; leave the row out) (row free-gpu)`,
    )
    const zeroToken = writeYaml({
      rows: [
        userRow({ id: 'free-tokens', kind: 'token-api', unit: 'mtok', gpu: undefined, price: undefined, model: 'm', pricePerMtok: { input: 0.5, output: 0 } }),
      ],
    })
    expect(userErrorOf(() => loadCatalog({ files: [zeroToken] }))).toMatch(
      new RegExp(`^${zeroToken}: rows\\.0\\.pricePerMtok\\.output: must be greater than 0 .*\\(row free-tokens\\)$`),
    )
    // Egress may be bundled: 0 stays valid there.
    const bundledEgress = writeYaml({ rows: [userRow({ egressPerGB: 0 })] })
    expect(loadCatalog({ files: [bundledEgress], builtIn: false }).rows).toHaveLength(1)
  })
})

describe('a price dated after the as-of date is not in force (issue 15.10)', () => {
  const asOf = new Date('2026-11-01T00:00:00Z')
  const file = writeYaml({ rows: [userRow({ id: 'current-row', effectiveDate: '2026-10-20' }), userRow({ id: 'announced-row', effectiveDate: '2026-11-02' })] })

  it('validate refuses it with one line naming the file, the row, the date and the as-of date', () => {
    expect(userErrorOf(() => validateCatalogFiles({ files: [file], builtIn: false, asOf }))).toBe(
      `${file}: rows.1.effectiveDate: 2026-11-02 is after the as-of date 2026-11-01; a price must be in force on it (row announced-row; give the price in force then, or a later --as-of)`,
    )
    // In force on its own date.
    expect(validateCatalogFiles({ files: [file], builtIn: false, asOf: new Date('2026-11-02T00:00:00Z') }).totals.rows).toBe(2)
  })

  it('a listing leaves it out with a warning naming the row', () => {
    const listed = listCatalog(loadCatalog({ files: [file], builtIn: false }), { currency: 'USD', asOf })
    expect(listed.rows.map((row) => row.id)).toEqual(['current-row'])
    expect(listed.notInForce.map((warning) => warning.id)).toEqual(['announced-row'])
    expect(listed.notInForce[0]?.message).toContain('announced-row')
    expect(listed.notInForce[0]?.message).toContain(file)
  })

  it('sizing with it is refused (pricing is as of today)', () => {
    const future = writeYaml({ rows: [userRow({ id: 'next-year-row', effectiveDate: `${new Date().getUTCFullYear() + 1}-01-01` })] })
    const catalog = loadCatalog({ files: [future], builtIn: false })
    expect(userErrorOf(() => gpuHourPriceFromCatalog(catalog, 'next-year-row', 'USD', '--price next-year-row'))).toMatch(
      /^--price next-year-row: catalog row next-year-row \(.*\) has effectiveDate \d{4}-01-01, after \d{4}-\d{2}-\d{2}: a price not yet in force cannot be used$/,
    )
  })
})
