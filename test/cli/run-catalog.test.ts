import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/pricing/catalog.js'
import { type CatalogRow, catalogFileSchema, catalogRowSchema } from '../../src/io/schema/catalog.js'
import { sizingResultSchema } from '../../src/io/schema/sizing.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { refreshedP5 } from '../helpers/catalog.js'
import { shortenedQuickstart } from '../helpers/quickstart.js'
import { decodeEntities } from '../helpers/html.js'

/**
 * Issue 18's acceptance, the consumers' side: `geopat run scenarios/quickstart.yaml --catalog
 * <refreshed>` prices from the refreshed rows, prints no staleness warning for them, and the report
 * shows their URLs and dates. The quickstart as shipped, with few, short requests and one short
 * simulated search per endpoint so that the test stays short; its prices and endpoints unchanged.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-run-catalog-'))
const runDir = join(work, 'run')
const fetchedAt = new Date().toISOString()

/** A catalog file as `geopat catalog refresh` writes it: the quickstart's two offers, per instance-hour, fetched now. Prices illustrative. */
const refreshedRows = [
  refreshedP5({ price: 55.04, fetchedAt }),
  {
    id: 'azure-ncc40ads-h100-v5-westeurope',
    provider: 'Azure',
    sku: 'Standard_NCC40ads_H100_v5',
    region: 'westeurope',
    jurisdiction: { region: 'NL', parent: 'US' },
    kind: 'gpu-rental',
    gpu: 'H100 NVL',
    gpuCount: 1,
    unit: 'instance-hour',
    soldBy: 'gpu',
    price: 9.1,
    currency: 'USD',
    pricingModel: 'on-demand',
    // Effective long ago, confirmed by today's fetch: current.
    effectiveDate: '2024-05-01',
    source: 'Azure price list: NCC40ads H100 v5 (illustrative)',
    confidence: 'high',
    basis: 'price-api',
    sourceUrl: "https://prices.azure.com/api/retail/prices?$filter=armSkuName%20eq%20'Standard_NCC40ads_H100_v5'",
    fetchedAt,
    providerSkuId: 'test-meter-id',
    confidentialComputing: true,
    sovereignty: 'SEAL-1',
  },
].map((row) => catalogRowSchema.parse(row) as CatalogRow & { price: number; sourceUrl: string })

describe('geopat run --catalog (a refreshed catalog)', () => {
  it('prices from the refreshed rows, warns about none of them, records them and the report shows their URLs and dates', async () => {
    const { file: scenario, prices } = shortenedQuickstart(work)
    expect(prices.map((price) => price.catalogRow).sort()).toEqual(refreshedRows.map((row) => row.id).sort())
    const catalogFile = join(work, 'refreshed.yaml')
    writeFileSync(catalogFile, YAML.stringify(catalogFileSchema.parse({ description: 'refreshed (test)', rows: refreshedRows })))
    // Without the refreshed file these built-in rows are stale today (the premise): the contrast.
    const builtIn = loadCatalog()
    for (const row of refreshedRows) expect(builtIn.byId(row.id)?.fetchedAt).toBeUndefined()

    const result = await runCli(['run', scenario, '--catalog', catalogFile, '--out', runDir, '--no-progress'], { timeoutMs: 110_000 })
    expect(result.exitCode, result.stderr).toBe(0)
    const output = `${result.stdout}\n${result.stderr}`
    for (const row of refreshedRows) expect(output).not.toMatch(new RegExp(`${row.id.replace(/\./g, '\\.')}: price .* days old`))
    // The staleness warning's form ("… is N days old on D (limit 180)"); the price lines say every price's age, 0 days here.
    expect(output).not.toMatch(/days old on \S+ \(limit \d+\)/)

    const sizing = sizingResultSchema.parse(JSON.parse(readFileSync(join(runDir, 'size', 'sizing.json'), 'utf8')))
    const today = fetchedAt.slice(0, 10)
    for (const { endpoint, catalogRow } of prices) {
      const row = refreshedRows.find((candidate) => candidate.id === catalogRow) as (typeof refreshedRows)[number]
      const cost = sizing.endpoints.find((e) => e.label === endpoint)?.costs.find((c) => c.catalogRow === catalogRow)
      expect(cost, endpoint).toBeDefined()
      if (!cost) continue
      expect(cost.notes.join(' ')).not.toContain('days old')
      expect(cost.catalogPrice).toMatchObject({
        id: row.id,
        file: catalogFile,
        basis: 'price-api',
        fetchedAt,
        confirmedBy: 'fetched',
        confirmedOn: today,
        effectiveDate: row.effectiveDate,
        sourceUrl: row.sourceUrl,
        price: row.price,
        unit: 'instance-hour',
        gpuCount: row.gpuCount,
      })
      expect(cost.catalogPrice?.ageDays).toBeLessThanOrEqual(1)
      expect(cost.catalogPrice?.superseded.map((older) => older.file.endsWith('hyperscalers.yaml'))).toEqual([true])
      expect(cost.fxRates).toEqual([])
      // Finance, recomputed here: the instance-hour price ÷ its GPUs × GPUs bought × 730 h a month.
      const perGpuHour = row.price / row.gpuCount
      expect(cost.pricePerGpuHour).toBeCloseTo(perGpuHour, 9)
      expect(cost.fleetPerMonth.estimate).toBeCloseTo(cost.gpusBought.estimate * perGpuHour * 730, 6)
      // Sold by the node: whole 8-GPU instances.
      if (row.gpuCount === 8) expect(cost.gpusBought.estimate % 8).toBe(0)
    }

    const html = readFileSync(join(runDir, 'report.html'), 'utf8')
    const start = html.indexOf('id="prices-used"')
    expect(start).toBeGreaterThan(0)
    const table = html.slice(start, html.indexOf('</table>', start))
    // The anchors as the browser reads them (Handlebars writes = and ' as character references).
    const decoded = decodeEntities(table)
    for (const row of refreshedRows) {
      expect(table).toContain(row.id)
      expect(decoded).toContain(`<a href="${new URL(row.sourceUrl).href}" rel="noopener noreferrer">${row.sourceUrl}</a>`)
      expect(table).toContain(row.effectiveDate)
      expect(table).toContain(`${today} (fetched)`)
    }
    const warnings = /<h3>Staleness and confidence warnings<\/h3>[\s\S]*?<\/ul>/.exec(html)?.[0] ?? ''
    for (const row of refreshedRows) expect(warnings).not.toMatch(new RegExp(`${row.id.replace(/\./g, '\\.')}[^<]*(?:stale|days before this report)`))
    // The links go nowhere by themselves: nothing in the report loads from the network.
    expect(html).not.toMatch(/<(?:script|link|img|iframe|object|embed)\b/i)
    expect(html).not.toMatch(/\ssrc\s*=/i)
  }, 120_000)

  it('a bad --catalog file is one line before anything runs', async () => {
    const bad = join(work, 'bad.yaml')
    writeFileSync(bad, YAML.stringify({ rows: [{ ...refreshedRows[0], price: 0 }] }))
    const line = expectOneLineError(await runCli(['run', join(REPO_ROOT, 'scenarios', 'quickstart.yaml'), '--catalog', bad, '--out', join(work, 'never')]))
    expect(line).toContain(bad)
    expect(line).toMatch(/rows\.0\.price: /)
  })
})
