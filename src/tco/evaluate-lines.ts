import type { CashFlowSink } from './sinks.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'

/** The cost rules' shared pieces: an option's price trend, and lines that follow usage through a ramp. */

/** The option's price trend factor in a model year (1 without a trend; a commitment keeps its term's year). */
export function priceFactor(plan: ModelPlan, option: OptionPlan, year: number): number {
  if (option.trend === -1) return 1
  return plan.mechanics.trendIndex[option.trend * plan.years + (option.priceYear[year] as number)] as number
}

/**
 * A line that follows usage, `monthlyAmount` a month over [a, b) at full load: inside the ramp of
 * `ramp` months from `rampFrom`, month k carries (k + ½)/ramp of it (its quantity too where
 * `quantityFollows`; a percentage line's quantity of 1 does not), after the ramp all of it.
 */
export function usageRange(
  sink: CashFlowSink,
  category: number,
  phase: number,
  a: number,
  b: number,
  monthlyAmount: number,
  monthlyQuantity: number,
  quantityFollows: boolean,
  rampFrom: number,
  ramp: number,
): void {
  const rampEnd = rampFrom + ramp
  let at = a
  while (at < rampEnd && at < b) {
    const month = Math.floor(at)
    const next = month + 1 < b ? month + 1 : b
    const weight = (month - rampFrom + 0.5) / ramp
    sink.range(category, phase, at, next, monthlyAmount * weight, quantityFollows ? monthlyQuantity * weight : monthlyQuantity)
    at = next
  }
  if (at < b) sink.range(category, phase, at, b, monthlyAmount, monthlyQuantity)
}

/** What {@link usageRange} leaves out inside the ramp: month k of the ramp carries 1 − (k + ½)/ramp of the line (amount and quantity). */
export function idleDuringRamp(
  sink: CashFlowSink,
  category: number,
  phase: number,
  a: number,
  b: number,
  monthlyAmount: number,
  monthlyQuantity: number,
  rampFrom: number,
  ramp: number,
): void {
  const rampEnd = rampFrom + ramp
  let at = a
  while (at < rampEnd && at < b) {
    const month = Math.floor(at)
    const next = month + 1 < b ? month + 1 : b
    const idle = 1 - (month - rampFrom + 0.5) / ramp
    sink.range(category, phase, at, next, monthlyAmount * idle, monthlyQuantity * idle)
    at = next
  }
}
