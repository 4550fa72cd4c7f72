import type { ComplianceComponentId, TcoModel, TcoOption } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import { COMPLIANCE_PARAMETERS, type ComplianceData, type ComplianceParameterName, entityScope, estateParameter } from './compliance-tax.js'
import { type CompileContext, FROM_MODEL, type ModelSlots, compileContext } from './compile-context.js'
import { compileOption } from './compile-option.js'
import { type Driver, compileCorrelations, driverVariables } from './drivers.js'
import { type FinanceMechanics, type MoneyScale, compileModelMechanics } from './finance-mechanics.js'
import { type ModelPlan, type OptionPlan, type PriceSource, monthsFromStart } from './model-plan.js'

export type { PriceSource } from './model-plan.js'

/**
 * Compiles a TCO model once into numbers: every numeric driver becomes a slot of one Float64Array
 * (its deterministic value, or a Monte Carlo draw), prices are resolved from the catalog and
 * converted into the model's one currency, and each option becomes a flat record of slot indices
 * (model-plan.ts) that evaluate.ts turns into cash flows without allocating anything per draw.
 * The steps add drivers in a fixed order: the model's own, the compliance parameters, each option
 * in turn, then the migrations; the slots (and so the Monte Carlo's draws) depend on that order.
 */
export function compileModel(model: TcoModel, file: string, compliance: ComplianceData, prices: PriceSource, financeFile?: FinanceMechanics): ModelPlan {
  const ctx = compileContext(model, file, compliance, prices, financeFile)
  const { drivers, startYear, startMonthOfYear, months, years, currency } = ctx
  const slots = compileModelSlots(ctx)
  const plans: OptionPlan[] = model.options.map((option, index) => compileOption(ctx, slots, option, index))
  compileMigrations(ctx, slots, plans)
  const warnings = [...notCostedWarnings(model, compliance, plans), ...ctx.mechanicsWarnings]
  const mechanics = slots.mechanics
  mechanics.fxDerived = Int32Array.from(drivers.fxDerived)
  warnings.push(...inlinePriceWarnings(model, file))
  const variables = driverVariables(drivers.drivers)
  for (const variable of variables) {
    if (variable.shared && drivers.drivers.some((driver) => driver.name === variable.name)) {
      ctx.fail(`shared key ${variable.name}`, 'is also the name of a driver: pick a key that names the quantity (sizing.LABEL.gpus, fx.USD-EUR)')
    }
  }
  const switchingProhibitedFrom = compliance.components.dates.switchingChargesProhibitedFrom.from
  const dpfUntil = compliance.components.dates.dpfReserveUntil.until
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
    variables,
    correlations: compileCorrelations(model.correlations, variables, drivers.drivers, file),
    waccSlot: slots.waccSlot,
    growthSlot: slots.growthSlot,
    demandGpusSlot: slots.demandGpusSlot,
    tokensInputSlot: slots.tokensInputSlot,
    tokensOutputSlot: slots.tokensOutputSlot,
    turnoverSlot: slots.turnoverSlot,
    sme: model.company?.sme ?? false,
    // A copy: filled key by key, V8 keeps `params` as a dictionary (a hash lookup per read); the
    // spread gives an object with a fixed shape, read on every cost line of every draw.
    params: { ...slots.params },
    scope: slots.scope,
    complianceOverrides: model.compliance.parameters,
    switchingProhibitedAt: monthsFromStart(startYear, startMonthOfYear, switchingProhibitedFrom),
    switchingProhibitedFrom,
    dpfReserveUntilAt: dpfUntil === null ? Number.POSITIVE_INFINITY : monthsFromStart(startYear, startMonthOfYear, dpfUntil),
    baseline: slots.baselineIndex,
    options: plans,
    warnings,
    focus: model.focus ?? { billingAccountId: `projection-${model.name}`, billingAccountName: `geopat TCO projection: ${model.name}` },
    discount: new Float64Array(months),
    discountSums: new Float64Array(months + 1),
    growth: new Float64Array(years),
    mechanics,
  }
}

/** The model's own drivers, in order: finance mechanics, WACC, demand, turnover, then the compliance parameters; and the entity's scope. */
function compileModelSlots(ctx: CompileContext): ModelSlots {
  const { model, drivers, compliance } = ctx
  const finance = ctx.finance
  const mechanics = compileModelMechanics(
    model,
    ctx.years,
    finance,
    ctx.add,
    (from) => ctx.money(from, `${finance?.file ?? 'finance'}: rentedFleetStaff.currency`),
    ctx.fail,
  )
  const waccSlot = drivers.add('wacc', model.wacc, FROM_MODEL)
  const growthSlot = drivers.add('demand.growthPerYear', model.demand.growthPerYear, FROM_MODEL)
  const demandGpusSlot = model.demand.gpus !== undefined ? drivers.add('demand.gpus', model.demand.gpus, FROM_MODEL) : -1
  const tokensInputSlot = model.demand.tokensPerMonth ? drivers.add('demand.tokensPerMonth.input', model.demand.tokensPerMonth.input, FROM_MODEL) : -1
  const tokensOutputSlot = model.demand.tokensPerMonth ? drivers.add('demand.tokensPerMonth.output', model.demand.tokensPerMonth.output, FROM_MODEL) : -1
  const turnoverSlot = model.company ? drivers.add('company.annualTurnover', model.company.annualTurnover, FROM_MODEL) : -1
  const params = compileComplianceParameters(ctx)
  const centralOf = (slot: number): number => (drivers.drivers[slot] as Driver).distribution.central
  const scope = entityScope(
    model.company,
    turnoverSlot === -1 ? undefined : centralOf(turnoverSlot) / ctx.convert('EUR', 'company.annualTurnover (NIS2 size thresholds in EUR)'),
    centralOf(params.highRiskSystems),
  )
  const baselineId = model.baseline ?? (model.options[0] as TcoOption).id
  return {
    mechanics,
    waccSlot,
    growthSlot,
    demandGpusSlot,
    tokensInputSlot,
    tokensOutputSlot,
    turnoverSlot,
    params,
    scope,
    baselineIndex: model.options.findIndex((option) => option.id === baselineId),
    finesById: new Map(compliance.fines.fines.map((fine) => [fine.id, fine])),
  }
}

/** Compliance parameters: the model's overrides (in its currency), the estate's facts, or the data file's defaults (converted). */
function compileComplianceParameters(ctx: CompileContext): Record<ComplianceParameterName, number> {
  const { model, drivers, compliance } = ctx
  const known = new Set<string>(COMPLIANCE_PARAMETERS)
  for (const name of Object.keys(model.compliance.parameters)) {
    if (!known.has(name)) ctx.fail(`compliance.parameters.${name}`, `unknown parameter (known: ${COMPLIANCE_PARAMETERS.join(', ')})`)
  }
  const params = {} as Record<ComplianceParameterName, number>
  for (const name of COMPLIANCE_PARAMETERS) {
    const override = model.compliance.parameters[name]
    const defaults = compliance.components.parameters[name]
    if (defaults === undefined) throw new UserError(`${compliance.componentsFile}: parameters.${name}: is required`)
    const fromEstate = compliance.estate === undefined ? undefined : estateParameter(compliance.estate, name)
    params[name] =
      override !== undefined
        ? drivers.add(`compliance.${name}`, override, FROM_MODEL)
        : fromEstate !== undefined
          ? drivers.add(`compliance.${name}`, fromEstate.value, fromEstate.origin)
          : drivers.add(
              `compliance.${name}`,
              defaults.value,
              `${compliance.componentsFile} (${defaults.confidence}): ${defaults.source}`,
              ctx.money(defaults.currency, `compliance parameter ${name}`),
            )
  }
  return params
}

/** Migrations: every option but the baseline moves from it (dual running, re-validation, the project, switching charges). */
function compileMigrations(ctx: CompileContext, slots: ModelSlots, plans: OptionPlan[]): void {
  const { drivers, model } = ctx
  const params = slots.params
  const baseline = plans[slots.baselineIndex] as OptionPlan
  model.options.forEach((option, index) => {
    const plan = plans[index] as OptionPlan
    if (plan.isBaseline) return
    const path = `options.${index}.migration`
    const migration = option.migration
    const name = (suffix: string): string => `options.${option.id}.migration.${suffix}`
    const switching = migration?.switching
    const switchingScale = ctx.money(switching?.currency, `${path}.switching.currency`)
    const switchingPerGbSlot = switchingPriceSlot(ctx, baseline, option, { path, scale: switchingScale })
    plan.migration = {
      startMonth: migration?.startMonth ?? 0,
      dualRunningSlot:
        migration?.dualRunningMonths !== undefined ? drivers.add(name('dualRunningMonths'), migration.dualRunningMonths, FROM_MODEL) : params.dualRunningMonths,
      revalidationSlot:
        migration?.revalidationCost !== undefined ? drivers.add(name('revalidationCost'), migration.revalidationCost, FROM_MODEL) : params.revalidationCost,
      projectSlot: migration?.projectCost !== undefined ? drivers.add(name('projectCost'), migration.projectCost, FROM_MODEL) : -1,
      exitFeeSlot: switching?.exitFee !== undefined ? drivers.add(name('switching.exitFee'), switching.exitFee, FROM_MODEL, switchingScale) : -1,
      switchingGbSlot: switching?.dataGB !== undefined ? drivers.add(name('switching.dataGB'), switching.dataGB, FROM_MODEL) : -1,
      switchingPerGbSlot,
      switchingDateAt: switching?.date !== undefined ? monthsFromStart(ctx.startYear, ctx.startMonthOfYear, switching.date) : Number.NaN,
      switchingDate: switching?.date ?? null,
    }
  })
}

/** The price per GB of the data copied out when switching: the migration's own, else the baseline's egress price (−1: no data copied). */
function switchingPriceSlot(ctx: CompileContext, baseline: OptionPlan, option: TcoOption, { path, scale }: { path: string; scale: MoneyScale }): number {
  const switching = option.migration?.switching
  if (switching?.dataGB === undefined) return -1
  if (switching.perGB !== undefined) return ctx.drivers.add(`options.${option.id}.migration.switching.perGB`, switching.perGB, FROM_MODEL, scale)
  if (baseline.egressPerGbSlot !== -1) return baseline.egressPerGbSlot
  return ctx.fail(`${path}.switching.perGB`, `is required (the baseline ${baseline.id} has no egress price to copy the data out at)`)
}

/** What an inline price lacks, and the fix. */
const INLINE_PRICE_RISK = 'not backed by a catalog row (no source, date or staleness check); put the quote in a --catalog file and name it with catalogRow'

/** An offer no catalog row backs has no source, date or staleness check behind its price. */
function inlinePriceWarnings(model: TcoModel, file: string): string[] {
  const warnings: string[] = []
  model.options.forEach((option, index) => {
    if (option.kind !== 'owned' && option.catalogRow === undefined) {
      warnings.push(`${file}: options.${index}.price: option ${option.id} is priced inline, ${INLINE_PRICE_RISK}`)
    }
  })
  return warnings
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
      warnings.push(
        `${component} applies to ${options.join(', ')} but is not costed: ${missing.join(', ')} ` +
          `${missing.length > 1 ? 'are' : 'is'} 0 by default (no public figure); set compliance.parameters`,
      )
    }
  }
  const tlptUnset = plans.some((plan) => plan.components.has('C16')) && unset('doraTlptCost')
  if (tlptUnset && model.company?.doraTlpt === true)
    warnings.push(
      'C16 applies with TLPT (DORA Art. 26) but TLPT is not costed: doraTlptCost is 0 by default (no public figure); set compliance.parameters.doraTlptCost',
    )
  if (plans.some((plan) => plan.components.has('C17')) && unset('nis2CostPerYear'))
    warnings.push('C17 (NIS2) applies but is not costed: nis2CostPerYear is 0 by default (no public figure); set compliance.parameters.nis2CostPerYear')
  const noRevalidation = plans
    .filter((plan, index) => !plan.isBaseline && model.options[index]?.migration?.revalidationCost === undefined)
    .map((plan) => plan.id)
  if (noRevalidation.length > 0 && unset('revalidationCost')) {
    warnings.push(
      `C14 re-validation is not costed for ${noRevalidation.join(', ')}: give migration.revalidationCost (or compliance.parameters.revalidationCost)`,
    )
  }
  return warnings
}
