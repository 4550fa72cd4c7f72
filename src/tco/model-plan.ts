import type { CatalogRow, SealLevel } from '../io/schema/catalog.js'
import type { TcoOption } from '../io/schema/tco-model.js'
import type { AppliedComponentId, ComplianceParameterName, EntityScope, GateResult } from './compliance-tax.js'
import type { CompiledCorrelations, Driver, DriverVariable } from './drivers.js'
import type { MechanicsPlan } from './finance-mechanics.js'

/**
 * A TCO model compiled once into numbers (compile.ts builds it): prices resolved from the catalog
 * and converted into the model's one currency, each option a flat record of driver slot indices
 * that evaluate.ts turns into cash flows without allocating anything per draw.
 */

/** Where prices, FX rates and commitment discounts come from (the catalog, or inline only). */
export interface PriceSource {
  row(id: string): CatalogRow | undefined
  /** Units of `to` that one unit of `from` buys; a one-line UserError naming `context` when there is no rate. */
  rate(from: string, to: string, context: string): number
  /** The default discount off on-demand for a pricing model, if the catalog gives one. */
  discount(pricingModel: '1-yr' | '3-yr' | 'spot'): { fraction: number; source: string } | undefined
}

export interface RiskPlan {
  fine: string
  probabilitySlot: number
  severitySlot: number
  fixedAmount: number
  shareOfTurnover: number
  smeLower: boolean
}

export interface MigrationPlan {
  startMonth: number
  dualRunningSlot: number
  revalidationSlot: number
  projectSlot: number
  exitFeeSlot: number
  switchingGbSlot: number
  switchingPerGbSlot: number
  /** Months from the start of the model at which an explicit switching date falls; NaN: at cutover. */
  switchingDateAt: number
  switchingDate: string | null
}

/** One option as flat slot indices (−1: absent). The same shape for every kind, so the evaluator's accesses stay monomorphic. */
export interface OptionPlan {
  index: number
  id: string
  name: string
  kind: TcoOption['kind']
  strategy: string | null
  provider: string
  region: string
  jurisdiction: { region: string; parent: string }
  seal: SealLevel
  gpu: string | null
  catalogRow: string | null
  isBaseline: boolean
  gate: GateResult
  components: ReadonlySet<AppliedComponentId>
  /** applies[n] = 1 when component Cn applies (the evaluator's fast form of `components`). */
  applies: Uint8Array
  vendors: number
  risks: RiskPlan[]
  egressGbSlot: number
  egressPerGbSlot: number
  /** Rental and owned: GPUs in the first year. */
  gpusSlot: number
  /** Rental: whole instances; owned: GPUs per node. */
  gpusPerUnit: number
  // rental
  priceSlot: number
  discountSlot: number
  pricingModel: string | null
  /** Rental: the price is on-demand (the FOCUS ListCost is the undiscounted price). */
  priceIsOnDemand: boolean
  /** The currency the price is set in (FOCUS PricingCurrency) and units of the model's currency one unit of it buys; null: no price of its own. */
  pricing: { currency: string; toModel: number } | null
  /** The same for the egress price per GB. */
  egressPricing: { currency: string; toModel: number } | null
  // owned
  capexSlot: number
  networkShareSlot: number
  depreciationYears: number
  supportSlot: number
  kwPerGpuSlot: number
  powerUtilizationSlot: number
  pueSlot: number
  energySlot: number
  colocationSlot: number
  provisionedKwSlot: number
  fteSlot: number
  staffCostSlot: number
  residualValue: boolean
  // token API
  inputPriceSlot: number
  outputPriceSlot: number
  migration: MigrationPlan | null
  /** Per draw: GPUs rented (rental) or nodes installed (owned) in each year. */
  units: Float64Array
  notes: string[]
  // Finance mechanics (finance-mechanics.ts)
  /** Index of the option's price trend in plan.mechanics (−1: constant prices). */
  trend: number
  /** Per model year: the year whose trend index prices it (a commitment keeps its term's price). */
  priceYear: Int32Array
  /** Rental bought 1-yr or 3-yr with commitments modelled: 12 or 36; else 0. */
  commitmentTermMonths: number
  /** Month (from the start, may be negative) at which the commitment's running term began. */
  commitmentStart: number
  /** Months over which the fleet is brought up from the option's start (0: in full from its start). */
  rampMonths: number
  /** Rental: the shared staff rule's GPUs-per-FTE slot (−1: no rule; fteSlot/staffCostSlot: explicit staff). */
  staffGpusPerFteSlot: number
  residualBasis: 'book' | 'resale'
  /** An estate-driven model (src/tco/estate.ts): the compute of each workload, over its own months. */
  estateLines: EstateLine[]
  /** True when the option's rental or token-API compute is its estateLines, not its own fleet (gpus, demand tokens). */
  computeFromEstate: boolean
  /**
   * Estate-driven: the share of today's estate (by monthly cost) this option does not move. That
   * share of the baseline's own running costs (egress, compliance) keeps billing after the option's
   * cutover, under `staying`; 0 otherwise.
   */
  estateStayingShare: number
}

/**
 * One workload's compute on one host over its own months, in an estate-driven model: on today's
 * host (priced from its catalog row) until it leaves, or on the option's offer from when it arrives.
 */
export interface EstateLine {
  workload: string
  catalogRow: string
  /** current: today's host (the baseline's bill); option: the option's own offer. */
  host: 'current' | 'option'
  phase: number
  /** Months [from, to) from the model's start. */
  from: number
  to: number
  /** Rental: GPUs in the first year (whole GPUs each year as demand grows); 0 for a token API. */
  gpus: number
  priceSlot: number
  discountSlot: number
  /** Token API: million tokens a month in the first year. */
  inputMtok: number
  outputMtok: number
  inputPriceSlot: number
  outputPriceSlot: number
}

/** Where the model-level drivers (WACC, demand growth and size, tokens, turnover) sit in a draw's values. */
export interface ModelDriverSlots {
  waccSlot: number
  growthSlot: number
  demandGpusSlot: number
  tokensInputSlot: number
  tokensOutputSlot: number
  turnoverSlot: number
}

export interface ModelPlan extends ModelDriverSlots {
  file: string
  name: string
  description: string | null
  currency: string
  startMonth: string
  startYear: number
  /** 0 = January. */
  startMonthOfYear: number
  months: number
  years: number
  drivers: Driver[]
  /** The uncertain quantities the Monte Carlo draws: shared drivers once per draw. */
  variables: DriverVariable[]
  /** Rank correlations between variables (the model's `correlations`), checked. */
  correlations: CompiledCorrelations
  sme: boolean
  params: Record<ComplianceParameterName, number>
  /** The company's own regulations (AI Act high-risk, DORA, NIS2) and why each applies or not. */
  scope: EntityScope
  /** The model's own compliance.parameters (which figures the model set rather than the data files). */
  complianceOverrides: Readonly<Record<string, unknown>>
  /** Months from the start at which switching charges become prohibited (EU Data Act Art. 29). */
  switchingProhibitedAt: number
  switchingProhibitedFrom: string
  /** Months from the start at which the C10 reserve stops (Infinity while the appeal is pending). */
  dpfReserveUntilAt: number
  baseline: number
  options: OptionPlan[]
  warnings: string[]
  focus: { billingAccountId: string; billingAccountName: string }
  /** Finance mechanics: inflation, price trends, FX, resale, staff rule, tax shield (finance-mechanics.ts). */
  mechanics: MechanicsPlan
  /** Per-draw scratch: discount factors, their running sums, demand growth factor per year. */
  discount: Float64Array
  discountSums: Float64Array
  growth: Float64Array
}

/** Months (fractional) from the model's first month to a date YYYY-MM-DD. */
export function monthsFromStart(startYear: number, startMonthOfYear: number, date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number | undefined]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return (year - startYear) * 12 + (month - 1 - startMonthOfYear) + ((day ?? 1) - 1) / daysInMonth
}

/** The calendar month `index` months after the start, YYYY-MM. */
export function calendarMonth(plan: Pick<ModelPlan, 'startYear' | 'startMonthOfYear'>, index: number): string {
  const total = plan.startYear * 12 + plan.startMonthOfYear + index
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`
}

/** A fractional month index as a calendar date YYYY-MM-DD. */
export function calendarDate(plan: Pick<ModelPlan, 'startYear' | 'startMonthOfYear'>, at: number): string {
  const whole = Math.floor(at)
  const [year, month] = calendarMonth(plan, whole).split('-').map(Number) as [number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const day = 1 + Math.floor((at - whole) * daysInMonth + 1e-9)
  return `${calendarMonth(plan, whole)}-${String(day).padStart(2, '0')}`
}
