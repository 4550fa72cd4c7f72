import { evaluatedOptions } from './monte-carlo.js'
import { emitOption, prepareDraw } from './evaluate.js'
import { PresentValueSink } from './sinks.js'
import type { ModelPlan } from './model-plan.js'

/**
 * Tornado: each uncertain quantity (a driver, or all drivers of one shared key together, named by
 * the key; the model's correlations are not applied here) moved from its P10 to its P90 while every other driver stays at
 * its deterministic value (the mode, or the median), and the NPV of each option's savings against
 * the baseline recomputed; drivers sorted by the swing |NPV at P90 − NPV at P10|, largest first.
 */

export interface TornadoBar {
  driver: string
  /** The driver's P10 and P90 (in the model's currency where it is money). */
  low: number
  high: number
  central: number
  /** NPV of savings with the driver at its P10, and at its P90. */
  savingsAtLow: number
  savingsAtHigh: number
  swing: number
}

export interface TornadoResult {
  /** Option id → bars, for every option evaluated against the baseline. */
  option: string
  /** NPV of savings with every driver at its deterministic value. */
  savingsAtCentral: number
  bars: TornadoBar[]
}

export function runTornado(plan: ModelPlan): TornadoResult[] {
  const central = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const evaluated = evaluatedOptions(plan)
  const compared = plan.options.filter((option, index) => evaluated[index] && !option.isBaseline)
  const sink = new PresentValueSink(plan)
  const savingsWith = (values: Float64Array): number[] => {
    prepareDraw(plan, values)
    const cost = (index: number): number => {
      sink.total = 0
      emitOption(plan, plan.options[index] as (typeof plan.options)[number], values, sink)
      return sink.total
    }
    const baseline = cost(plan.baseline)
    return compared.map((option) => baseline - cost(option.index))
  }
  const atCentral = savingsWith(central)
  const bars: TornadoBar[][] = compared.map(() => [])
  for (const variable of plan.variables) {
    // A shared quantity moves as one: every member from its P10 to its P90 together.
    const first = (plan.drivers[variable.slots[0] as number] as (typeof plan.drivers)[number]).distribution
    const low = first.quantile(0.1)
    const high = first.quantile(0.9)
    const values = Float64Array.from(central)
    for (const slot of variable.slots) values[slot] = (plan.drivers[slot] as (typeof plan.drivers)[number]).distribution.quantile(0.1)
    const atLow = savingsWith(values)
    for (const slot of variable.slots) values[slot] = (plan.drivers[slot] as (typeof plan.drivers)[number]).distribution.quantile(0.9)
    const atHigh = savingsWith(values)
    compared.forEach((_option, k) => {
      const swing = Math.abs((atHigh[k] as number) - (atLow[k] as number))
      if (swing > 1e-9 * Math.max(1, Math.abs(atCentral[k] as number))) {
        bars[k]?.push({ driver: variable.name, low, high, central: first.central, savingsAtLow: atLow[k] as number, savingsAtHigh: atHigh[k] as number, swing })
      }
    })
  }
  return compared.map((option, k) => ({
    option: option.id,
    savingsAtCentral: atCentral[k] as number,
    bars: (bars[k] as TornadoBar[]).sort((a, b) => b.swing - a.swing || a.driver.localeCompare(b.driver)),
  }))
}
