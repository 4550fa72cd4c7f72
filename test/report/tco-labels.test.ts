import { describe, expect, it } from 'vitest'
import type { Loaded, ReportInputs } from '../../src/report/inputs.js'
import { executiveSection } from '../../src/report/sections/executive.js'
import { complianceTaxOf, paybackRange } from '../../src/report/sections/tco.js'
import type { TcoResult } from '../../src/schema/tco-result.js'
import { tcoFixture } from './fixtures.js'

/**
 * What the report says about a TCO figure: its basis and its source path follow the figure shown,
 * the compliance tax is labelled by the components it sums (C1–C17 since C15–C17), and a payback
 * that never comes reads once, not "not within the horizon (not within the horizon to …)".
 */

function inputs(tco: TcoResult): ReportInputs {
  const file = { path: '/runs/x/tco/tco.json', kind: 'tco', usedBy: new Set() } as unknown as Loaded<TcoResult>['file']
  return { folders: [], bench: [], compare: [], sizing: [], plan: [], tco: [{ file, data: tco, folder: '/runs/x/tco' }], records: [], files: [] }
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
    deterministic.presentValueByCategory = { ...deterministic.presentValueByCategory, 'C15-ai-act-high-risk': 7_000, 'dual-running:C1-transfer-impact-assessment': 900 }
    expect(complianceTaxOf(option)).toBe(20_000 + 30_000 + 7_000)
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
