import type { CashFlowSink } from './sinks.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'

/** The cost rules' shared pieces: an option's price trend, and lines that follow usage through a ramp. */

/** One option's cash flows in one draw: the compiled model, the option, the draw's driver values and the sink its lines go to. */
export interface OptionDraw {
  plan: ModelPlan
  option: OptionPlan
  values: Float64Array
  sink: CashFlowSink
}

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
  const at = eachRampMonth(a, b, rampFrom, ramp, (from, next, weight) => {
    sink.range(category, phase, from, next, monthlyAmount * weight, quantityFollows ? monthlyQuantity * weight : monthlyQuantity)
  })
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
  eachRampMonth(a, b, rampFrom, ramp, (from, next, weight) => {
    const idle = 1 - weight
    sink.range(category, phase, from, next, monthlyAmount * idle, monthlyQuantity * idle)
  })
}

/**
 * Walks the months of [a, b) that fall inside the ramp of `ramp` months from `rampFrom`, giving each
 * piece [from, next) the load (k + ½)/ramp of its ramp month k; returns where the walk stopped.
 */
function eachRampMonth(a: number, b: number, rampFrom: number, ramp: number, visit: (from: number, next: number, weight: number) => void): number {
  const rampEnd = rampFrom + ramp
  let at = a
  while (at < rampEnd && at < b) {
    const month = Math.floor(at)
    const next = month + 1 < b ? month + 1 : b
    visit(at, next, (month - rampFrom + 0.5) / ramp)
    at = next
  }
  return at
}
