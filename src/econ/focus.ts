import { csvTable } from '../output/csv.js'
import { CATEGORY, CATEGORY_COUNT, COST_CATEGORIES, type CostCategory, type ModelPlan, type OptionPlan, PHASE, PHASES, calendarMonth } from './tco-plan.js'
import type { DeterministicCashFlows } from './tco.js'

/**
 * The deterministic cash flows as a FinOps FOCUS 1.2 dataset, one row per option, month, phase and
 * cost category. Every row is a PROJECTION, not billing data: ChargeDescription starts with
 * "Projected:", x_Projected is true and x_CostBasis says whether a provider would invoice it
 * (provider), it is the organisation's own staff time (internal) or a risk reserve or expected loss
 * (risk). The residual-value credit (a valuation, never invoiced) is left out.
 *
 * Columns: the FOCUS 1.2 Mandatory ones the reference lists (BilledCost, EffectiveCost, ListCost,
 * ContractedCost, BillingCurrency, BillingAccountId/Name, BillingPeriodStart/End, ChargePeriodStart/End,
 * ChargeCategory, ChargeClass, ChargeDescription, PricingUnit, PricingQuantity, ServiceName,
 * ServiceCategory, ProviderName, PublisherName, InvoiceIssuerName), RegionId (Conditional),
 * ChargeFrequency, and x_ custom columns.
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
  'PricingUnit',
  'PricingQuantity',
  'ServiceName',
  'ServiceCategory',
  'ProviderName',
  'PublisherName',
  'InvoiceIssuerName',
  'RegionId',
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

export function focusCsv(plan: ModelPlan, flows: ReadonlyArray<DeterministicCashFlows | null>, centralValues: Float64Array, generatedBy: string): string {
  const baseline = plan.options[plan.baseline] as OptionPlan
  const rows: unknown[][] = []
  for (const entry of flows) {
    if (entry === null) continue
    for (let month = 0; month < plan.months; month++) {
      const periodStart = `${calendarMonth(plan, month)}-01T00:00:00Z`
      const periodEnd = `${calendarMonth(plan, month + 1)}-01T00:00:00Z`
      for (let phase = 0; phase < PHASES.length; phase++) {
        const billedBy = phase === PHASE.own ? entry.option : baseline
        for (let category = 0; category < CATEGORY_COUNT; category++) {
          const meta = COST_CATEGORIES[category] as CostCategory
          if (meta.basis === 'valuation') continue
          const amount = entry.sink.amount(phase, category, month)
          if (amount === 0) continue
          const listCost = category === CATEGORY.computeRental ? listCostOf(billedBy, amount, centralValues) : amount
          // C2/C3 mix one-off and recurring amounts in one month; their quantity unit is kept as the category's.
          const frequency = ONE_OFF.has(category) ? 'One-Time' : meta.chargeCategory === 'Usage' ? 'Usage-Based' : 'Recurring'
          const issuer = meta.basis === 'provider' ? billedBy.provider : meta.basis === 'internal' ? 'internal (own staff and projects)' : 'risk reserve (not invoiced)'
          rows.push([
            amount,
            amount,
            listCost,
            amount,
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
            frequency,
            meta.chargeCategory === 'Adjustment' ? null : meta.pricingUnit,
            meta.chargeCategory === 'Adjustment' ? null : entry.sink.quantity(phase, category, month),
            serviceName(billedBy, meta),
            meta.serviceCategory,
            meta.basis === 'provider' ? billedBy.provider : issuer,
            meta.basis === 'provider' ? billedBy.provider : issuer,
            issuer,
            meta.basis === 'provider' ? billedBy.region : null,
            plan.name,
            entry.option.id,
            PHASES[phase],
            meta.id,
            meta.basis,
            'true',
            billedBy.seal,
            billedBy.jurisdiction.parent,
            generatedBy,
          ])
        }
      }
    }
  }
  return csvTable(FOCUS_COLUMNS, rows)
}

/** ListCost of rented GPUs: the on-demand price before a commitment discount, when the price was on-demand. */
function listCostOf(option: OptionPlan, amount: number, values: Float64Array): number {
  if (!option.priceIsOnDemand || option.discountSlot === -1) return amount
  const discount = values[option.discountSlot] as number
  return discount < 1 ? amount / (1 - discount) : amount
}

function serviceName(option: OptionPlan, category: CostCategory): string {
  if (category.id === 'compute-rental') return `GPU rental${option.gpu ? ` (${option.gpu})` : ''}`
  if (category.id === 'token-api') return 'Token API'
  return category.description
}
