import { describe, expect, it } from 'vitest'
import { ChartBook } from '../../src/report/chart-book.js'
import type { Loaded, ReportInputs } from '../../src/report/inputs.js'
import { executiveSection } from '../../src/report/sections/executive.js'
import { complianceTaxOf, paybackRange, tcoSection } from '../../src/report/sections/tco.js'
import { type SizingResult, sizingResultSchema } from '../../src/io/schema/sizing.js'
import type { TcoResult } from '../../src/io/schema/tco-result.js'
import { tcoFixture } from './fixtures.js'
import { sizingFrame } from '../helpers/sizing-fixture.js'

/**
 * What the report says about a TCO figure: its basis and its source path follow the figure shown,
 * the compliance tax is labelled by the components it sums (C1–C17 since C15–C17), and a payback
 * that never comes reads once, not "not within the horizon (not within the horizon to …)".
 */

function inputs(tco: TcoResult, sizing: SizingResult[] = []): ReportInputs {
  const file = (path: string) => ({ path, kind: 'tco', usedBy: new Set() }) as unknown as Loaded<TcoResult>['file']
  return {
    folders: [],
    bench: [],
    compare: [],
    sizing: sizing.map((data) => ({ file: file('/runs/x/size/sizing.json'), data, folder: '/runs/x/size' })),
    plan: [],
    tco: [{ file: file('/runs/x/tco/tco.json'), data: tco, folder: '/runs/x/tco' }],
    records: [],
    files: [],
  }
}

/** A sizing of one endpoint costed on `rows` (fleet $/Mtok at the demand as given): only what the summary reads matters. */
function sizing(rows: Record<string, number>): SizingResult {
  const estimate = (value: number) => ({ estimate: value, low: value, high: value, method: 'test' })
  const none = { input: null, output: null, total: null }
  return sizingResultSchema.parse({
    ...sizingFrame({ peakRequestsPerS: 10, averageRequestsPerS: 4, averageBasis: 'ratio' }),
    createdAt: '2026-12-01T00:00:00.000Z',
    endpoints: [
      {
        label: 'eu',
        source: 'simulated',
        detail: 'test',
        profile: null,
        capacityPerReplica: { ratePerS: estimate(5), inputTokensPerS: estimate(1000), outputTokensPerS: estimate(800), lowerBoundOnly: false },
        firstCut: null,
        evaluations: [],
        modelError: null,
        gpusPerReplica: 1,
        replicas: { base: 3, spare: 0, surge: 1, total: 3, low: 3, high: 3, terms: { base: 'test', spare: 'test', surge: 'test' } },
        gpus: { surge: 1, low: 3, total: 3, high: 3 },
        costs: Object.entries(rows).map(([catalogRow, perMtok]) => ({
          catalogRow,
          provider: catalogRow,
          region: 'r',
          sovereignty: 'SEAL-3',
          currency: 'EUR',
          pricePerGpuHour: 2,
          priceSource: null,
          soldBy: 'gpu',
          gpusPerNode: 1,
          gpusBought: { estimate: 3, low: 3, high: 3, nodes: null },
          fleetPerMonth: estimate(4380),
          surge: { gpus: 1, perMonth: 1460, months: 0, total: 0 },
          inOneYear: null,
          perMtokFleetAtDemand: { ...none, total: estimate(perMtok) },
          perMtokOneReplicaAtFullLoad: none,
          joulesPerOutputToken: null,
          notes: [],
        })),
        warnings: [],
      },
    ],
  })
}

describe('TCO figures in the executive summary', () => {
  it('names the compliance components it sums (its own C1–C17 lines) and the figure it shows, on the headline basis', () => {
    const section = executiveSection(inputs(tcoFixture()), [])
    const tax = section?.figures.find((figure) => figure.label.startsWith('Compliance tax'))
    // verda-fi is the cheapest at the P50; its own compliance lines: C3 20,000 + C6 30,000.
    expect(tax?.value).toMatch(/^50,000 EUR present value/)
    expect(tax?.source).toContain('its own C1–C17 lines')
    expect(tax?.source).not.toContain('C1–C14')
    const cost = section?.figures.find((figure) => figure.label.startsWith('Lowest 5-year cost'))
    expect(cost?.source).toMatch(/options\[verda-fi\]\.monteCarlo\.npvCost$/)
  })

  it('without a Monte Carlo, the lowest cost is the deterministic one and its source says so (before: monteCarlo.npvCost)', () => {
    const tco = tcoFixture()
    for (const option of tco.options) option.monteCarlo = null
    const section = executiveSection(inputs(tco), [])
    const cost = section?.figures.find((figure) => figure.label.startsWith('Lowest 5-year cost'))
    expect(cost?.value).toContain('1,450,000 EUR (deterministic: inputs at their modes)')
    expect(cost?.source).toMatch(/options\[verda-fi\]\.deterministic\.npvCost$/)
  })

  it('compliance tax: the option-own C lines only (not before-move or dual-running lines of the baseline)', () => {
    const option = tcoFixture().options[1] as TcoResult['options'][number]
    const deterministic = option.deterministic as NonNullable<typeof option.deterministic>
    deterministic.presentValueByCategory = {
      ...deterministic.presentValueByCategory,
      'C15-ai-act-high-risk': 7_000,
      'dual-running:C1-transfer-impact-assessment': 900,
    }
    expect(complianceTaxOf(option)).toBe(20_000 + 30_000 + 7_000)
  })
})

describe('the fleet $/Mtok and the TCO in one summary', () => {
  it('says why they name different offers when they do, and nothing when they agree', () => {
    const tco = tcoFixture()
    // The TCO's cheapest at the P50 is verda-fi; give it a catalog row.
    const verda = tco.options.find((option) => option.id === 'verda-fi') as TcoResult['options'][number]
    verda.catalogRow = 'verda-h100'
    const differ = executiveSection(inputs(tco, [sizing({ 'other-h100': 0.3, 'verda-h100': 0.5 })]), [])?.recommendation.join('\n') ?? ''
    expect(differ).toContain('Cheapest GPU fleet per million tokens')
    expect(differ).toMatch(/The two name different offers because they rank different things: .*by its whole 5-year cost .*names /)
    const agree = executiveSection(inputs(tco, [sizing({ 'other-h100': 0.6, 'verda-h100': 0.5 })]), [])?.recommendation.join('\n') ?? ''
    expect(agree).toContain('Cheapest GPU fleet per million tokens')
    expect(agree).not.toContain('The two name different offers')
  })
})

describe('the deterministic table splits each NPV cost by basis', () => {
  it('billed (FOCUS) + cost of risk + credits, each at present value, adding up to the NPV cost', () => {
    const tco = tcoFixture()
    const owned = tco.options.find((option) => option.id === 'on-prem-de') as TcoResult['options'][number]
    const deterministic = owned.deterministic as NonNullable<typeof owned.deterministic>
    // 1,600,000 = 1,630,000 billed + 20,000 risk − 50,000 credits.
    deterministic.byBasis = { billed: 1_900_000, costOfRisk: 22_000, valuation: -60_000, npvBilled: 1_630_000, npvCostOfRisk: 20_000, npvValuation: -50_000 }
    const block = tcoSection(new ChartBook(), inputs(tco).tco)?.blocks[0]
    const table = block?.deterministic
    const columns = table?.columns.map((column) => column.label) ?? []
    const row = table?.rows.find((r) => (r.cells[0] as string).includes('on-prem-de'))?.cells ?? []
    const cell = (label: string) => row[columns.indexOf(label)]
    expect(cell('NPV of cost')).toBe('1,600,000 EUR')
    expect(cell('of which billed (focus.csv)')).toBe('1,630,000 EUR')
    expect(cell('cost of risk (not billed)')).toBe('20,000 EUR')
    expect(cell('credits (not billed)')).toBe('−50,000 EUR')
    expect(table?.note).toContain('billed cash (provider invoices and own staff time')
    // An option without the split (an older tco.json) shows dashes, not zeros.
    const verda = table?.rows.find((r) => (r.cells[0] as string).includes('verda-fi'))?.cells ?? []
    expect(verda[columns.indexOf('of which billed (focus.csv)')]).toBe('–')
  })
})

describe('Monte Carlo payback in words', () => {
  const result = tcoFixture()
  it('says "not within the horizon" once when no quantile pays back, and "beyond the horizon" for a P90 past it', () => {
    expect(paybackRange(result, { p10: null, p50: null, p90: null })).toBe('not within the horizon (at P10, P50 and P90)')
    // Months from 2027-01: 14 → 2028-03, 20 → 2028-09.
    expect(paybackRange(result, { p10: 14, p50: 20, p90: null })).toBe('2028-09 (2028-03 to beyond the horizon)')
    expect(paybackRange(result, { p10: 14, p50: 20, p90: 26 })).toBe('2028-09 (2028-03 to 2029-03)')
  })
})
