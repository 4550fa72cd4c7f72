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

/** Where a usage line goes: the sink and phase, the part [a, b) of a model year, and the ramp of `ramp` months from `from`. */
export interface RampSpan {
  sink: CashFlowSink
  phase: number
  a: number
  b: number
  from: number
  ramp: number
}

/**
 * A line that follows usage, `monthlyAmount` a month over [span.a, until) at full load (`until` is
 * span.b unless given): inside the span's ramp, month k carries (k + ½)/ramp of it (its quantity too
 * where `quantityFollows`; a percentage line's quantity of 1 does not), after the ramp all of it.
 */
export function usageRange(span: RampSpan, category: number, monthlyAmount: number, monthlyQuantity: number, quantityFollows: boolean, until = span.b): void {
  const at = bookRampMonths(span, until, category, monthlyAmount, monthlyQuantity, quantityFollows, false)
  if (at < until) span.sink.range(category, span.phase, at, until, monthlyAmount, monthlyQuantity)
}

/** What {@link usageRange} leaves out inside the ramp: month k of the ramp carries 1 − (k + ½)/ramp of the line (amount and quantity). */
export function idleDuringRamp(span: RampSpan, category: number, monthlyAmount: number, monthlyQuantity: number): void {
  bookRampMonths(span, span.b, category, monthlyAmount, monthlyQuantity, true, true)
}

/**
 * Books the months of [span.a, until) inside the span's ramp, month k at the load (k + ½)/ramp: the
 * used share (the quantity too where `quantityFollows`), or with `idle` the share left idle,
 * 1 − (k + ½)/ramp. Returns where the ramp's months end. Takes no callback: the evaluator allocates
 * nothing per draw.
 */
function bookRampMonths(
  span: RampSpan,
  until: number,
  category: number,
  monthlyAmount: number,
  monthlyQuantity: number,
  quantityFollows: boolean,
  idle: boolean,
): number {
  const { sink, phase, from: rampFrom, ramp } = span
  const rampEnd = rampFrom + ramp
  let at = span.a
  while (at < rampEnd && at < until) {
    const month = Math.floor(at)
    const next = month + 1 < until ? month + 1 : until
    const weight = (month - rampFrom + 0.5) / ramp
    if (idle) {
      const share = 1 - weight
      sink.range(category, phase, at, next, monthlyAmount * share, monthlyQuantity * share)
    } else {
      sink.range(category, phase, at, next, monthlyAmount * weight, quantityFollows ? monthlyQuantity * weight : monthlyQuantity)
    }
    at = next
  }
  return at
}
