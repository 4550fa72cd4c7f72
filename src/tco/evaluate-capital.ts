import { CATEGORY, PHASE } from './cost-categories.js'
import { type OptionDraw, priceFactor } from './evaluate-lines.js'
import { HOURS_PER_MONTH } from './finance.js'
import { resaleFraction } from './finance-mechanics.js'
import type { ModelPlan, OptionPlan } from './model-plan.js'
import type { CashFlowSink } from './sinks.js'

/** Capital and commitments: owned servers bought in lots (capex, resale, residual value, tax shield) and a rental's committed terms. */

/**
 * Server and network capex in lots: bought at the move or an anniversary, replaced at the end of their
 * life. At the horizon the servers are credited at book value, or (residualBasis resale) at their
 * resale value by age; servers replaced inside the horizon are sold at their resale value. With a tax
 * rate, straight-line depreciation × rate is credited monthly over the life (the tax shield).
 */
export function emitCapex(plan: ModelPlan, option: OptionPlan, values: Float64Array, sink: CashFlowSink, start: number): void {
  const months = plan.months
  const server = values[option.capexSlot] as number
  const network = server * (values[option.networkShareSlot] as number)
  const life = option.depreciationYears * 12
  const resale = option.residualBasis === 'resale'
  const taxRate = plan.mechanics.taxRate
  let previous = 0
  let residual = 0
  let residualNodes = 0
  for (let year = 0; year < plan.years; year++) {
    const nodes = option.units[year] as number
    const bought = nodes - previous
    previous = nodes
    if (bought <= 0) continue
    for (let at = Math.max(start, year * 12); at < months; at += life) {
      sink.once(CATEGORY.capexServer, PHASE.own, at, bought * server, bought)
      sink.once(CATEGORY.capexNetworkStorage, PHASE.own, at, bought * network, bought)
      if (taxRate > 0) sink.range(CATEGORY.taxShield, PHASE.own, at, Math.min(months, at + life), (-taxRate * bought * (server + network)) / life, bought)
      if (resale) {
        if (at + life < months)
          sink.once(CATEGORY.resaleProceeds, PHASE.own, at + life, -bought * server * resaleFraction(plan.mechanics, option.depreciationYears), bought)
        else {
          residual += bought * server * resaleFraction(plan.mechanics, (months - at) / 12)
          residualNodes += bought
        }
      } else if (at + life > months) {
        residual += bought * (server + network) * (1 - (months - at) / life)
        residualNodes += bought
      }
    }
  }
  if (option.residualValue && residual > 0) sink.once(CATEGORY.residualValue, PHASE.own, months - 1, -residual, residualNodes)
}

/**
 * A rental's commitment (1-yr, 3-yr) over [from, to): terms of commitmentTermMonths from commitmentStart,
 * renewed while the option is used; within a term the committed GPUs are the most needed so far (growth
 * is co-termed with the running term). GPUs committed but no longer needed (a shrink) are billed as
 * commitment-stranded to the end of the term; after an exit at `to` (`exited`), all committed GPUs are,
 * at the term's price. Lines before `split` fall under `phaseBefore`, the others under `phaseAfter`.
 */
export function emitCommitment(draw: OptionDraw, from: number, to: number, exited: boolean, phaseBefore: number, phaseAfter: number, split: number): void {
  const { plan, option, values } = draw
  const term = option.commitmentTermMonths
  // An estate-driven option bills each workload's own rows (emitEstateLines): its fleet-level commitment is not modelled.
  if (term === 0 || to <= from || option.computeFromEstate) return
  const discount = option.discountSlot === -1 ? 0 : (values[option.discountSlot] as number)
  const perGpuMonth = (values[option.priceSlot] as number) * (1 - discount) * HOURS_PER_MONTH
  let termStart = option.commitmentStart + Math.floor((from - option.commitmentStart) / term) * term
  let committed = 0
  let at = from
  while (at < to) {
    const year = Math.floor(at / 12)
    const termEnd = termStart + term
    const next = Math.min(to, termEnd, (year + 1) * 12)
    const needed = option.units[year] as number
    if (needed > committed) committed = needed
    if (committed > needed) {
      bookStranded(draw, at < split ? phaseBefore : phaseAfter, at, next, committed - needed, perGpuMonth, year)
    }
    at = next
    if (at >= termEnd) {
      termStart = termEnd
      committed = 0
    }
  }
  if (!exited || committed === 0) return
  const end = Math.min(plan.months, termStart + term)
  while (at < end) {
    const year = Math.floor(at / 12)
    const next = Math.min(end, (year + 1) * 12)
    bookStranded(draw, at < split ? phaseBefore : phaseAfter, at, next, committed, perGpuMonth, year)
    at = next
  }
}

/** Committed GPUs not in use over [from, to) of model year `year`, billed as commitment-stranded at the year's price. */
function bookStranded(draw: OptionDraw, phase: number, from: number, to: number, gpus: number, perGpuMonth: number, year: number): void {
  draw.sink.range(CATEGORY.commitmentStranded, phase, from, to, gpus * perGpuMonth * priceFactor(draw.plan, draw.option, year), gpus * HOURS_PER_MONTH)
}
