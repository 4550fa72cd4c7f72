import { describe, expect, it } from 'vitest'
import { type CatalogListResult, type CatalogValidation, loadCatalog } from '../../src/pricing/catalog.js'
import { sealRank } from '../../src/io/schema/catalog.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { userCatalogRow } from '../helpers/catalog.js'
import { yamlFileWriter } from '../helpers/yaml-files.js'

const writeYaml = yamlFileWriter('geopat-catalog-cli-')

const userRow = (overrides: Record<string, unknown>) => userCatalogRow(overrides)

describe('geopat catalog list', () => {
  it('--json parses and holds every built-in row, priced in the asked currency', async () => {
    const result = await runCli(['catalog', 'list', '--json', '--as-of', '2026-11-24', '--currency', 'EUR'])
    expect(result.exitCode).toBe(0)
    const listed = JSON.parse(result.stdout) as CatalogListResult
    const builtIn = loadCatalog()
    expect(listed.count).toBe(builtIn.rows.length)
    expect(listed.rows.map((row) => row.id).sort()).toEqual(builtIn.rows.map((row) => row.id).sort())
    expect(listed.currency).toBe('EUR')
    for (const row of listed.rows) {
      expect(row.inCurrency.currency).toBe('EUR')
      // A USD row was converted with a dated rate; an EUR row needed none.
      expect(row.inCurrency.fxRates.length > 0).toBe(row.currency !== 'EUR')
    }
    expect(Array.isArray(listed.staleRows)).toBe(true)
  })

  it('warns about a row older than --max-age-days and not about a fresh one', async () => {
    const file = writeYaml({ rows: [userRow({ id: 'old-quote', effectiveDate: '2026-01-10' }), userRow({ id: 'fresh-quote', effectiveDate: '2026-10-25' })] })
    const args = ['catalog', 'list', '--no-builtin', '--catalog', file, '--as-of', '2026-11-01', '--max-age-days', '180']
    const json = await runCli([...args, '--json'])
    expect(json.exitCode).toBe(0)
    const listed = JSON.parse(json.stdout) as CatalogListResult
    expect(listed.rows.map((row) => row.id)).toEqual(['old-quote', 'fresh-quote'])
    expect(listed.staleRows.map((warning) => warning.id)).toEqual(['old-quote'])
    expect(listed.staleRows[0]?.ageDays).toBe(295)

    const human = await runCli(args)
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain('old-quote')
    expect(human.stdout).toContain('fresh-quote')
    // Issue 18: the warning says which date the age counts from (never fetched: its effective date).
    expect(human.stderr).toMatch(/warning: old-quote: price effective 2026-01-10 \(not confirmed since\) is 295 days old/)
    expect(human.stderr).not.toContain('fresh-quote')
  })

  it('--min-seal keeps only rows at that level or above', async () => {
    const result = await runCli(['catalog', 'list', '--json', '--min-seal', 'SEAL-3', '--as-of', '2026-11-24'])
    expect(result.exitCode).toBe(0)
    const listed = JSON.parse(result.stdout) as CatalogListResult
    expect(listed.count).toBeGreaterThan(0)
    for (const row of listed.rows) expect(sealRank(row.sovereignty)).toBeGreaterThanOrEqual(3)
  })

  it('a user catalog file with a wrong field fails with exit 2 and one line naming file, path and rule', async () => {
    const file = writeYaml({ rows: [userRow({ id: 'typo-row', price: 'cheap' })] })
    const result = await runCli(['catalog', 'list', '--catalog', file])
    expect(result.exitCode).toBe(2)
    const line = expectOneLineError(result)
    expect(line).toContain(file)
    expect(line).toMatch(/rows\.0\.price: .*number/)
  })

  it('a missing FX pair is one clear line', async () => {
    const file = writeYaml({ rows: [userRow({ id: 'yen-quote', currency: 'JPY', price: 300 })] })
    const result = await runCli(['catalog', 'list', '--catalog', file, '--currency', 'USD'])
    expect(result.exitCode).toBe(2)
    const line = expectOneLineError(result)
    expect(line).toMatch(/yen-quote.*no exchange rate from JPY to USD.*--fx/)
  })

  // Issue 18: the same offer in two files is allowed (the freshest prices it); another offer under one id fails.
  it('an id given for two different offers fails naming both files and the field', async () => {
    const first = writeYaml({ rows: [userRow({ id: 'twice' })] })
    const second = writeYaml({ rows: [userRow({ id: 'twice', gpu: 'H200' })] })
    const line = expectOneLineError(await runCli(['catalog', 'list', '--catalog', first, '--catalog', second]))
    expect(line).toContain(first)
    expect(line).toContain(second)
    expect(line).toContain('gpu: "H100 SXM" there, "H200" here')
  })
})

describe('geopat catalog show and validate', () => {
  it('show prints the full row with its source; an unknown id is one line', async () => {
    const id = loadCatalog().rows.find((row) => row.currency === 'EUR')?.id as string
    const result = await runCli(['catalog', 'show', id, '--currency', 'USD'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^id:\\s+${id.replace(/\./g, '\\.')}$`, 'm'))
    expect(result.stdout).toMatch(/^source:\s+shared\/reference\/economics\.md/m)
    expect(result.stdout).toMatch(/^in USD:/m)
    const unknown = expectOneLineError(await runCli(['catalog', 'show', 'no-such-row']))
    expect(unknown).toContain('no-such-row')
  })

  it('validate passes the built-in files (warnings do not fail) and fails an invalid file with one line', async () => {
    const builtIn = await runCli(['catalog', 'validate', '--json', '--as-of', '2026-11-24'])
    expect(builtIn.exitCode).toBe(0)
    const validation = JSON.parse(builtIn.stdout) as CatalogValidation
    expect(validation.valid).toBe(true)
    expect(validation.totals.rows).toBe(loadCatalog().rows.length)
    expect(validation.files.every((file) => file.builtIn)).toBe(true)

    const stale = writeYaml({ rows: [userRow({ id: 'stale-quote', effectiveDate: '2025-01-01' })] })
    const human = await runCli(['catalog', 'validate', stale, '--as-of', '2026-11-01'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain(`${stale}: valid, 1 row`)
    expect(human.stderr).toMatch(/warning: stale-quote: /)

    const invalid = writeYaml({ rows: [userRow({ id: 'bad-seal', sovereignty: 'SEAL-9' })] })
    const line = expectOneLineError(await runCli(['catalog', 'validate', invalid]))
    expect(line).toMatch(new RegExp(`${invalid}: rows\\.0\\.sovereignty: `))
  })
})
