import type { CatalogRow, SealLevel } from '../schema/catalog.js'
import type { ComplianceComponentId, TcoModel, TcoOption, UncertainNumber } from '../schema/tco-model.js'
import { UserError } from '../util/errors.js'
import {
  COMPLIANCE_PARAMETERS,
  type ComplianceData,
  type ComplianceParameterName,
  type GateResult,
  applicableComponents,
  sealGate,
} from './compliance-tax.js'
import { type Distribution, makeDistribution } from './distributions.js'

/**
 * A TCO model compiled once into numbers: every numeric driver becomes a slot of one Float64Array
 * (its deterministic value, or a Monte Carlo draw), prices are resolved from the catalog and
 * converted into the model's one currency, and each option becomes a flat record of slot indices
 * that tco-evaluate.ts turns into cash flows without allocating anything per draw.
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
  /** Who is paid: a provider's bill, the organisation's own staff time, a risk reserve, or a valuation (not cash). */
  basis: 'provider' | 'internal' | 'risk' | 'valuation'
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
  { id: 'residual-value', chargeCategory: 'Credit', serviceCategory: 'Compute', pricingUnit: 'Units', basis: 'valuation', description: 'undepreciated book value of servers at the horizon (credit)' },
  { id: 'C1-transfer-impact-assessment', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C1 transfer impact assessments' },
  { id: 'C2-dpia-ai-act', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'internal', description: 'C2 DPIA; AI Act high-risk obligations' },
  { id: 'C3-contracting', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C3 SCC/DPA contracting, vendor due diligence' },
  { id: 'C4-redaction', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: '1000000 Tokens', basis: 'provider', description: 'C4 prompt redaction' },
  { id: 'C5-redaction-quality', chargeCategory: 'Adjustment', serviceCategory: 'Other', pricingUnit: 'Months', basis: 'internal', description: 'C5 redaction quality loss' },
  { id: 'C6-audit-logs', chargeCategory: 'Usage', serviceCategory: 'Management and Governance', pricingUnit: 'GB', basis: 'provider', description: 'C6 audit-log ingest and retention' },
  { id: 'C7-compliance-staff', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'FTE-Months', basis: 'internal', description: 'C7 DPO / compliance staff share' },
  { id: 'C8-vendor-assurance', chargeCategory: 'Usage', serviceCategory: 'Security', pricingUnit: 'Hours', basis: 'internal', description: 'C8 vendor assurance, DORA exit tests' },
  { id: 'C9-expected-regulatory-loss', chargeCategory: 'Adjustment', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'risk', description: 'C9 expected regulatory loss' },
  { id: 'C10-dpf-reserve', chargeCategory: 'Adjustment', serviceCategory: 'Security', pricingUnit: 'Months', basis: 'risk', description: 'C10 reserve for a DPF invalidation' },
  { id: 'C12-regional-surcharge', chargeCategory: 'Usage', serviceCategory: 'Compute', pricingUnit: 'Months', basis: 'provider', description: 'C12 regional-processing surcharge' },
]

/** Indices into COST_CATEGORIES, for the evaluator's hot loop. */
export const CATEGORY = {
  computeRental: 0,
  tokenApi: 1,
  capexServer: 2,
  capexNetworkStorage: 3,
  support: 4,
  power: 5,
  colocation: 6,
  staff: 7,
  egress: 8,
  switching: 9,
  revalidation: 10,
  migrationProject: 11,
  residualValue: 12,
  c1: 13,
  c2: 14,
  c3: 15,
  c4: 16,
  c5: 17,
  c6: 18,
  c7: 19,
  c8: 20,
  c9: 21,
  c10: 22,
  c12: 23,
} as const
export const CATEGORY_COUNT = COST_CATEGORIES.length

/** Whose cost a line is inside an option's cash flows: the option's own, or the baseline's before the move or while both run. */
export const PHASES = ['own', 'before-move', 'dual-running', 'staying'] as const
/** staying: an estate's workloads that this option does not move, still on today's hosts (src/econ/tco-estate.ts). */
export const PHASE = { own: 0, beforeMove: 1, dualRunning: 2, staying: 3 } as const

// ---------------------------------------------------------------------------------------------
// Drivers

export interface Driver {
  /** Path-like name, unique: `options.eu-cloud.price.perGpuHour`, `compliance.hourlyRate`. */
  name: string
  distribution: Distribution
  /** Where the value comes from (the model, a catalog row, the compliance data's source). */
  origin: string
}

class DriverTable {
  readonly drivers: Driver[] = []
  private readonly byName = new Map<string, number>()
  add(name: string, spec: UncertainNumber, origin: string, scale = 1): number {
    if (this.byName.has(name)) throw new Error(`driver ${name} registered twice`)
    this.drivers.push({ name, distribution: makeDistribution(spec, scale), origin })
    this.byName.set(name, this.drivers.length - 1)
    return this.drivers.length - 1
  }
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
  components: ReadonlySet<ComplianceComponentId>
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
  /** An estate-driven model (src/econ/tco-estate.ts): the compute of each workload, over its own months. */
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
  waccSlot: number
  growthSlot: number
  demandGpusSlot: number
  tokensInputSlot: number
  tokensOutputSlot: number
  turnoverSlot: number
  sme: boolean
  params: Record<ComplianceParameterName, number>
  /** Months from the start at which switching charges become prohibited (EU Data Act Art. 29). */
  switchingProhibitedAt: number
  switchingProhibitedFrom: string
  /** Months from the start at which the C10 reserve stops (Infinity while the appeal is pending). */
  dpfReserveUntilAt: number
  baseline: number
  options: OptionPlan[]
  warnings: string[]
  focus: { billingAccountId: string; billingAccountName: string }
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

export function compileModel(model: TcoModel, file: string, compliance: ComplianceData, prices: PriceSource): ModelPlan {
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
    params[name] =
      override !== undefined
        ? drivers.add(`compliance.${name}`, override, fromModel)
        : drivers.add(`compliance.${name}`, defaults.value, `${compliance.componentsFile} (${defaults.confidence}): ${defaults.source}`, convert(defaults.currency, `compliance parameter ${name}`))
  }

  const baselineId = model.baseline ?? (model.options[0] as TcoOption).id
  const baselineIndex = model.options.findIndex((option) => option.id === baselineId)
  const finesById = new Map(compliance.fines.fines.map((fine) => [fine.id, fine]))
  const switchingProhibitedFrom = compliance.components.dates.switchingChargesProhibitedFrom.from
  const dpfUntil = compliance.components.dates.dpfReserveUntil.until

  const plans: OptionPlan[] = model.options.map((option, index) => {
    const path = `options.${index}`
    const name = (suffix: string): string => `options.${option.id}.${suffix}`
    const row = 'catalogRow' in option && option.catalogRow !== undefined ? resolveRow(prices, option.catalogRow, option.kind, file, `${path}.catalogRow`) : undefined
    const rowOrigin = row ? `catalog row ${row.id} (${row.confidence}, ${row.effectiveDate}): ${row.source}` : fromModel
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
      components: applicableComponents(compliance.components, { compliance: option.compliance, parentCountry: jurisdiction.parent, isBaseline }),
      applies: new Uint8Array(15),
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
        plan.gpusPerUnit = option.gpusPerInstance ?? (row.unit === 'instance-hour' ? row.gpuCount : 1)
      } else {
        const inline = option.price as NonNullable<typeof option.price>
        price = inline.perGpuHour
        priceCurrency = inline.currency
        pricingModelOfPrice = inline.pricingModel
        plan.gpusPerUnit = option.gpusPerInstance ?? 1
      }
      plan.priceSlot = drivers.add(name('pricePerGpuHour'), price, rowOrigin, convert(priceCurrency, `${path}.price`))
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
      const scale = convert(priceCurrency, `${path}.price`)
      plan.inputPriceSlot = drivers.add(name('pricePerMtok.input'), input, rowOrigin, scale)
      plan.outputPriceSlot = drivers.add(name('pricePerMtok.output'), output, rowOrigin, scale)
    } else {
      const scale = convert(option.currency, `${path}.currency`)
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
        plan.egressPerGbSlot = drivers.add(name('egress.perGB'), option.egress.perGB, fromModel, convert(egressCurrency, `${path}.egress.currency`))
      } else if (row?.egressPerGB !== undefined) {
        plan.egressPerGbSlot = drivers.add(name('egress.perGB'), row.egressPerGB, rowOrigin, convert(row.currency, `${path}.egress (catalog row ${row.id})`))
      } else {
        fail(`${path}.egress.perGB`, row ? `is required (catalog row ${row.id} gives no egressPerGB)` : 'is required')
      }
    } else if (row?.egressPerGB !== undefined) {
      // No ongoing egress, but the row's price still prices data copied out when leaving this provider.
      plan.egressPerGbSlot = drivers.add(name('egress.perGB'), row.egressPerGB, rowOrigin, convert(row.currency, `${path} (catalog row ${row.id} egressPerGB)`))
    }
    if (plan.components.has('C4') && tokensInputSlot === -1) fail('demand.tokensPerMonth', `is required: C4 (redaction) applies to option ${option.id}`)
    if (plan.risks.length > 0 && turnoverSlot === -1) fail('company.annualTurnover', `is required by option ${option.id}'s regulatoryRisks (C9)`)
    return plan
  })

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
    const switchingScale = convert(switchingCurrency, `${path}.switching.currency`)
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

  const warnings = notCostedWarnings(model, compliance, plans)
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
    waccSlot,
    growthSlot,
    demandGpusSlot,
    tokensInputSlot,
    tokensOutputSlot,
    turnoverSlot,
    sme: model.company?.sme ?? false,
    params,
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
  const noRevalidation = plans.filter((plan, index) => !plan.isBaseline && model.options[index]?.migration?.revalidationCost === undefined).map((plan) => plan.id)
  if (noRevalidation.length > 0 && unset('revalidationCost')) {
    warnings.push(`C14 re-validation is not costed for ${noRevalidation.join(', ')}: give migration.revalidationCost (or compliance.parameters.revalidationCost)`)
  }
  return warnings
}
