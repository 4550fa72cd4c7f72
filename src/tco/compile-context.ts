import type { FineCeiling, TcoModel, UncertainNumber } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import type { ComplianceData, ComplianceParameterName, EntityScope } from './compliance-tax.js'
import { DriverTable } from './drivers.js'
import {
  type FinanceMechanics,
  type MechanicsPlan,
  type MoneyScale,
  BUILT_IN_FINANCE_FILE,
  fxOrigin,
  fxVolatility,
  loadFinanceMechanics,
} from './finance-mechanics.js'
import type { ModelDriverSlots, PriceSource } from './model-plan.js'

/** The origin of a driver the model itself gives. */
export const FROM_MODEL = 'model'

/**
 * What every step of compileModel reads: the model and its inputs, the driver table being filled,
 * and the rules that fail on a field and convert money into the model's currency.
 */
export interface CompileContext {
  model: TcoModel
  file: string
  compliance: ComplianceData
  prices: PriceSource
  drivers: DriverTable
  currency: string
  startYear: number
  /** 0 = January. */
  startMonthOfYear: number
  months: number
  years: number
  /** The finance mechanics data file, when the model has a finance block (or an option asks for resale values). */
  finance: FinanceMechanics | null
  /** Warnings of the finance mechanics (an FX rate without a volatility). */
  mechanicsWarnings: string[]
  /** Throws the one-line UserError `FILE: PATH: RULE`. */
  fail(path: string, rule: string): never
  /** Units of the model's currency one unit of `from` buys (1 for the model's own currency). */
  convert(from: string | undefined, path: string): number
  /** The scale of a money driver in `from`: the dated rate, times the shared FX driver's draw. */
  money(from: string | undefined, path: string): MoneyScale
  add(name: string, spec: UncertainNumber, origin: string, scale?: number | MoneyScale): number
}

/** The model-level slots the options' steps read, once the model's own drivers are in the table. */
export interface ModelSlots extends ModelDriverSlots {
  mechanics: MechanicsPlan
  params: Record<ComplianceParameterName, number>
  scope: EntityScope
  baselineIndex: number
  finesById: ReadonlyMap<string, FineCeiling>
}

export function compileContext(model: TcoModel, file: string, compliance: ComplianceData, prices: PriceSource, financeFile?: FinanceMechanics): CompileContext {
  const drivers = new DriverTable()
  const [startYear, startMonth] = model.startMonth.split('-').map(Number) as [number, number]
  const years = model.horizonYears
  const currency = model.currency
  const fail = (path: string, rule: string): never => {
    throw new UserError(`${file}: ${path}: ${rule}`)
  }
  const convert = (from: string | undefined, path: string): number =>
    from === undefined || from === currency ? 1 : prices.rate(from, currency, `${file}: ${path}`)
  // Finance mechanics: the data file when the model has a finance block (or an option asks for resale values).
  const needsFinance = model.finance !== undefined || model.options.some((option) => option.kind === 'owned' && option.residualBasis === 'resale')
  const finance = needsFinance ? (financeFile ?? loadFinanceMechanics(model.finance?.file ?? BUILT_IN_FINANCE_FILE)) : null
  const mechanicsWarnings: string[] = []
  const fxSlotFor = fxSlots(model, finance, drivers, mechanicsWarnings)
  return {
    model,
    file,
    compliance,
    prices,
    drivers,
    currency,
    startYear,
    startMonthOfYear: startMonth - 1,
    months: model.horizonYears * 12,
    years,
    finance,
    mechanicsWarnings,
    fail,
    convert,
    money: (from, path) => {
      const factor = convert(from, path)
      return { factor, fxSlot: from === undefined || from === currency ? -1 : fxSlotFor(from) }
    },
    add: (name, spec, origin, scale = 1) => drivers.add(name, spec, origin, scale),
  }
}

/** One FX driver per foreign currency, shared by every amount converted from it (finance mechanics, fxUncertainty); added when first asked for. */
function fxSlots(model: TcoModel, finance: FinanceMechanics | null, drivers: DriverTable, warnings: string[]): (from: string) => number {
  const currency = model.currency
  const years = model.horizonYears
  const slots = new Map<string, number>()
  return (from) => {
    if (finance === null || model.finance === undefined || !model.finance.fxUncertainty) return -1
    const known = slots.get(from)
    if (known !== undefined) return known
    const volatility = fxVolatility(finance, from, currency)
    let slot = -1
    if (volatility === undefined)
      warnings.push(`no FX volatility for ${from}/${currency} in ${finance.file}: amounts in ${from} convert at the dated rate, without uncertainty`)
    else if (volatility.perYear > 0)
      slot = drivers.add(
        `fx.${from}/${currency}`,
        { lognormal: { median: 1, sigma: volatility.perYear * Math.sqrt(years / 3) } },
        fxOrigin(finance, volatility, years),
      )
    slots.set(from, slot)
    return slot
  }
}
