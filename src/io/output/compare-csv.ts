import { COMPARED_METRICS, type CompareSummary, STATISTICS } from '../schema/compare.js'
import { csvCell, csvNumberCell } from './csv.js'

/** compare-summary.csv: one row per operating point × contrast × metric × statistic. */
export function compareToCsv(summary: CompareSummary): string {
  const header = [
    'operating_point',
    'baseline',
    'arm',
    'paired',
    'metric',
    'statistic',
    'baseline_ms',
    'arm_ms',
    'ratio',
    'ratio_low',
    'ratio_high',
    'difference_ms',
    'difference_low',
    'difference_high',
    'verdict',
    'run_longer_requests',
  ]
  const rows = [header.map(csvCell)]
  for (const point of summary.operatingPoints) {
    for (const contrast of point.contrasts) {
      const base = point.arms.find((a) => a.label === contrast.baseline)
      const arm = point.arms.find((a) => a.label === contrast.arm)
      for (const metric of COMPARED_METRICS) {
        for (const statistic of STATISTICS) {
          const e = contrast.metrics[metric][statistic]
          rows.push([
            ...[point.label, contrast.baseline, contrast.arm, String(contrast.paired), metric, statistic].map(csvCell),
            csvNumberCell(base?.metrics[metric][statistic]?.estimate, 4),
            csvNumberCell(arm?.metrics[metric][statistic]?.estimate, 4),
            csvNumberCell(e.ratio?.estimate, 5),
            csvNumberCell(e.ratio?.low, 5),
            csvNumberCell(e.ratio?.high, 5),
            csvNumberCell(e.difference?.estimate, 4),
            csvNumberCell(e.difference?.low, 4),
            csvNumberCell(e.difference?.high, 4),
            csvCell(e.verdict),
            csvCell(e.runLongerRequests),
          ])
        }
      }
    }
  }
  return `${rows.map((r) => r.join(',')).join('\n')}\n`
}
