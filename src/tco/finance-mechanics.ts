import { join } from 'node:path'
import { type FinanceMechanicsFile, financeMechanicsFileSchema } from '../io/schema/finance.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import type { TcoModel, TcoOption, UncertainNumber } from '../io/schema/tco-model.js'
import { PACKAGE_ROOT } from '../util/version.js'

/**
 * The finance mechanics of `geopat tco` as data (data/finance/mechanics.yaml) and their compiled,
 * per-draw form: price trends per GPU generation and for token APIs, inflation on staff and energy,
 * one FX driver per foreign currency, commitments with stranding, resale values by age, staff for
 * rented fleets, the utilization ramp and the optional tax shield. compileModel builds a
 * {@link MechanicsPlan} once; {@link prepareMechanics} refills its per-year indices each draw (a few
 * dozen multiplications); the cost rules in evaluate.ts read them.
 */

export const BUILT_IN_FINANCE_FILE = join(PACKAGE_ROOT, 'data', 'finance', 'mechanics.yaml')

export interface FinanceMechanics {
  file: string
  data: FinanceMechanicsFile
}

export function loadFinanceMechanics(file: string = BUILT_IN_FINANCE_FILE): FinanceMechanics {
  const data = loadYamlFile(file, financeMechanicsFileSchema)
  return { file: file === BUILT_IN_FINANCE_FILE ? 'data/finance/mechanics.yaml' : file, data }
}

/** A conversion into the model's currency: the dated factor, times the draw of a shared FX driver where one is declared (fxSlot ≥ 0). */
export interface MoneyScale {
  factor: number
  fxSlot: number
}

/** Adds a driver and returns its slot (compileModel's driver table). */
export type AddDriver = (name: string, spec: UncertainNumber, origin: string, scale?: number | MoneyScale) => number

export interface MechanicsPlan {
  /** The model has a finance block: the finance file's defaults apply. */
  enabled: boolean
  file: string | null
  years: number
  staffInflationSlot: number
  energyInflationSlot: number
  /** Per draw: (1 + staff inflation)^year, (1 + energy inflation)^year. */
  staffIndex: Float64Array
  energyIndex: Float64Array
  /** Slots of the yearly price trends in use (trend t), and per draw (1 + trend)^year at [t × years + year]. */
  trendSlots: number[]
  trendNames: string[]
  trendIndex: Float64Array
  /** Derived slots filled per draw: [derived, raw, fx] triples (an amount converted at the dated rate × the FX draw). */
  fxDerived: Int32Array
  /** Resale share of the purchase price by age (years), linear between points; empty: no resale curve loaded. */
  resaleAges: Float64Array
  resaleFractions: Float64Array
  /** Rented-fleet staff rule: shared slots (−1: no rule) and the minimum FTE. */
  rentedStaffGpusPerFteSlot: number
  rentedStaffCostSlot: number
  rentedStaffMinimumFte: number
  /** Tax rate of the shield on owned capex; 0: off. */
  taxRate: number
}

/** The mechanics of a model without a finance block: every index 1, nothing else applies. */
function emptyMechanics(years: number): MechanicsPlan {
  return {
    enabled: false,
    file: null,
    years,
    staffInflationSlot: -1,
    energyInflationSlot: -1,
    staffIndex: new Float64Array(years).fill(1),
    energyIndex: new Float64Array(years).fill(1),
    trendSlots: [],
    trendNames: [],
    trendIndex: new Float64Array(0),
    fxDerived: new Int32Array(0),
    resaleAges: new Float64Array(0),
    resaleFractions: new Float64Array(0),
    rentedStaffGpusPerFteSlot: -1,
    rentedStaffCostSlot: -1,
    rentedStaffMinimumFte: 0,
    taxRate: 0,
  }
}

const origin = (file: string, entry: { source: string; date: string; confidence: string }): string =>
  `${file} (${entry.confidence}, ${entry.date}): ${entry.source}`

/** Model-level mechanics: inflation drivers, the staff rule's shared drivers, the resale curve, the tax rate. */
export function compileModelMechanics(
  model: TcoModel,
  years: number,
  finance: FinanceMechanics | null,
  add: AddDriver,
  staffCostScale: (currency: string) => MoneyScale,
  fail: (path: string, rule: string) => never,
): MechanicsPlan {
  const plan = emptyMechanics(years)
  const settings = model.finance
  if (finance !== null) {
    plan.file = finance.file
    const curve = finance.data.resale.curve
    plan.resaleAges = Float64Array.from(curve.map((point) => point.ageYears))
    plan.resaleFractions = Float64Array.from(curve.map((point) => point.fraction))
  }
  if (settings === undefined || finance === null) return plan
  const data = finance.data
  const known = data.priceTrends.map((trend) => trend.id)
  for (const id of Object.keys(settings.priceTrends)) {
    if (!known.includes(id)) fail(`finance.priceTrends.${id}`, `no price trend ${id} in ${finance.file} (known: ${known.join(', ')})`)
  }
  plan.enabled = true
  plan.staffInflationSlot = add(
    'finance.inflation.staff',
    settings.inflation.staff ?? data.inflation.staff.perYear,
    settings.inflation.staff !== undefined ? 'model' : origin(finance.file, data.inflation.staff),
  )
  plan.energyInflationSlot = add(
    'finance.inflation.energy',
    settings.inflation.energy ?? data.inflation.energy.perYear,
    settings.inflation.energy !== undefined ? 'model' : origin(finance.file, data.inflation.energy),
  )
  if (settings.rentedFleetStaff !== false) {
    const override = settings.rentedFleetStaff ?? {}
    const rule = data.rentedFleetStaff
    plan.rentedStaffGpusPerFteSlot = add(
      'finance.rentedFleetStaff.gpusPerFte',
      override.gpusPerFte ?? rule.gpusPerFte,
      override.gpusPerFte !== undefined ? 'model' : origin(finance.file, rule),
    )
    plan.rentedStaffCostSlot =
      override.loadedCostPerYear !== undefined
        ? add('finance.rentedFleetStaff.loadedCostPerYear', override.loadedCostPerYear, 'model')
        : add('finance.rentedFleetStaff.loadedCostPerYear', rule.loadedCostPerYear, origin(finance.file, rule), staffCostScale(rule.currency))
    plan.rentedStaffMinimumFte = override.minimumFte ?? rule.minimumFte
  }
  if (settings.taxShield !== undefined) plan.taxRate = settings.taxShield.rate ?? data.taxShield.rate
  return plan
}

/** The trend that prices an option: the option's own, or the finance file's for its GPU generation (rental) or token APIs. */
export function optionTrend(
  mechanics: MechanicsPlan,
  finance: FinanceMechanics | null,
  model: TcoModel,
  option: TcoOption,
  gpu: string | null,
  add: AddDriver,
): { index: number; label: string | null } {
  const own = option.kind !== 'owned' ? option.priceTrend : undefined
  if (own !== undefined)
    return { index: pushTrend(mechanics, add(`options.${option.id}.priceTrend`, own, 'model'), `options.${option.id}.priceTrend`), label: 'its own priceTrend' }
  if (!mechanics.enabled || finance === null || option.kind === 'owned') return { index: -1, label: null }
  const trend = finance.data.priceTrends.find((entry) =>
    option.kind === 'token-api'
      ? entry.appliesTo === 'token-api'
      : entry.appliesTo === 'gpu-rental' && gpu !== null && (entry.gpus ?? []).some((name) => gpu.toUpperCase().includes(name.toUpperCase())),
  )
  if (trend === undefined) return { index: -1, label: null }
  const name = `finance.priceTrends.${trend.id}`
  const existing = mechanics.trendNames.indexOf(name)
  if (existing !== -1) return { index: existing, label: trend.id }
  const override = model.finance?.priceTrends[trend.id]
  const slot = add(name, override ?? trend.perYear, override !== undefined ? 'model' : origin(finance.file, trend))
  return { index: pushTrend(mechanics, slot, name), label: trend.id }
}

function pushTrend(mechanics: MechanicsPlan, slot: number, name: string): number {
  mechanics.trendSlots.push(slot)
  mechanics.trendNames.push(name)
  mechanics.trendIndex = new Float64Array(mechanics.trendSlots.length * mechanics.years)
  return mechanics.trendSlots.length - 1
}

/**
 * Which model year's trend index prices each model year: the year itself, or for a commitment the
 * year in which its running term (re)started (terms of `termMonths` from `termStart`; never before
 * the option's own start, never before year 0).
 */
export function priceYears(years: number, termMonths: number, termStart: number, optionStart: number): Int32Array {
  const result = new Int32Array(years)
  for (let year = 0; year < years; year++) {
    if (termMonths === 0) {
      result[year] = year
      continue
    }
    const at = Math.max(year * 12, optionStart)
    const renewedAt = termStart + Math.floor((at - termStart) / termMonths) * termMonths
    result[year] = Math.max(0, Math.min(year, Math.floor(renewedAt / 12)))
  }
  return result
}

/** Per draw: the yearly indices of inflation and price trends, and the amounts converted at the drawn FX rate. */
export function prepareMechanics(mechanics: MechanicsPlan, values: Float64Array): void {
  const years = mechanics.years
  if (mechanics.staffInflationSlot !== -1) fillIndex(mechanics.staffIndex, 0, years, values[mechanics.staffInflationSlot] as number)
  if (mechanics.energyInflationSlot !== -1) fillIndex(mechanics.energyIndex, 0, years, values[mechanics.energyInflationSlot] as number)
  const trends = mechanics.trendSlots
  for (let t = 0; t < trends.length; t++) fillIndex(mechanics.trendIndex, t * years, years, values[trends[t] as number] as number)
  const fx = mechanics.fxDerived
  for (let k = 0; k < fx.length; k += 3) values[fx[k] as number] = (values[fx[k + 1] as number] as number) * (values[fx[k + 2] as number] as number)
}

function fillIndex(target: Float64Array, offset: number, years: number, rate: number): void {
  let factor = 1
  for (let year = 0; year < years; year++) {
    target[offset + year] = factor
    factor *= 1 + rate
  }
}

/** Resale share of the purchase price at `ageYears`: linear between the curve's points, flat beyond its ends. */
export function resaleFraction(mechanics: MechanicsPlan, ageYears: number): number {
  const ages = mechanics.resaleAges
  const fractions = mechanics.resaleFractions
  const last = ages.length - 1
  if (last < 0) return 0
  if (ageYears <= (ages[0] as number)) return fractions[0] as number
  for (let k = 1; k <= last; k++) {
    const age = ages[k] as number
    if (ageYears <= age) {
      const previous = ages[k - 1] as number
      const share = (ageYears - previous) / (age - previous)
      return (fractions[k - 1] as number) + share * ((fractions[k] as number) - (fractions[k - 1] as number))
    }
  }
  return fractions[last] as number
}

/** FX volatility per year for a pair (either direction), or undefined. */
export function fxVolatility(finance: FinanceMechanics, from: string, to: string): FinanceMechanicsFile['fx']['volatilities'][number] | undefined {
  return finance.data.fx.volatilities.find((entry) => (entry.base === from && entry.quote === to) || (entry.base === to && entry.quote === from))
}

export function fxOrigin(finance: FinanceMechanics, entry: FinanceMechanicsFile['fx']['volatilities'][number], years: number): string {
  return (
    `${origin(finance.file, entry)}; one multiplier on the dated rate over the ${years}-year horizon: lognormal, median 1, sigma ${entry.perYear} × ` +
    `sqrt(${years}/3)`
  )
}
