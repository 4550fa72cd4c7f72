import { alignColumns } from '../../util/text-table.js'
import { num } from '../../report/format.js'
import type { FitResult } from '../../sim/fit/fit.js'
import type { PointFigures } from '../../sim/fit/point-figures.js'
import { relativeError } from '../../sim/fit/simulate-point.js'

const percent = (fraction: number | null): string => (fraction === null ? '–' : `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`)

/** "±4.2%", or "–" where there is no figure. */
const plusMinus = (fraction: number | null): string => (fraction === null ? '–' : `±${(fraction * 100).toFixed(1)}%`)

const VALIDATION_ERROR_RULE =
  "per regime, the largest leave-one-out error (refit without the point, predict it) plus that point's noise " +
  '(how much a second measurement would differ by chance, 95%)'

/** measured → simulated (error), for one figure. */
function cell(measured: PointFigures, simulated: PointFigures, figure: keyof PointFigures, decimals: number): string {
  return `${num(measured[figure], decimals)} → ${num(simulated[figure], decimals)} (${percent(relativeError(simulated[figure], measured[figure]))})`
}

/** The per-point table, the leave-one-out errors, the fitted and fixed parameters: what `geopat sim fit` prints. */
export function formatFitResult(result: FitResult, outFile: string): string {
  const header = ['step', 'regime', 'TTFT ms meas → sim', 'TPOT ms meas → sim', 'out tok/s meas → sim', 'fit err', 'LOO err', 'noise']
  const rows = result.points.map((point, index) => [
    point.label,
    point.regime === 'lowLoad' ? 'low load' : 'under load',
    cell(point.measured, point.simulated, 'ttftMs', 1),
    cell(point.measured, point.simulated, 'tpotMs', 2),
    cell(point.measured, point.simulated, 'outputTokensPerS', 0),
    `${(point.error * 100).toFixed(1)}%`,
    `${((result.leaveOneOut[index]?.error ?? 0) * 100).toFixed(1)}%`,
    `±${(point.noise * 100).toFixed(1)}%`,
  ])
  const lines = [...alignColumns([header, ...rows], () => false), '']
  lines.push('fitted parameters (base → fitted):')
  for (const p of result.fitted) {
    const determined = Number.isFinite(p.uncertainty) ? (p.uncertainty * 100).toFixed(0) : '∞'
    lines.push(`  ${p.path}: ${num(p.base)} → ${num(p.fitted)} (${percent(p.fitted / p.base - 1)}), determined to ±${determined}%`)
  }
  if (result.fitted.length === 0) lines.push('  none')
  lines.push('fixed parameters (kept from the base):')
  for (const p of result.fixed) lines.push(`  ${p.path}${p.value !== null ? ` = ${num(p.value)}` : ''}: ${p.reason}`)
  const error = result.profile.calibration?.error
  if (error) {
    const regimes = `low load ${plusMinus(error.lowLoad)}, under load ${plusMinus(error.underLoad)} over ${error.heldOutPoints} points`
    lines.push(`validation error (${VALIDATION_ERROR_RULE}): ${regimes}; on the points fitted ±${((error.fitted ?? 0) * 100).toFixed(1)}%`)
  }
  for (const note of result.notes) lines.push(`note: ${note}`)
  lines.push(`${result.iterations} Levenberg-Marquardt iterations, ${result.simulations} operating points simulated in virtual time; wrote ${outFile}`)
  return lines.join('\n')
}
