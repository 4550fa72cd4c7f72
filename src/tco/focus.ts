import { csvTable } from '../io/output/csv.js'
import { CATEGORY, CATEGORY_COUNT, COST_CATEGORIES, type CostCategory, PHASE, PHASES, isBilled } from './cost-categories.js'
import { type ModelPlan, type OptionPlan, calendarMonth } from './model-plan.js'
import type { DeterministicCashFlows, MonthlySink } from './sinks.js'
import { nonZeroFlows } from './cashflow-csv.js'

/**
 * The deterministic cash flows as a FinOps FOCUS 1.2 dataset, one row per option, month, phase and
 * cost category. Every row is a PROJECTION, not billing data: ChargeDescription starts with
 * "Projected:", x_Projected is true and x_CostBasis says whether a provider would invoice it
 * (provider) or it is the organisation's own staff time (internal).
 *
 * Only billed cash goes in. FOCUS has no charge category for an estimate, and a row's BilledCost is
 * by definition "the basis for invoicing", so the costs that are not billed are left out of this
 * dataset: expected losses (C9 regulatory fines, C10 a DPF invalidation: probability × impact), the
 * business-cost estimate C5 and the residual-value credit (a valuation). riskEstimatesCsv lists the
 * expected losses beside it. Each option's BilledCost therefore sums to the TCO's billed total
 * (totalsByBasis), and a FOCUS consumer that adds up BilledCost never counts a risk as spend.
 *
 * Columns: the FOCUS 1.2 Mandatory ones the reference lists (BilledCost, EffectiveCost, ListCost,
 * ContractedCost, BillingCurrency, BillingAccountId/Name, BillingPeriodStart/End, ChargePeriodStart/End,
 * ChargeCategory, ChargeClass, ChargeDescription, ChargeFrequency, PricingUnit, PricingQuantity,
 * ServiceName, ServiceCategory, ProviderName, PublisherName, InvoiceIssuerName), the Conditional ones
 * that apply to a projection (PricingCategory; CommitmentDiscount* on committed GPU rentals, Status
 * Unused on committed GPU-hours billed but not used (commitment-stranded);
 * ConsumedQuantity/ConsumedUnit on Usage rows but for an unused commitment; ListUnitPrice, ContractedUnitPrice; PricingCurrency and
 * its unit prices where the price is set in another currency than the bill; RegionId/RegionName;
 * SkuId), and x_ custom columns.
 */
export const FOCUS_COLUMNS = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ContractedCost',
  'BillingCurrency',
  'BillingAccountId',
  'BillingAccountName',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'PricingCategory',
  'PricingUnit',
  'PricingQuantity',
  'ListUnitPrice',
  'ContractedUnitPrice',
  'PricingCurrency',
  'PricingCurrencyListUnitPrice',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'ConsumedQuantity',
  'ConsumedUnit',
  'CommitmentDiscountId',
  'CommitmentDiscountName',
  'CommitmentDiscountCategory',
  'CommitmentDiscountType',
  'CommitmentDiscountStatus',
  'ServiceName',
  'ServiceCategory',
  'ProviderName',
  'PublisherName',
  'InvoiceIssuerName',
  'RegionId',
  'RegionName',
  'SkuId',
  'x_Scenario',
  'x_Option',
  'x_Phase',
  'x_CostCategory',
  'x_CostBasis',
  'x_Projected',
  'x_SealLevel',
  'x_JurisdictionParent',
  'x_GeneratedBy',
] as const

const ONE_OFF = new Set<number>([CATEGORY.capexServer, CATEGORY.capexNetworkStorage, CATEGORY.switching, CATEGORY.revalidation, CATEGORY.migrationProject])
/** Categories priced by the option's own catalog row or inline price (its SKU, its pricing currency). */
const PRICED_BY_OFFER = new Set<number>([CATEGORY.computeRental, CATEGORY.tokenApi, CATEGORY.commitmentStranded])
/** Committed GPU-hours: used (compute-rental) or billed unused (commitment-stranded: a ramp, a shrink, after an exit). */
const COMMITTED_HOURS = new Set<number>([CATEGORY.computeRental, CATEGORY.commitmentStranded])
/** A provider's region id: lower-case letters, digits and dashes (eu-north-1, europe-west3, fr-par-2). */
const REGION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/

export function focusCsv(plan: ModelPlan, flows: ReadonlyArray<DeterministicCashFlows | null>, centralValues: Float64Array, generatedBy: string): string {
  const baseline = plan.options[plan.baseline] as OptionPlan
  const rows: unknown[][] = []
  for (const flow of nonZeroFlows(plan, flows)) {
    if (!isBilled(COST_CATEGORIES[flow.category] as CostCategory)) continue
    const billedBy = flow.phase === PHASE.own ? flow.entry.option : baseline
    rows.push(focusRow({ plan, ...flow, billedBy, centralValues, generatedBy }))
  }
  return csvTable(FOCUS_COLUMNS, rows)
}

/** One billed amount of the deterministic cash flows: an option's month, phase and category, and who bills it. */
interface FocusCell {
  plan: ModelPlan
  entry: DeterministicCashFlows
  month: number
  phase: number
  category: number
  amount: number
  /** The option itself (its own phase) or the baseline (before the move, dual running, staying). */
  billedBy: OptionPlan
  centralValues: Float64Array
  generatedBy: string
}

/** The costs of a cell: billed, list (before a commitment discount) and contracted, and its quantity. */
interface FocusCosts {
  amount: number
  listCost: number
  contractedCost: number
  quantity: number
}

/** One FOCUS row, its values in FOCUS_COLUMNS order. */
function focusRow(cell: FocusCell): unknown[] {
  const { plan, entry, month, phase, category, amount, billedBy } = cell
  const meta = COST_CATEGORIES[category] as CostCategory
  const quantity = entry.sink.quantity(phase, category, month)
  const committed = COMMITTED_HOURS.has(category) && isCommitted(billedBy)
  // FOCUS: an unused commitment is a Usage row with CommitmentDiscountStatus Unused and no consumed quantity.
  const unused = committed && category === CATEGORY.commitmentStranded
  // Without a commitment the list, contracted and billed costs are the same projection.
  const listCost = committed ? listCostOf(billedBy, amount, cell.centralValues) : amount
  const contractedCost = committed ? listCost : amount
  const periodStart = `${calendarMonth(plan, month)}-01T00:00:00Z`
  const periodEnd = `${calendarMonth(plan, month + 1)}-01T00:00:00Z`
  const consumed = meta.chargeCategory === 'Usage' && !unused
  return [
    amount,
    amount,
    listCost,
    contractedCost,
    plan.currency,
    plan.focus.billingAccountId,
    plan.focus.billingAccountName,
    periodStart,
    periodEnd,
    periodStart,
    periodEnd,
    meta.chargeCategory,
    null,
    `Projected: ${meta.description}, ${billedBy.name}${phase === PHASE.own ? '' : ` (${PHASES[phase]} of ${entry.option.name})`}`,
    chargeFrequency(category, meta),
    pricingCategory(billedBy, category, meta),
    meta.pricingUnit,
    quantity,
    ...unitPriceColumns(plan, billedBy, category, { amount, listCost, contractedCost, quantity }),
    consumed ? quantity : null,
    consumed ? meta.pricingUnit : null,
    ...commitmentColumns(plan, billedBy, committed, unused),
    ...providerColumns(billedBy, category, meta),
    plan.name,
    entry.option.id,
    PHASES[phase],
    meta.id,
    meta.basis,
    'true',
    billedBy.seal,
    billedBy.jurisdiction.parent,
    cell.generatedBy,
  ]
}

/** ChargeFrequency. C2/C3 mix one-off and recurring amounts in one month; their quantity unit is kept as the category's. */
function chargeFrequency(category: number, meta: CostCategory): string {
  if (ONE_OFF.has(category)) return 'One-Time'
  return meta.chargeCategory === 'Usage' ? 'Usage-Based' : 'Recurring'
}

/** ListUnitPrice, ContractedUnitPrice, PricingCurrency and the unit prices and cost in it (where the offer's price is set in another currency). */
function unitPriceColumns(plan: ModelPlan, billedBy: OptionPlan, category: number, costs: FocusCosts): unknown[] {
  const { amount, listCost, contractedCost, quantity } = costs
  const perUnit = (cost: number): number | null => (quantity > 0 ? cost / quantity : null)
  const offer = PRICED_BY_OFFER.has(category) ? billedBy.pricing : category === CATEGORY.egress ? billedBy.egressPricing : null
  const foreign = offer !== null && offer.currency !== plan.currency ? offer : null
  return [
    perUnit(listCost),
    perUnit(contractedCost),
    foreign?.currency ?? plan.currency,
    foreign === null ? null : nullable(perUnit(listCost), (price) => price / foreign.toModel),
    foreign === null ? null : nullable(perUnit(contractedCost), (price) => price / foreign.toModel),
    foreign === null ? null : amount / foreign.toModel,
  ]
}

/** CommitmentDiscountId, Name, Category, Type and Status: on committed GPU-hours only. */
function commitmentColumns(plan: ModelPlan, billedBy: OptionPlan, committed: boolean, unused: boolean): unknown[] {
  if (!committed) return [null, null, null, null, null]
  return [
    `${plan.focus.billingAccountId}/${billedBy.id}/${billedBy.pricingModel}`,
    `${billedBy.pricingModel} commitment on ${billedBy.catalogRow ?? billedBy.id}`,
    'Usage',
    `${billedBy.pricingModel} commitment (projected)`,
    unused ? 'Unused' : 'Used',
  ]
}

/** ServiceName, ServiceCategory, ProviderName, PublisherName, InvoiceIssuerName, RegionId, RegionName and SkuId. */
function providerColumns(billedBy: OptionPlan, category: number, meta: CostCategory): unknown[] {
  const issuer = meta.basis === 'provider' ? billedBy.provider : 'internal (own staff and projects)'
  const byProvider = meta.basis === 'provider'
  const region = byProvider ? billedBy.region : null
  return [
    serviceName(billedBy, meta),
    meta.serviceCategory,
    byProvider ? billedBy.provider : issuer,
    byProvider ? billedBy.provider : issuer,
    issuer,
    region !== null && REGION_ID.test(region) ? region : null,
    region,
    PRICED_BY_OFFER.has(category) ? billedBy.catalogRow : null,
  ]
}

const RISK_ESTIMATE_COLUMNS = ['option', 'month', 'monthIndex', 'phase', 'category', 'basis', 'expectedLoss', 'currency', 'description', 'billed'] as const

/**
 * risk-estimates.csv: what the FOCUS export leaves out because nobody invoices it: expected losses
 * (probability × impact) and business-cost estimates, month by month. They are part of each
 * option's risk-adjusted TCO (NPV cost) and shown apart from its billed cost.
 */
export function riskEstimatesCsv(plan: ModelPlan, flows: ReadonlyArray<DeterministicCashFlows | null>): string {
  const rows: unknown[][] = []
  for (const { entry, month, phase, category, amount } of nonZeroFlows(plan, flows)) {
    const meta = COST_CATEGORIES[category] as CostCategory
    if (meta.basis !== 'risk' && meta.basis !== 'estimate') continue
    rows.push([entry.option.id, calendarMonth(plan, month), month, PHASES[phase], meta.id, meta.basis, amount, plan.currency, meta.description, 'false'])
  }
  return csvTable(RISK_ESTIMATE_COLUMNS, rows)
}

/**
 * An option's costs by what they are, over the horizon, undiscounted and at present value: billed
 * cash (provider invoices and own staff time: the FOCUS export's BilledCost), the cost of risk
 * (expected losses and business-cost estimates: risk-estimates.csv) and valuations (the residual-value
 * credit). The three add up to the option's total cost and NPV cost.
 */
export interface BasisTotals {
  billed: number
  costOfRisk: number
  valuation: number
  npvBilled: number
  npvCostOfRisk: number
  npvValuation: number
}

export function totalsByBasis(plan: Pick<ModelPlan, 'discount'>, sink: Pick<MonthlySink, 'amount' | 'months'>): BasisTotals {
  const totals: BasisTotals = { billed: 0, costOfRisk: 0, valuation: 0, npvBilled: 0, npvCostOfRisk: 0, npvValuation: 0 }
  for (let phase = 0; phase < PHASES.length; phase++) {
    for (let category = 0; category < CATEGORY_COUNT; category++) {
      const meta = COST_CATEGORIES[category] as CostCategory
      let sum = 0
      let pv = 0
      for (let month = 0; month < sink.months; month++) {
        const amount = sink.amount(phase, category, month)
        sum += amount
        pv += amount * (plan.discount[month] as number)
      }
      if (isBilled(meta)) {
        totals.billed += sum
        totals.npvBilled += pv
      } else if (meta.basis === 'valuation') {
        totals.valuation += sum
        totals.npvValuation += pv
      } else {
        totals.costOfRisk += sum
        totals.npvCostOfRisk += pv
      }
    }
  }
  return totals
}

function nullable(value: number | null, map: (value: number) => number): number | null {
  return value === null ? null : map(value)
}

function isCommitted(option: OptionPlan): boolean {
  return option.kind === 'rental' && (option.pricingModel === '1-yr' || option.pricingModel === '3-yr')
}

/** FOCUS PricingCategory: Committed (a commitment discount), Dynamic (spot), Standard (a price list or quote), Other (own staff time). */
function pricingCategory(option: OptionPlan, category: number, meta: CostCategory): string {
  if (meta.basis === 'internal') return 'Other'
  if (COMMITTED_HOURS.has(category) && isCommitted(option)) return 'Committed'
  if (category === CATEGORY.computeRental) return option.pricingModel === 'spot' ? 'Dynamic' : 'Standard'
  return 'Standard'
}

/** ListCost of rented GPUs: the on-demand price before a commitment discount, when the price was on-demand. */
function listCostOf(option: OptionPlan, amount: number, values: Float64Array): number {
  if (!option.priceIsOnDemand || option.discountSlot === -1) return amount
  const discount = values[option.discountSlot] as number
  return discount < 1 ? amount / (1 - discount) : amount
}

function serviceName(option: OptionPlan, category: CostCategory): string {
  if (category.id === 'compute-rental' || category.id === 'commitment-stranded') return `GPU rental${option.gpu ? ` (${option.gpu})` : ''}`
  if (category.id === 'token-api') return 'Token API'
  return category.description
}
