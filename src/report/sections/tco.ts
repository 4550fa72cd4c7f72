import type { TcoOptionResult, TcoResult } from '../../io/schema/tco-result.js'
import { headlineNpvCost } from '../../tco/headline.js'
import { stackedBarChart, tornadoChart } from '../bar-charts.js'
import type { ChartBook } from '../chart-book.js'
import { intervalChart, lineChart } from '../charts.js'
import { num, pct, range, signed, withUnit } from '../format.js'
import { type Loaded, use } from '../inputs.js'
import { type ChartBlock, type RowInput, type TcoSection, type Tone, n, table } from '../model.js'

/** Tornado charts for at most this many options, each with its widest bars. */
const MAX_TORNADOS = 3
const MAX_TORNADO_BARS = 12

/**
 * Present-value categories that make up an option's compliance tax: its own lines of the compliance
 * components C1–C17 (the baseline's, before the move and while both run, are not counted; C13
 * switching and C14 dual running and re-validation have categories of their own).
 */
const isComplianceCategory = (id: string): boolean => /^C\d+-/.test(id)

const money = (value: number | null | undefined, currency: string): string =>
  withUnit(value, currency, value !== null && value !== undefined && Math.abs(value) >= 100 ? 0 : undefined)

const optionLabel = (o: TcoOptionResult): string => (o.name && o.name !== o.id ? `${o.name} (${o.id})` : o.id)

/** Options that passed the sovereignty gate and have costs, cheapest P50 (or deterministic) first. */
export function rankedOptions(result: TcoResult): TcoOptionResult[] {
  const cost = (o: TcoOptionResult): number => headlineNpvCost(o) ?? Number.POSITIVE_INFINITY
  return result.options.filter((o) => o.feasible && o.deterministic !== null).sort((a, b) => cost(a) - cost(b))
}

export function complianceTaxOf(option: TcoOptionResult): number | null {
  if (!option.deterministic) return null
  return Object.entries(option.deterministic.presentValueByCategory)
    .filter(([id]) => isComplianceCategory(id))
    .reduce((sum, [, value]) => sum + value, 0)
}

/** A payback month as a calendar month of the model (YYYY-MM), or "not within the horizon". */
function paybackLabel(result: TcoResult, month: number | null): string {
  if (month === null) return 'not within the horizon'
  const [year, first] = result.model.startMonth.split('-').map(Number) as [number, number]
  const total = year * 12 + first - 1 + month
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`
}

/** The Monte Carlo payback: P50 (P10 to P90), or "not within the horizon" once when no draw in the P10–P90 pays back. */
export function paybackRange(result: TcoResult, payback: { p10: number | null; p50: number | null; p90: number | null }): string {
  if (payback.p10 === null && payback.p50 === null && payback.p90 === null) return 'not within the horizon (at P10, P50 and P90)'
  const p90 = payback.p90 === null ? 'beyond the horizon' : paybackLabel(result, payback.p90)
  return `${paybackLabel(result, payback.p50)} (${paybackLabel(result, payback.p10)} to ${p90})`
}

/**
 * An option's saving against the baseline on the headline basis, in words: the Monte Carlo P50 of
 * the per-draw saving with its P10–P90, P(saving) and the P50 payback; the deterministic saving
 * (labelled so) only when the run has no Monte Carlo. Null for the baseline.
 */
export function headlineSaving(result: TcoResult, option: TcoOptionResult): string | null {
  const c = result.model.currency
  const saving = option.monteCarlo?.savings ?? null
  if (saving) {
    const payback = option.monteCarlo?.paybackMonth ?? null
    const pays = payback
      ? payback.p50 === null
        ? ', does not pay back within the horizon at the P50'
        : `, pays back by ${paybackLabel(result, payback.p50)} (P50)`
      : ''
    const p50 = signed(Math.round(saving.p50), c)
    const interval = `(P10–P90 ${range(Math.round(saving.p10), Math.round(saving.p90))})`
    return `saving ${p50} NPV P50 ${interval} against ${result.model.baseline}, P(saving) ${pct(saving.probabilityPositive, 0)}${pays}`
  }
  if (!option.savings) return null
  const pays = option.savings.paybackCalendarMonth ? `, pays back by ${option.savings.paybackCalendarMonth}` : ''
  return `saving ${signed(Math.round(option.savings.npv), c)} NPV against ${result.model.baseline} in the deterministic case (inputs at their modes)${pays}`
}

/** The headline figures on one basis: Monte Carlo P50 with P10–P90; savings and payback per draw against the baseline. */
function optionsTable(result: TcoResult): ReturnType<typeof table> {
  const c = result.model.currency
  const rows: RowInput[] = result.options.map((o) => {
    const mc = o.monteCarlo
    const saving = mc?.savings ?? null
    const payback = mc?.paybackMonth ?? null
    return {
      tone: optionTone(o),
      cells: [
        `${optionLabel(o)}${o.baseline ? ' — baseline' : ''}`,
        `${o.kind}${o.strategy ? ` · ${o.strategy}` : ''}`,
        `${o.provider} ${o.region} (${o.jurisdiction.region}, parent ${o.jurisdiction.parent})`,
        `${o.seal}${o.requiredSeal ? ` (needs ${o.requiredSeal})` : ''}`,
        o.feasible ? 'passes' : 'excluded',
        mc ? `${money(mc.npvCost.p50, c)} (${range(Math.round(mc.npvCost.p10), Math.round(mc.npvCost.p90))})` : '–',
        saving ? `${signed(saving.p50, c)} (${range(Math.round(saving.p10), Math.round(saving.p90))})` : '–',
        saving ? pct(saving.probabilityPositive, 0) : '–',
        payback ? paybackRange(result, payback) : '–',
      ],
    }
  })
  return table(
    `Options over ${result.model.horizonYears} years from ${result.model.startMonth} (${c}, present values): Monte Carlo P50 (P10–P90)`,
    [
      'Option',
      'Kind · 7 R',
      'Provider, region (jurisdiction)',
      'SEAL',
      'Sovereignty gate',
      n('NPV of cost, P50 (P10–P90)'),
      n('Saving vs baseline, P50 (P10–P90)'),
      n('P(saving)'),
      'Payback, P50 (P10 to P90)',
    ],
    rows,
    `Basis: ${result.basis?.headline ?? `Monte Carlo over ${num(result.monteCarlo.draws, 0)} draws`}. Conventions: ${result.model.conventions}.`,
  )
}

/** Excluded: bad; a saving against the baseline (Monte Carlo P50, else deterministic): good. */
function optionTone(o: TcoResult['options'][number]): Tone {
  if (!o.feasible) return 'bad'
  const saving = o.monteCarlo?.savings ?? null
  if (saving) return saving.p50 > 0 ? 'good' : null
  return o.savings && o.savings.npv > 0 ? 'good' : null
}

/** The deterministic case (every input at its mode), in its own table: never beside a quantile as if the same basis. */
function deterministicTable(result: TcoResult): ReturnType<typeof table> {
  const c = result.model.currency
  const rows: RowInput[] = result.options
    .filter((o) => o.deterministic !== null)
    .map((o) => {
      const tax = complianceTaxOf(o)
      const basis = o.deterministic?.byBasis
      return [
        `${optionLabel(o)}${o.baseline ? ' — baseline' : ''}`,
        o.deterministic ? money(o.deterministic.npvCost, c) : '–',
        basis ? money(basis.npvBilled, c) : '–',
        basis ? money(basis.npvCostOfRisk, c) : '–',
        basis && basis.npvValuation !== 0 ? signed(basis.npvValuation, c) : '–',
        tax === null ? '–' : money(tax, c),
        o.savings ? signed(o.savings.npv, c) : '–',
        o.savings?.irrAnnual !== null && o.savings?.irrAnnual !== undefined ? pct(o.savings.irrAnnual) : (o.savings?.irrNote ?? '–'),
        o.savings ? (o.savings.paybackCalendarMonth ?? 'not within the horizon') : '–',
      ]
    })
  return table(
    'Deterministic case (inputs at their modes)',
    [
      'Option',
      n('NPV of cost'),
      n('of which billed (focus.csv)'),
      n('cost of risk (not billed)'),
      n('credits (not billed)'),
      n('Compliance tax (PV)'),
      n('Saving vs baseline (NPV)'),
      n('IRR of the move'),
      'Payback',
    ],
    rows,
    `Basis: ${result.basis?.deterministic ?? 'deterministic (inputs at their modes)'}. ${NOT_A_QUANTILE} ${NPV_OF_COST_TERMS}`,
  )
}

const NOT_A_QUANTILE = 'One case, not a quantile of the Monte Carlo above: with skewed inputs it can lie outside their P10–P90.'

const NPV_OF_COST_TERMS =
  "NPV of cost = billed cash (provider invoices and own staff time: focus.csv's BilledCost) + " +
  'cost of risk (expected losses C9, C10 and the C5 estimate: risk-estimates.csv) + ' +
  'credits (residual value, resale proceeds, tax shield), each at present value.'

function npvFan(book: ChartBook, result: TcoResult, file: string): ChartBlock | null {
  const rows = rankedOptions(result)
    .filter((o) => o.monteCarlo !== null)
    .map((o) => ({
      label: optionLabel(o),
      estimate: o.monteCarlo?.npvCost.p50 ?? 0,
      low: o.monteCarlo?.npvCost.p10 ?? 0,
      high: o.monteCarlo?.npvCost.p90 ?? 0,
    }))
  if (rows.length === 0) return null
  const draws = `${num(result.monteCarlo.draws, 0)} draws (seed ${result.monteCarlo.seed}, ${result.monteCarlo.uncertainDrivers} uncertain drivers)`
  return {
    chart: intervalChart(book, {
      title: `Cost over ${result.model.horizonYears} years: P10–P90 and P50`,
      xName: `NPV of cost (${result.model.currency})`,
      yName: 'Option',
      rows,
    }),
    caption: `Monte Carlo over ${draws}: dot = P50, bar = P10 to P90. Options excluded by the sovereignty gate are not drawn. From ${file}.`,
    notes: [],
  }
}

function cumulativeChart(book: ChartBook, result: TcoResult, file: string): ChartBlock | null {
  const options = result.options.filter((o) => o.deterministic !== null && o.deterministic.costByYear.length > 0)
  if (options.length === 0) return null
  const years = Math.max(...options.map((o) => o.deterministic?.costByYear.length ?? 0))
  const series = options.map((o) => {
    let total = 0
    return {
      name: optionLabel(o),
      dashed: o.baseline,
      symbols: true,
      points: (o.deterministic?.costByYear ?? []).map((cost, year) => {
        total += cost
        return [year, Math.round(total)] as [number, number]
      }),
    }
  })
  return {
    chart: lineChart(book, {
      title: 'Cumulative cost by year (deterministic: inputs at their modes)',
      xName: 'Year',
      yName: `Cumulative cost (${result.model.currency}, undiscounted)`,
      xCategories: Array.from({ length: years }, (_, i) => `Year ${i + 1}`),
      series,
      yMin: 0,
    }),
    caption: `Each option’s cost summed year by year in the deterministic case (every input at its mode); dashed: the baseline. From ${file}.`,
    notes: [],
  }
}

const TORNADO_METHOD = 'Each driver (a shared key moves all its drivers together) set to its P10 and P90 with the others at their modes'

function tornados(book: ChartBook, result: TcoResult, file: string): ChartBlock[] {
  const blocks: ChartBlock[] = []
  const order = rankedOptions(result).map((o) => o.id)
  const sorted = [...result.tornado].filter((t) => t.bars.length > 0).sort((a, b) => order.indexOf(a.option) - order.indexOf(b.option))
  for (const t of sorted.slice(0, MAX_TORNADOS)) {
    const bars = [...t.bars].sort((a, b) => b.swing - a.swing).slice(0, MAX_TORNADO_BARS)
    const central = money(t.savingsAtCentral, result.model.currency)
    blocks.push({
      chart: tornadoChart(book, {
        title: `What moves the saving of ${t.option}`,
        xName: `Saving vs baseline, NPV (${result.model.currency})`,
        yName: 'Driver',
        base: t.savingsAtCentral,
        rows: bars.map((b) => ({ label: b.driver, low: b.savingsAtLow, high: b.savingsAtHigh })),
      }),
      caption: `${TORNADO_METHOD}; the bars start at the deterministic saving ${central} (inputs at their modes), not the Monte Carlo P50. From ${file}.`,
      notes: t.bars.length > bars.length ? [`the ${bars.length} widest of ${t.bars.length} drivers`] : [],
    })
  }
  return blocks
}

const COMPLIANCE_CAPTION =
  'The compliance components each option carries (transfer assessments, DPIA, contracting, redaction, audit logs, staff, risk reserves…), ' +
  'present values in the deterministic case (inputs at their modes).'

function complianceChart(book: ChartBook, result: TcoResult, file: string): ChartBlock | null {
  const options = result.options.filter((o) => o.deterministic !== null)
  const components = [...new Set(options.flatMap((o) => Object.keys(o.deterministic?.presentValueByCategory ?? {}).filter(isComplianceCategory)))].sort(
    (a, b) => Number(a.slice(1).split('-')[0]) - Number(b.slice(1).split('-')[0]),
  )
  const withTax = options.filter((o) => components.some((c) => (o.deterministic?.presentValueByCategory[c] ?? 0) !== 0))
  if (components.length === 0 || withTax.length === 0) return null
  return {
    chart: stackedBarChart(book, {
      title: 'Compliance tax by component and option',
      xName: `Present value (${result.model.currency})`,
      yName: 'Option',
      horizontal: true,
      categories: options.map(optionLabel),
      series: components.map((c) => ({ name: c, values: options.map((o) => Math.round(o.deterministic?.presentValueByCategory[c] ?? 0)) })),
    }),
    caption: `${COMPLIANCE_CAPTION} From ${file}.`,
    notes: [],
  }
}

const NO_SHARED_KEYS = 'no shared keys (demand, its growth and WACC are one driver each, used by every option)'

/** The keys drawn once for several drivers, and the rank correlations between drivers, in words. */
function describeSharing(monteCarlo: TcoResult['monteCarlo']): string {
  const drawnOnce = (s: { key: string; drivers: unknown[] }): string => `${s.key} (drawn once for ${s.drivers.length} driver${s.drivers.length > 1 ? 's' : ''})`
  const shared = (monteCarlo.sharedDrivers ?? []).map(drawnOnce).join('; ')
  const correlated = (monteCarlo.correlations ?? []).map((c) => `${c.between[0]} ~ ${c.between[1]}: rank ${c.rank}`).join('; ')
  return `${shared || NO_SHARED_KEYS}; ${correlated || 'no rank correlations'}`
}

function tcoBlock(book: ChartBook, loaded: Loaded<TcoResult>): TcoSection['blocks'][number] {
  const { data: result, file } = loaded
  use(file, 'tco')
  const excluded = result.options.filter((o) => !o.feasible)
  const components = result.compliance.components
  const facts = [
    { label: 'Model', value: `${result.model.name}${result.model.description ? ` — ${result.model.description}` : ''} (${result.model.file})` },
    { label: 'Horizon', value: `${result.model.horizonYears} years from ${result.model.startMonth}, in ${result.model.currency}` },
    { label: 'Baseline', value: result.model.baseline },
    { label: 'Monte Carlo', value: `${num(result.monteCarlo.draws, 0)} draws, seed ${result.monteCarlo.seed}: ${result.monteCarlo.method}` },
    {
      label: 'Basis of the figures',
      value: result.basis
        ? `headline: ${result.basis.headline}; ${result.basis.deterministic}`
        : 'Monte Carlo P50 (P10–P90); the deterministic case has its own table',
    },
    {
      label: 'Shared drivers and correlations',
      value: describeSharing(result.monteCarlo),
    },
    { label: 'Switching charges', value: `prohibited from ${result.compliance.switchingChargesProhibitedFrom} (EU Data Act Art. 29)` },
    { label: 'Computed by', value: `geopat ${result.geopatVersion}` },
  ]
  const complianceTable =
    components.length > 0
      ? table(
          'Compliance-tax components',
          ['Component', 'What', 'Applies to', 'Formula', 'Options carrying it'],
          components.map((c) => [
            c.id,
            c.title,
            c.appliesTo,
            c.formula,
            result.options
              .filter((o) => o.complianceComponents.includes(c.id))
              .map((o) => o.id)
              .join(', ') || '–',
          ]),
          `From ${result.compliance.componentsFile}; fine ceilings from ${result.compliance.finesFile}.`,
        )
      : null
  const driverRows = result.drivers.map((d) => [
    d.shared ? `${d.name} (shared: ${d.shared})` : d.name,
    d.distribution,
    num(d.central),
    num(d.p10),
    num(d.p90),
    d.origin,
  ])
  return {
    title: `${result.model.name}: total cost of ownership`,
    facts,
    options: optionsTable(result),
    deterministic: deterministicTable(result),
    fan: npvFan(book, result, file.path),
    cumulative: cumulativeChart(book, result, file.path),
    tornados: tornados(book, result, file.path),
    complianceTax: complianceChart(book, result, file.path),
    complianceTable,
    excluded:
      excluded.length > 0
        ? table(
            'Options excluded by the sovereignty gate, and why',
            ['Option', 'Provider, region', 'SEAL', 'Required', 'Why excluded'],
            excluded.map((o) => ({
              tone: 'bad' as Tone,
              cells: [optionLabel(o), `${o.provider} ${o.region}`, o.seal, o.requiredSeal ?? '–', o.excludedReason ?? 'excluded'],
            })),
          )
        : null,
    drivers:
      driverRows.length > 0
        ? table('Cost drivers and their uncertainty', ['Driver', 'Distribution', n('Central'), n('P10'), n('P90'), 'Origin'], driverRows)
        : null,
    warnings: [
      ...result.warnings,
      ...result.options.flatMap((o) => o.notes.map((note) => `${o.id}: ${note}`)),
      ...result.options
        .filter((o) => o.switching?.charged)
        .map((o) => `${o.id}: switching charges paid at cut-over (${o.switching?.date}): ${o.switching?.note}`),
    ],
  }
}

export function tcoSection(book: ChartBook, tco: Array<Loaded<TcoResult>>): TcoSection | null {
  if (tco.length === 0) return null
  return { blocks: tco.map((t) => tcoBlock(book, t)) }
}
