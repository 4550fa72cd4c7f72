import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { csvTable } from '../io/output/csv.js'
import { loadInventory } from '../plan/build-plan.js'
import { type PricedEstate, checkOffers, priceEstate, tokensPerMonth } from '../plan/estate.js'
import { monthIndex, monthName } from '../plan/months.js'
import type { Inventory } from '../io/schema/inventory.js'
import type { Plan } from '../io/schema/plan.js'
import type { TcoModel } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import type { Catalog } from '../pricing/catalog.js'
import { makeDistribution } from './distributions.js'
import type { EstateLine, ModelPlan, OptionPlan } from './model-plan.js'
import { PHASE } from './cost-categories.js'

/**
 * One estate from the inventory to the TCO (`geopat tco --plan`, `geopat run`): the baseline is
 * today's workloads priced from their catalog rows (src/plan/estate.ts), each TCO option is one of
 * the inventory's offers (bound once: the inventory option's tcoOption, the same catalog row), and
 * each workload the plan moves leaves today's host on its own timeline: its new host is paid from
 * its pilot, its old host until the end of its dual running, so each wave overlaps only for its own
 * cut-over window and the baseline shrinks as the waves move.
 */

/** One planned move, in months from the model's start. */
export interface EstateMove {
  workload: string
  /** The inventory's option and the TCO option it is costed as. */
  inventoryOption: string
  tcoOption: string
  /** The new host is paid from here (the pilot's first month). */
  arrive: number
  /** Today's host is paid until here, exclusive (the month after the dual running ends). */
  leave: number
  /** GPUs it needs on a GPU offer (the inventory's traffic.gpus). */
  gpus: number
}

export interface EstateSetup {
  inventory: Inventory
  inventoryFile: string
  estate: PricedEstate
  moves: EstateMove[]
  /** The model with the options the plan uses (and the baseline), their move timing and owned GPUs. */
  model: TcoModel
  notes: string[]
}

/**
 * Reads the plan's inventory, prices today's estate, checks that the plan's options and the
 * model's are the same offers, and times each option's move from the plan. Every mismatch is one
 * line naming the file, the field and the rule.
 */
export function prepareEstate(model: TcoModel, modelFile: string, from: { file: string; plan: Plan }, catalog: Pick<Catalog, 'byId' | 'fx'>): EstateSetup {
  const inventoryFile = resolve(from.plan.inventoryFile)
  if (!existsSync(inventoryFile))
    throw new OptionMessageError(
      `{plan} ${from.file}: inventoryFile: ` +
        `${from.plan.inventoryFile} is not found: the TCO prices the plan's inventory (run geopat plan from the same folder, or geopat run)`,
    )
  const inventory = loadInventory(inventoryFile)
  checkOffers(inventory, inventoryFile, catalog)
  const estate = priceEstate(inventory, inventoryFile, catalog, model.currency)
  const sources: EstateSources = { model, modelFile, plan: from, inventory, inventoryFile }
  const boundBy = bindOffers(sources)
  const moves = plannedMoves(sources)
  const notes: string[] = []
  for (const workload of estate.workloads) if (workload.note) notes.push(`estate: ${workload.note}`)
  const estateTokens = estate.workloads.reduce(
    (sum, w) => ({ input: sum.input + w.inputMtokPerMonth * 1e6, output: sum.output + w.outputMtokPerMonth * 1e6 }),
    { input: 0, output: 0 },
  )
  const options = estateOptions(sources, { estate, moves, boundBy, notes })
  return {
    inventory,
    inventoryFile,
    estate,
    moves,
    model: { ...model, options, demand: { ...model.demand, tokensPerMonth: estateTokens } },
    notes,
  }
}

/** The TCO model, the plan and its inventory, each with the file its errors name. */
interface EstateSources {
  model: TcoModel
  modelFile: string
  plan: { file: string; plan: Plan }
  inventory: Inventory
  inventoryFile: string
}

function baselineIdOf(model: TcoModel): string {
  return model.baseline ?? (model.options[0] as TcoModel['options'][number]).id
}

/** Binds each inventory option to its TCO option once (the same offer, the same catalog row): TCO option id → inventory option index. */
function bindOffers({ model, modelFile, inventory, inventoryFile }: EstateSources): Map<string, number> {
  const baselineId = baselineIdOf(model)
  const boundBy = new Map<string, number>()
  inventory.options.forEach((option, index) => {
    const id = option.tcoOption
    if (id === undefined) return
    const field = `${inventoryFile}: options.${index}.tcoOption`
    const tcoIndex = model.options.findIndex((o) => o.id === id)
    if (tcoIndex < 0) throw new UserError(`${field}: ${modelFile} has no option ${id}: an inventory option is costed as one of the TCO's options`)
    if (id === baselineId) throw new UserError(`${field}: ${id} is the TCO's baseline (today's estate): an offer to move to cannot be costed as it`)
    const other = boundBy.get(id)
    if (other !== undefined)
      throw new UserError(
        `${field}: ${id} is already options.${other}'s ` +
          `(${inventory.options[other]?.id}) TCO option: one TCO option per offer, so that an option name is never costed as another provider`,
      )
    boundBy.set(id, index)
    const tco = model.options[tcoIndex] as TcoModel['options'][number]
    const tcoRow = tco.kind === 'owned' ? undefined : tco.catalogRow
    if (option.kind === 'on-prem' ? tco.kind !== 'owned' : tco.kind === 'owned') {
      throw new UserError(
        `${modelFile}: options.${tcoIndex}.kind: ${tco.kind} does not cost the inventory's ${option.kind} option ${option.id} ` +
          `(${inventoryFile}): on-prem is costed by an owned option, and only on-prem is`,
      )
    }
    if (tco.kind !== 'owned' && tcoRow !== option.catalogRow) {
      throw new UserError(
        `${modelFile}: options.${tcoIndex}.catalogRow: ${tcoRow ?? 'an inline price'} is not the offer the inventory's option ${option.id} names ` +
          `(${option.catalogRow ?? 'no catalog row'}, ${inventoryFile}): the plan's options and the TCO's must price the same catalog row`,
      )
    }
  })
  return boundBy
}

/** The plan's moves, in months from the model's start: each workload's new host paid from its pilot, today's until its dual running ends. */
function plannedMoves({ model, plan: from, inventory, inventoryFile }: EstateSources): EstateMove[] {
  const modelStart = monthIndex(model.startMonth)
  const horizon = model.horizonYears * 12
  const moves: EstateMove[] = []
  for (const planned of from.plan.workloads) {
    if (planned.option === null || planned.timeline === null) continue
    const window = from.plan.dualRunning.find((entry) => entry.workload === planned.name)
    const optionIndex = inventory.options.findIndex((o) => o.id === planned.option)
    const option = inventory.options[optionIndex]
    const workload = inventory.workloads.find((w) => w.name === planned.name)
    if (!option || !workload)
      throw new OptionMessageError(
        `{plan} ${from.file}: workloads: ${planned.name} on ${planned.option} is not in its inventory ${inventoryFile}: plan again from the inventory`,
      )
    if (option.tcoOption === undefined)
      throw new UserError(
        `${inventoryFile}: options.${optionIndex}.tcoOption: is required: the plan moves ${planned.name} to ${option.id}, and the TCO must cost that offer`,
      )
    // Both hosts are paid over the plan's overlap window for this workload (pilot to the end of its
    // dual running); without dual running, from the pilot to the cutover.
    const first = window ? monthIndex(window.overlap.start) : monthIndex(planned.timeline.pilot.start)
    const last = window ? monthIndex(window.overlap.end) : monthIndex(planned.timeline.cutover)
    moves.push({
      workload: planned.name,
      inventoryOption: option.id,
      tcoOption: option.tcoOption,
      arrive: Math.min(horizon, Math.max(0, first - modelStart)),
      leave: Math.min(horizon, Math.max(0, last + 1 - modelStart)),
      // The GPUs the plan gave it (the inventory's traffic.gpus on a GPU offer).
      gpus: planned.gpus,
    })
  }
  return moves
}

/**
 * The model's options against the estate: the baseline as today's estate, each offer the plan moves
 * workloads to timed by its moves (owned: the GPUs of those workloads), the others left out with a note.
 */
function estateOptions(
  { model, plan: from, inventory, inventoryFile }: EstateSources,
  { estate, moves, boundBy, notes }: { estate: PricedEstate; moves: EstateMove[]; boundBy: ReadonlyMap<string, number>; notes: string[] },
): TcoModel['options'] {
  const baselineId = baselineIdOf(model)
  const modelStart = monthIndex(model.startMonth)
  const horizon = model.horizonYears * 12
  const calendar = (month: number): string => monthName(modelStart + month)
  return model.options.flatMap((option): TcoModel['options'] => {
    if (option.id === baselineId) {
      notes.push(
        `${option.id}: today's estate from ${inventoryFile}: ${estate.workloads.length} workloads priced from their catalog rows, ` +
          `${Math.round(estate.monthlyCost).toLocaleString('en')} ${model.currency} a month in the first year, each workload's row, quantity and price in ` +
          `estate.csv (${estate.workloads.map((w) => `${w.name} ${w.catalogRow}`).join(', ')})`,
      )
      return [{ ...option, name: `Stay: today's estate (${estate.workloads.length} workloads, ${inventory.organisation})` }]
    }
    const mine = moves.filter((m) => m.tcoOption === option.id && m.arrive < horizon)
    if (!boundBy.has(option.id)) {
      notes.push(`${option.id}: not one of the inventory's offers (no option of ${inventoryFile} names it as tcoOption): not costed against the estate`)
      return []
    }
    if (mine.length === 0) {
      notes.push(
        `${option.id}: the plan moves no workload to ` +
          `${inventory.options[boundBy.get(option.id) as number]?.id} inside the model's horizon: not costed against the estate`,
      )
      return []
    }
    const startMonth = Math.min(...mine.map((m) => m.arrive))
    const lastLeave = Math.max(...mine.map((m) => m.leave))
    const timelines = mine.map((m) => `${m.workload} ${calendar(m.arrive)}–${calendar(m.leave - 1)} (${m.leave - m.arrive} months)`).join(', ')
    notes.push(
      `${option.id}: moves from plan ${from.file}, each on its own timeline (both hosts paid over the plan's overlap: the new one from the pilot, today's ` +
        `until its dual running ends): ${timelines}`,
    )
    if (option.kind !== 'token-api' && option.gpusFromSizing !== undefined)
      notes.push(`${option.id}: gpusFromSizing ${option.gpusFromSizing} is not used: each workload's GPUs come from the inventory (traffic.gpus)`)
    const migration = { ...option.migration, startMonth, dualRunningMonths: Math.max(0, lastLeave - startMonth) }
    if (option.kind === 'owned') {
      const gpus = mine.reduce((sum, m) => sum + m.gpus, 0)
      notes.push(`${option.id}: owns the ${gpus} GPUs of the workloads the plan moves to it, bought when the first of them arrives (month ${startMonth})`)
      return [{ ...option, gpus, migration }]
    }
    return [{ ...option, migration }]
  })
}

/**
 * Gives each option of the compiled model its compute as the estate's workloads: the baseline every
 * workload on today's host all along; an option the workloads the plan moves to it (today's host
 * before the move and through its dual running, the option's offer from its pilot on) and the
 * others on today's host throughout. Today's hosts' prices become drivers (catalog rows, fixed).
 * The baseline's own running costs (egress, compliance) stop at the option's cutover only for the
 * share of today's estate (by monthly cost) that the option moves; the rest keeps billing.
 */
export function attachEstate(plan: ModelPlan, setup: EstateSetup): void {
  const { estate, inventory, inventoryFile } = setup
  const months = plan.months
  const current = new Map(
    estate.workloads.map((workload) => {
      const origin = `catalog row ${workload.catalogRow} (today's host of ${workload.name}, ${inventoryFile})`
      const add = (name: string, value: number): number => {
        plan.drivers.push({ name: `estate.${workload.name}.${name}`, distribution: makeDistribution(value), origin, shared: null })
        return plan.drivers.length - 1
      }
      const line = (phase: number, from: number, to: number): EstateLine => ({
        workload: workload.name,
        catalogRow: workload.catalogRow,
        host: 'current',
        phase,
        from,
        to,
        gpus: workload.gpus,
        priceSlot: -1,
        discountSlot: -1,
        inputMtok: workload.inputMtokPerMonth,
        outputMtok: workload.outputMtokPerMonth,
        inputPriceSlot: -1,
        outputPriceSlot: -1,
      })
      const slots =
        workload.unit === 'gpu'
          ? { priceSlot: add('pricePerGpuHour', workload.pricePerGpuHour as number) }
          : {
              inputPriceSlot: add('pricePerMtok.input', (workload.pricePerMtok as { input: number }).input),
              outputPriceSlot: add('pricePerMtok.output', (workload.pricePerMtok as { output: number }).output),
            }
      return [workload.name, (phase: number, from: number, to: number): EstateLine => ({ ...line(phase, from, to), ...slots })] as const
    }),
  )
  const currentLine = (name: string, phase: number, from: number, to: number): EstateLine[] =>
    to > from ? [(current.get(name) as (p: number, f: number, t: number) => EstateLine)(phase, from, to)] : []

  for (const option of plan.options) {
    option.computeFromEstate = option.kind !== 'owned'
    if (option.isBaseline) {
      option.estateLines = estate.workloads.flatMap((w) => currentLine(w.name, PHASE.own, 0, months))
      continue
    }
    const lines: EstateLine[] = []
    for (const workload of estate.workloads) {
      const move = setup.moves.find((m) => m.workload === workload.name && m.tcoOption === option.id)
      if (!move) {
        lines.push(...currentLine(workload.name, PHASE.staying, 0, months))
        continue
      }
      lines.push(...currentLine(workload.name, PHASE.beforeMove, 0, move.arrive), ...currentLine(workload.name, PHASE.dualRunning, move.arrive, move.leave))
      lines.push(...newHostLine(option, move, inventory, inventoryFile, months))
    }
    option.estateLines = lines
    const moved = estate.workloads
      .filter((w) => setup.moves.some((m) => m.workload === w.name && m.tcoOption === option.id))
      .reduce((sum, w) => sum + w.monthlyCost, 0)
    option.estateStayingShare = estate.monthlyCost > 0 ? Math.max(0, 1 - moved / estate.monthlyCost) : 0
  }
}

/** The workload on the option's offer from its pilot to the horizon (none for an owned option: its fleet is the option's own). */
function newHostLine(option: OptionPlan, move: EstateMove, inventory: Inventory, inventoryFile: string, months: number): EstateLine[] {
  if (option.kind === 'owned' || move.arrive >= months) return []
  const line: EstateLine = {
    workload: move.workload,
    catalogRow: option.catalogRow ?? option.id,
    host: 'option',
    phase: PHASE.own,
    from: move.arrive,
    to: months,
    gpus: 0,
    priceSlot: -1,
    discountSlot: -1,
    inputMtok: 0,
    outputMtok: 0,
    inputPriceSlot: -1,
    outputPriceSlot: -1,
  }
  if (option.kind === 'rental') return [{ ...line, gpus: move.gpus, priceSlot: option.priceSlot, discountSlot: option.discountSlot }]
  const index = inventory.workloads.findIndex((w) => w.name === move.workload)
  const tokens = tokensPerMonth(inventory.workloads[index] as Inventory['workloads'][number])
  if (tokens === null)
    throw new UserError(
      `${inventoryFile}: workloads.${index}.traffic.averageRequestsPerS: is required: the plan moves ${move.workload} to a token API ` +
        `(${move.inventoryOption}), priced per token`,
    )
  return [
    { ...line, inputMtok: tokens.inputMtok, outputMtok: tokens.outputMtok, inputPriceSlot: option.inputPriceSlot, outputPriceSlot: option.outputPriceSlot },
  ]
}

const ESTATE_COLUMNS = [
  'workload',
  'catalogRow',
  'provider',
  'unit',
  'gpus',
  'inputMtokPerMonth',
  'outputMtokPerMonth',
  'rowCurrency',
  'rowPricePerGpuHour',
  'rowPricePerMtokInput',
  'rowPricePerMtokOutput',
  'rate',
  'monthlyCost',
  'currency',
  'movesTo',
  'overlapMonths',
] as const

/**
 * estate.csv: today's estate as the TCO's baseline prices it, one line per workload (its catalog
 * row, quantity, the row's price, the FX rate, the monthly cost in the model's currency) and where
 * the plan moves it, so that a reader can recompute the baseline by hand.
 */
export function estateCsv(setup: EstateSetup): string {
  const rows = setup.estate.workloads.map((w) => {
    const move = setup.moves.find((m) => m.workload === w.name)
    return [
      w.name,
      w.catalogRow,
      w.provider,
      w.unit,
      w.gpus,
      w.inputMtokPerMonth,
      w.outputMtokPerMonth,
      w.rowCurrency,
      w.rowPricePerGpuHour,
      w.rowPricePerMtok?.input ?? null,
      w.rowPricePerMtok?.output ?? null,
      w.rate,
      w.monthlyCost,
      setup.estate.currency,
      move?.tcoOption ?? null,
      move ? move.leave - move.arrive : null,
    ]
  })
  return csvTable(ESTATE_COLUMNS, rows)
}
