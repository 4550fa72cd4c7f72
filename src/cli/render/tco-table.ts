import { alignColumns } from '../../util/text-table.js'
import type { TcoResult } from '../../io/schema/tco-result.js'
import { headlineSavings } from '../../tco/headline.js'
import { formatComplianceLines } from './tco-compliance.js'
import { describePriceUsed } from './price-used.js'

/** The first column (names) reads left-aligned, the figures right-aligned. */
const FIGURES_RIGHT = (column: number): boolean => column !== 0

/** Everything `geopat tco` prints: the tables, the compliance tax, the prices used, and the files written. */
export function tcoLines(
  result: TcoResult,
  files: { json: string; cashflows: string; focus: string; riskEstimates: string },
  options: { topDrivers?: number } = {},
): string[] {
  const lines = [formatTco(result, options), ...formatComplianceLines(result, money)]
  if ((result.pricesUsed ?? []).length > 0) {
    lines.push('', 'prices used (the freshest row of each offer):')
    for (const price of result.pricesUsed ?? []) lines.push(`  ${price.id}: ${describePriceUsed(price)}`)
  }
  lines.push('', `tco: ${files.json} · cash flows: ${files.cashflows} · FOCUS: ${files.focus} · risk estimates (not billed): ${files.riskEstimates}`)
  return lines
}

/**
 * The human answer of `geopat tco`: the headline table on one basis (Monte Carlo P50 with P10–P90;
 * savings and payback per draw), then the deterministic case (every input at its mode) in its own
 * table and so labelled, the excluded options with their reason, and the top tornado drivers.
 */
export function formatTco(result: TcoResult, options: { topDrivers?: number } = {}): string {
  const { headline, deterministic } = optionTables(result)
  const lines = [...headerLines(result), ...alignColumns(headline, FIGURES_RIGHT), '']
  lines.push('deterministic (inputs at their modes): one case, not a quantile of the Monte Carlo; cashflows.csv and focus.csv show it')
  lines.push(...alignColumns(deterministic, FIGURES_RIGHT))
  const excluded = result.options.filter((option) => !option.feasible)
  if (excluded.length > 0) {
    lines.push('')
    for (const option of excluded)
      lines.push(`✗ ${option.id}: ${option.excludedReason}${option.baseline ? ' (kept as the reference for savings)' : ' (excluded from the comparison)'}`)
  }
  lines.push(...tornadoLines(result, options.topDrivers ?? 6))
  const notes = result.options.flatMap((option) => option.notes.map((note) => `${option.id}: ${note}`))
  if (notes.length > 0) lines.push('', ...notes.map((note) => `note: ${note}`))
  for (const warning of result.warnings) lines.push(`warning: ${warning}`)
  return lines.join('\n')
}

/** The model, its basis and the Monte Carlo's settings, and what NPV and savings mean. */
function headerLines(result: TcoResult): string[] {
  const mc = result.monteCarlo
  const shared = mc.sharedDrivers?.length ?? 0
  const correlated = mc.correlations?.length ?? 0
  const sharedKeys = shared > 0 ? `, ${shared} shared key${shared > 1 ? 's' : ''}` : ''
  const correlations = correlated > 0 ? `, ${correlated} rank correlation${correlated > 1 ? 's' : ''}` : ''
  return [
    `${result.model.name} · ${result.model.currency} · ${result.model.horizonYears} years from ` +
      `${result.model.startMonth} · baseline ${result.model.baseline} · Monte Carlo ` +
      `${mc.draws.toLocaleString('en-US')} draws, seed ${mc.seed}, ${mc.uncertainDrivers} uncertain drivers${sharedKeys}${correlations}`,
    `NPV (cost) = present value of each option's costs at WACC; savings = baseline − option (positive: the option is cheaper)`,
    'Monte Carlo: P50 [P10 – P90]; savings and payback computed per draw against the baseline in the same draw',
    '',
  ]
}

type Option = TcoResult['options'][number]

/** The headline table (Monte Carlo) and the deterministic one, a row per option (an excluded option: headline only). */
function optionTables(result: TcoResult): { headline: string[][]; deterministic: string[][] } {
  const perGpuHour = `${result.model.currency}/GPU-h`
  const headline: string[][] = [
    ['option', 'kind', 'SEAL', 'NPV cost P50 [P10 – P90]', 'savings P50 [P10 – P90]', 'P(sav>0)', 'payback P50 [P10 – P90]', perGpuHour],
  ]
  const deterministic: string[][] = [['option', 'NPV cost', 'savings NPV', 'payback', 'IRR/yr']]
  for (const option of result.options) {
    const label = `${option.id}${option.baseline ? ' (baseline)' : ''}${option.feasible ? '' : ' ✗'}`
    if (option.deterministic === null) {
      headline.push([label, option.kind, option.seal, 'excluded', '', '', '', ''])
      continue
    }
    headline.push(headlineRow(label, option))
    deterministic.push(deterministicRow(label, option, option.deterministic.npvCost))
  }
  return { headline, deterministic }
}

function headlineRow(label: string, option: Option): string[] {
  const cost = option.monteCarlo?.npvCost
  const savings = option.monteCarlo?.savings ?? null
  const payback = option.monteCarlo?.paybackMonth ?? null
  return [
    label,
    option.kind,
    option.seal,
    cost ? `${money(cost.p50)} [${money(cost.p10)} – ${money(cost.p90)}]` : '–',
    savings ? `${money(savings.p50)} [${money(savings.p10)} – ${money(savings.p90)}]` : '–',
    savings ? `${(savings.probabilityPositive * 100).toFixed(1)}%` : '–',
    payback ? `${month(payback.p50)} [${month(payback.p10)} – ${month(payback.p90)}]` : '–',
    option.perGpuHour ? `${option.perGpuHour.beforeStaff.toFixed(2)} (${option.perGpuHour.withStaff.toFixed(2)} w/ staff)` : '–',
  ]
}

function deterministicRow(label: string, option: Option, npvCost: number): string[] {
  const savings = option.savings
  if (!savings) return [`  ${label}`, money(npvCost), '–', '–', '–']
  return [
    `  ${label}`,
    money(npvCost),
    money(savings.npv),
    savings.paybackMonth === null ? 'never' : `m${savings.paybackMonth} (${savings.paybackCalendarMonth})`,
    savings.irrAnnual !== null && savings.irrAnnual !== undefined ? `${(savings.irrAnnual * 100).toFixed(1)}%` : '–',
  ]
}

/** The top drivers of the best feasible option's savings (the tornado), when it has any. */
function tornadoLines(result: TcoResult, topDrivers: number): string[] {
  const best = result.options
    .filter((option) => option.savings !== null && option.feasible)
    .sort((a, b) => (headlineSavings(b) ?? Number.NEGATIVE_INFINITY) - (headlineSavings(a) ?? Number.NEGATIVE_INFINITY))[0]
  const tornado = best ? result.tornado.find((entry) => entry.option === best.id) : undefined
  if (!best || !tornado || tornado.bars.length === 0) return []
  const bars = tornado.bars.slice(0, topDrivers)
  return [
    '',
    `top drivers of ${best.id}'s savings NPV (deterministic: each from its P10 to its P90, the others at their ` +
      `mode/median; savings ${money(tornado.savingsAtCentral)} with every input at its mode):`,
    ...alignColumns(
      [
        ['  driver', 'P10 → P90', 'savings at P10 → P90', 'swing'],
        ...bars.map((bar) => [
          `  ${bar.driver}`,
          `${compact(bar.low)} → ${compact(bar.high)}`,
          `${money(bar.savingsAtLow)} → ${money(bar.savingsAtHigh)}`,
          money(bar.swing),
        ]),
      ],
      FIGURES_RIGHT,
    ),
  ]
}

/** A payback month: m12, or never (not within the horizon). */
function month(value: number | null): string {
  return value === null ? 'never' : `m${value}`
}

/** 12,345,678 → 12.35M; 850,000 → 850.0k; below 10,000 with no decimals. */
export function money(value: number): string {
  const size = Math.abs(value)
  if (size >= 1e9) return `${(value / 1e9).toFixed(2)}G`
  if (size >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (size >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  return value.toFixed(0)
}

function compact(value: number): string {
  const size = Math.abs(value)
  if (size >= 1e4) return money(value)
  if (size >= 100) return value.toFixed(0)
  if (size >= 1) return value.toFixed(2)
  return value.toPrecision(3)
}
