import { alignColumns } from '../../util/text-table.js'
import type { CalibrationCheck, CheckedPoint } from '../../sim/calibration/check.js'

const SHORT_METRIC: Record<CheckedPoint['metric'], string> = {
  'vllm-serving-mean-ttft': 'mean TTFT',
  'vllm-serving-mean-tpot': 'mean TPOT',
  'vllm-serving-mean-itl': 'mean ITL',
  'vllm-serving-request-throughput': 'serving req/s',
  'vllm-serving-output-throughput': 'serving out tok/s',
  'vllm-offline-request-throughput': 'offline req/s',
  'phala-mean-decode-rate': 'decode tok/s/req',
  'phala-mean-ttft': 'mean TTFT (Phala)',
}

const value = (v: number | null): string => {
  if (v === null || !Number.isFinite(v)) return '–'
  return v.toFixed(v < 100 ? 2 : v < 1000 ? 1 : 0)
}
const percent = (e: number | null): string => (e === null ? '–' : Number.isFinite(e) ? `${(e * 100).toFixed(1)}%` : 'no value')

/** The human answer of `geopat sim calibrate --check`: every point, then each profile's verdict. */
export function formatCalibrationCheck(check: CalibrationCheck): string {
  const rows = check.points.map((p) => [
    p.id,
    p.profile,
    p.confidential ? 'on' : 'off',
    p.regime,
    `${SHORT_METRIC[p.metric]} @ ${p.load}`,
    `${value(p.published)} ${p.unit}`,
    value(p.simulated),
    p.ratio === null ? '–' : p.ratio.toFixed(3),
    p.role,
    p.withinTolerance === null ? '–' : `${p.withinTolerance ? 'yes' : 'NO'} (±${((p.tolerance ?? 0) * 100).toFixed(0)}%)`,
  ])
  const figures = new Set([5, 6, 7])
  const lines = alignColumns([['point', 'profile', 'CC', 'regime', 'metric', 'published', 'simulated', 'ratio', 'role', 'within'], ...rows], (column) =>
    figures.has(column),
  )
  for (const skip of check.skipped) lines.push(`skipped ${skip.id}${skip.role !== 'unassigned' ? ` (${skip.role})` : ''}: ${skip.reason}`)
  lines.push('')
  for (const verdict of check.profiles) {
    const status = verdict.status === 'not-validated' ? 'NOT VALIDATED' : verdict.status === 'out-of-tolerance' ? 'OUT OF TOLERANCE' : verdict.status
    lines.push(`${verdict.profile}: ${status} (${verdict.note})`)
    const fitted = verdict.fitted
    const held = verdict.heldOut
    if (fitted.points > 0) lines.push(`  fitted on ${fitted.points} point(s), worst error ${percent(fitted.worstError)}: ${fitted.ids.join(', ')}`)
    if (held.points > 0) {
      lines.push(
        `  held out ${held.points} point(s): worst error at low load ${percent(held.lowLoad)} (${held.lowLoadPoints} point(s)), ` +
          `under load ${percent(held.underLoad)} (${held.underLoadPoints} point(s)), ` +
          `beyond saturation ${percent(held.overload)} (${held.overloadPoints} point(s), not carried into sizing)`,
      )
    }
    if (verdict.unknownIds.length > 0) lines.push(`  ! calibration names points the set does not have: ${verdict.unknownIds.join(', ')}`)
  }
  return lines.join('\n')
}

/** The one line of a failed check: which judged points are off, or did not run. */
export function failureLine(check: CalibrationCheck): string {
  const off = check.points.filter((p) => check.failures.includes(p.id))
  const notRun = check.skipped.filter((p) => check.failures.includes(p.id))
  const parts = [
    ...(off.length > 0
      ? [
          `${off.length} point(s) out of tolerance: ` +
            `${off.map((p) => `${p.id} (${p.role}, ratio ${p.ratio === null ? 'none' : p.ratio.toFixed(3)})`).join(', ')}`,
        ]
      : []),
    ...(notRun.length > 0 ? [`${notRun.length} judged point(s) not run: ${notRun.map((p) => `${p.id} (${p.role}: ${p.reason})`).join(', ')}`] : []),
  ]
  return parts.join('; ')
}
