import type { RentalOption, TcoOption } from '../io/schema/tco-model.js'
import { type CompileContext, FROM_MODEL } from './compile-context.js'
import { type MechanicsPlan, optionTrend, priceYears } from './finance-mechanics.js'
import type { OptionPlan } from './model-plan.js'

/** Finance mechanics of one option: its price trend and commitment, ramp, staff rule and residual basis. */
export function compileOptionMechanics(ctx: CompileContext, mechanics: MechanicsPlan, plan: OptionPlan, option: TcoOption, path: string): void {
  const settings = ctx.model.finance
  const finance = ctx.finance
  const optionStart = plan.isBaseline ? 0 : (option.migration?.startMonth ?? 0)
  const trend = optionTrend(mechanics, finance, ctx.model, option, plan.gpu, ctx.add)
  plan.trend = trend.index
  if (option.kind === 'rental') {
    compileCommitment(ctx, plan, option, optionStart, path)
    compileRentedStaff(ctx, mechanics, plan, option)
  }
  if (trend.label !== null && settings !== undefined) {
    const follows = trend.label === 'its own priceTrend' ? trend.label : `the ${trend.label} trend`
    const held = plan.commitmentTermMonths > 0 ? ' (a committed price holds for its term)' : ''
    plan.notes.push(`${option.kind === 'token-api' ? 'per-token' : 'per-GPU-hour'} price follows ${follows} from year to year${held}`)
  }
  if (option.kind === 'rental' && plan.gpu !== null && trend.index === -1 && settings !== undefined)
    plan.notes.push(`no price trend in ${finance?.file} matches GPU ${plan.gpu}: its price is held constant`)
  if (!plan.isBaseline) plan.rampMonths = option.rampMonths ?? (settings !== undefined ? (settings.rampMonths ?? finance?.data.ramp.months ?? 0) : 0)
  if (plan.rampMonths > 0) {
    const committed = plan.commitmentTermMonths > 0 ? '; its committed GPUs bill in full, the idle share as commitment-stranded' : ''
    plan.notes.push(
      `its usage ramps up linearly over ${plan.rampMonths} months from its start (GPU-hours, tokens, energy and egress ramp; staff, support and capex do ` +
        `not${committed})`,
    )
  }
  if (option.kind === 'owned') plan.residualBasis = option.residualBasis ?? (settings !== undefined ? 'resale' : 'book')
}

/** A rental's 1-yr or 3-yr commitment (modelled with the finance block's commitments): its term, start and the years whose price it keeps. */
function compileCommitment(ctx: CompileContext, plan: OptionPlan, option: RentalOption, optionStart: number, path: string): void {
  const term = plan.pricingModel === '1-yr' ? 12 : plan.pricingModel === '3-yr' ? 36 : 0
  if (option.commitmentStartMonth !== undefined) {
    if (term === 0) ctx.fail(`${path}.commitmentStartMonth`, `applies to a 1-yr or 3-yr commitment; this option buys ${plan.pricingModel}`)
    if (!plan.isBaseline) ctx.fail(`${path}.commitmentStartMonth`, 'applies to the baseline (a new option commits when its move starts)')
    if (option.commitmentStartMonth <= optionStart - term || option.commitmentStartMonth > optionStart) {
      ctx.fail(`${path}.commitmentStartMonth`, `must lie in the running term: from ${optionStart - term + 1} to ${optionStart} (months from the model's start)`)
    }
  }
  if (ctx.model.finance?.commitments && term > 0) {
    plan.commitmentTermMonths = term
    plan.commitmentStart = option.commitmentStartMonth ?? optionStart
    const unknownStart =
      plan.isBaseline && option.commitmentStartMonth === undefined
        ? ' (assumed to begin at the start month: set commitmentStartMonth to when the running term began)'
        : ''
    plan.notes.push(
      `${plan.pricingModel} commitment from month ${plan.commitmentStart}${unknownStart}, renewed every ` +
        `${term} months while used: after an exit or a shrink it bills to the end of its term (commitment-stranded)`,
    )
  }
  plan.priceYear = priceYears(ctx.years, plan.commitmentTermMonths, plan.commitmentStart, optionStart)
}

/** A rented fleet's operations staff: its own, or the finance file's rented-fleet rule. */
function compileRentedStaff(ctx: CompileContext, mechanics: MechanicsPlan, plan: OptionPlan, option: RentalOption): void {
  if (option.staff !== undefined) {
    plan.fteSlot = ctx.drivers.add(`options.${option.id}.staff.fte`, option.staff.fte, FROM_MODEL)
    plan.staffCostSlot = ctx.drivers.add(`options.${option.id}.staff.loadedCostPerYear`, option.staff.loadedCostPerYear, FROM_MODEL)
  } else if (mechanics.rentedStaffGpusPerFteSlot !== -1) {
    plan.staffGpusPerFteSlot = mechanics.rentedStaffGpusPerFteSlot
    plan.staffCostSlot = mechanics.rentedStaffCostSlot
    plan.notes.push(
      `operations staff by the rented-fleet rule of ${ctx.finance?.file}: max(${mechanics.rentedStaffMinimumFte}, GPUs / GPUs per FTE) FTE a year`,
    )
  }
}
