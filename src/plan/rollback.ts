import type { Inventory, InventoryWorkload } from '../io/schema/inventory.js'
import type { PlannedWorkload } from '../io/schema/plan.js'
import type { LatencyEvidence } from './recommend.js'

/**
 * When a canary step rolls back: TTFT or TPOT p90 above the SLO, or above the upper end of the 95%
 * interval measured on the target when that lies below the SLO (a regression beyond the measured
 * noise shows before the SLO breaks); error rate above the SLO; an eval drop; $/Mtok off plan.
 */
export function rollbackCriteria(
  workload: InventoryWorkload,
  practice: Inventory['practice'],
  evidence: LatencyEvidence | undefined,
): PlannedWorkload['rollback'] {
  const latency = (metric: 'ttft-p90' | 'tpot-p90', sloMs: number, measured: LatencyEvidence['ttftP90'] | undefined) =>
    measured && measured.high < sloMs
      ? {
          metric,
          threshold: round(measured.high),
          unit: 'ms',
          basis: `upper end of the 95% interval measured on the target (${evidence?.source}); the SLO is ${sloMs} ms`,
        }
      : {
          metric,
          threshold: sloMs,
          unit: 'ms',
          basis: measured ? `SLO (the measured interval reaches ${round(measured.high)} ms, above it)` : 'SLO (no measurement of the target given)',
        }
  return [
    latency('ttft-p90', workload.slo.ttftMs, evidence?.ttftP90),
    latency('tpot-p90', workload.slo.tpotMs, evidence?.tpotP90),
    { metric: 'error-rate', threshold: workload.slo.errorRatePct, unit: '%', basis: 'SLO' },
    { metric: 'eval-regression', threshold: practice.evalRegressionPoints, unit: 'points', basis: "inventory practice (the owner's assumption)" },
    { metric: 'cost-per-mtok-deviation', threshold: practice.costDeviation * 100, unit: '% above plan', basis: "inventory practice (the owner's assumption)" },
  ]
}

const round = (value: number): number => Math.round(value * 10) / 10
