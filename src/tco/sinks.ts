import { CATEGORY_COUNT, PHASES } from './cost-categories.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'

/**
 * Where the evaluator's cash flows go: the Monte Carlo's present-value sum, the deterministic
 * run's month-by-month table (cashflows.csv, FOCUS), or a scaled pass-through.
 */

export interface CashFlowSink {
  /** `monthlyAmount` each month over [from, to) (fractional ends count pro rata), with its quantity per month. */
  range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void
  once(category: number, phase: number, month: number, amount: number, quantity: number): void
}

/** A sink that scales what it passes on (one reused instance: the evaluator allocates nothing per draw). */
export class ScaledSink implements CashFlowSink {
  inner: CashFlowSink | null = null
  factor = 1
  range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void {
    this.inner?.range(category, phase, from, to, monthlyAmount * this.factor, monthlyQuantity * this.factor)
  }
  once(category: number, phase: number, month: number, amount: number, quantity: number): void {
    this.inner?.once(category, phase, month, amount * this.factor, quantity * this.factor)
  }
}

/** A sink that discounts what it is given: the plan's horizon in months and its monthly discount factors. */
export abstract class DiscountingSink implements CashFlowSink {
  protected readonly months: number
  protected readonly discount: Float64Array
  constructor(plan: ModelPlan) {
    this.months = plan.months
    this.discount = plan.discount
  }
  abstract range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void
  abstract once(category: number, phase: number, month: number, amount: number, quantity: number): void
}

/** Sums present values only: the Monte Carlo's sink. */
export class PresentValueSink extends DiscountingSink {
  total = 0
  private readonly sums: Float64Array
  constructor(plan: ModelPlan) {
    super(plan)
    this.sums = plan.discountSums
  }
  range(_category: number, _phase: number, from: number, to: number, monthlyAmount: number): void {
    if (to <= from || monthlyAmount === 0) return
    this.total += monthlyAmount * (this.cumulative(to) - this.cumulative(from))
  }
  once(_category: number, _phase: number, month: number, amount: number): void {
    this.total += amount * (this.discount[month] as number)
  }
  /** Σ of discount factors over [0, at), the month containing `at` pro rata. */
  private cumulative(at: number): number {
    if (at >= this.months) return this.sums[this.months] as number
    const whole = Math.floor(at)
    return (this.sums[whole] as number) + (at - whole) * (this.discount[whole] as number)
  }
}

/** One option's deterministic (central-value) monthly cash flows and their totals. */
export interface DeterministicCashFlows {
  option: OptionPlan
  sink: MonthlySink
  totals: Float64Array
}

/** Keeps every month of every phase and category: the deterministic run's sink (cashflows.csv, FOCUS). */
export class MonthlySink implements CashFlowSink {
  /** amounts[(phase × categories + category) × months + month] */
  readonly amounts: Float64Array
  readonly quantities: Float64Array
  constructor(readonly months: number) {
    this.amounts = new Float64Array(PHASES.length * CATEGORY_COUNT * months)
    this.quantities = new Float64Array(PHASES.length * CATEGORY_COUNT * months)
  }
  range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void {
    if (to <= from) return
    const row = (phase * CATEGORY_COUNT + category) * this.months
    const last = Math.min(this.months, Math.ceil(to))
    for (let month = Math.floor(from); month < last; month++) {
      const share = Math.min(to, month + 1) - Math.max(from, month)
      if (share <= 0) continue
      this.amounts[row + month] = (this.amounts[row + month] as number) + monthlyAmount * share
      this.quantities[row + month] = (this.quantities[row + month] as number) + monthlyQuantity * share
    }
  }
  once(category: number, phase: number, month: number, amount: number, quantity: number): void {
    const index = (phase * CATEGORY_COUNT + category) * this.months + month
    this.amounts[index] = (this.amounts[index] as number) + amount
    this.quantities[index] = (this.quantities[index] as number) + quantity
  }
  amount(phase: number, category: number, month: number): number {
    return this.amounts[(phase * CATEGORY_COUNT + category) * this.months + month] as number
  }
  quantity(phase: number, category: number, month: number): number {
    return this.quantities[(phase * CATEGORY_COUNT + category) * this.months + month] as number
  }
  /** Total cost per month, all phases and categories. */
  totals(): Float64Array {
    const totals = new Float64Array(this.months)
    const rows = this.amounts.length / this.months
    for (let row = 0; row < rows; row++) {
      for (let month = 0; month < this.months; month++) totals[month] = (totals[month] as number) + (this.amounts[row * this.months + month] as number)
    }
    return totals
  }
}
