import { npv } from 'financial'
import type { CatalogRow } from '../../src/io/schema/catalog.js'
import { emitOption } from '../../src/tco/evaluate.js'
import { monthlyRate } from '../../src/tco/finance.js'
import type { ModelPlan } from '../../src/tco/model-plan.js'
import { MonthlySink, PresentValueSink } from '../../src/tco/sinks.js'

/**
 * Pieces of the TCO tests' models and catalogs: each test still states its own figures (prices,
 * months, shares); these are the parts every such test spells the same way.
 */

/**
 * A GPU rental row of the test catalog from 'Hyper' (SKU gpu8, H100 SXM, on-demand, dated 2026-03,
 * an assumption): its id, SEAL level, jurisdiction and price (gpuCount, unit, price, currency), and any other field.
 */
export function hyperGpuRow(
  id: string,
  sovereignty: CatalogRow['sovereignty'],
  jurisdiction: CatalogRow['jurisdiction'],
  row: Pick<CatalogRow, 'gpuCount' | 'unit' | 'price' | 'currency'> & Partial<CatalogRow>,
): CatalogRow {
  return {
    id,
    provider: 'Hyper',
    sku: 'gpu8',
    region: 'eu-1',
    jurisdiction,
    kind: 'gpu-rental',
    gpu: 'H100 SXM',
    pricingModel: 'on-demand',
    effectiveDate: '2026-03',
    source: 'test',
    confidence: 'assumption',
    confidentialComputing: false,
    sovereignty,
    ...row,
  }
}

/** An EU-owned cloud in Finland, SEAL-3. */
export const IN_FINLAND = { seal: 'SEAL-3', jurisdiction: { region: 'FI', parent: 'FI' } }
/** A US-owned hyperscaler's region in Sweden, SEAL-1. */
export const US_OWNED_IN_SWEDEN = { seal: 'SEAL-1', jurisdiction: { region: 'SE', parent: 'US' } }
/** An own data centre (or an EU API) in Germany, SEAL-3. */
export const IN_GERMANY = { seal: 'SEAL-3', jurisdiction: { region: 'DE', parent: 'DE' } }

/** A rental option at its own price in EUR per GPU-hour (a figure or a distribution), where `place` says (SEAL level and jurisdiction), with the option's other fields. */
export function eurRental(id: string, perGpuHour: unknown, place: object, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, kind: 'rental', price: { perGpuHour, currency: 'EUR' }, ...place, ...more }
}

/**
 * The economics reference's owned 8-GPU server (its "$300k 8×H100" case): 20% on top for network
 * and storage, 10% a year support, 1.275 kW per GPU at 70% load, PUE 1.4, 0.15 per kWh.
 */
export const REFERENCE_SERVER = {
  serverCapexPerNode: 300_000,
  gpusPerNode: 8,
  networkStorageShare: 0.2,
  supportPerYear: 0.1,
  powerKwPerGpu: 1.275,
  powerUtilization: 0.7,
  pue: 1.4,
  energyPerKWh: 0.15,
}

/**
 * Each option's NPV two ways, for the draw `values` (prepared): as the Monte Carlo's
 * PresentValueSink sums it, and numpy-financial's npv of its deterministic monthly totals at `wacc`.
 */
export function presentValuesTwoWays(plan: ModelPlan, values: Float64Array, wacc: number): Array<{ fast: number; reference: number }> {
  return plan.options.map((option) => {
    const monthly = new MonthlySink(plan.months)
    emitOption(plan, option, values, monthly)
    const fast = new PresentValueSink(plan)
    emitOption(plan, option, values, fast)
    return { fast: fast.total, reference: npv(monthlyRate(wacc), Array.from(monthly.totals())) }
  })
}
