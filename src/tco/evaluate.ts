import { CATEGORY, PHASE } from './cost-categories.js'
import { emitCapex, emitCommitment } from './evaluate-capital.js'
import { emitEntityCosts, emitMoveCompliance, emitSteadyCompliance } from './evaluate-compliance.js'
import { type OptionDraw, type RampSpan, idleDuringRamp, priceFactor, usageRange } from './evaluate-lines.js'
import { HOURS_PER_MONTH, monthlyRate } from './finance.js'
import { prepareMechanics } from './finance-mechanics.js'
import type { EstateLine, MigrationPlan, ModelPlan, OptionPlan } from './model-plan.js'
import { type CashFlowSink, ScaledSink } from './sinks.js'

/**
 * Turns a compiled model and one vector of driver values into each option's cash flows. The same
 * code serves the deterministic run (a sink that keeps every month and category) and the Monte
 * Carlo (a sink that only sums present values): what the report shows and what is sampled cannot
 * drift apart. Recurring costs are constant within a model year (demand grows at each anniversary),
 * so a line is "this amount per month from month a to month b" and its present value is the
 * amount times a difference of running sums of discount factors: no loop over months per draw.
 *
 * Timing: month m's flows are discounted by (1 + r)^−m, r the monthly rate (finance.ts). A range
 * may start or end inside a month (dual running for 4.5 months): that month counts pro rata.
 */

/** Computes the per-draw state shared by all options: discount factors and their sums, growth, fleet sizes. */
export function prepareDraw(plan: ModelPlan, values: Float64Array): void {
  const rate = monthlyRate(values[plan.waccSlot] as number)
  const discount = plan.discount
  const sums = plan.discountSums
  let factor = 1
  sums[0] = 0
  for (let month = 0; month < plan.months; month++) {
    discount[month] = factor
    sums[month + 1] = (sums[month] as number) + factor
    factor /= 1 + rate
  }
  const growthRate = values[plan.growthSlot] as number
  let growth = 1
  for (let year = 0; year < plan.years; year++) {
    plan.growth[year] = growth
    growth *= 1 + growthRate
  }
  prepareMechanics(plan.mechanics, values)
  for (const option of plan.options) sizeFleet(plan, option, values)
}

/** GPUs rented per year (whole instances), or nodes installed per year (never sold, bought when the move starts or at an anniversary). */
function sizeFleet(plan: ModelPlan, option: OptionPlan, values: Float64Array): void {
  if (option.gpusSlot === -1) return
  const gpus = values[option.gpusSlot] as number
  const perUnit = option.gpusPerUnit
  const firstYear = option.migration ? Math.floor(option.migration.startMonth / 12) : 0
  let installed = 0
  for (let year = 0; year < plan.years; year++) {
    const needed = Math.ceil((gpus * (plan.growth[year] as number)) / perUnit - 1e-9)
    if (option.kind === 'rental') {
      option.units[year] = needed * perUnit
    } else {
      if (year >= firstYear && needed > installed) installed = needed
      option.units[year] = year >= firstYear ? installed : 0
    }
  }
}

/** Every cash flow of one option over the horizon: its own costs, and the baseline's until the move is done. */
export function emitOption(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink): void {
  const months = plan.months
  const migration = option.migration
  emitEntityCosts(plan, option, values, sink)
  emitEstateLines(plan, option, values, sink)
  const own = drawInto(OWN_DRAW, plan, option, values, sink)
  if (migration === null) {
    emitRunningCosts(own, 0, months, PHASE.own)
    emitCommitment(own, 0, months, false, PHASE.own, PHASE.own, 0)
    return
  }
  const baseline = drawInto(BASELINE_DRAW, plan, plan.options[plan.baseline] as OptionPlan, values, sink)
  const start = migration.startMonth
  const cutover = Math.min(months, start + (values[migration.dualRunningSlot] as number))
  emitRunningCosts(baseline, 0, start, PHASE.beforeMove)
  emitRunningCosts(baseline, start, cutover, PHASE.dualRunning)
  // The baseline's commitment: a shrink before the exit, then the rest of its running term after the cutover.
  emitCommitment(baseline, 0, cutover, cutover < months, PHASE.beforeMove, PHASE.dualRunning, start)
  // The new fleet is brought up over its ramp ((k + ½)/ramp of its usage in the ramp's month k), in full from then on.
  emitRunningCosts(own, start, months, PHASE.own, option.rampMonths)
  emitCommitment(own, start, months, false, PHASE.own, PHASE.own, 0)
  if (option.estateStayingShare > 0) {
    // The workloads this option does not move keep their share of the baseline's running costs.
    STAYING.inner = sink
    STAYING.factor = option.estateStayingShare
    emitRunningCosts(drawInto(STAYING_DRAW, plan, baseline.option, values, STAYING), cutover, months, PHASE.staying)
  }
  // One-offs when the move starts (C2 DPIA, C3 new-vendor contracting, C14 re-validation, the project).
  emitMoveCompliance(plan, option, values, sink, start)
  if (migration.revalidationSlot !== -1) sink.once(CATEGORY.revalidation, PHASE.own, start, values[migration.revalidationSlot] as number, 1)
  if (migration.projectSlot !== -1) sink.once(CATEGORY.migrationProject, PHASE.own, start, values[migration.projectSlot] as number, 1)
  emitSwitching(plan, migration, values, sink, cutover)
  if (option.kind === 'owned') emitCapex(plan, option, values, sink, start)
}

/** C13 switching charges, billed by the baseline's provider at cutover (or the migration's date); none from the EU Data Act's date on. */
function emitSwitching(plan: ModelPlan, migration: MigrationPlan, values: Float64Array, sink: CashFlowSink, cutover: number): void {
  const switchingAt = Number.isNaN(migration.switchingDateAt) ? cutover : migration.switchingDateAt
  if (switchingAt >= plan.switchingProhibitedAt) return
  const month = Math.min(plan.months - 1, Math.max(0, Math.floor(switchingAt)))
  const exitFee = migration.exitFeeSlot === -1 ? 0 : (values[migration.exitFeeSlot] as number)
  const gb = migration.switchingGbSlot === -1 ? 0 : (values[migration.switchingGbSlot] as number)
  const copy = gb === 0 ? 0 : gb * (values[migration.switchingPerGbSlot] as number)
  if (exitFee + copy !== 0) sink.once(CATEGORY.switching, PHASE.dualRunning, month, exitFee + copy, gb)
}

/** Whether switching charges fall due before the Data Act prohibits them, for this draw (the deterministic notes). */
export function switchingCharged(plan: ModelPlan, option: OptionPlan, values: Float64Array): { at: number; charged: boolean } | null {
  const migration = option.migration
  if (migration === null || (migration.exitFeeSlot === -1 && migration.switchingGbSlot === -1)) return null
  const cutover = Math.min(plan.months, migration.startMonth + (values[migration.dualRunningSlot] as number))
  const at = Number.isNaN(migration.switchingDateAt) ? cutover : migration.switchingDateAt
  return { at, charged: at < plan.switchingProhibitedAt }
}

/** A sink that books the baseline's share of an estate this option does not move (one reused instance). */
const STAYING = new ScaledSink()

/**
 * The draws {@link emitOption} books through (the option's own, the baseline's, the baseline's share
 * that stays): reused objects, as SPAN below, so that the evaluator allocates nothing per draw.
 */
const OWN_DRAW = {} as OptionDraw
const BASELINE_DRAW = {} as OptionDraw
const STAYING_DRAW = {} as OptionDraw

/** Points a reused draw at this option, these values and this sink. */
function drawInto(draw: OptionDraw, plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink): OptionDraw {
  draw.plan = plan
  draw.option = option
  draw.values = values
  draw.sink = sink
  return draw
}

/**
 * The part of a model year [a, b) a running-cost pass books into, under `phase`, with the ramp of
 * `ramp` months from `from`: one reused object (the evaluator allocates nothing per draw; no pass
 * runs inside another).
 */
interface YearSpan extends RampSpan {
  year: number
}
const SPAN: YearSpan = { sink: STAYING, phase: 0, year: 0, a: 0, b: 0, from: 0, ramp: 0 }

/**
 * The option's recurring costs over [from, to), year by year, under `phase`. `ramp` (the utilization
 * ramp, whole months from `from`) scales what follows usage, (k + ½)/ramp in its month k: GPU-hours
 * rented, tokens, energy, egress, redaction; not the staff, support or compliance work, nor a
 * commitment (its GPU-hours the ramp leaves idle bill as commitment-stranded). Each line's
 * amount is computed once per year and the ramp's months are booked by {@link usageRange}, so a ramp
 * costs a few sink calls, not a pass over the cost rules per month. The compliance work is booked
 * by {@link emitSteadyCompliance}: per model year where staff inflation moves it, else once.
 */
function emitRunningCosts(draw: OptionDraw, from: number, to: number, phase: number, ramp = 0): void {
  if (to <= from) return
  const { plan, option, values, sink } = draw
  const tokensInput = plan.tokensInputSlot === -1 ? 0 : (values[plan.tokensInputSlot] as number)
  const tokensOutput = plan.tokensOutputSlot === -1 ? 0 : (values[plan.tokensOutputSlot] as number)
  emitSteadyCompliance(draw, from, to, phase)
  for (let year = 0; year < plan.years; year++) {
    const a = from > year * 12 ? from : year * 12
    const b = to < year * 12 + 12 ? to : year * 12 + 12
    if (b <= a) continue
    SPAN.sink = sink
    SPAN.phase = phase
    SPAN.year = year
    SPAN.a = a
    SPAN.b = b
    SPAN.from = from
    SPAN.ramp = ramp
    let computeSpend = 0
    if (option.computeFromEstate && option.kind !== 'owned') {
      // The compute is the estate's workloads, each over its own months (emitEstateLines).
    } else if (option.kind === 'rental') {
      computeSpend = emitRentalYear(plan, option, values, SPAN)
    } else if (option.kind === 'token-api') {
      computeSpend = emitTokenApiYear(plan, option, values, SPAN, tokensInput, tokensOutput)
    } else {
      emitOwnedYear(plan, option, values, SPAN)
    }
    emitStaffYear(plan, option, values, SPAN)
    emitProviderLinkedYear(plan, option, values, SPAN, computeSpend, tokensInput)
  }
}

/** GPU-hours rented in the span's year at the discounted, trended price; returns the compute spend a month. */
function emitRentalYear(plan: ModelPlan, option: OptionPlan, values: Float64Array, span: YearSpan): number {
  const { year, ramp } = span
  const gpuHours = (option.units[year] as number) * HOURS_PER_MONTH
  const discount = option.discountSlot === -1 ? 0 : (values[option.discountSlot] as number)
  const computeSpend = gpuHours * (values[option.priceSlot] as number) * (1 - discount) * priceFactor(plan, option, year)
  usageRange(span, CATEGORY.computeRental, computeSpend, gpuHours, true)
  // A commitment bills its GPUs whether used or not: the share the ramp leaves idle is unused commitment.
  if (ramp > 0 && option.commitmentTermMonths > 0) idleDuringRamp(span, CATEGORY.commitmentStranded, computeSpend, gpuHours)
  return computeSpend
}

/** Input and output tokens of the span's year at the trended prices; returns the compute spend a month. */
function emitTokenApiYear(plan: ModelPlan, option: OptionPlan, values: Float64Array, span: YearSpan, tokensInput: number, tokensOutput: number): number {
  const year = span.year
  const growth = plan.growth[year] as number
  const input = tokensInput * growth
  const output = tokensOutput * growth
  const computeSpend =
    ((input * (values[option.inputPriceSlot] as number) + output * (values[option.outputPriceSlot] as number)) / 1e6) * priceFactor(plan, option, year)
  usageRange(span, CATEGORY.tokenApi, computeSpend, (input + output) / 1e6, true)
  return computeSpend
}

/** Owned servers' running costs in the span's year: support on the capex, energy at the meter, colocation. */
function emitOwnedYear(plan: ModelPlan, option: OptionPlan, values: Float64Array, span: YearSpan): void {
  const { sink, phase, year, a, b } = span
  const nodes = option.units[year] as number
  const gpus = nodes * option.gpusPerUnit
  const capex = nodes * (values[option.capexSlot] as number) * (1 + (values[option.networkShareSlot] as number))
  sink.range(CATEGORY.support, phase, a, b, (capex * (values[option.supportSlot] as number)) / 12, 1)
  if (option.energySlot !== -1) {
    const kwh =
      gpus * (values[option.kwPerGpuSlot] as number) * (values[option.powerUtilizationSlot] as number) * (values[option.pueSlot] as number) * HOURS_PER_MONTH
    usageRange(span, CATEGORY.power, kwh * (values[option.energySlot] as number) * (plan.mechanics.energyIndex[year] as number), kwh, true)
  }
  if (option.colocationSlot !== -1) {
    const kw = gpus * (values[option.provisionedKwSlot] as number)
    sink.range(CATEGORY.colocation, phase, a, b, kw * (values[option.colocationSlot] as number), kw)
  }
}

/** Operations staff: owned servers' or a rented fleet's own, or the rule per GPU count for rented fleets; with staff inflation. */
function emitStaffYear(plan: ModelPlan, option: OptionPlan, values: Float64Array, span: YearSpan): void {
  if (option.fteSlot === -1 && option.staffGpusPerFteSlot === -1) return
  const mechanics = plan.mechanics
  const year = span.year
  const fte =
    option.fteSlot !== -1
      ? (values[option.fteSlot] as number)
      : Math.max(mechanics.rentedStaffMinimumFte, (option.units[year] as number) / (values[option.staffGpusPerFteSlot] as number))
  span.sink.range(
    CATEGORY.staff,
    span.phase,
    span.a,
    span.b,
    (fte * (values[option.staffCostSlot] as number) * (mechanics.staffIndex[year] as number)) / 12,
    fte,
  )
}

/** What follows the provider's bill in the span's year: egress, the C12 surcharge on compute, C4 redaction and the C10 reserve on the provider spend. */
function emitProviderLinkedYear(plan: ModelPlan, option: OptionPlan, values: Float64Array, span: YearSpan, computeSpend: number, tokensInput: number): void {
  const { year, b } = span
  const params = plan.params
  const applies = option.applies
  const growth = plan.growth[year] as number
  let providerSpend = 0
  providerSpend += computeSpend
  if (option.egressGbSlot !== -1) {
    const gb = (values[option.egressGbSlot] as number) * growth
    const egress = gb * (values[option.egressPerGbSlot] as number)
    usageRange(span, CATEGORY.egress, egress, gb, true)
    providerSpend += egress
  }
  if (applies[12] === 1) usageRange(span, CATEGORY.c12, computeSpend * (values[params.regionalSurcharge] as number), 1, false)
  if (applies[4] === 1) {
    const mtok = (tokensInput * growth) / 1e6
    usageRange(span, CATEGORY.c4, mtok * (values[params.redactionPerMtok] as number), mtok, true)
  }
  if (applies[10] === 1) {
    const until = b < plan.dpfReserveUntilAt ? b : plan.dpfReserveUntilAt
    usageRange(span, CATEGORY.c10, providerSpend * (values[params.dpfReserveRatePerYear] as number), 1, false, until)
  }
}

/**
 * An estate-driven option's compute: each workload on today's host until it leaves (before its move,
 * then beside its new host for its own dual running) and on the option's offer from when it arrives,
 * or on today's host throughout when this option does not move it. Demand grows at each anniversary
 * (whole GPUs per workload). The C12 surcharge and the C10 reserve follow the host that bills the line.
 */
function emitEstateLines(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink): void {
  if (option.estateLines.length === 0) return
  const baseline = plan.options[plan.baseline] as OptionPlan
  for (const line of option.estateLines) {
    const host = line.host === 'current' ? baseline : option
    for (let year = 0; year < plan.years; year++) {
      const a = line.from > year * 12 ? line.from : year * 12
      const b = line.to < year * 12 + 12 ? line.to : year * 12 + 12
      if (b <= a) continue
      SPAN.sink = sink
      SPAN.phase = line.phase
      SPAN.year = year
      SPAN.a = a
      SPAN.b = b
      const spend = line.priceSlot !== -1 ? emitEstateGpus(plan, host, line, values, SPAN) : emitEstateTokens(plan, option, line, values, SPAN)
      emitHostSurcharges(plan, host, values, SPAN, spend)
    }
  }
}

/** The C12 surcharge and the C10 reserve on a workload's spend, where they apply to the host that bills it. */
function emitHostSurcharges(plan: ModelPlan, host: OptionPlan, values: Float64Array, span: YearSpan, spend: number): void {
  const params = plan.params
  const { sink, phase, a, b } = span
  if (host.applies[12] === 1) sink.range(CATEGORY.c12, phase, a, b, spend * (values[params.regionalSurcharge] as number), 1)
  if (host.applies[10] === 1) {
    const until = b < plan.dpfReserveUntilAt ? b : plan.dpfReserveUntilAt
    sink.range(CATEGORY.c10, phase, a, until, spend * (values[params.dpfReserveRatePerYear] as number), 1)
  }
}

/** A workload's GPU-hours in the span's year on `host`, at its row's discounted price and its host's trend; returns the spend a month. */
function emitEstateGpus(plan: ModelPlan, host: OptionPlan, line: EstateLine, values: Float64Array, span: YearSpan): number {
  const year = span.year
  const gpuHours = Math.ceil(line.gpus * (plan.growth[year] as number) - 1e-9) * HOURS_PER_MONTH
  const discount = line.discountSlot === -1 ? 0 : (values[line.discountSlot] as number)
  // The price trend of the GPUs' host: the option's own offer, or today's GPU hosts at the (rented) baseline's.
  const trendOf = line.host === 'option' || host.kind === 'rental' ? host : null
  const spend = gpuHours * (values[line.priceSlot] as number) * (1 - discount) * (trendOf === null ? 1 : priceFactor(plan, trendOf, year))
  span.sink.range(CATEGORY.computeRental, span.phase, span.a, span.b, spend, gpuHours)
  return spend
}

/** A workload's input and output tokens in the span's year; returns the spend a month. */
function emitEstateTokens(plan: ModelPlan, option: OptionPlan, line: EstateLine, values: Float64Array, span: YearSpan): number {
  const year = span.year
  const growth = plan.growth[year] as number
  const input = line.inputMtok * growth
  const output = line.outputMtok * growth
  // A token API on the option's offer follows the option's trend; today's token APIs keep their row's price.
  const trend = line.host === 'option' ? priceFactor(plan, option, year) : 1
  const spend = (input * (values[line.inputPriceSlot] as number) + output * (values[line.outputPriceSlot] as number)) * trend
  span.sink.range(CATEGORY.tokenApi, span.phase, span.a, span.b, spend, input + output)
  return spend
}
