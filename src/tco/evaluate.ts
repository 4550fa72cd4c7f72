import { HOURS_PER_MONTH, monthlyRate } from './finance.js'
import { prepareMechanics, resaleFraction } from './finance-mechanics.js'
import { CATEGORY, CATEGORY_COUNT, PHASE, PHASES } from './cost-categories.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'

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

export interface CashFlowSink {
  /** `monthlyAmount` each month over [from, to) (fractional ends count pro rata), with its quantity per month. */
  range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void
  once(category: number, phase: number, month: number, amount: number, quantity: number): void
}

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

/** The option's price trend factor in a model year (1 without a trend; a commitment keeps its term's year). */
function priceFactor(plan: ModelPlan, option: OptionPlan, year: number): number {
  if (option.trend === -1) return 1
  return plan.mechanics.trendIndex[option.trend * plan.years + (option.priceYear[year] as number)] as number
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
  if (migration === null) {
    emitRunningCosts(plan, option, values, sink, 0, months, PHASE.own)
    emitCommitment(plan, option, values, sink, 0, months, false, PHASE.own, PHASE.own, 0)
    return
  }
  const baseline = plan.options[plan.baseline] as OptionPlan
  const start = migration.startMonth
  const cutover = Math.min(months, start + (values[migration.dualRunningSlot] as number))
  emitRunningCosts(plan, baseline, values, sink, 0, start, PHASE.beforeMove)
  emitRunningCosts(plan, baseline, values, sink, start, cutover, PHASE.dualRunning)
  // The baseline's commitment: a shrink before the exit, then the rest of its running term after the cutover.
  emitCommitment(plan, baseline, values, sink, 0, cutover, cutover < months, PHASE.beforeMove, PHASE.dualRunning, start)
  // The new fleet is brought up over its ramp ((k + ½)/ramp of its usage in the ramp's month k), in full from then on.
  emitRunningCosts(plan, option, values, sink, start, months, PHASE.own, option.rampMonths)
  emitCommitment(plan, option, values, sink, start, months, false, PHASE.own, PHASE.own, 0)
  if (option.estateStayingShare > 0) {
    // The workloads this option does not move keep their share of the baseline's running costs.
    STAYING.inner = sink
    STAYING.factor = option.estateStayingShare
    emitRunningCosts(plan, baseline, values, STAYING, cutover, months, PHASE.staying)
  }

  // One-offs when the move starts (C2 DPIA, C3 new-vendor contracting, C14 re-validation, the project).
  // Compliance hours are own staff time: the hourly rate follows staff inflation like operations staff.
  const params = plan.params
  const hourlyRate = (values[params.hourlyRate] as number) * (plan.mechanics.staffIndex[Math.min(plan.years - 1, Math.floor(start / 12))] as number)
  const applies = option.applies
  if (applies[2] === 1) {
    const hours = (values[params.useCases] as number) * (values[params.dpiaHoursPerUseCase] as number)
    sink.once(CATEGORY.c2, PHASE.own, start, hours * hourlyRate, 1)
  }
  if (applies[3] === 1) {
    const hours = option.vendors * (values[params.contractingHoursNewVendor] as number)
    sink.once(CATEGORY.c3, PHASE.own, start, hours * hourlyRate, hours)
  }
  if (applies[16] === 1) {
    // DORA Art. 30: the contractual provisions for each new ICT third-party provider.
    const hours = option.vendors * (values[params.doraContractHoursNewProvider] as number)
    sink.once(CATEGORY.c16, PHASE.own, start, hours * hourlyRate, hours)
  }
  if (migration.revalidationSlot !== -1) sink.once(CATEGORY.revalidation, PHASE.own, start, values[migration.revalidationSlot] as number, 1)
  if (migration.projectSlot !== -1) sink.once(CATEGORY.migrationProject, PHASE.own, start, values[migration.projectSlot] as number, 1)

  // C13 switching charges, billed by the baseline's provider at cutover; none from the EU Data Act's date on.
  const switchingAt = Number.isNaN(migration.switchingDateAt) ? cutover : migration.switchingDateAt
  if (switchingAt < plan.switchingProhibitedAt) {
    const month = Math.min(months - 1, Math.max(0, Math.floor(switchingAt)))
    const exitFee = migration.exitFeeSlot === -1 ? 0 : (values[migration.exitFeeSlot] as number)
    const gb = migration.switchingGbSlot === -1 ? 0 : (values[migration.switchingGbSlot] as number)
    const copy = gb === 0 ? 0 : gb * (values[migration.switchingPerGbSlot] as number)
    if (exitFee + copy !== 0) sink.once(CATEGORY.switching, PHASE.dualRunning, month, exitFee + copy, gb)
  }

  if (option.kind === 'owned') emitCapex(plan, option, values, sink, start)
}

/** Whether switching charges fall due before the Data Act prohibits them, for this draw (the deterministic notes). */
export function switchingCharged(plan: ModelPlan, option: OptionPlan, values: Float64Array): { at: number; charged: boolean } | null {
  const migration = option.migration
  if (migration === null || (migration.exitFeeSlot === -1 && migration.switchingGbSlot === -1)) return null
  const cutover = Math.min(plan.months, migration.startMonth + (values[migration.dualRunningSlot] as number))
  const at = Number.isNaN(migration.switchingDateAt) ? cutover : migration.switchingDateAt
  return { at, charged: at < plan.switchingProhibitedAt }
}

/**
 * The company's own obligations (C15 AI Act high-risk, C16 DORA's TLPT, C17 NIS2), the same
 * whatever hosts the workloads: over the whole horizon once per option (never twice while two
 * providers run side by side), so they count in each option's total and cancel in the savings.
 */
function emitEntityCosts(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink): void {
  const params = plan.params
  const months = plan.months
  const applies = option.applies
  if (applies[15] === 1) {
    const systems = values[params.highRiskSystems] as number
    sink.once(CATEGORY.c15, PHASE.own, 0, values[params.aiActQmsSetupCost] as number, 0)
    sink.range(CATEGORY.c15, PHASE.own, 0, months, (systems * (values[params.highRiskCostPerSystemPerYear] as number) + (values[params.aiActQmsCostPerYear] as number)) / 12, 1)
  }
  if (applies[16] === 1 && plan.scope.tlpt) {
    const interval = Math.max(1, values[params.doraTlptIntervalYears] as number) * 12
    for (let at = 0; at < months; at += interval) sink.once(CATEGORY.c16, PHASE.own, Math.floor(at), values[params.doraTlptCost] as number, 0)
  }
  if (applies[17] === 1) sink.range(CATEGORY.c17, PHASE.own, 0, months, (values[params.nis2CostPerYear] as number) / 12, 1)
}

/**
 * Server and network capex in lots: bought at the move or an anniversary, replaced at the end of their
 * life. At the horizon the servers are credited at book value, or (residualBasis resale) at their
 * resale value by age; servers replaced inside the horizon are sold at their resale value. With a tax
 * rate, straight-line depreciation × rate is credited monthly over the life (the tax shield).
 */
function emitCapex(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, start: number): void {
  const months = plan.months
  const server = values[option.capexSlot] as number
  const network = server * (values[option.networkShareSlot] as number)
  const life = option.depreciationYears * 12
  const resale = option.residualBasis === 'resale'
  const taxRate = plan.mechanics.taxRate
  let previous = 0
  let residual = 0
  let residualNodes = 0
  for (let year = 0; year < plan.years; year++) {
    const nodes = option.units[year] as number
    const bought = nodes - previous
    previous = nodes
    if (bought <= 0) continue
    for (let at = Math.max(start, year * 12); at < months; at += life) {
      sink.once(CATEGORY.capexServer, PHASE.own, at, bought * server, bought)
      sink.once(CATEGORY.capexNetworkStorage, PHASE.own, at, bought * network, bought)
      if (taxRate > 0) sink.range(CATEGORY.taxShield, PHASE.own, at, Math.min(months, at + life), (-taxRate * bought * (server + network)) / life, bought)
      if (resale) {
        if (at + life < months) sink.once(CATEGORY.resaleProceeds, PHASE.own, at + life, -bought * server * resaleFraction(plan.mechanics, option.depreciationYears), bought)
        else {
          residual += bought * server * resaleFraction(plan.mechanics, (months - at) / 12)
          residualNodes += bought
        }
      } else if (at + life > months) {
        residual += bought * (server + network) * (1 - (months - at) / life)
        residualNodes += bought
      }
    }
  }
  if (option.residualValue && residual > 0) sink.once(CATEGORY.residualValue, PHASE.own, months - 1, -residual, residualNodes)
}

/**
 * The option's recurring costs over [from, to), year by year, under `phase`. `ramp` (the utilization
 * ramp, whole months from `from`) scales what follows usage, (k + ½)/ramp in its month k: GPU-hours
 * rented, tokens, energy, egress, redaction; not the staff, support or compliance work, nor a
 * commitment (its GPU-hours the ramp leaves idle bill as commitment-stranded). Each line's
 * amount is computed once per year and the ramp's months are booked by {@link usageRange}, so a ramp
 * costs a few sink calls, not a pass over the cost rules per month. The compliance work is booked
 * by {@link emitSteadyCompliance}: per model year where staff inflation moves it, else once.
 */
function emitRunningCosts(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, from: number, to: number, phase: number, ramp = 0): void {
  if (to <= from) return
  const mechanics = plan.mechanics
  const params = plan.params
  const applies = option.applies
  const tokensInput = plan.tokensInputSlot === -1 ? 0 : (values[plan.tokensInputSlot] as number)
  const tokensOutput = plan.tokensOutputSlot === -1 ? 0 : (values[plan.tokensOutputSlot] as number)
  emitSteadyCompliance(plan, option, values, sink, from, to, phase)
  for (let year = 0; year < plan.years; year++) {
    const a = from > year * 12 ? from : year * 12
    const b = to < year * 12 + 12 ? to : year * 12 + 12
    if (b <= a) continue
    const growth = plan.growth[year] as number
    let providerSpend = 0
    let computeSpend = 0
    if (option.computeFromEstate && option.kind !== 'owned') {
      // The compute is the estate's workloads, each over its own months (emitEstateLines).
    } else if (option.kind === 'rental') {
      const gpuHours = (option.units[year] as number) * HOURS_PER_MONTH
      const discount = option.discountSlot === -1 ? 0 : (values[option.discountSlot] as number)
      computeSpend = gpuHours * (values[option.priceSlot] as number) * (1 - discount) * priceFactor(plan, option, year)
      usageRange(sink, CATEGORY.computeRental, phase, a, b, computeSpend, gpuHours, true, from, ramp)
      // A commitment bills its GPUs whether used or not: the share the ramp leaves idle is unused commitment.
      if (ramp > 0 && option.commitmentTermMonths > 0) idleDuringRamp(sink, CATEGORY.commitmentStranded, phase, a, b, computeSpend, gpuHours, from, ramp)
    } else if (option.kind === 'token-api') {
      const input = tokensInput * growth
      const output = tokensOutput * growth
      computeSpend = ((input * (values[option.inputPriceSlot] as number) + output * (values[option.outputPriceSlot] as number)) / 1e6) * priceFactor(plan, option, year)
      usageRange(sink, CATEGORY.tokenApi, phase, a, b, computeSpend, (input + output) / 1e6, true, from, ramp)
    } else {
      const nodes = option.units[year] as number
      const gpus = nodes * option.gpusPerUnit
      const capex = nodes * (values[option.capexSlot] as number) * (1 + (values[option.networkShareSlot] as number))
      sink.range(CATEGORY.support, phase, a, b, (capex * (values[option.supportSlot] as number)) / 12, 1)
      if (option.energySlot !== -1) {
        const kwh = gpus * (values[option.kwPerGpuSlot] as number) * (values[option.powerUtilizationSlot] as number) * (values[option.pueSlot] as number) * HOURS_PER_MONTH
        usageRange(sink, CATEGORY.power, phase, a, b, kwh * (values[option.energySlot] as number) * (mechanics.energyIndex[year] as number), kwh, true, from, ramp)
      }
      if (option.colocationSlot !== -1) {
        const kw = gpus * (values[option.provisionedKwSlot] as number)
        sink.range(CATEGORY.colocation, phase, a, b, kw * (values[option.colocationSlot] as number), kw)
      }
    }
    // Operations staff: owned servers' or a rented fleet's own, or the rule per GPU count for rented fleets; with staff inflation.
    if (option.fteSlot !== -1 || option.staffGpusPerFteSlot !== -1) {
      const fte =
        option.fteSlot !== -1 ? (values[option.fteSlot] as number) : Math.max(mechanics.rentedStaffMinimumFte, (option.units[year] as number) / (values[option.staffGpusPerFteSlot] as number))
      sink.range(CATEGORY.staff, phase, a, b, (fte * (values[option.staffCostSlot] as number) * (mechanics.staffIndex[year] as number)) / 12, fte)
    }
    providerSpend += computeSpend
    if (option.egressGbSlot !== -1) {
      const gb = (values[option.egressGbSlot] as number) * growth
      const egress = gb * (values[option.egressPerGbSlot] as number)
      usageRange(sink, CATEGORY.egress, phase, a, b, egress, gb, true, from, ramp)
      providerSpend += egress
    }
    if (applies[12] === 1) usageRange(sink, CATEGORY.c12, phase, a, b, computeSpend * (values[params.regionalSurcharge] as number), 1, false, from, ramp)
    if (applies[4] === 1) {
      const mtok = (tokensInput * growth) / 1e6
      usageRange(sink, CATEGORY.c4, phase, a, b, mtok * (values[params.redactionPerMtok] as number), mtok, true, from, ramp)
    }
    if (applies[10] === 1) {
      const until = b < plan.dpfReserveUntilAt ? b : plan.dpfReserveUntilAt
      usageRange(sink, CATEGORY.c10, phase, a, until, providerSpend * (values[params.dpfReserveRatePerYear] as number), 1, false, from, ramp)
    }
  }
}

/**
 * The compliance work that follows the year only through staff inflation (C1, C3, C7, C8, DORA's
 * register and exit plan: one line per model year) and that which is the same every year (C5, C6,
 * C9: one line over [from, to)).
 */
function emitSteadyCompliance(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, from: number, to: number, phase: number): void {
  const params = plan.params
  const applies = option.applies
  // Staff time (C1, C3, C7, C8, DORA's register and exit plan) moves with staff inflation: one line per model year.
  const baseHourlyRate = values[params.hourlyRate] as number
  const staffIndex = plan.mechanics.staffIndex
  for (let year = 0; year < plan.years; year++) {
    const a = from > year * 12 ? from : year * 12
    const b = to < year * 12 + 12 ? to : year * 12 + 12
    if (b <= a) continue
    const index = staffIndex[year] as number
    const hourlyRate = baseHourlyRate * index
    if (applies[1] === 1) {
      const hours = ((values[params.transferFlows] as number) * (values[params.tiaHoursPerTransfer] as number)) / 12
      sink.range(CATEGORY.c1, phase, a, b, hours * hourlyRate, hours)
    }
    if (applies[3] === 1) {
      const hours = (option.vendors * (values[params.contractingHoursPerVendorYear] as number)) / 12
      sink.range(CATEGORY.c3, phase, a, b, hours * hourlyRate, hours)
    }
    if (applies[7] === 1) {
      const fte = values[params.complianceFte] as number
      sink.range(CATEGORY.c7, phase, a, b, (fte * (values[params.complianceLoadedCostPerYear] as number) * index) / 12, fte)
    }
    if (applies[8] === 1) {
      const hours = (option.vendors * (values[params.vendorAssuranceHoursPerVendorYear] as number)) / 12
      sink.range(CATEGORY.c8, phase, a, b, hours * hourlyRate, hours)
    }
    if (applies[16] === 1) {
      // DORA: the register of information (Art. 28(3)) and a tested exit plan (Art. 28(8)) per ICT third-party provider under contract.
      const hours = (option.vendors * ((values[params.doraRegisterHoursPerProviderYear] as number) + (values[params.doraExitPlanHoursPerProviderYear] as number))) / 12
      sink.range(CATEGORY.c16, phase, a, b, hours * hourlyRate, hours)
    }
  }
  // The same every year: one line over [from, to).
  if (applies[5] === 1) sink.range(CATEGORY.c5, phase, from, to, values[params.redactionQualityLossPerMonth] as number, 1)
  if (applies[6] === 1) {
    const gb = values[params.auditLogGBPerMonth] as number
    const perGb = (values[params.auditLogIngestPerGB] as number) + (values[params.auditLogStoragePerGBMonth] as number) * (values[params.auditLogRetentionMonths] as number)
    sink.range(CATEGORY.c6, phase, from, to, gb * perGb, gb)
  }
  if (option.risks.length > 0) {
    const turnover = values[plan.turnoverSlot] as number
    let expectedLoss = 0
    for (const risk of option.risks) {
      const share = risk.shareOfTurnover * turnover
      const cap = plan.sme && risk.smeLower ? Math.min(risk.fixedAmount, share) : Math.max(risk.fixedAmount, share)
      const fine = (values[risk.severitySlot] as number) * turnover
      expectedLoss += (values[risk.probabilitySlot] as number) * (fine < cap ? fine : cap)
    }
    sink.range(CATEGORY.c9, phase, from, to, expectedLoss / 12, 1)
  }
}

/**
 * A line that follows usage, `monthlyAmount` a month over [a, b) at full load: inside the ramp of
 * `ramp` months from `rampFrom`, month k carries (k + ½)/ramp of it (its quantity too where
 * `quantityFollows`; a percentage line's quantity of 1 does not), after the ramp all of it.
 */
function usageRange(sink: CashFlowSink, category: number, phase: number, a: number, b: number, monthlyAmount: number, monthlyQuantity: number, quantityFollows: boolean, rampFrom: number, ramp: number): void {
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
function idleDuringRamp(sink: CashFlowSink, category: number, phase: number, a: number, b: number, monthlyAmount: number, monthlyQuantity: number, rampFrom: number, ramp: number): void {
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

/**
 * A rental's commitment (1-yr, 3-yr) over [from, to): terms of commitmentTermMonths from commitmentStart,
 * renewed while the option is used; within a term the committed GPUs are the most needed so far (growth
 * is co-termed with the running term). GPUs committed but no longer needed (a shrink) are billed as
 * commitment-stranded to the end of the term; after an exit at `to` (`exited`), all committed GPUs are,
 * at the term's price. Lines before `split` fall under `phaseBefore`, the others under `phaseAfter`.
 */
function emitCommitment(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, from: number, to: number, exited: boolean, phaseBefore: number, phaseAfter: number, split: number): void {
  const term = option.commitmentTermMonths
  // An estate-driven option bills each workload's own rows (emitEstateLines): its fleet-level commitment is not modelled.
  if (term === 0 || to <= from || option.computeFromEstate) return
  const discount = option.discountSlot === -1 ? 0 : (values[option.discountSlot] as number)
  const perGpuMonth = (values[option.priceSlot] as number) * (1 - discount) * HOURS_PER_MONTH
  let termStart = option.commitmentStart + Math.floor((from - option.commitmentStart) / term) * term
  let committed = 0
  let at = from
  while (at < to) {
    const year = Math.floor(at / 12)
    const termEnd = termStart + term
    const next = Math.min(to, termEnd, (year + 1) * 12)
    const needed = option.units[year] as number
    if (needed > committed) committed = needed
    if (committed > needed) {
      const gpus = committed - needed
      sink.range(CATEGORY.commitmentStranded, at < split ? phaseBefore : phaseAfter, at, next, gpus * perGpuMonth * priceFactor(plan, option, year), gpus * HOURS_PER_MONTH)
    }
    at = next
    if (at >= termEnd) {
      termStart = termEnd
      committed = 0
    }
  }
  if (!exited || committed === 0) return
  const end = Math.min(plan.months, termStart + term)
  while (at < end) {
    const year = Math.floor(at / 12)
    const next = Math.min(end, (year + 1) * 12)
    sink.range(CATEGORY.commitmentStranded, at < split ? phaseBefore : phaseAfter, at, next, committed * perGpuMonth * priceFactor(plan, option, year), committed * HOURS_PER_MONTH)
    at = next
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
  const params = plan.params
  for (const line of option.estateLines) {
    const host = line.host === 'current' ? baseline : option
    for (let year = 0; year < plan.years; year++) {
      const a = line.from > year * 12 ? line.from : year * 12
      const b = line.to < year * 12 + 12 ? line.to : year * 12 + 12
      if (b <= a) continue
      const growth = plan.growth[year] as number
      let spend: number
      if (line.priceSlot !== -1) {
        const gpuHours = Math.ceil(line.gpus * growth - 1e-9) * HOURS_PER_MONTH
        const discount = line.discountSlot === -1 ? 0 : (values[line.discountSlot] as number)
        // The price trend of the GPUs' host: the option's own offer, or today's GPU hosts at the (rented) baseline's.
        const trendOf = line.host === 'option' || host.kind === 'rental' ? host : null
        spend = gpuHours * (values[line.priceSlot] as number) * (1 - discount) * (trendOf === null ? 1 : priceFactor(plan, trendOf, year))
        sink.range(CATEGORY.computeRental, line.phase, a, b, spend, gpuHours)
      } else {
        const input = line.inputMtok * growth
        const output = line.outputMtok * growth
        // A token API on the option's offer follows the option's trend; today's token APIs keep their row's price.
        const trend = line.host === 'option' ? priceFactor(plan, option, year) : 1
        spend = (input * (values[line.inputPriceSlot] as number) + output * (values[line.outputPriceSlot] as number)) * trend
        sink.range(CATEGORY.tokenApi, line.phase, a, b, spend, input + output)
      }
      if (host.applies[12] === 1) sink.range(CATEGORY.c12, line.phase, a, b, spend * (values[params.regionalSurcharge] as number), 1)
      if (host.applies[10] === 1) {
        const until = b < plan.dpfReserveUntilAt ? b : plan.dpfReserveUntilAt
        sink.range(CATEGORY.c10, line.phase, a, until, spend * (values[params.dpfReserveRatePerYear] as number), 1)
      }
    }
  }
}

/** A sink that scales what it passes on (one reused instance: the evaluator allocates nothing per draw). */
class ScaledSink implements CashFlowSink {
  inner: CashFlowSink | null = null
  factor = 1
  range(category: number, phase: number, from: number, to: number, monthlyAmount: number, monthlyQuantity: number): void {
    this.inner?.range(category, phase, from, to, monthlyAmount * this.factor, monthlyQuantity * this.factor)
  }
  once(category: number, phase: number, month: number, amount: number, quantity: number): void {
    this.inner?.once(category, phase, month, amount * this.factor, quantity * this.factor)
  }
}
const STAYING = new ScaledSink()

/** Sums present values only: the Monte Carlo's sink. */
export class PresentValueSink implements CashFlowSink {
  total = 0
  private readonly discount: Float64Array
  private readonly sums: Float64Array
  private readonly months: number
  constructor(plan: ModelPlan) {
    this.discount = plan.discount
    this.sums = plan.discountSums
    this.months = plan.months
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
