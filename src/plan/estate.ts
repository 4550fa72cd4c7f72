import { type Catalog, type CatalogEntry, findConversion } from '../pricing/catalog.js'
import { HOURS_PER_MONTH, tokensPerMonth as demandTokensPerMonth } from '../pricing/unit-cost.js'
import type { Inventory, InventoryWorkload, TargetOption } from '../io/schema/inventory.js'
import { UserError } from '../util/errors.js'

/**
 * Today's estate, as the inventory describes it: each workload on its current host, priced from
 * that host's catalog row. One function prices it (priceEstate) and the TCO's baseline is this sum,
 * so the plan and the TCO cannot describe two different estates.
 */

/** What a workload's traffic bills on a token API per month: average req/s × 730 h × tokens per request, in Mtok. */
export function tokensPerMonth(workload: InventoryWorkload): { inputMtok: number; outputMtok: number } | null {
  const average = workload.traffic.averageRequestsPerS
  if (average === undefined) return null
  return {
    inputMtok: demandTokensPerMonth(average, workload.traffic.inputTokensPerRequest) / 1e6,
    outputMtok: demandTokensPerMonth(average, workload.traffic.outputTokensPerRequest) / 1e6,
  }
}

/** One workload of today's estate, priced from its host's catalog row, in `currency`. */
export interface EstateWorkload {
  name: string
  catalogRow: string
  provider: string
  /** gpu: a GPU rental priced per GPU-hour; mtok: a token API priced per million tokens. */
  unit: 'gpu' | 'mtok'
  gpus: number
  inputMtokPerMonth: number
  outputMtokPerMonth: number
  /** Per GPU-hour (gpu), in the row's currency and converted. */
  rowPricePerGpuHour: number | null
  pricePerGpuHour: number | null
  /** Per Mtok (mtok), in the row's currency and converted. */
  rowPricePerMtok: { input: number; output: number } | null
  pricePerMtok: { input: number; output: number } | null
  rowCurrency: string
  /** Units of `currency` per unit of the row's currency. */
  rate: number
  /** What it costs a month today, in `currency` (first year, before growth). */
  monthlyCost: number
  /** Where the row does not describe the workload's region exactly (the catalog prices no row there). */
  note: string | null
}

export interface PricedEstate {
  currency: string
  workloads: EstateWorkload[]
  /** Σ of the workloads' monthly costs. */
  monthlyCost: number
}

/** Per GPU-hour of a GPU rental row (an instance-hour price divided by its GPUs). */
function rowPerGpuHour(row: CatalogEntry): number {
  return row.unit === 'instance-hour' ? (row.price as number) / row.gpuCount : (row.price as number)
}

/**
 * Prices every workload of the inventory on its current host from the catalog, converted to
 * `currency` with the catalog's FX table, and checks what a finance reader checks first: every
 * workload names a catalog row that exists, from its own provider; a workload on a token API is
 * priced per token (its average request rate gives the volume), one on rented GPUs per GPU-hour.
 * Each failure is one line naming the file, the field and the rule.
 */
export function priceEstate(inventory: Inventory, file: string, catalog: Pick<Catalog, 'byId' | 'fx'>, currency: string): PricedEstate {
  const workloads = inventory.workloads.map((workload, index): EstateWorkload => {
    const path = `${file}: workloads.${index}.current`
    const id = workload.current.catalogRow
    if (id === undefined)
      throw new UserError(`${path}.catalogRow: is required: every workload of today's estate is priced from the catalog row of its host (geopat catalog list)`)
    const row = catalog.byId(id)
    if (!row) throw new UserError(`${path}.catalogRow: no catalog row ${id} (check the id with geopat catalog list)`)
    if (row.provider !== workload.current.provider) {
      throw new UserError(
        `${path}.catalogRow: row ${id} is ${row.provider}'s, but the workload runs on ` +
          `${workload.current.provider}: a workload is priced from its own provider's row`,
      )
    }
    const rate = findConversion(row.currency, currency, catalog.fx, `${path}.catalogRow (row ${id} in ${row.currency})`).factor
    const note =
      row.region === workload.current.region
        ? null
        : `${workload.name}: runs in ${workload.current.provider} ${workload.current.region}, priced at catalog row ${id} ` +
          `(${row.region}): the catalog has no row for that region`
    const base = { name: workload.name, catalogRow: id, provider: row.provider, rowCurrency: row.currency, rate, note }
    if (row.unit === 'mtok') {
      if (workload.current.gpus !== undefined)
        throw new UserError(`${path}.gpus: row ${id} is a token API, priced per million tokens: a workload on it has no GPUs of its own (remove gpus)`)
      const tokens = tokensPerMonth(workload)
      if (tokens === null)
        throw new UserError(
          `${file}: workloads.${index}.traffic.averageRequestsPerS: is required: ${workload.name} runs on a token API (row ` +
            `${id}), priced per token, and its volume is the average request rate × tokens per request`,
        )
      const price = row.pricePerMtok as { input: number; output: number }
      const converted = { input: price.input * rate, output: price.output * rate }
      return {
        ...base,
        unit: 'mtok',
        gpus: 0,
        inputMtokPerMonth: tokens.inputMtok,
        outputMtokPerMonth: tokens.outputMtok,
        rowPricePerGpuHour: null,
        pricePerGpuHour: null,
        rowPricePerMtok: price,
        pricePerMtok: converted,
        monthlyCost: tokens.inputMtok * converted.input + tokens.outputMtok * converted.output,
      }
    }
    if (row.kind !== 'gpu-rental')
      throw new UserError(
        `${path}.catalogRow: row ${id} is an ${row.kind} reference, not a price anyone bills: name the rental or token API the workload runs on`,
      )
    const gpus = workload.current.gpus
    if (gpus === undefined) throw new UserError(`${path}.gpus: is required: ${workload.name} runs on rented GPUs (row ${id}, priced per GPU-hour)`)
    const perGpuHour = rowPerGpuHour(row)
    return {
      ...base,
      unit: 'gpu',
      gpus,
      inputMtokPerMonth: 0,
      outputMtokPerMonth: 0,
      rowPricePerGpuHour: perGpuHour,
      pricePerGpuHour: perGpuHour * rate,
      rowPricePerMtok: null,
      pricePerMtok: null,
      monthlyCost: gpus * HOURS_PER_MONTH * perGpuHour * rate,
    }
  })
  return { currency, workloads, monthlyCost: workloads.reduce((sum, w) => sum + w.monthlyCost, 0) }
}

/**
 * Checks that every option's offer is a catalog row of the right kind (a token-API option a row
 * priced per token, a GPU option a GPU rental), and that an option gives either a row or its own
 * cost per GPU-month, not both: one price per offer.
 */
export function checkOffers(inventory: Inventory, file: string, catalog: Pick<Catalog, 'byId'>): void {
  inventory.options.forEach((option, index) => {
    const path = `${file}: options.${index}`
    if (option.catalogRow === undefined) return
    if (option.costPerGpuMonth !== undefined)
      throw new UserError(`${path}.costPerGpuMonth: the option's price is its catalog row ${option.catalogRow}: give one of the two`)
    const row = catalog.byId(option.catalogRow)
    if (!row) throw new UserError(`${path}.catalogRow: no catalog row ${option.catalogRow} (check the id with geopat catalog list)`)
    if (option.kind === 'eu-token-api' && row.unit !== 'mtok')
      throw new UserError(`${path}.catalogRow: row ${row.id} is priced per ${row.unit}: a token-API option needs a row priced per million tokens`)
    if (option.kind !== 'eu-token-api' && (row.unit === 'mtok' || row.kind !== 'gpu-rental'))
      throw new UserError(`${path}.catalogRow: row ${row.id} is not a GPU rental: a ${option.kind} option needs a row priced per GPU- or instance-hour`)
  })
}

/**
 * What one workload would cost a month on an option, in the inventory's currency: its GPUs at the
 * option's price (its catalog row, or costPerGpuMonth), or its tokens at a token API's price.
 * Undefined when the option gives no price (or a token API and the workload no average rate).
 */
export function workloadCostOn(
  workload: InventoryWorkload,
  option: TargetOption,
  inventory: Inventory,
  catalog: Pick<Catalog, 'byId' | 'fx'>,
): number | undefined {
  if (option.catalogRow === undefined) return option.costPerGpuMonth === undefined ? undefined : workload.traffic.gpus * option.costPerGpuMonth
  const row = catalog.byId(option.catalogRow)
  if (!row) return undefined
  const rate = findConversion(row.currency, inventory.currency, catalog.fx, `option ${option.id} (row ${row.id} in ${row.currency})`).factor
  if (row.unit === 'mtok') {
    const tokens = tokensPerMonth(workload)
    const price = row.pricePerMtok
    return tokens === null || price === undefined ? undefined : (tokens.inputMtok * price.input + tokens.outputMtok * price.output) * rate
  }
  return workload.traffic.gpus * HOURS_PER_MONTH * rowPerGpuHour(row) * rate
}

/** The plan's cost ranking from the catalog, after checking the options' offers (for buildPlan's workloadCostOf). */
export function catalogCostRanking(
  inventory: Inventory,
  file: string,
  catalog: Pick<Catalog, 'byId' | 'fx'>,
): (workload: InventoryWorkload, option: TargetOption) => number | undefined {
  checkOffers(inventory, file, catalog)
  return (workload, option) => workloadCostOn(workload, option, inventory, catalog)
}
