import { CATEGORY, PHASE } from './cost-categories.js'
import type { OptionDraw } from './evaluate-lines.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'
import type { CashFlowSink } from './sinks.js'

/** The compliance tax's cost lines (C1–C17): the company's own obligations, the recurring work and the one-offs of a move. */

/**
 * The company's own obligations (C15 AI Act high-risk, C16 DORA's TLPT, C17 NIS2), the same
 * whatever hosts the workloads: over the whole horizon once per option (never twice while two
 * providers run side by side), so they count in each option's total and cancel in the savings.
 */
export function emitEntityCosts(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink): void {
  const params = plan.params
  const months = plan.months
  const applies = option.applies
  if (applies[15] === 1) {
    const systems = values[params.highRiskSystems] as number
    sink.once(CATEGORY.c15, PHASE.own, 0, values[params.aiActQmsSetupCost] as number, 0)
    sink.range(
      CATEGORY.c15,
      PHASE.own,
      0,
      months,
      (systems * (values[params.highRiskCostPerSystemPerYear] as number) + (values[params.aiActQmsCostPerYear] as number)) / 12,
      1,
    )
  }
  if (applies[16] === 1 && plan.scope.tlpt) {
    const interval = Math.max(1, values[params.doraTlptIntervalYears] as number) * 12
    for (let at = 0; at < months; at += interval) sink.once(CATEGORY.c16, PHASE.own, Math.floor(at), values[params.doraTlptCost] as number, 0)
  }
  if (applies[17] === 1) sink.range(CATEGORY.c17, PHASE.own, 0, months, (values[params.nis2CostPerYear] as number) / 12, 1)
}

/**
 * The compliance work that follows the year only through staff inflation (C1, C3, C7, C8, DORA's
 * register and exit plan: one line per model year) and that which is the same every year (C5, C6,
 * C9: one line over [from, to)).
 */
export function emitSteadyCompliance(draw: OptionDraw, from: number, to: number, phase: number): void {
  const { plan, option, values, sink } = draw
  const params = plan.params
  const applies = option.applies
  // Staff time (C1, C3, C7, C8, DORA's register and exit plan) moves with staff inflation: one line per model year.
  for (let year = 0; year < plan.years; year++) {
    const a = from > year * 12 ? from : year * 12
    const b = to < year * 12 + 12 ? to : year * 12 + 12
    if (b <= a) continue
    emitStaffComplianceYear(draw, phase, year, a, b)
  }
  // The same every year: one line over [from, to).
  if (applies[5] === 1) sink.range(CATEGORY.c5, phase, from, to, values[params.redactionQualityLossPerMonth] as number, 1)
  if (applies[6] === 1) {
    const gb = values[params.auditLogGBPerMonth] as number
    const perGb =
      (values[params.auditLogIngestPerGB] as number) + (values[params.auditLogStoragePerGBMonth] as number) * (values[params.auditLogRetentionMonths] as number)
    sink.range(CATEGORY.c6, phase, from, to, gb * perGb, gb)
  }
  if (option.risks.length > 0) sink.range(CATEGORY.c9, phase, from, to, expectedRegulatoryLossPerYear(plan, option, values) / 12, 1)
}

/** The staff-time compliance lines of one model year's part [a, b), at that year's staff inflation. */
function emitStaffComplianceYear(draw: OptionDraw, phase: number, year: number, a: number, b: number): void {
  const { plan, option, values, sink } = draw
  const params = plan.params
  const applies = option.applies
  const index = plan.mechanics.staffIndex[year] as number
  const hourlyRate = (values[params.hourlyRate] as number) * index
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
    const hours =
      (option.vendors * ((values[params.doraRegisterHoursPerProviderYear] as number) + (values[params.doraExitPlanHoursPerProviderYear] as number))) / 12
    sink.range(CATEGORY.c16, phase, a, b, hours * hourlyRate, hours)
  }
}

/** C9: the option's expected regulatory loss a year, each risk's probability × its fine, capped by the fine's ceiling. */
function expectedRegulatoryLossPerYear(plan: ModelPlan, option: OptionPlan, values: Float64Array): number {
  const turnover = values[plan.turnoverSlot] as number
  let expectedLoss = 0
  for (const risk of option.risks) {
    const share = risk.shareOfTurnover * turnover
    const cap = plan.sme && risk.smeLower ? Math.min(risk.fixedAmount, share) : Math.max(risk.fixedAmount, share)
    const fine = (values[risk.severitySlot] as number) * turnover
    expectedLoss += (values[risk.probabilitySlot] as number) * (fine < cap ? fine : cap)
  }
  return expectedLoss
}

/**
 * The compliance one-offs when a move starts: C2 DPIA, C3 new-vendor contracting, C16 DORA's
 * contracts. Compliance hours are own staff time: the hourly rate follows staff inflation like operations staff.
 */
export function emitMoveCompliance(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, start: number): void {
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
}
