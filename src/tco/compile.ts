import type { CatalogRow, SealLevel } from '../io/schema/catalog.js'
import type { ComplianceComponentId, TcoModel, TcoOption, UncertainNumber } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import {
  type AppliedComponentId,
  COMPLIANCE_PARAMETERS,
  type ComplianceData,
  type ComplianceParameterName,
  type EntityScope,
  type GateResult,
  applicableComponents,
  entityScope,
  estateParameter,
  sealGate,
} from './compliance-tax.js'
import { choleskyFactor, normalScoreCorrelation } from './correlation.js'
import { type Distribution, makeDistribution } from './distributions.js'
import { saleUnitOf } from '../pricing/sale-unit.js'
import { describeConfirmation } from '../pricing/provenance.js'
import {
  type FinanceMechanics,
  type MechanicsPlan,
  type MoneyScale,
  BUILT_IN_FINANCE_FILE,
  compileModelMechanics,
  fxOrigin,
  fxVolatility,
  loadFinanceMechanics,
  optionTrend,
  priceYears,
} from './finance-mechanics.js'

/**
 * A TCO model compiled once into numbers: every numeric driver becomes a slot of one Float64Array
 * (its deterministic value, or a Monte Carlo draw), prices are resolved from the catalog and
 * converted into the model's one currency, and each option becomes a flat record of slot indices
 * that evaluate.ts turns into cash flows without allocating anything per draw.
 */

// ---------------------------------------------------------------------------------------------
// Cost categories: one list for cashflows.csv, the FOCUS export and the present values by category.

export interface CostCategory {
  id: string
  /** FOCUS ChargeCategory. */
  chargeCategory: 'Usage' | 'Purchase' | 'Credit' | 'Adjustment'
  /** FOCUS ServiceCategory (an allowed value). */
  serviceCategory: string
  /** FOCUS PricingUnit of the quantity recorded with the amount. */
  pricingUnit: string
  /**
   * Who is paid: a provider's bill or the organisation's own staff time (both billed cash: the FOCUS
   * export carries them); an expected loss (`risk`: probability × impact), a business-cost estimate
   * (`estimate`) or a valuation (not cash): none of these is billed, the FOCUS export leaves them out.
   */
  basis: 'provider' | 'internal' | 'risk' | 'estimate' | 'valuation'
  description: string
}

export const COST_CATEGORIES: readonly CostCategory[] = [
  { id: 'compute-rental', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'Hours', basis: 'provider', description: 'GPU rental, GPU-hours' },
  { id: 'token-api', chargeCategory: 'Usage', serviceCategory: 'AI and Machine Learning', pricingUnit: '1000000 Tokens', basis: 'provider', description: 'token API, input and output tokens' },
  { id: 'capex-server', chargeCategory: 'Purchase', serviceCategory: 'Compute', pricingUnit: 'Units', basis: 'provider', description: 'servers bought (nodes)' },
  { id: 'capex-network-storage', chargeCategory: 'Purchase', serviceCategory: 'Networking', pricingUnit: 'Units', basis: 'provider', description: 'network and storage share of server capex' },
  { id: 'support', chargeCategory: 'Purchase', serviceCategory: 'Compute', pricingUnit: 'Months', basis: 'provider', description: 'hardware support contracts' },
  { id: 'power', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'kWh', basis: 'provider', description: 'energy at the meter (IT load × PUE)' },
  { id: 'colocation', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'kW-Months', basis: 'provider', description: 'colocation per provisioned kW' },
  { id: 'staff', chargeCategory: 'Usage', serviceCategory: 'Other', pricingUnit: 'FTE-Months', basis: 'internal', description: 'operations staff' },
  { id: 'egress', chargeCategory: 'Usage', serviceCategory: 'Networking', pricingUnit: 'GB', basis: 'provider', description: 'data egress' },
  { id: 'switching', chargeCategory: 'Usage', serviceCategory: 'Migration', pricingUnit: 'GB', basis: 'provider', description: 'C13 switching charges (exit fee, data copied out)' },
  { id: 'revalidation', chargeCategory: 'Purchase', serviceCategory: 'Migration', pricingUnit: 'Units', basis: 'internal', description: 'C14 re-validation of the new setup' },
  { id: 'migration-project', chargeCategory: 'Purchase', serviceCategory: 'Migration', pricingUnit: 'Units', basis: 'internal', description: 'engineering of the move' },
  { id: 'residual-value', chargeCategory: 'Credit', serviceCategory: 'Compute', pricingUnit: 'Units', basis: 'valuation', description: 'servers at the horizon: undepreciated book value, or resale value by age with finance mechanics (credit)' },
  { id: 'C1-transfer-impact-assessment', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C1 transfer impact assessments' },
  { id: 'C2-dpia-ai-act', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'internal', description: 'C2 DPIA; AI Act high-risk obligations' },
  { id: 'C3-contracting', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C3 SCC/DPA contracting, vendor due diligence' },
  { id: 'C4-redaction', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: '1000000 Tokens', basis: 'provider', description: 'C4 prompt redaction' },
  { id: 'C5-redaction-quality', chargeCategory: 'Adjustment', serviceCategory: 'Other', pricingUnit: 'Months', basis: 'estimate', description: 'C5 redaction quality loss (a business-cost estimate)' },
  { id: 'C6-audit-logs', chargeCategory: 'Usage', serviceCategory: 'Management and Governance', pricingUnit: 'GB', basis: 'provider', description: 'C6 audit-log ingest and retention' },
  { id: 'C7-compliance-staff', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'FTE-Months', basis: 'internal', description: 'C7 DPO / compliance staff share' },
  { id: 'C8-vendor-assurance', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C8 vendor assurance, DORA exit tests' },
  { id: 'C9-expected-regulatory-loss', chargeCategory: 'Adjustment', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'risk', description: 'C9 expected regulatory loss (probability × capped fine)' },
  { id: 'C10-dpf-reserve', chargeCategory: 'Adjustment', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'risk', description: 'C10 expected loss from a DPF invalidation (rate × spend with the provider)' },
  { id: 'C12-regional-surcharge', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'Months', basis: 'provider', description: 'C12 regional-processing surcharge' },
  { id: 'C15-ai-act-high-risk', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'internal', description: 'C15 AI Act high-risk obligations (QMS, conformity, documentation, monitoring)' },
  { id: 'C16-dora-ict-third-party', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C16 DORA ICT third-party risk (register, Art. 30 contracts, exit plans, TLPT)' },
  { id: 'C17-nis2', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'internal', description: 'C17 NIS2 cybersecurity risk-management measures' },
  // Finance mechanics (data/finance/mechanics.yaml).
  { id: 'commitment-stranded', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'Hours', basis: 'provider', description: 'committed GPU-hours billed but not used (a ramp, a shrink, or after an exit until the 1-/3-year term ends)' },
  { id: 'resale-proceeds', chargeCategory: 'Credit', serviceCategory: 'Compute', pricingUnit: 'Units', basis: 'valuation', description: 'servers sold at their resale value when replaced inside the horizon (credit; not billed)' },
  { id: 'tax-shield', chargeCategory: 'Credit', serviceCategory: 'Other', pricingUnit: 'Months', basis: 'valuation', description: 'tax saved on the straight-line depreciation of owned servers (credit; not billed)' },
]

/** Billed cash (a provider's invoice or own staff time): what the FOCUS export carries and the TCO's billed total sums. */
export function isBilled(category: Pick<CostCategory, 'basis'>): boolean {
  return category.basis === 'provider' || category.basis === 'internal'
}

function categoryIndex(id: string): number {
  const index = COST_CATEGORIES.findIndex((category) => category.id === id)
  if (index === -1) throw new Error(`no cost category ${id}`)
  return index
}

/** Indices into COST_CATEGORIES by id (never written as numbers: a category added anywhere in the list cannot shift another's), for the evaluator's hot loop. */
export const CATEGORY = {
  computeRental: categoryIndex('compute-rental'),
  tokenApi: categoryIndex('token-api'),
  capexServer: categoryIndex('capex-server'),
  capexNetworkStorage: categoryIndex('capex-network-storage'),
  support: categoryIndex('support'),
  power: categoryIndex('power'),
  colocation: categoryIndex('colocation'),
  staff: categoryIndex('staff'),
  egress: categoryIndex('egress'),
  switching: categoryIndex('switching'),
  revalidation: categoryIndex('revalidation'),
  migrationProject: categoryIndex('migration-project'),
  residualValue: categoryIndex('residual-value'),
  c1: categoryIndex('C1-transfer-impact-assessment'),
  c2: categoryIndex('C2-dpia-ai-act'),
  c3: categoryIndex('C3-contracting'),
  c4: categoryIndex('C4-redaction'),
  c5: categoryIndex('C5-redaction-quality'),
  c6: categoryIndex('C6-audit-logs'),
  c7: categoryIndex('C7-compliance-staff'),
  c8: categoryIndex('C8-vendor-assurance'),
  c9: categoryIndex('C9-expected-regulatory-loss'),
  c10: categoryIndex('C10-dpf-reserve'),
  c12: categoryIndex('C12-regional-surcharge'),
  c15: categoryIndex('C15-ai-act-high-risk'),
  c16: categoryIndex('C16-dora-ict-third-party'),
  c17: categoryIndex('C17-nis2'),
  commitmentStranded: categoryIndex('commitment-stranded'),
  resaleProceeds: categoryIndex('resale-proceeds'),
  taxShield: categoryIndex('tax-shield'),
} as const
export const CATEGORY_COUNT = COST_CATEGORIES.length

/** Whose cost a line is inside an option's cash flows: the option's own, or the baseline's before the move or while both run. */
export const PHASES = ['own', 'before-move', 'dual-running', 'staying'] as const
/** staying: an estate's workloads that this option does not move, still on today's hosts (src/tco/estate.ts). */
export const PHASE = { own: PHASES.indexOf('own'), beforeMove: PHASES.indexOf('before-move'), dualRunning: PHASES.indexOf('dual-running'), staying: PHASES.indexOf('staying') } as const

// ---------------------------------------------------------------------------------------------
// Drivers

export interface Driver {
  /** Path-like name, unique: `options.eu-cloud.price.perGpuHour`, `compliance.hourlyRate`. */
  name: string
  distribution: Distribution
  /** Where the value comes from (the model, a catalog row, the compliance data's source). */
  origin: string
  /** The shared key this driver is one reading of (`sizing.eu-regional.gpus`), or null: drawn on its own. */
  shared: string | null
}

/**
 * One uncertain quantity of the Monte Carlo: a driver on its own, or every driver that names the
 * same shared key (drawn once per draw: each member at the same quantile of its own distribution,
 * so members with the same distribution take the same value). The tornado moves it as one bar.
 */
export interface DriverVariable {
  /** The shared key, or the driver's name. */
  name: string
  /** Slots of its drivers (one unless shared). */
  slots: number[]
  shared: boolean
}

/** Rank correlations between variables, checked: `matrix` is K × K over `variables` (indices into ModelPlan.variables). */
export interface CompiledCorrelations {
  variables: number[]
  matrix: number[][]
}

/** Builds the driver slots of a compiled model. */
export class DriverTable {
  readonly drivers: Driver[] = []
  /** [derived, raw, fx] slot triples: the derived slot holds raw × the FX draw, refilled per draw (finance-mechanics.ts prepareMechanics). */
  readonly fxDerived: number[] = []
  private readonly byName = new Map<string, number>()
  /**
   * A driver in the next slot. `shared` (or the spec's own `shared: KEY`) makes it one reading of a
   * quantity other drivers share: a sizing's GPU count, an FX rate, a price trend.
   */
  add(name: string, spec: UncertainNumber, origin: string, scale: number | MoneyScale = 1, shared?: string): number {
    if (this.byName.has(name)) throw new Error(`driver ${name} registered twice`)
    const factor = typeof scale === 'number' ? scale : scale.factor
    const key = shared ?? (typeof spec === 'object' ? spec.shared : undefined) ?? null
    this.drivers.push({ name, distribution: makeDistribution(spec, factor), origin, shared: key })
    this.byName.set(name, this.drivers.length - 1)
    const raw = this.drivers.length - 1
    if (typeof scale === 'number' || scale.fxSlot === -1) return raw
    // The amount at the drawn FX rate: what the cost rules read. Its listed value is the one at the dated rate (the FX median).
    const fxName = (this.drivers[scale.fxSlot] as Driver).name
    const rawDriver = this.drivers[raw] as Driver
    rawDriver.origin = `${rawDriver.origin}; converted at the dated rate, × ${fxName} in each draw`
    const derived = this.add(`${name}@fx`, rawDriver.distribution.central, `${name} × ${fxName} (filled per draw)`)
    this.fxDerived.push(derived, raw, scale.fxSlot)
    return derived
  }
}

/** The uncertain quantities of a driver table: shared drivers grouped under their key, the others one each, in slot order. */
export function driverVariables(drivers: readonly Driver[]): DriverVariable[] {
  const variables: DriverVariable[] = []
  const byKey = new Map<string, DriverVariable>()
  drivers.forEach((driver, slot) => {
    if (!driver.distribution.uncertain) return
    if (driver.shared === null) {
      variables.push({ name: driver.name, slots: [slot], shared: false })
      return
    }
    const existing = byKey.get(driver.shared)
    if (existing) {
      existing.slots.push(slot)
      return
    }
    const variable = { name: driver.shared, slots: [slot], shared: true }
    byKey.set(driver.shared, variable)
    variables.push(variable)
  })
  return variables
}

/**
 * The model's `correlations` against its variables: each name an uncertain driver or a shared key,
 * each pair once, the matrix positive definite. One UserError line naming the file, field and rule.
 */
export function compileCorrelations(correlations: TcoModel['correlations'], variables: readonly DriverVariable[], drivers: readonly Driver[], file: string): CompiledCorrelations {
  if (correlations.length === 0) return { variables: [], matrix: [] }
  const byName = new Map<string, number>()
  // A shared driver is named by its key only: its own name would correlate one reading of one quantity.
  variables.forEach((variable, index) => {
    byName.set(variable.name, index)
  })
  const fail = (path: string, rule: string): never => {
    throw new UserError(`${file}: ${path}: ${rule}`)
  }
  const resolve = (name: string, path: string): number => {
    const index = byName.get(name)
    if (index !== undefined) return index
    const driver = drivers.find((d) => d.name === name)
    if (driver && driver.shared !== null) return fail(path, `${name} is shared as ${driver.shared}: name the shared key`)
    if (driver) return fail(path, `${name} is a fixed number: only an uncertain driver can be correlated`)
    const known = variables.map((variable) => variable.name)
    return fail(path, `no uncertain driver or shared key ${name} (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? `, … ${known.length - 12} more (tco.json's drivers)` : ''})`)
  }
  const involved: number[] = []
  const pairs = correlations.map((pair, k) => {
    const a = resolve(pair.between[0], `correlations.${k}.between.0`)
    const b = resolve(pair.between[1], `correlations.${k}.between.1`)
    if (a === b) fail(`correlations.${k}.between`, `${pair.between[0]} and ${pair.between[1]} are one quantity (the same shared key)`)
    for (const index of [a, b]) if (!involved.includes(index)) involved.push(index)
    return { a, b, rank: pair.rank, k }
  })
  involved.sort((x, y) => x - y)
  const position = new Map(involved.map((variable, i) => [variable, i]))
  const matrix = involved.map((_, i) => involved.map((__, j) => (i === j ? 1 : 0)))
  const given = new Map<string, number>()
  for (const { a, b, rank, k } of pairs) {
    const i = position.get(a) as number
    const j = position.get(b) as number
    const key = i < j ? `${i},${j}` : `${j},${i}`
    const earlier = given.get(key)
    if (earlier !== undefined) fail(`correlations.${k}`, `the pair ${correlations[k]?.between.join(' – ')} is given twice (also correlations.${earlier}): give each pair once`)
    given.set(key, k)
    ;(matrix[i] as number[])[j] = rank
    ;(matrix[j] as number[])[i] = rank
  }
  if (choleskyFactor(matrix) === null || choleskyFactor(matrix.map((row, i) => row.map((value, j) => (i === j ? 1 : normalScoreCorrelation(value))))) === null) {
    fail('correlations', `the rank correlations among ${involved.map((index) => variables[index]?.name).join(', ')} are not positive definite (no set of inputs can have them all): weaken the strongest or the contradictory pairs`)
  }
  return { variables: involved, matrix }
}

// ---------------------------------------------------------------------------------------------
// The compiled model

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

export interface ModelPlan {
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
  waccSlot: number
  growthSlot: number
  demandGpusSlot: number
  tokensInputSlot: number
  tokensOutputSlot: number
  turnoverSlot: number
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

export function compileModel(model: TcoModel, file: string, compliance: ComplianceData, prices: PriceSource, financeFile?: FinanceMechanics): ModelPlan {
  const drivers = new DriverTable()
  const [startYear, startMonth] = model.startMonth.split('-').map(Number) as [number, number]
  const startMonthOfYear = startMonth - 1
  const months = model.horizonYears * 12
  const years = model.horizonYears
  const currency = model.currency
  const fail = (path: string, rule: string): never => {
    throw new UserError(`${file}: ${path}: ${rule}`)
  }
  const convert = (from: string | undefined, path: string): number => (from === undefined || from === currency ? 1 : prices.rate(from, currency, `${file}: ${path}`))

  // Finance mechanics: the data file when the model has a finance block (or an option asks for resale values).
  const needsFinance = model.finance !== undefined || model.options.some((option) => option.kind === 'owned' && option.residualBasis === 'resale')
  const finance = needsFinance ? (financeFile ?? loadFinanceMechanics(model.finance?.file ?? BUILT_IN_FINANCE_FILE)) : null
  const add = (name: string, spec: UncertainNumber, origin: string, scale: number | MoneyScale = 1): number => drivers.add(name, spec, origin, scale)
  const mechanicsWarnings: string[] = []
  const fxSlots = new Map<string, number>()
  /** One FX driver per foreign currency, shared by every amount converted from it (finance mechanics, fxUncertainty). */
  const fxSlotFor = (from: string): number => {
    if (finance === null || model.finance === undefined || !model.finance.fxUncertainty) return -1
    const known = fxSlots.get(from)
    if (known !== undefined) return known
    const volatility = fxVolatility(finance, from, currency)
    let slot = -1
    if (volatility === undefined) mechanicsWarnings.push(`no FX volatility for ${from}/${currency} in ${finance.file}: amounts in ${from} convert at the dated rate, without uncertainty`)
    else if (volatility.perYear > 0) slot = drivers.add(`fx.${from}/${currency}`, { lognormal: { median: 1, sigma: volatility.perYear * Math.sqrt(years / 3) } }, fxOrigin(finance, volatility, years))
    fxSlots.set(from, slot)
    return slot
  }
  /** The scale of a money driver in `from`: the dated rate, times the shared FX driver's draw. */
  const money = (from: string | undefined, path: string): MoneyScale => {
    const factor = convert(from, path)
    return { factor, fxSlot: from === undefined || from === currency ? -1 : fxSlotFor(from) }
  }
  const mechanics = compileModelMechanics(model, years, finance, add, (from) => money(from, `${finance?.file ?? 'finance'}: rentedFleetStaff.currency`), fail)

  const fromModel = 'model'
  const waccSlot = drivers.add('wacc', model.wacc, fromModel)
  const growthSlot = drivers.add('demand.growthPerYear', model.demand.growthPerYear, fromModel)
  const demandGpusSlot = model.demand.gpus !== undefined ? drivers.add('demand.gpus', model.demand.gpus, fromModel) : -1
  const tokensInputSlot = model.demand.tokensPerMonth ? drivers.add('demand.tokensPerMonth.input', model.demand.tokensPerMonth.input, fromModel) : -1
  const tokensOutputSlot = model.demand.tokensPerMonth ? drivers.add('demand.tokensPerMonth.output', model.demand.tokensPerMonth.output, fromModel) : -1
  const turnoverSlot = model.company ? drivers.add('company.annualTurnover', model.company.annualTurnover, fromModel) : -1

  // Compliance parameters: the model's overrides (in its currency) or the data file's defaults (converted).
  const known = new Set<string>(COMPLIANCE_PARAMETERS)
  for (const name of Object.keys(model.compliance.parameters)) {
    if (!known.has(name)) fail(`compliance.parameters.${name}`, `unknown parameter (known: ${COMPLIANCE_PARAMETERS.join(', ')})`)
  }
  const params = {} as Record<ComplianceParameterName, number>
  for (const name of COMPLIANCE_PARAMETERS) {
    const override = model.compliance.parameters[name]
    const defaults = compliance.components.parameters[name]
    if (defaults === undefined) throw new UserError(`${compliance.componentsFile}: parameters.${name}: is required`)
    const fromEstate = compliance.estate === undefined ? undefined : estateParameter(compliance.estate, name)
    params[name] =
      override !== undefined
        ? drivers.add(`compliance.${name}`, override, fromModel)
        : fromEstate !== undefined
          ? drivers.add(`compliance.${name}`, fromEstate.value, fromEstate.origin)
          : drivers.add(`compliance.${name}`, defaults.value, `${compliance.componentsFile} (${defaults.confidence}): ${defaults.source}`, money(defaults.currency, `compliance parameter ${name}`))
  }
  const centralOf = (slot: number): number => (drivers.drivers[slot] as Driver).distribution.central
  const scope = entityScope(
    model.company,
    turnoverSlot === -1 ? undefined : centralOf(turnoverSlot) / convert('EUR', 'company.annualTurnover (NIS2 size thresholds in EUR)'),
    centralOf(params.highRiskSystems),
  )

  const baselineId = model.baseline ?? (model.options[0] as TcoOption).id
  const baselineIndex = model.options.findIndex((option) => option.id === baselineId)
  const finesById = new Map(compliance.fines.fines.map((fine) => [fine.id, fine]))
  const switchingProhibitedFrom = compliance.components.dates.switchingChargesProhibitedFrom.from
  const dpfUntil = compliance.components.dates.dpfReserveUntil.until

  const plans: OptionPlan[] = model.options.map((option, index) => {
    const path = `options.${index}`
    const name = (suffix: string): string => `options.${option.id}.${suffix}`
    const row = 'catalogRow' in option && option.catalogRow !== undefined ? resolveRow(prices, option.catalogRow, option.kind, file, `${path}.catalogRow`) : undefined
    // The first date is the row's last confirmation (the report dates the driver by it): the fetch's day, else the effective date.
    const rowOrigin = row ? `catalog row ${row.id} (${row.confidence}, ${describeConfirmation(row)}${row.basis !== undefined ? `, ${row.basis}` : ''}): ${row.source}` : fromModel
    const seal = option.seal ?? row?.sovereignty ?? fail(`${path}.seal`, 'is required (no catalog row gives one): SEAL-0 … SEAL-4')
    const jurisdiction = option.jurisdiction ?? row?.jurisdiction ?? fail(`${path}.jurisdiction`, 'is required (no catalog row gives one): { region: DE, parent: DE }')
    const isBaseline = index === baselineIndex
    const carried = model.sovereignty.dataClasses.filter((dataClass) => option.dataClasses === undefined || option.dataClasses.includes(dataClass.name))
    const notes: string[] = []
    if (option.seal !== undefined && row !== undefined && row.sovereignty !== option.seal) notes.push(`SEAL level ${option.seal} given in the model overrides catalog row ${row.id}'s ${row.sovereignty}`)
    const plan: OptionPlan = {
      index,
      id: option.id,
      name: option.name ?? option.id,
      kind: option.kind,
      strategy: option.strategy ?? null,
      provider: option.provider ?? row?.provider ?? (option.kind === 'owned' ? 'own data centre' : option.id),
      region: option.region ?? row?.region ?? jurisdiction.region,
      jurisdiction,
      seal,
      gpu: row?.gpu ?? null,
      catalogRow: row?.id ?? null,
      isBaseline,
      gate: sealGate(seal, carried),
      components: applicableComponents(compliance.components, { compliance: option.compliance, parentCountry: jurisdiction.parent, isBaseline }, scope),
      applies: new Uint8Array(18),
      vendors: option.vendors,
      risks: option.regulatoryRisks.map((risk, riskIndex) => {
        const fine = finesById.get(risk.fine) ?? fail(`${path}.regulatoryRisks.${riskIndex}.fine`, `no fine ${risk.fine} in ${compliance.finesFile} (known: ${[...finesById.keys()].join(', ')})`)
        if (fine.appliesTo) notes.push(`regulatory risk ${fine.id}: ${fine.title} falls on ${fine.appliesTo}`)
        return {
          fine: fine.id,
          probabilitySlot: drivers.add(name(`regulatoryRisks.${risk.fine}.probabilityPerYear`), risk.probabilityPerYear, fromModel),
          severitySlot: drivers.add(name(`regulatoryRisks.${risk.fine}.severity`), risk.severity, fromModel),
          fixedAmount: fine.fixedAmount * convert(fine.currency, `${path}.regulatoryRisks.${riskIndex} (fine ${fine.id} in ${fine.currency})`),
          shareOfTurnover: fine.shareOfTurnover,
          smeLower: fine.smeRule === 'lower',
        }
      }),
      egressGbSlot: -1,
      egressPerGbSlot: -1,
      gpusSlot: -1,
      gpusPerUnit: 1,
      priceSlot: -1,
      discountSlot: -1,
      pricingModel: null,
      priceIsOnDemand: false,
      pricing: null,
      egressPricing: null,
      capexSlot: -1,
      networkShareSlot: -1,
      depreciationYears: 0,
      supportSlot: -1,
      kwPerGpuSlot: -1,
      powerUtilizationSlot: -1,
      pueSlot: -1,
      energySlot: -1,
      colocationSlot: -1,
      provisionedKwSlot: -1,
      fteSlot: -1,
      staffCostSlot: -1,
      residualValue: false,
      inputPriceSlot: -1,
      outputPriceSlot: -1,
      migration: null,
      units: new Float64Array(years),
      notes,
      trend: -1,
      priceYear: priceYears(years, 0, 0, 0),
      commitmentTermMonths: 0,
      commitmentStart: 0,
      rampMonths: 0,
      staffGpusPerFteSlot: -1,
      residualBasis: 'book',
      estateLines: [],
      computeFromEstate: false,
      estateStayingShare: 0,
    }
    for (const component of plan.components) plan.applies[Number(component.slice(1))] = 1
    if (!plan.gate.feasible && isBaseline) notes.push('the baseline fails the sovereignty gate: staying is not an option; savings are still measured against its costs (the status quo)')

    let priceCurrency: string | undefined
    if (option.kind === 'rental') {
      let price: UncertainNumber
      let pricingModelOfPrice: string
      if (row) {
        if (row.unit === 'mtok' || row.price === undefined) return fail(`${path}.catalogRow`, `row ${row.id} is priced per million tokens: use kind token-api`)
        price = row.unit === 'instance-hour' ? row.price / row.gpuCount : row.price
        priceCurrency = row.currency
        pricingModelOfPrice = row.pricingModel
        plan.gpusPerUnit = option.gpusPerInstance ?? saleUnitOf(row).gpusPerNode
      } else {
        const inline = option.price as NonNullable<typeof option.price>
        price = inline.perGpuHour
        priceCurrency = inline.currency
        pricingModelOfPrice = inline.pricingModel
        plan.gpusPerUnit = option.gpusPerInstance ?? 1
      }
      plan.priceSlot = drivers.add(name('pricePerGpuHour'), price, rowOrigin, money(priceCurrency, `${path}.price`))
      plan.pricing = { currency: priceCurrency ?? currency, toModel: convert(priceCurrency, `${path}.price`) }
      const bought = option.pricingModel ?? pricingModelOfPrice
      plan.pricingModel = bought
      plan.priceIsOnDemand = pricingModelOfPrice === 'on-demand'
      if (option.discount !== undefined) {
        plan.discountSlot = drivers.add(name('discount'), option.discount, fromModel)
      } else if (bought !== pricingModelOfPrice) {
        if (pricingModelOfPrice !== 'on-demand') fail(`${path}.pricingModel`, `the price is a ${pricingModelOfPrice} price: buying ${bought} needs an on-demand price to discount from, or its own discount`)
        const discount = prices.discount(bought as '1-yr' | '3-yr' | 'spot') ?? fail(`${path}.discount`, `is required: no default ${bought} discount off on-demand is loaded (give discount, or a catalog with pricingDefaults)`)
        plan.discountSlot = drivers.add(name('discount'), discount.fraction, `catalog pricing default for ${bought}: ${discount.source}`)
      }
      plan.gpusSlot = option.gpus !== undefined ? drivers.add(name('gpus'), option.gpus, fromModel) : demandGpusSlot
    } else if (option.kind === 'token-api') {
      let input: UncertainNumber
      let output: UncertainNumber
      if (row) {
        if (row.unit !== 'mtok' || row.pricePerMtok === undefined) return fail(`${path}.catalogRow`, `row ${row.id} is priced per ${row.unit}, not per million tokens: use kind rental`)
        input = row.pricePerMtok.input
        output = row.pricePerMtok.output
        priceCurrency = row.currency
      } else {
        const inline = option.price as NonNullable<typeof option.price>
        input = inline.inputPerMtok
        output = inline.outputPerMtok
        priceCurrency = inline.currency
      }
      const scale = money(priceCurrency, `${path}.price`)
      plan.pricing = { currency: priceCurrency ?? currency, toModel: scale.factor }
      plan.inputPriceSlot = drivers.add(name('pricePerMtok.input'), input, rowOrigin, scale)
      plan.outputPriceSlot = drivers.add(name('pricePerMtok.output'), output, rowOrigin, scale)
    } else {
      const scale = money(option.currency, `${path}.currency`)
      plan.gpusSlot = option.gpus !== undefined ? drivers.add(name('gpus'), option.gpus, fromModel) : demandGpusSlot
      plan.gpusPerUnit = option.gpusPerNode
      plan.capexSlot = drivers.add(name('serverCapexPerNode'), option.serverCapexPerNode, fromModel, scale)
      plan.networkShareSlot = drivers.add(name('networkStorageShare'), option.networkStorageShare, fromModel)
      plan.depreciationYears = option.depreciationYears
      plan.supportSlot = drivers.add(name('supportPerYear'), option.supportPerYear, fromModel)
      plan.kwPerGpuSlot = drivers.add(name('powerKwPerGpu'), option.powerKwPerGpu, fromModel)
      plan.powerUtilizationSlot = drivers.add(name('powerUtilization'), option.powerUtilization, fromModel)
      plan.pueSlot = drivers.add(name('pue'), option.pue, fromModel)
      if (option.energyPerKWh !== undefined) plan.energySlot = drivers.add(name('energyPerKWh'), option.energyPerKWh, fromModel, scale)
      if (option.colocation) {
        plan.colocationSlot = drivers.add(name('colocation.perKwMonth'), option.colocation.perKwMonth, fromModel, scale)
        plan.provisionedKwSlot = drivers.add(name('colocation.provisionedKwPerGpu'), option.colocation.provisionedKwPerGpu, fromModel)
      }
      if (option.staff) {
        plan.fteSlot = drivers.add(name('staff.fte'), option.staff.fte, fromModel)
        plan.staffCostSlot = drivers.add(name('staff.loadedCostPerYear'), option.staff.loadedCostPerYear, fromModel, scale)
      }
      plan.residualValue = option.residualValue
      if (plan.depreciationYears * 12 < months) notes.push(`servers are replaced after ${plan.depreciationYears} years inside the ${years}-year horizon, at the same price`)
    }
    if (plan.gpusSlot === -1 && option.kind !== 'token-api') fail(`${path}.gpus`, 'is required when demand.gpus is not given')

    if (option.egress) {
      plan.egressGbSlot = drivers.add(name('egress.gbPerMonth'), option.egress.gbPerMonth, fromModel)
      const egressCurrency = option.egress.currency ?? priceCurrency ?? currency
      if (option.egress.perGB !== undefined) {
        plan.egressPerGbSlot = drivers.add(name('egress.perGB'), option.egress.perGB, fromModel, money(egressCurrency, `${path}.egress.currency`))
        plan.egressPricing = { currency: egressCurrency, toModel: convert(egressCurrency, `${path}.egress.currency`) }
      } else if (row?.egressPerGB !== undefined) {
        plan.egressPerGbSlot = drivers.add(name('egress.perGB'), row.egressPerGB, rowOrigin, money(row.currency, `${path}.egress (catalog row ${row.id})`))
        plan.egressPricing = { currency: row.currency, toModel: convert(row.currency, `${path}.egress (catalog row ${row.id})`) }
      } else {
        fail(`${path}.egress.perGB`, row ? `is required (catalog row ${row.id} gives no egressPerGB)` : 'is required')
      }
    } else if (row?.egressPerGB !== undefined) {
      // No ongoing egress, but the row's price still prices data copied out when leaving this provider.
      plan.egressPerGbSlot = drivers.add(name('egress.perGB'), row.egressPerGB, rowOrigin, money(row.currency, `${path} (catalog row ${row.id} egressPerGB)`))
    }
    compileOptionMechanics(plan, option, path)
    if (plan.components.has('C4') && tokensInputSlot === -1) fail('demand.tokensPerMonth', `is required: C4 (redaction) applies to option ${option.id}`)
    if (plan.risks.length > 0 && turnoverSlot === -1) fail('company.annualTurnover', `is required by option ${option.id}'s regulatoryRisks (C9)`)
    return plan
  })

  /** Finance mechanics of one option: its price trend and commitment, ramp, staff rule and residual basis. */
  function compileOptionMechanics(plan: OptionPlan, option: TcoOption, path: string): void {
    const settings = model.finance
    const optionStart = plan.isBaseline ? 0 : (option.migration?.startMonth ?? 0)
    const trend = optionTrend(mechanics, finance, model, option, plan.gpu, add)
    plan.trend = trend.index
    if (option.kind === 'rental') {
      const term = plan.pricingModel === '1-yr' ? 12 : plan.pricingModel === '3-yr' ? 36 : 0
      if (option.commitmentStartMonth !== undefined) {
        if (term === 0) fail(`${path}.commitmentStartMonth`, `applies to a 1-yr or 3-yr commitment; this option buys ${plan.pricingModel}`)
        if (!plan.isBaseline) fail(`${path}.commitmentStartMonth`, 'applies to the baseline (a new option commits when its move starts)')
        if (option.commitmentStartMonth <= optionStart - term || option.commitmentStartMonth > optionStart) {
          fail(`${path}.commitmentStartMonth`, `must lie in the running term: from ${optionStart - term + 1} to ${optionStart} (months from the model's start)`)
        }
      }
      if (settings?.commitments && term > 0) {
        plan.commitmentTermMonths = term
        plan.commitmentStart = option.commitmentStartMonth ?? optionStart
        const unknownStart = plan.isBaseline && option.commitmentStartMonth === undefined ? ' (assumed to begin at the start month: set commitmentStartMonth to when the running term began)' : ''
        plan.notes.push(`${plan.pricingModel} commitment from month ${plan.commitmentStart}${unknownStart}, renewed every ${term} months while used: after an exit or a shrink it bills to the end of its term (commitment-stranded)`)
      }
      plan.priceYear = priceYears(years, plan.commitmentTermMonths, plan.commitmentStart, optionStart)
      if (option.staff !== undefined) {
        plan.fteSlot = drivers.add(`options.${option.id}.staff.fte`, option.staff.fte, fromModel)
        plan.staffCostSlot = drivers.add(`options.${option.id}.staff.loadedCostPerYear`, option.staff.loadedCostPerYear, fromModel)
      } else if (mechanics.rentedStaffGpusPerFteSlot !== -1) {
        plan.staffGpusPerFteSlot = mechanics.rentedStaffGpusPerFteSlot
        plan.staffCostSlot = mechanics.rentedStaffCostSlot
        plan.notes.push(`operations staff by the rented-fleet rule of ${finance?.file}: max(${mechanics.rentedStaffMinimumFte}, GPUs / GPUs per FTE) FTE a year`)
      }
    }
    if (trend.label !== null && settings !== undefined) plan.notes.push(`${option.kind === 'token-api' ? 'per-token' : 'per-GPU-hour'} price follows ${trend.label === 'its own priceTrend' ? trend.label : `the ${trend.label} trend`} from year to year${plan.commitmentTermMonths > 0 ? ' (a committed price holds for its term)' : ''}`)
    if (option.kind === 'rental' && plan.gpu !== null && trend.index === -1 && settings !== undefined) plan.notes.push(`no price trend in ${finance?.file} matches GPU ${plan.gpu}: its price is held constant`)
    if (!plan.isBaseline) plan.rampMonths = option.rampMonths ?? (settings !== undefined ? (settings.rampMonths ?? finance?.data.ramp.months ?? 0) : 0)
    if (plan.rampMonths > 0) {
      const committed = plan.commitmentTermMonths > 0 ? '; its committed GPUs bill in full, the idle share as commitment-stranded' : ''
      plan.notes.push(`its usage ramps up linearly over ${plan.rampMonths} months from its start (GPU-hours, tokens, energy and egress ramp; staff, support and capex do not${committed})`)
    }
    if (option.kind === 'owned') plan.residualBasis = option.residualBasis ?? (settings !== undefined ? 'resale' : 'book')
  }

  // Migrations: every option but the baseline moves from it.
  const baseline = plans[baselineIndex] as OptionPlan
  model.options.forEach((option, index) => {
    const plan = plans[index] as OptionPlan
    if (plan.isBaseline) return
    const path = `options.${index}.migration`
    const migration = option.migration
    const name = (suffix: string): string => `options.${option.id}.migration.${suffix}`
    const switching = migration?.switching
    const switchingCurrency = switching?.currency
    const switchingScale = money(switchingCurrency, `${path}.switching.currency`)
    let switchingPerGbSlot = -1
    if (switching?.dataGB !== undefined) {
      if (switching.perGB !== undefined) switchingPerGbSlot = drivers.add(name('switching.perGB'), switching.perGB, fromModel, switchingScale)
      else if (baseline.egressPerGbSlot !== -1) switchingPerGbSlot = baseline.egressPerGbSlot
      else fail(`${path}.switching.perGB`, `is required (the baseline ${baseline.id} has no egress price to copy the data out at)`)
    }
    plan.migration = {
      startMonth: migration?.startMonth ?? 0,
      dualRunningSlot: migration?.dualRunningMonths !== undefined ? drivers.add(name('dualRunningMonths'), migration.dualRunningMonths, fromModel) : params.dualRunningMonths,
      revalidationSlot: migration?.revalidationCost !== undefined ? drivers.add(name('revalidationCost'), migration.revalidationCost, fromModel) : params.revalidationCost,
      projectSlot: migration?.projectCost !== undefined ? drivers.add(name('projectCost'), migration.projectCost, fromModel) : -1,
      exitFeeSlot: switching?.exitFee !== undefined ? drivers.add(name('switching.exitFee'), switching.exitFee, fromModel, switchingScale) : -1,
      switchingGbSlot: switching?.dataGB !== undefined ? drivers.add(name('switching.dataGB'), switching.dataGB, fromModel) : -1,
      switchingPerGbSlot,
      switchingDateAt: switching?.date !== undefined ? monthsFromStart(startYear, startMonthOfYear, switching.date) : Number.NaN,
      switchingDate: switching?.date ?? null,
    }
  })

  const warnings = [...notCostedWarnings(model, compliance, plans), ...mechanicsWarnings]
  mechanics.fxDerived = Int32Array.from(drivers.fxDerived)
  // An offer no catalog row backs has no source, date or staleness check behind its price.
  model.options.forEach((option, index) => {
    if (option.kind !== 'owned' && option.catalogRow === undefined) {
      warnings.push(`${file}: options.${index}.price: option ${option.id} is priced inline, not backed by a catalog row (no source, date or staleness check); put the quote in a --catalog file and name it with catalogRow`)
    }
  })
  const variables = driverVariables(drivers.drivers)
  for (const variable of variables) {
    if (variable.shared && drivers.drivers.some((driver) => driver.name === variable.name)) fail(`shared key ${variable.name}`, 'is also the name of a driver: pick a key that names the quantity (sizing.LABEL.gpus, fx.USD-EUR)')
  }
  return {
    file,
    name: model.name,
    description: model.description ?? null,
    currency,
    startMonth: model.startMonth,
    startYear,
    startMonthOfYear,
    months,
    years,
    drivers: drivers.drivers,
    variables,
    correlations: compileCorrelations(model.correlations, variables, drivers.drivers, file),
    waccSlot,
    growthSlot,
    demandGpusSlot,
    tokensInputSlot,
    tokensOutputSlot,
    turnoverSlot,
    sme: model.company?.sme ?? false,
    // A copy: filled key by key above, V8 keeps `params` as a dictionary (a hash lookup per read); the
    // spread gives an object with a fixed shape, read on every cost line of every draw.
    params: { ...params },
    scope,
    complianceOverrides: model.compliance.parameters,
    switchingProhibitedAt: monthsFromStart(startYear, startMonthOfYear, switchingProhibitedFrom),
    switchingProhibitedFrom,
    dpfReserveUntilAt: dpfUntil === null ? Number.POSITIVE_INFINITY : monthsFromStart(startYear, startMonthOfYear, dpfUntil),
    baseline: baselineIndex,
    options: plans,
    warnings,
    focus: model.focus ?? { billingAccountId: `projection-${model.name}`, billingAccountName: `geopat TCO projection: ${model.name}` },
    discount: new Float64Array(months),
    discountSums: new Float64Array(months + 1),
    growth: new Float64Array(years),
    mechanics,
  }
}

function resolveRow(prices: PriceSource, id: string, kind: TcoOption['kind'], file: string, path: string): CatalogRow {
  const row = prices.row(id)
  if (!row) throw new UserError(`${file}: ${path}: no catalog row ${id} (check the id with geopat catalog list, or load the file that has it with --catalog)`)
  if (kind === 'owned') throw new UserError(`${file}: ${path}: an owned option takes its costs from the model, not a catalog row`)
  return row
}

/** Parameters whose default is 0 as an assumption: a component resting on one is not costed until the model sets it. */
const NOT_COSTED_BY_DEFAULT: Partial<Record<ComplianceComponentId, ComplianceParameterName[]>> = {
  C5: ['redactionQualityLossPerMonth'],
  C6: ['auditLogGBPerMonth', 'auditLogIngestPerGB', 'auditLogStoragePerGBMonth'],
  C8: ['vendorAssuranceHoursPerVendorYear'],
}

function notCostedWarnings(model: TcoModel, compliance: ComplianceData, plans: OptionPlan[]): string[] {
  const warnings: string[] = []
  const unset = (name: ComplianceParameterName): boolean => {
    const defaults = compliance.components.parameters[name]
    return model.compliance.parameters[name] === undefined && defaults !== undefined && defaults.value === 0 && defaults.confidence === 'assumption'
  }
  for (const [component, names] of Object.entries(NOT_COSTED_BY_DEFAULT) as Array<[ComplianceComponentId, ComplianceParameterName[]]>) {
    const options = plans.filter((plan) => plan.components.has(component)).map((plan) => plan.id)
    const missing = names.filter(unset)
    if (options.length > 0 && missing.length > 0) {
      warnings.push(`${component} applies to ${options.join(', ')} but is not costed: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} 0 by default (no public figure); set compliance.parameters`)
    }
  }
  const tlptUnset = plans.some((plan) => plan.components.has('C16')) && unset('doraTlptCost')
  if (tlptUnset && model.company?.doraTlpt === true) warnings.push('C16 applies with TLPT (DORA Art. 26) but TLPT is not costed: doraTlptCost is 0 by default (no public figure); set compliance.parameters.doraTlptCost')
  if (plans.some((plan) => plan.components.has('C17')) && unset('nis2CostPerYear')) warnings.push('C17 (NIS2) applies but is not costed: nis2CostPerYear is 0 by default (no public figure); set compliance.parameters.nis2CostPerYear')
  const noRevalidation = plans.filter((plan, index) => !plan.isBaseline && model.options[index]?.migration?.revalidationCost === undefined).map((plan) => plan.id)
  if (noRevalidation.length > 0 && unset('revalidationCost')) {
    warnings.push(`C14 re-validation is not costed for ${noRevalidation.join(', ')}: give migration.revalidationCost (or compliance.parameters.revalidationCost)`)
  }
  return warnings
}
