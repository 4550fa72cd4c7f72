import { csvTable } from '../io/output/csv.js'
import { CATEGORY_COUNT, COST_CATEGORIES, PHASES } from './cost-categories.js'
import { type ModelPlan, calendarMonth } from './model-plan.js'
import type { DeterministicCashFlows } from './sinks.js'

export const CASHFLOW_COLUMNS = ['option', 'month', 'monthIndex', 'phase', 'category', 'amount', 'quantity', 'unit', 'currency'] as const

/**
 * cashflows.csv: the deterministic monthly cash flows of every option, one line per option, month,
 * phase and category with a non-zero amount. Costs are positive; `residual-value` is the credit
 * for servers' undepreciated book value at the horizon (negative). `phase` says whose cost a line
 * is: the option's own, or the baseline's before the move starts or while both run.
 */
export function cashflowsCsv(plan: ModelPlan, flows: ReadonlyArray<DeterministicCashFlows | null>): string {
  const rows: unknown[][] = []
  for (const { entry, month, phase, category, amount } of nonZeroFlows(plan, flows)) {
    const meta = COST_CATEGORIES[category] as (typeof COST_CATEGORIES)[number]
    rows.push([
      entry.option.id,
      calendarMonth(plan, month),
      month,
      PHASES[phase],
      meta.id,
      amount,
      entry.sink.quantity(phase, category, month),
      meta.pricingUnit,
      plan.currency,
    ])
  }
  return csvTable(CASHFLOW_COLUMNS, rows)
}

/** Every non-zero deterministic cash flow, option by option, month by month, phase by phase, category by category. */
export function* nonZeroFlows(
  plan: ModelPlan,
  flows: ReadonlyArray<DeterministicCashFlows | null>,
): Generator<{ entry: DeterministicCashFlows; month: number; phase: number; category: number; amount: number }> {
  for (const entry of flows) {
    if (entry === null) continue
    for (let month = 0; month < plan.months; month++) {
      for (let phase = 0; phase < PHASES.length; phase++) {
        for (let category = 0; category < CATEGORY_COUNT; category++) {
          const amount = entry.sink.amount(phase, category, month)
          if (amount !== 0) yield { entry, month, phase, category, amount }
        }
      }
    }
  }
}
