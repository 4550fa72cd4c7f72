import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { loadInventory } from '../plan/build-plan.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import { loadYamlFile, parseWithSchema } from '../io/schema/load-file.js'
import { type TcoModel, tcoModelSchema } from '../io/schema/tco-model.js'
import { type TcoResult, tcoResultSchema } from '../io/schema/tco-result.js'
import { UserError } from '../util/errors.js'
import { GEOPAT_VERSION } from '../util/version.js'
import {
  type Catalog,
  type CatalogEntry,
  STALE_AFTER_DAYS,
  assertInForce,
  defaultDiscount,
  findConversion,
  loadCatalog,
  staleRows,
} from '../pricing/catalog.js'
import type { FxRate } from '../pricing/fx.js'
import { fxRateUsed, priceUsed } from '../pricing/provenance.js'
import { cashflowsCsv } from '../tco/cashflow-csv.js'
import { type ComplianceData, estateFacts, loadComplianceData } from '../tco/compliance-tax.js'
import { focusCsv, riskEstimatesCsv } from '../tco/focus.js'
import { runTco } from '../tco/engine.js'
import { type EstateSetup, attachEstate, estateCsv, prepareEstate } from '../tco/estate.js'
import { tokensPerMonth } from '../plan/estate.js'
import { readPlan } from '../tco/from-plan.js'
import { applySizing, readSizing } from '../tco/from-sizing.js'
import { compileModel } from '../tco/compile.js'
import type { ModelPlan, PriceSource } from '../tco/model-plan.js'
import { DEFAULT_DRAWS } from './tco-options.js'

export interface TcoRunOptions {
  modelFile: string
  catalogFiles?: string[]
  fxFiles?: string[]
  /** Monte Carlo draws (default and minimum DEFAULT_DRAWS). */
  draws?: number
  /** Seed of the Monte Carlo (default 1). */
  seed?: number
  /** Catalog prices older than this warn (default STALE_AFTER_DAYS). */
  maxAgeDays?: number
  /** A geopat size or run folder whose sizing.json gives GPUs to options with gpusFromSizing. */
  from?: string
  /** A geopat plan or run folder whose plan.json times the moves of the options it maps to. */
  plan?: string
  /** Today, for the catalog's in-force and staleness checks (default: the clock; tests inject one). */
  asOf?: Date
  /** The catalog already loaded from catalogFiles and fxFiles (`geopat run` loads it once for all its steps). */
  catalog?: Catalog
  /** Output folder (default reports/<run-id>). */
  outDir?: string
}

/**
 * The TCO's prices from a loaded catalog: its rows (each refused, naming `file`, unless in force on
 * `asOf`), its exchange rates, and its default discounts off on-demand with their source.
 */
export function catalogPrices(catalog: Catalog, asOf: Date, file: string): PriceSource {
  return {
    row: (id) => {
      const row = catalog.byId(id)
      if (row) assertInForce(row, asOf, file)
      return row
    },
    rate: (from, to, context) => findConversion(from, to, catalog.fx, context).factor,
    discount: (pricingModel) => {
      const entry = defaultDiscount(catalog, pricingModel)
      return entry ? { fraction: entry.discountFraction, source: `${entry.source} (${entry.file}, ${entry.confidence})` } : undefined
    },
  }
}

/** The files `geopat tco` writes (estate.csv besides, with a plan). */
export interface TcoFiles {
  json: string
  cashflows: string
  focus: string
  riskEstimates: string
}

/**
 * `geopat tco` as a function (the command and `geopat run` share it): the model with its sizing
 * applied, priced from the catalog, compiled once, run deterministically and in Monte Carlo, and
 * written as tco.json, cashflows.csv and focus.csv.
 */
export function runTcoModel(options: TcoRunOptions): { result: TcoResult; files: TcoFiles } {
  const sized = applySizing(
    loadYamlFile(options.modelFile, tcoModelSchema),
    options.modelFile,
    options.from !== undefined ? readSizing(options.from) : undefined,
  )
  const asOf = options.asOf ?? new Date()
  const catalog = options.catalog ?? loadCatalog({ files: options.catalogFiles ?? [], fxFiles: options.fxFiles ?? [], asOf })
  const { model, notes, estate } = modelToPrice(sized, options, catalog)
  const compliance = complianceOf(model, options.modelFile)
  const plan = compileModel(model, options.modelFile, compliance, catalogPrices(catalog, asOf, options.modelFile))
  if (estate) attachEstate(plan, estate)
  // The folder once the model is known to be good: a bad model leaves nothing behind.
  const outDir = prepareOutputDir(options.outDir ?? join('reports', makeRunId('tco')))
  const { result, cashFlows } = runTco(plan, compliance, { draws: options.draws ?? DEFAULT_DRAWS, seed: options.seed ?? 1 })
  result.warnings.push(...notes)
  recordPricesUsed(result, { plan, estate, catalog, asOf, currency: model.currency, maxAgeDays: options.maxAgeDays ?? STALE_AFTER_DAYS })
  const files = {
    json: join(outDir, 'tco.json'),
    cashflows: join(outDir, 'cashflows.csv'),
    focus: join(outDir, 'focus.csv'),
    riskEstimates: join(outDir, 'risk-estimates.csv'),
  }
  result.files = files
  if (estate) result.estate = estateSummary(estate)
  const central = new Float64Array(plan.drivers.map((driver) => driver.distribution.central))
  const validated = parseWithSchema('tco.json', tcoResultSchema, result)
  writeFileAtomic(files.cashflows, cashflowsCsv(plan, cashFlows))
  writeFileAtomic(files.focus, focusCsv(plan, cashFlows, central, `geopat ${GEOPAT_VERSION} tco`))
  writeFileAtomic(files.riskEstimates, riskEstimatesCsv(plan, cashFlows))
  writeFileAtomic(files.json, `${JSON.stringify(validated, null, 2)}\n`)
  if (estate) writeFileAtomic(join(outDir, 'estate.csv'), estateCsv(estate))
  return { result: validated, files }
}

/**
 * The model as it is priced: with its sizing applied, and with a plan one estate: the baseline is
 * the plan's inventory priced from the catalog, and each option the workloads the plan moves to
 * that offer, on their own timelines (estate.ts). The notes say where GPUs come from (with a plan,
 * the inventory, not the sizing).
 */
function modelToPrice(
  sized: { model: TcoModel; notes: string[] },
  options: TcoRunOptions,
  catalog: Catalog,
): { model: TcoModel; notes: string[]; estate: EstateSetup | undefined } {
  if (options.plan === undefined) return { model: sized.model, notes: sized.notes, estate: undefined }
  const estate = prepareEstate(sized.model, options.modelFile, readPlan(options.plan), catalog)
  return { model: estate.model, notes: estate.notes, estate }
}

/** The compliance data the model names, with the estate's facts when it names an inventory (relative to the model's folder, like a scenario's paths). */
function complianceOf(model: TcoModel, modelFile: string): ComplianceData {
  const compliance = loadComplianceData({
    ...(model.compliance.componentsFile !== undefined ? { componentsFile: model.compliance.componentsFile } : {}),
    ...(model.compliance.finesFile !== undefined ? { finesFile: model.compliance.finesFile } : {}),
  })
  if (model.compliance.inventory !== undefined) {
    const inventoryFile = resolve(dirname(modelFile), model.compliance.inventory)
    if (!existsSync(inventoryFile))
      throw new UserError(`${modelFile}: compliance.inventory: no file ${inventoryFile} (the path is read relative to the model's folder)`)
    compliance.estate = estateFacts(loadInventory(inventoryFile), model.compliance.inventory)
  }
  return compliance
}

/**
 * The catalog rows that priced a figure (the options' and, with a plan, today's estate's: its
 * baseline) and the exchange rates they were converted with, into the result; a stale row warns.
 */
function recordPricesUsed(
  result: TcoResult,
  used: { plan: ModelPlan; estate: EstateSetup | undefined; catalog: Catalog; asOf: Date; currency: string; maxAgeDays: number },
): void {
  const { catalog, asOf } = used
  const usedIds = new Set([
    ...used.plan.options.flatMap((option) => (option.catalogRow === null ? [] : [option.catalogRow])),
    ...(used.estate ? used.estate.estate.workloads.map((workload) => workload.catalogRow) : []),
  ])
  const usedRows = [...usedIds].map((id) => catalog.byId(id)).filter((row): row is CatalogEntry => row !== undefined)
  for (const stale of staleRows(usedRows, { asOf, maxAgeDays: used.maxAgeDays })) result.warnings.push(`catalog row ${stale.message}`)
  result.pricesUsed = usedRows.map((row) => priceUsed(row, asOf))
  const ratesUsed = new Map<string, FxRate>()
  for (const row of usedRows) {
    for (const rate of findConversion(row.currency, used.currency, catalog.fx, `catalog row ${row.id} (${row.file})`).rates)
      ratesUsed.set(`${rate.base}/${rate.quote}@${rate.date}@${rate.file}`, rate)
  }
  result.fxRatesUsed = [...ratesUsed.values()].map((rate) => fxRateUsed(rate, asOf))
}

/** tco.json's estate: today's estate from the plan's inventory, its tokens a month, and the workloads each option takes. */
function estateSummary(estate: EstateSetup): NonNullable<TcoResult['estate']> {
  const moves: Record<string, string[]> = {}
  for (const move of estate.moves) {
    const workloads = moves[move.tcoOption] ?? []
    workloads.push(move.workload)
    moves[move.tcoOption] = workloads
  }
  const volumes = estate.inventory.workloads.map((workload) => tokensPerMonth(workload))
  const tokens = volumes.includes(null) ? null : volumes.reduce((sum, volume) => sum + ((volume?.inputMtok ?? 0) + (volume?.outputMtok ?? 0)) * 1e6, 0)
  return {
    inventoryFile: estate.inventoryFile,
    workloads: estate.estate.workloads.length,
    monthlyCost: estate.estate.monthlyCost,
    tokensPerMonth: tokens,
    moves,
  }
}
