import type { TcoOptionResult, TcoResult } from '../io/schema/tco-result.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { complianceSummary } from './compliance-summary.js'
import type { ComplianceData } from './compliance-tax.js'
import { totalsByBasis } from './focus.js'
import { HOURS_PER_MONTH, incrementalIrr, monthlyRate, ownedGpuHourCost, paybackMonth, presentValue } from './finance.js'
import { runMonteCarlo } from './monte-carlo.js'
import { emitOption, prepareDraw, switchingCharged } from './evaluate.js'
import { type DeterministicCashFlows, MonthlySink } from './sinks.js'
import { CATEGORY_COUNT, COST_CATEGORIES, PHASE, PHASES } from './cost-categories.js'
import { type ModelPlan, type OptionPlan, calendarDate, calendarMonth } from './model-plan.js'
import { runTornado } from './tornado.js'

/**
 * `geopat tco`'s computation on a compiled model: the deterministic cash flows of every option
 * (NPV at WACC, IRR and payback of the move against the baseline, $/GPU-hour of owned servers),
 * the Monte Carlo's P10/P50/P90 and the tornado. Pure: no files, no catalog, no clock.
 */

/** How the Monte Carlo's quantiles are read (tco.json's basis.headline, after the number of draws). */
const MONTE_CARLO_HEADLINE =
  'P50 with P10-P90 (options[].monteCarlo); savings and payback computed per draw against the baseline in the same draw, ' +
  'so their quantiles are of the difference, not differences of quantiles'

const CONVENTIONS =
  'monthly cash flows from the start month; month m discounted by (1 + r)^-m, r = (1 + WACC)^(1/12) - 1 (numpy-financial npv at the monthly rate); ' +
  'costs positive, savings = baseline cost - option cost; IRR of the monthly savings, annualized (1 + irr)^12 - 1; demand grows at each anniversary of the ' +
  'start month; ' +
  `${HOURS_PER_MONTH} hours per month; the baseline keeps running (and billing) until an option's cutover (start month + dual-running months)`

export interface TcoRun {
  result: TcoResult
  /** Per option (plan order): its monthly cash flows, or null when excluded by the gate. */
  cashFlows: Array<DeterministicCashFlows | null>
}

export function runTco(plan: ModelPlan, compliance: ComplianceData, options: { draws: number; seed: number }): TcoRun {
  const central = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const derivedSlots = new Set(Array.from(plan.mechanics.fxDerived).filter((_, k) => k % 3 === 0))
  const wacc = central[plan.waccSlot] as number
  prepareDraw(plan, central)

  const cashFlows = plan.options.map((option): DeterministicCashFlows | null => {
    if (!option.isBaseline && !option.gate.feasible) return null
    const sink = new MonthlySink(plan.months)
    emitOption(plan, option, central, sink)
    return { option, sink, totals: sink.totals() }
  })
  const baselineFlows = cashFlows[plan.baseline] as DeterministicCashFlows
  const optionResults: TcoOptionResult[] = plan.options.map((option, index) =>
    describeOption(plan, option, cashFlows[index] ?? null, baselineFlows, central, wacc),
  )

  const tornado = runTornado(plan)
  const monteCarlo = runMonteCarlo(plan, options)
  optionResults.forEach((result, index) => {
    const npvCost = monteCarlo.npvCost[index]
    result.monteCarlo = npvCost ? { npvCost, savings: monteCarlo.savings[index] ?? null, paybackMonth: monteCarlo.payback[index] ?? null } : null
  })

  const result: TcoResult = {
    kind: 'geopat-tco',
    geopatVersion: GEOPAT_VERSION,
    model: {
      file: plan.file,
      name: plan.name,
      description: plan.description,
      currency: plan.currency,
      startMonth: plan.startMonth,
      horizonYears: plan.years,
      baseline: (plan.options[plan.baseline] as OptionPlan).id,
      conventions: CONVENTIONS,
    },
    monteCarlo: {
      draws: monteCarlo.draws,
      seed: monteCarlo.seed,
      uncertainDrivers: monteCarlo.uncertainDrivers,
      method:
        'own seeded stream per uncertain driver (xoroshiro128+ seeded from the run seed and the driver name); triangular and PERT by inverse CDF, lognormal ' +
        'by Box-Muller; ' +
        'drivers that share a key drawn once per draw (one uniform from the key stream, each at its own quantile); ' +
        'rank correlations by Iman-Conover (van der Waerden scores, Cholesky); ' +
        'savings and payback per draw (option vs baseline in the same draw); quantiles by linear interpolation (numpy default), payback months by nearest rank',
      sharedDrivers: plan.variables
        .filter((variable) => variable.shared)
        .map((variable) => ({ key: variable.name, drivers: variable.slots.map((slot) => (plan.drivers[slot] as (typeof plan.drivers)[number]).name) })),
      correlations: correlationPairs(plan),
    },
    basis: {
      headline: `Monte Carlo over ${monteCarlo.draws.toLocaleString('en-US')} draws: ${MONTE_CARLO_HEADLINE}`,
      deterministic:
        'deterministic (inputs at their modes, or medians for lognormals): options[].deterministic, options[].savings (NPV, IRR, payback), the tornado ' +
        'centre, cashflows.csv and focus.csv; not a quantile of the Monte Carlo and not paired with one',
    },
    options: optionResults,
    tornado,
    // An amount at the drawn FX rate (`NAME@fx`) is no driver of its own: NAME and the FX driver are listed (a fixed value here would hide the FX spread).
    drivers: plan.drivers
      .filter((_, slot) => !derivedSlots.has(slot))
      .map((driver) => ({
        name: driver.name,
        distribution: driver.distribution.describe(),
        central: driver.distribution.central,
        p10: driver.distribution.quantile(0.1),
        p90: driver.distribution.quantile(0.9),
        origin: driver.origin,
        shared: driver.shared,
      })),
    compliance: {
      componentsFile: compliance.componentsFile,
      finesFile: compliance.finesFile,
      components: compliance.components.components.map((component) => ({
        id: component.id,
        title: component.title,
        appliesTo: component.appliesTo,
        formula: component.formula,
      })),
      switchingChargesProhibitedFrom: plan.switchingProhibitedFrom,
      ...complianceSummary(plan, compliance, plan.complianceOverrides),
    },
    warnings: [...plan.warnings],
    files: null,
  }
  return { result, cashFlows }
}

/** The model's correlations as asked, by variable name (the checked matrix's upper triangle, pairs that are not 0). */
function correlationPairs(plan: ModelPlan): Array<{ between: [string, string]; rank: number }> {
  const { variables, matrix } = plan.correlations
  const pairs: Array<{ between: [string, string]; rank: number }> = []
  for (let i = 0; i < variables.length; i++) {
    for (let j = i + 1; j < variables.length; j++) {
      const rank = (matrix[i] as number[])[j] as number
      if (rank !== 0)
        pairs.push({ between: [plan.variables[variables[i] as number]?.name as string, plan.variables[variables[j] as number]?.name as string], rank })
    }
  }
  return pairs
}

function describeOption(
  plan: ModelPlan,
  option: OptionPlan,
  flows: DeterministicCashFlows | null,
  baseline: DeterministicCashFlows,
  central: Float64Array,
  wacc: number,
): TcoOptionResult {
  const result: TcoOptionResult = {
    id: option.id,
    name: option.name,
    kind: option.kind,
    strategy: option.strategy,
    provider: option.provider,
    region: option.region,
    jurisdiction: option.jurisdiction,
    seal: option.seal,
    catalogRow: option.catalogRow,
    gpu: option.gpu,
    baseline: option.isBaseline,
    feasible: option.gate.feasible,
    excludedReason: option.gate.reason,
    requiredSeal: option.gate.requiredSeal,
    complianceComponents: [...option.components].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    deterministic: null,
    savings: null,
    monteCarlo: null,
    perGpuHour: null,
    switching: null,
    notes: [...option.notes],
  }
  if (flows === null) return result
  const { sink, totals } = flows
  const costByYear: number[] = []
  for (let year = 0; year < plan.years; year++) {
    let sum = 0
    for (let month = year * 12; month < year * 12 + 12; month++) sum += totals[month] as number
    costByYear.push(sum)
  }
  result.deterministic = {
    npvCost: presentValue(wacc, totals),
    totalCost: costByYear.reduce((a, b) => a + b, 0),
    costByYear,
    presentValueByCategory: presentValueByCategory(plan, sink),
    byBasis: totalsByBasis(plan, sink),
  }
  if (!option.isBaseline) {
    const savings = new Float64Array(plan.months)
    for (let month = 0; month < plan.months; month++) savings[month] = (baseline.totals[month] as number) - (totals[month] as number)
    const irr = incrementalIrr(savings)
    const payback = paybackMonth(savings)
    result.savings = {
      npv: presentValue(wacc, savings),
      irrAnnual: irr.annual,
      irrNote: irr.note,
      paybackMonth: payback,
      paybackCalendarMonth: payback === null ? null : calendarMonth(plan, Math.min(payback, plan.months - 1)),
      discountedPaybackMonth: paybackMonth(savings, monthlyRate(wacc)),
    }
    const switching = switchingCharged(plan, option, central)
    if (switching) {
      const date = calendarDate(plan, switching.at)
      result.switching = {
        date,
        charged: switching.charged,
        note: switching.charged
          ? `switching charges fall due on ${date}, before ${plan.switchingProhibitedFrom}: allowed at cost only (EU Data Act Art. 29)`
          : `switching on ${date} is on or after ${plan.switchingProhibitedFrom}: switching charges are prohibited (EU Data Act Art. 29) and counted as 0`,
      }
      result.notes.push(result.switching.note)
    }
  }
  if (option.kind === 'owned') result.perGpuHour = ownedPerGpuHour(option, central, wacc)
  return result
}

function presentValueByCategory(plan: ModelPlan, sink: MonthlySink): Record<string, number> {
  const byCategory: Record<string, number> = {}
  const discount = plan.discount
  for (let phase = 0; phase < PHASES.length; phase++) {
    for (let category = 0; category < CATEGORY_COUNT; category++) {
      let pv = 0
      let any = false
      for (let month = 0; month < plan.months; month++) {
        const amount = sink.amount(phase, category, month)
        if (amount !== 0) any = true
        pv += amount * (discount[month] as number)
      }
      if (any)
        byCategory[
          phase === PHASE.own
            ? (COST_CATEGORIES[category] as (typeof COST_CATEGORIES)[number]).id
            : `${PHASES[phase]}:${(COST_CATEGORIES[category] as (typeof COST_CATEGORIES)[number]).id}`
        ] = pv
    }
  }
  return byCategory
}

function ownedPerGpuHour(option: OptionPlan, values: Float64Array, wacc: number): NonNullable<TcoOptionResult['perGpuHour']> {
  const at = (slot: number): number => (slot === -1 ? 0 : (values[slot] as number))
  const firstYear = option.migration ? Math.floor(option.migration.startMonth / 12) : 0
  const gpus = (option.units[firstYear] as number) * option.gpusPerUnit
  const cost = ownedGpuHourCost({
    serverCapex: at(option.capexSlot),
    gpusPerNode: option.gpusPerUnit,
    networkStorageShare: at(option.networkShareSlot),
    supportPerYear: at(option.supportSlot),
    years: option.depreciationYears,
    wacc,
    powerKwPerGpu: at(option.kwPerGpuSlot),
    powerUtilization: at(option.powerUtilizationSlot),
    pue: at(option.pueSlot),
    energyPerKWh: at(option.energySlot),
    colocationPerKwMonth: at(option.colocationSlot),
    provisionedKwPerGpu: at(option.provisionedKwSlot),
    staffCostPerYear: at(option.fteSlot) * at(option.staffCostSlot),
    staffGpus: gpus,
  })
  return {
    ...cost,
    method:
      `at 100% allocation (8,760 h a year per GPU): capex × (1 + network/storage share) annualized with the capital recovery factor at WACC ${wacc} ` +
      `over ${option.depreciationYears} years, plus support, power (kW per GPU × utilization × PUE × price per kWh) and colocation per GPU; staff spread ` +
      `over the ${gpus} GPUs installed in the first year of the move`,
  }
}
