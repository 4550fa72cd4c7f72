import type { CatalogRow } from '../io/schema/catalog.js'
import type { OwnedOption, RentalOption, TcoOption, TokenApiOption, UncertainNumber } from '../io/schema/tco-model.js'
import { describeConfirmation } from '../pricing/provenance.js'
import { saleUnitOf } from '../pricing/sale-unit.js'
import { UserError } from '../util/errors.js'
import { applicableComponents, sealGate } from './compliance-tax.js'
import { type CompileContext, FROM_MODEL, type ModelSlots } from './compile-context.js'
import { compileOptionMechanics } from './compile-option-mechanics.js'
import { priceYears } from './finance-mechanics.js'
import type { OptionPlan, PriceSource, RiskPlan } from './model-plan.js'

/**
 * One option of a TCO model compiled into slots: who and where it is (SEAL gate, compliance
 * components, regulatory risks), its price by kind (rental, token API, owned), egress and finance
 * mechanics. Drivers are added in a fixed order: the slots (and so the Monte Carlo's draws) depend on it.
 */
export function compileOption(ctx: CompileContext, slots: ModelSlots, option: TcoOption, index: number): OptionPlan {
  const path = `options.${index}`
  const row =
    'catalogRow' in option && option.catalogRow !== undefined
      ? resolveRow(ctx.prices, option.catalogRow, option.kind, ctx.file, `${path}.catalogRow`)
      : undefined
  // The first date is the row's last confirmation (the report dates the driver by it): the fetch's day, else the effective date.
  const rowOrigin = row
    ? `catalog row ${row.id} (${row.confidence}, ${describeConfirmation(row)}${row.basis !== undefined ? `, ${row.basis}` : ''}): ${row.source}`
    : FROM_MODEL
  const plan = optionIdentity(ctx, slots, option, index, row)
  let priceCurrency: string | undefined
  if (option.kind === 'rental') priceCurrency = compileRentalPrice(ctx, slots, plan, option, { row, rowOrigin, path })
  else if (option.kind === 'token-api') priceCurrency = compileTokenApiPrice(ctx, plan, option, { row, rowOrigin, path })
  else compileOwnedCosts(ctx, slots, plan, option)
  if (plan.gpusSlot === -1 && option.kind !== 'token-api') ctx.fail(`${path}.gpus`, 'is required when demand.gpus is not given')
  compileEgress(ctx, plan, option, { row, rowOrigin, path }, priceCurrency)
  compileOptionMechanics(ctx, slots.mechanics, plan, option, path)
  if (plan.components.has('C4') && slots.tokensInputSlot === -1) ctx.fail('demand.tokensPerMonth', `is required: C4 (redaction) applies to option ${option.id}`)
  if (plan.risks.length > 0 && slots.turnoverSlot === -1) ctx.fail('company.annualTurnover', `is required by option ${option.id}'s regulatoryRisks (C9)`)
  return plan
}

/** The catalog row an option names, where it names one: its path in the model and the origin its drivers cite. */
interface OptionRow {
  row: CatalogRow | undefined
  rowOrigin: string
  path: string
}

function resolveRow(prices: PriceSource, id: string, kind: TcoOption['kind'], file: string, path: string): CatalogRow {
  const row = prices.row(id)
  if (!row) throw new UserError(`${file}: ${path}: no catalog row ${id} (check the id with geopat catalog list, or load the file that has it with --catalog)`)
  if (kind === 'owned') throw new UserError(`${file}: ${path}: an owned option takes its costs from the model, not a catalog row`)
  return row
}

/** The option's plan before its prices: who and where it is, its gate, compliance components and regulatory risks; every cost slot absent. */
function optionIdentity(ctx: CompileContext, slots: ModelSlots, option: TcoOption, index: number, row: CatalogRow | undefined): OptionPlan {
  const path = `options.${index}`
  const seal = option.seal ?? row?.sovereignty ?? ctx.fail(`${path}.seal`, 'is required (no catalog row gives one): SEAL-0 … SEAL-4')
  const jurisdiction =
    option.jurisdiction ?? row?.jurisdiction ?? ctx.fail(`${path}.jurisdiction`, 'is required (no catalog row gives one): { region: DE, parent: DE }')
  const isBaseline = index === slots.baselineIndex
  const carried = ctx.model.sovereignty.dataClasses.filter((dataClass) => option.dataClasses === undefined || option.dataClasses.includes(dataClass.name))
  const notes: string[] = []
  if (option.seal !== undefined && row !== undefined && row.sovereignty !== option.seal)
    notes.push(`SEAL level ${option.seal} given in the model overrides catalog row ${row.id}'s ${row.sovereignty}`)
  const gate = sealGate(seal, carried)
  const components = applicableComponents(
    ctx.compliance.components,
    { compliance: option.compliance, parentCountry: jurisdiction.parent, isBaseline },
    slots.scope,
  )
  const plan: OptionPlan = {
    index,
    id: option.id,
    name: option.name ?? option.id,
    kind: option.kind,
    strategy: option.strategy ?? null,
    provider: option.provider ?? row?.provider ?? (option.kind === 'owned' ? 'own data centre' : option.id),
    region: option.region ?? row?.region ?? jurisdiction.region,
    jurisdiction,
    seal,
    gpu: row?.gpu ?? null,
    catalogRow: row?.id ?? null,
    isBaseline,
    gate,
    components,
    applies: new Uint8Array(18),
    vendors: option.vendors,
    risks: compileRisks(ctx, slots, option, path, notes),
    ...absentCosts(ctx.years, notes),
  }
  for (const component of plan.components) plan.applies[Number(component.slice(1))] = 1
  if (!plan.gate.feasible && isBaseline)
    notes.push('the baseline fails the sovereignty gate: staying is not an option; savings are still measured against its costs (the status quo)')
  return plan
}

/** Every cost slot of an option absent (−1), before its kind's step fills its own. */
function absentCosts(
  years: number,
  notes: string[],
): Omit<
  OptionPlan,
  | 'index'
  | 'id'
  | 'name'
  | 'kind'
  | 'strategy'
  | 'provider'
  | 'region'
  | 'jurisdiction'
  | 'seal'
  | 'gpu'
  | 'catalogRow'
  | 'isBaseline'
  | 'gate'
  | 'components'
  | 'applies'
  | 'vendors'
  | 'risks'
> {
  return {
    egressGbSlot: -1,
    egressPerGbSlot: -1,
    gpusSlot: -1,
    gpusPerUnit: 1,
    priceSlot: -1,
    discountSlot: -1,
    pricingModel: null,
    priceIsOnDemand: false,
    pricing: null,
    egressPricing: null,
    capexSlot: -1,
    networkShareSlot: -1,
    depreciationYears: 0,
    supportSlot: -1,
    kwPerGpuSlot: -1,
    powerUtilizationSlot: -1,
    pueSlot: -1,
    energySlot: -1,
    colocationSlot: -1,
    provisionedKwSlot: -1,
    fteSlot: -1,
    staffCostSlot: -1,
    residualValue: false,
    inputPriceSlot: -1,
    outputPriceSlot: -1,
    migration: null,
    units: new Float64Array(years),
    notes,
    trend: -1,
    priceYear: priceYears(years, 0, 0, 0),
    commitmentTermMonths: 0,
    commitmentStart: 0,
    rampMonths: 0,
    staffGpusPerFteSlot: -1,
    residualBasis: 'book',
    estateLines: [],
    computeFromEstate: false,
    estateStayingShare: 0,
  }
}

/** The option's regulatory risks (C9): each fine from the fines file, its probability and severity as drivers. */
function compileRisks(ctx: CompileContext, slots: ModelSlots, option: TcoOption, path: string, notes: string[]): RiskPlan[] {
  const name = (suffix: string): string => `options.${option.id}.${suffix}`
  const finesById = slots.finesById
  return option.regulatoryRisks.map((risk, riskIndex) => {
    const fine =
      finesById.get(risk.fine) ??
      ctx.fail(`${path}.regulatoryRisks.${riskIndex}.fine`, `no fine ${risk.fine} in ${ctx.compliance.finesFile} (known: ${[...finesById.keys()].join(', ')})`)
    if (fine.appliesTo) notes.push(`regulatory risk ${fine.id}: ${fine.title} falls on ${fine.appliesTo}`)
    return {
      fine: fine.id,
      probabilitySlot: ctx.drivers.add(name(`regulatoryRisks.${risk.fine}.probabilityPerYear`), risk.probabilityPerYear, FROM_MODEL),
      severitySlot: ctx.drivers.add(name(`regulatoryRisks.${risk.fine}.severity`), risk.severity, FROM_MODEL),
      fixedAmount: fine.fixedAmount * ctx.convert(fine.currency, `${path}.regulatoryRisks.${riskIndex} (fine ${fine.id} in ${fine.currency})`),
      shareOfTurnover: fine.shareOfTurnover,
      smeLower: fine.smeRule === 'lower',
    }
  })
}

/** A rental's price per GPU-hour (its catalog row's, per GPU, or inline), its discount and GPUs; returns the price's currency. */
function compileRentalPrice(
  ctx: CompileContext,
  slots: ModelSlots,
  plan: OptionPlan,
  option: RentalOption,
  { row, rowOrigin, path }: OptionRow,
): string | undefined {
  const name = (suffix: string): string => `options.${option.id}.${suffix}`
  let price: UncertainNumber
  let priceCurrency: string | undefined
  let pricingModelOfPrice: string
  if (row) {
    if (row.unit === 'mtok' || row.price === undefined) return ctx.fail(`${path}.catalogRow`, `row ${row.id} is priced per million tokens: use kind token-api`)
    price = row.unit === 'instance-hour' ? row.price / row.gpuCount : row.price
    priceCurrency = row.currency
    pricingModelOfPrice = row.pricingModel
    plan.gpusPerUnit = option.gpusPerInstance ?? saleUnitOf(row).gpusPerNode
  } else {
    const inline = option.price as NonNullable<typeof option.price>
    price = inline.perGpuHour
    priceCurrency = inline.currency
    pricingModelOfPrice = inline.pricingModel
    plan.gpusPerUnit = option.gpusPerInstance ?? 1
  }
  plan.priceSlot = ctx.drivers.add(name('pricePerGpuHour'), price, rowOrigin, ctx.money(priceCurrency, `${path}.price`))
  plan.pricing = { currency: priceCurrency ?? ctx.currency, toModel: ctx.convert(priceCurrency, `${path}.price`) }
  const bought = option.pricingModel ?? pricingModelOfPrice
  plan.pricingModel = bought
  plan.priceIsOnDemand = pricingModelOfPrice === 'on-demand'
  compileRentalDiscount(ctx, plan, option, { bought, pricingModelOfPrice, path })
  plan.gpusSlot = option.gpus !== undefined ? ctx.drivers.add(name('gpus'), option.gpus, FROM_MODEL) : slots.demandGpusSlot
  return priceCurrency
}

/** The discount off the price: the option's own, or the catalog's default for buying `bought` when the price is on-demand. */
function compileRentalDiscount(
  ctx: CompileContext,
  plan: OptionPlan,
  option: RentalOption,
  { bought, pricingModelOfPrice, path }: { bought: string; pricingModelOfPrice: string; path: string },
): void {
  const name = `options.${option.id}.discount`
  if (option.discount !== undefined) {
    plan.discountSlot = ctx.drivers.add(name, option.discount, FROM_MODEL)
  } else if (bought !== pricingModelOfPrice) {
    if (pricingModelOfPrice !== 'on-demand') {
      ctx.fail(
        `${path}.pricingModel`,
        `the price is a ${pricingModelOfPrice} price: buying ${bought} needs an on-demand price to discount from, or its own discount`,
      )
    }
    const discount =
      ctx.prices.discount(bought as '1-yr' | '3-yr' | 'spot') ??
      ctx.fail(`${path}.discount`, `is required: no default ${bought} discount off on-demand is loaded (give discount, or a catalog with pricingDefaults)`)
    plan.discountSlot = ctx.drivers.add(name, discount.fraction, `catalog pricing default for ${bought}: ${discount.source}`)
  }
}

/** A token API's prices per million input and output tokens (its catalog row's, or inline); returns the price's currency. */
function compileTokenApiPrice(ctx: CompileContext, plan: OptionPlan, option: TokenApiOption, { row, rowOrigin, path }: OptionRow): string | undefined {
  const name = (suffix: string): string => `options.${option.id}.${suffix}`
  let input: UncertainNumber
  let output: UncertainNumber
  let priceCurrency: string | undefined
  if (row) {
    if (row.unit !== 'mtok' || row.pricePerMtok === undefined)
      return ctx.fail(`${path}.catalogRow`, `row ${row.id} is priced per ${row.unit}, not per million tokens: use kind rental`)
    input = row.pricePerMtok.input
    output = row.pricePerMtok.output
    priceCurrency = row.currency
  } else {
    const inline = option.price as NonNullable<typeof option.price>
    input = inline.inputPerMtok
    output = inline.outputPerMtok
    priceCurrency = inline.currency
  }
  const scale = ctx.money(priceCurrency, `${path}.price`)
  plan.pricing = { currency: priceCurrency ?? ctx.currency, toModel: scale.factor }
  plan.inputPriceSlot = ctx.drivers.add(name('pricePerMtok.input'), input, rowOrigin, scale)
  plan.outputPriceSlot = ctx.drivers.add(name('pricePerMtok.output'), output, rowOrigin, scale)
  return priceCurrency
}

/** Owned servers: capex, network share, support, power, colocation and staff, all from the model. */
function compileOwnedCosts(ctx: CompileContext, slots: ModelSlots, plan: OptionPlan, option: OwnedOption): void {
  const name = (suffix: string): string => `options.${option.id}.${suffix}`
  const add = ctx.add
  const scale = ctx.money(option.currency, `options.${plan.index}.currency`)
  plan.gpusSlot = option.gpus !== undefined ? add(name('gpus'), option.gpus, FROM_MODEL) : slots.demandGpusSlot
  plan.gpusPerUnit = option.gpusPerNode
  plan.capexSlot = add(name('serverCapexPerNode'), option.serverCapexPerNode, FROM_MODEL, scale)
  plan.networkShareSlot = add(name('networkStorageShare'), option.networkStorageShare, FROM_MODEL)
  plan.depreciationYears = option.depreciationYears
  plan.supportSlot = add(name('supportPerYear'), option.supportPerYear, FROM_MODEL)
  plan.kwPerGpuSlot = add(name('powerKwPerGpu'), option.powerKwPerGpu, FROM_MODEL)
  plan.powerUtilizationSlot = add(name('powerUtilization'), option.powerUtilization, FROM_MODEL)
  plan.pueSlot = add(name('pue'), option.pue, FROM_MODEL)
  if (option.energyPerKWh !== undefined) plan.energySlot = add(name('energyPerKWh'), option.energyPerKWh, FROM_MODEL, scale)
  if (option.colocation) {
    plan.colocationSlot = add(name('colocation.perKwMonth'), option.colocation.perKwMonth, FROM_MODEL, scale)
    plan.provisionedKwSlot = add(name('colocation.provisionedKwPerGpu'), option.colocation.provisionedKwPerGpu, FROM_MODEL)
  }
  if (option.staff) {
    plan.fteSlot = add(name('staff.fte'), option.staff.fte, FROM_MODEL)
    plan.staffCostSlot = add(name('staff.loadedCostPerYear'), option.staff.loadedCostPerYear, FROM_MODEL, scale)
  }
  plan.residualValue = option.residualValue
  if (plan.depreciationYears * 12 < ctx.months)
    plan.notes.push(`servers are replaced after ${plan.depreciationYears} years inside the ${ctx.years}-year horizon, at the same price`)
}

/** Egress: the option's own volume and price (or its catalog row's price); a row's price alone still prices data copied out when leaving. */
function compileEgress(ctx: CompileContext, plan: OptionPlan, option: TcoOption, { row, rowOrigin, path }: OptionRow, priceCurrency: string | undefined): void {
  const name = (suffix: string): string => `options.${option.id}.${suffix}`
  if (option.egress) {
    plan.egressGbSlot = ctx.drivers.add(name('egress.gbPerMonth'), option.egress.gbPerMonth, FROM_MODEL)
    const egressCurrency = option.egress.currency ?? priceCurrency ?? ctx.currency
    if (option.egress.perGB !== undefined) {
      plan.egressPerGbSlot = ctx.drivers.add(name('egress.perGB'), option.egress.perGB, FROM_MODEL, ctx.money(egressCurrency, `${path}.egress.currency`))
      plan.egressPricing = { currency: egressCurrency, toModel: ctx.convert(egressCurrency, `${path}.egress.currency`) }
    } else if (row?.egressPerGB !== undefined) {
      plan.egressPerGbSlot = ctx.drivers.add(
        name('egress.perGB'),
        row.egressPerGB,
        rowOrigin,
        ctx.money(row.currency, `${path}.egress (catalog row ${row.id})`),
      )
      plan.egressPricing = { currency: row.currency, toModel: ctx.convert(row.currency, `${path}.egress (catalog row ${row.id})`) }
    } else {
      ctx.fail(`${path}.egress.perGB`, row ? `is required (catalog row ${row.id} gives no egressPerGB)` : 'is required')
    }
  } else if (row?.egressPerGB !== undefined) {
    // No ongoing egress, but the row's price still prices data copied out when leaving this provider.
    plan.egressPerGbSlot = ctx.drivers.add(
      name('egress.perGB'),
      row.egressPerGB,
      rowOrigin,
      ctx.money(row.currency, `${path} (catalog row ${row.id} egressPerGB)`),
    )
  }
}
