import { irr, npv } from 'financial'
import { HOURS_PER_MONTH } from '../pricing/unit-cost.js'

/**
 * Finance conventions of `geopat tco`, in one place:
 * - cash flows are monthly; month 0 is the model's start month;
 * - the monthly discount rate is (1 + WACC)^(1/12) − 1 (the annual WACC compounded monthly);
 * - a month's cash flows are timed at the start of that month, so month m is discounted by
 *   (1 + r)^−m: our NPV of a monthly series equals numpy-financial's `npv(r, flows)`
 *   (the `financial` package's port of it), month 0 undiscounted;
 * - costs are positive amounts; an option's "NPV (cost)" is the present value of its costs, and
 *   savings = NPV(cost of the baseline) − NPV(cost of the option).
 */

const HOURS_PER_YEAR = 8760
/** A month of 730 hours: one definition for pricing, sizing and the TCO (src/pricing/unit-cost.ts). */
export { HOURS_PER_MONTH }

export function monthlyRate(annualRate: number): number {
  return (1 + annualRate) ** (1 / 12) - 1
}

/** Present value of monthly flows at an annual rate (numpy-financial's npv at the monthly rate). */
export function presentValue(annualRate: number, monthlyFlows: ArrayLike<number>): number {
  return npv(monthlyRate(annualRate), Array.from(monthlyFlows))
}

/**
 * Capital recovery factor: the level annual payment, per unit of capital, that repays it with
 * interest at `rate` over `years` years: r (1 + r)^n / ((1 + r)^n − 1); 1/n when r = 0.
 */
export function capitalRecoveryFactor(rate: number, years: number): number {
  if (rate === 0) return 1 / years
  const growth = (1 + rate) ** years
  return (rate * growth) / (growth - 1)
}

export interface IrrResult {
  /** Annualized: (1 + monthly IRR)^12 − 1; null where none exists. */
  annual: number | null
  monthly: number | null
  /** Why there is none (no sign change, or the solver found no root). */
  note: string | null
}

/**
 * IRR of monthly incremental cash flows (savings: baseline cost − option cost), with the
 * `financial` package's Newton solver, tried from a few starting guesses because monthly rates are
 * small and the default guess (0.1 per period) can diverge.
 */
export function incrementalIrr(monthlyFlows: ArrayLike<number>): IrrResult {
  const values = Array.from(monthlyFlows)
  const hasPositive = values.some((value) => value > 1e-9)
  const hasNegative = values.some((value) => value < -1e-9)
  if (!hasNegative) return { annual: null, monthly: null, note: 'no upfront outlay: the option saves from the first month, so the IRR is unbounded' }
  if (!hasPositive) return { annual: null, monthly: null, note: 'the option never saves in any month: no IRR' }
  for (const guess of [0.01, 0.1, -0.01, 0.5]) {
    const monthly = irr(values, guess, 1e-10, 200)
    if (Number.isFinite(monthly) && monthly > -1) {
      return { annual: (1 + monthly) ** 12 - 1, monthly, note: null }
    }
  }
  return { annual: null, monthly: null, note: 'the IRR solver found no root (cash flows change sign more than once?)' }
}

/**
 * The month at the end of which cumulative savings become ≥ 0 and stay so to the horizon; 0 when
 * the option never costs more; null when cumulative savings end negative. Discounted: the same on
 * discounted savings (break-even in present-value terms).
 */
export function paybackMonth(monthlySavings: ArrayLike<number>, monthlyRateForDiscount = 0): number | null {
  let cumulative = 0
  let lastNegativeMonth = -1
  let factor = 1
  for (let month = 0; month < monthlySavings.length; month++) {
    cumulative += (monthlySavings[month] as number) * factor
    factor /= 1 + monthlyRateForDiscount
    if (cumulative < -1e-6) lastNegativeMonth = month
  }
  if (cumulative < -1e-6) return null
  return lastNegativeMonth + 1
}

/** The drivers of an owned server's cost per GPU-hour (economics.md's on-prem worked example). */
export interface OwnedGpuHourInputs {
  serverCapex: number
  gpusPerNode: number
  /** Network and storage as a share of server capex. */
  networkStorageShare: number
  /** Support per year as a share of capex (server + network). */
  supportPerYear: number
  /** Years over which capex is recovered (the depreciation life). */
  years: number
  wacc: number
  powerKwPerGpu: number
  powerUtilization: number
  pue: number
  energyPerKWh: number
  /** Colocation per provisioned kW-month and kW provisioned per GPU, if any. */
  colocationPerKwMonth?: number
  provisionedKwPerGpu?: number
  /** Staff cost per year spread over `staffGpus` GPUs (the installed fleet), if any. */
  staffCostPerYear?: number
  staffGpus?: number
}

export interface OwnedGpuHourCost {
  capex: number
  support: number
  power: number
  colocation: number
  staff: number
  beforeStaff: number
  withStaff: number
}

/**
 * Cost per GPU-hour of an owned server at 100% allocation (every hour of the year counts):
 * capex (server × (1 + network/storage share)) annualized with the capital recovery factor at WACC
 * over the depreciation life, plus support (share of that capex per year), divided by GPUs × 8,760 h;
 * plus power per GPU = kW per GPU × utilization × PUE × price per kWh; plus colocation per
 * provisioned kW; staff shown separately.
 */
export function ownedGpuHourCost(inputs: OwnedGpuHourInputs): OwnedGpuHourCost {
  const totalCapex = inputs.serverCapex * (1 + inputs.networkStorageShare)
  const gpuHoursPerYear = inputs.gpusPerNode * HOURS_PER_YEAR
  const capex = (totalCapex * capitalRecoveryFactor(inputs.wacc, inputs.years)) / gpuHoursPerYear
  const support = (totalCapex * inputs.supportPerYear) / gpuHoursPerYear
  const power = inputs.powerKwPerGpu * inputs.powerUtilization * inputs.pue * inputs.energyPerKWh
  const colocation = ((inputs.colocationPerKwMonth ?? 0) * (inputs.provisionedKwPerGpu ?? 0)) / HOURS_PER_MONTH
  const staff = inputs.staffCostPerYear && inputs.staffGpus ? inputs.staffCostPerYear / (inputs.staffGpus * HOURS_PER_YEAR) : 0
  const beforeStaff = capex + support + power + colocation
  return { capex, support, power, colocation, staff, beforeStaff, withStaff: beforeStaff + staff }
}
