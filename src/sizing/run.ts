import { locateOutputFile } from '../io/output/files.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import type { SloConfig } from '../io/schema/scenario.js'
import { type CostLine, type Estimate, type EndpointSizing, type ModelError, type SizingResult, sizingResultSchema } from '../io/schema/sizing.js'
import { type BenchSummary, benchSummarySchema, type RunSummary } from '../io/schema/summary.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import type { StopCheck } from '../util/interrupt.js'
import { type Catalog, assertInForce, gpuHourPriceWithConversion, staleRows } from '../pricing/catalog.js'
import { fxRateUsed, priceUsed } from '../pricing/provenance.js'
import type { FxRateUsed, PriceUsed } from '../io/schema/price-provenance.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type ReplicaCapacity, capacityFromSweep } from './replica-capacity.js'
import { type SimulatedSource, searchSimulatedSource } from './simulated-source.js'
import { type SaleUnit, saleUnitOf } from '../pricing/sale-unit.js'
import { type SizingPolicy, gpusBought, sizeFleet } from './policy.js'
import { HOURS_PER_MONTH, costPerMtok, fleetPerMtok, joulesPerToken, tokensPerMonth } from '../pricing/unit-cost.js'

/** A price to cost the fleet with, already in the currency of the answer. */
export interface GpuHourPrice {
  /** Only for this endpoint label (default: every endpoint). */
  endpoint?: string
  catalogRow: string
  provider: string
  region: string
  sovereignty: string
  currency: string
  pricePerGpuHour: number
  /** What the offer rents out: GPU by GPU, or whole nodes of gpusPerNode GPUs (the catalog row's soldBy). */
  sale: SaleUnit
  /** The catalog row's source, effective date and confidence. */
  priceSource?: { source: string; date: string; confidence: string }
  /** The catalog row used, with its basis, dates, age and source URL (sizing.json costs[].catalogPrice). */
  catalogPrice?: PriceUsed
  /** The exchange rates the price was converted with (none when the row is in `currency`). */
  fxRates?: FxRateUsed[]
  /** Said beside the cost (a stale price, a conversion). */
  notes?: string[]
}

/**
 * A catalog row as a GPU-hour price in `currency`, with a note when the row is older than the
 * catalog's staleness limit. Token prices are refused: a fleet is priced per GPU-hour.
 */
export function gpuHourPriceFromCatalog(
  catalog: Catalog,
  id: string,
  currency: string,
  where: string,
  endpoint?: string,
  asOf: Date = new Date(),
): GpuHourPrice {
  const row = catalog.byId(id)
  if (!row) throw new UserError(`${where}: no catalog row "${id}" (see geopat catalog list)`)
  if (row.unit === 'mtok') throw new UserError(`${where}: "${row.id}" is a token price; sizing needs a GPU-hour price`)
  assertInForce(row, asOf, where)
  const { pricePerGpuHour, conversion } = gpuHourPriceWithConversion(row, currency, catalog.fx)
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    catalogRow: row.id,
    provider: row.provider,
    region: row.region,
    sovereignty: row.sovereignty,
    currency,
    pricePerGpuHour,
    sale: saleUnitOf(row),
    priceSource: { source: row.source, date: row.effectiveDate, confidence: row.confidence },
    catalogPrice: priceUsed(row, asOf),
    fxRates: conversion.rates.map((rate) => fxRateUsed(rate, asOf)),
    notes: staleRows([row], { asOf }).map((warning) => warning.message),
  }
}

export type CapacitySource = { kind: 'measured'; label: string; runs: RunSummary[]; file: string; gpusPerReplica: number } | SimulatedSource

export interface SizeOptions {
  peakRequestsPerS: number
  /** The month's average request rate (≤ peak); or give averageToPeak; neither: the peak (said so). */
  averageRequestsPerS?: number
  /** Average ÷ peak over the month, in (0, 1]. */
  averageToPeak?: number
  /** Demand growth per year (0.3 = +30%): the sizing also says what the fleet and fleet $/Mtok are in a year. */
  growthPerYear?: number
  sources: CapacitySource[]
  slo: SloConfig
  attainment: number
  policy: SizingPolicy
  prices: GpuHourPrice[]
  /** Watts per GPU under load, for energy per token. */
  powerWPerGpu?: number
  simulation: { searches: number; durationS: number; seed: number }
  /** Ctrl-C: the simulated searches look at it and throw Interrupted once it has stopped. */
  stop?: StopCheck
}

/**
 * Reads a bench summary.json (or the run folder holding one); `option` is the key of the caller's
 * option that gave `path` (`from`), which its error names (the cli names the flag).
 */
export function readBenchSummary(path: string, option: string): { file: string; summary: BenchSummary } {
  const file = locateOutputFile(path, 'summary.json')
  if (!file) throw new OptionMessageError(`{${option}} ${path}: no summary.json there (give a geopat bench run folder or its summary.json)`)
  return { file, summary: loadYamlFile(file, benchSummarySchema) }
}

/** The runs of a bench summary, one group per endpoint, in the order they appear. */
export function runsByEndpoint(summary: BenchSummary): Map<string, RunSummary[]> {
  const groups = new Map<string, RunSummary[]>()
  for (const run of summary.runs) groups.set(run.endpoint.label, [...(groups.get(run.endpoint.label) ?? []), run])
  return groups
}

/** Sizes every source against the same demand, SLO and policy, and costs it at every price given. */
export async function runSizing(options: SizeOptions): Promise<SizingResult> {
  if (!(options.peakRequestsPerS > 0)) throw new OptionMessageError('{peakRequestsPerS}: must be a number > 0')
  const average = averageDemand(options)
  const growth = options.growthPerYear ?? 0
  if (!(growth >= 0)) throw new OptionMessageError('{growthPerYear}: must be a fraction >= 0 (0.3 = +30% a year)')
  // The demand in a year: peak and average both grown, the fleet re-sized for it at the same policy.
  const grown = growth > 0 ? { peakRequestsPerS: options.peakRequestsPerS * (1 + growth), averageRequestsPerS: average.rate * (1 + growth) } : null
  const endpoints: EndpointSizing[] = []
  let inputTokensMean: number | null = null
  let outputTokensMean: number | null = null
  for (const source of options.sources) {
    // A simulated capacity carries the profile's validation error and its traffic; a measured one, the measurement's interval only.
    const simulated =
      source.kind === 'simulated'
        ? await searchSimulatedSource(source, {
            ...options.simulation,
            slo: options.slo,
            attainment: options.attainment,
            ...(options.stop ? { stop: options.stop } : {}),
          })
        : null
    const found: ReplicaCapacity = simulated
      ? simulated.found
      : capacityFromSweep((source as Extract<CapacitySource, { kind: 'measured' }>).runs, options.attainment)
    inputTokensMean ??= found.inputTokensMean
    outputTokensMean ??= found.outputTokensMean
    const fleet = sizeFleet(options.peakRequestsPerS, found.capacity.ratePerS, source.gpusPerReplica, options.policy)
    endpoints.push({
      label: source.label,
      source: source.kind,
      detail: source.kind === 'measured' ? source.file : "rates searched in the simulator's virtual time",
      profile: source.kind === 'simulated' ? { name: source.profile.name, confidential: source.confidential } : null,
      capacityPerReplica: found.capacity,
      firstCut: found.firstCut,
      evaluations: found.evaluations,
      ...(simulated ? { traffic: simulated.traffic } : {}),
      modelError: simulated?.modelError ?? null,
      gpusPerReplica: source.gpusPerReplica,
      ...fleet,
      costs: options.prices
        .filter((price) => price.endpoint === undefined || price.endpoint === source.label)
        .map((price) => ({
          ...costLine(
            price,
            found.capacity,
            source.gpusPerReplica,
            fleet.gpus,
            options.policy,
            demandTokens(average.rate, found),
            options.powerWPerGpu,
            simulated?.modelError ?? null,
          ),
          inOneYear: grown ? costInOneYear(price, found, source.gpusPerReplica, options.policy, grown) : null,
        })),
      warnings: found.warnings,
    })
  }
  return sizingResultSchema.parse({
    schema: 'geopat.sizing/v2',
    createdAt: new Date().toISOString(),
    tool: { name: 'geopat', version: GEOPAT_VERSION },
    demand: {
      peakRequestsPerS: options.peakRequestsPerS,
      averageRequestsPerS: average.rate,
      averageBasis: average.basis,
      growthPerYear: growth,
      inOneYear: grown,
      inputTokensMean,
      outputTokensMean,
      tokensPerMonth:
        inputTokensMean !== null && outputTokensMean !== null
          ? { input: tokensPerMonth(average.rate, inputTokensMean), output: tokensPerMonth(average.rate, outputTokensMean) }
          : null,
    },
    slo: options.slo,
    attainment: options.attainment,
    policy: options.policy,
    endpoints,
  })
}

/** The demand's average: given, peak × averageToPeak, or the peak itself (said so: fleet $/Mtok is then a lower bound). */
export function averageDemand(options: Pick<SizeOptions, 'peakRequestsPerS' | 'averageRequestsPerS' | 'averageToPeak'>): {
  rate: number
  basis: 'given' | 'ratio' | 'assumed-peak'
} {
  if (options.averageRequestsPerS !== undefined && options.averageToPeak !== undefined)
    throw new OptionMessageError('{averageRequestsPerS}, {averageToPeak}: give one of the two, not both')
  if (options.averageRequestsPerS !== undefined) {
    if (!(options.averageRequestsPerS > 0 && options.averageRequestsPerS <= options.peakRequestsPerS)) {
      throw new OptionMessageError(`{averageRequestsPerS}: must be > 0 and at most the peak (${options.peakRequestsPerS} req/s)`)
    }
    return { rate: options.averageRequestsPerS, basis: 'given' }
  }
  if (options.averageToPeak !== undefined) {
    if (!(options.averageToPeak > 0 && options.averageToPeak <= 1)) throw new OptionMessageError('{averageToPeak}: must be in (0, 1]')
    return { rate: options.peakRequestsPerS * options.averageToPeak, basis: 'ratio' }
  }
  return { rate: options.peakRequestsPerS, basis: 'assumed-peak' }
}

/** Tokens per month the demand sends to this endpoint, at its own request lengths; null when unknown. */
function demandTokens(averageRequestsPerS: number, found: ReplicaCapacity): { input: number; output: number } | null {
  if (found.inputTokensMean === null || found.outputTokensMean === null) return null
  return { input: tokensPerMonth(averageRequestsPerS, found.inputTokensMean), output: tokensPerMonth(averageRequestsPerS, found.outputTokensMean) }
}

/** The steady fleet re-sized for the grown demand, bought from `price`, and its fleet $/Mtok (at the capacity's estimate). */
function costInOneYear(
  price: GpuHourPrice,
  found: ReplicaCapacity,
  gpusPerReplica: number,
  policy: SizingPolicy,
  grown: { peakRequestsPerS: number; averageRequestsPerS: number },
): CostLine['inOneYear'] {
  const later = sizeFleet(grown.peakRequestsPerS, found.capacity.ratePerS, gpusPerReplica, policy)
  const gpus = gpusBought(later.gpus.total, price.sale)
  const cost = gpus * price.pricePerGpuHour * HOURS_PER_MONTH
  const tokens = demandTokens(grown.averageRequestsPerS, found)
  return { gpusBought: gpus, fleetPerMonth: cost, perMtokFleetAtDemandTotal: tokens ? fleetPerMtok(cost, tokens.input + tokens.output) : null }
}

function costLine(
  price: GpuHourPrice,
  capacity: EndpointSizing['capacityPerReplica'],
  gpusPerReplica: number,
  gpus: EndpointSizing['gpus'],
  policy: SizingPolicy,
  tokens: { input: number; output: number } | null,
  powerWPerGpu: number | undefined,
  modelError: ModelError | null,
): CostLine {
  const monthly = (count: number): number => count * price.pricePerGpuHour * HOURS_PER_MONTH
  const bought = {
    estimate: gpusBought(gpus.total, price.sale),
    low: gpusBought(gpus.low, price.sale),
    high: gpus.high === null ? null : gpusBought(gpus.high, price.sale),
    nodes: price.sale.soldBy === 'node' ? gpusBought(gpus.total, price.sale) / price.sale.gpusPerNode : null,
  }
  const sold =
    price.sale.soldBy === 'node'
      ? `GPUs rounded up to whole nodes of ${price.sale.gpusPerNode} (the offer rents whole nodes)`
      : 'GPUs as needed (the offer rents GPU by GPU)'
  const fleetPerMonth: Estimate = {
    estimate: monthly(bought.estimate),
    low: monthly(bought.low),
    high: bought.high === null ? null : monthly(bought.high),
    method: `steady fleet (base + spare replicas, no rollout surge): ${sold} × price × 730 h; interval from the capacity interval`,
  }
  // The surge first fills the idle GPUs of the nodes already bought; only the rest is bought for the rollout.
  const surgeGpus = gpusBought(gpus.total + gpus.surge, price.sale) - bought.estimate
  const surge = { gpus: surgeGpus, perMonth: monthly(surgeGpus), months: policy.rolloutMonths, total: monthly(surgeGpus) * policy.rolloutMonths }
  // Fleet $/Mtok at the demand: the fleet's cost over the tokens the demand sends, each split carrying the whole cost.
  const fleetEstimate = (count: number | undefined): Estimate | null => {
    if (count === undefined || tokens === null) return null
    const at = (cost: number | null): number | null => (cost === null ? null : fleetPerMtok(cost, count))
    const value = at(fleetPerMonth.estimate)
    if (value === null) return null
    return {
      estimate: value,
      low: at(fleetPerMonth.low) ?? value,
      high: at(fleetPerMonth.high),
      method: `fleet per month / (the demand's average rate × tokens per request × 730 h) × 1e6; interval from the fleet's GPU range`,
    }
  }
  // $/Mtok falls as capacity rises: the capacity's high end gives the low price.
  const perMtokAt = (which: 'estimate' | 'low' | 'high') =>
    costPerMtok(price.pricePerGpuHour, gpusPerReplica, {
      inputTokensPerS: capacity.inputTokensPerS[which] ?? 0,
      outputTokensPerS: capacity.outputTokensPerS[which] ?? 0,
    })
  const central = perMtokAt('estimate')
  const cheap = perMtokAt('high')
  const dear = perMtokAt('low')
  const estimateOf = (key: 'input' | 'output' | 'total'): Estimate | null => {
    const value = central[key]
    if (value === null) return null
    // An unbounded capacity (a model error of 100% or more) leaves the cheap end at 0.
    const low = capacity.outputTokensPerS.high === null ? 0 : (cheap[key] ?? value)
    return {
      estimate: value,
      low,
      high: dear[key],
      method: 'price of one replica / its goodput tokens per second at the SLO, at full load (InferenceX formula); interval from the capacity interval',
    }
  }
  const notes: string[] = [...(price.notes ?? [])]
  if (capacity.lowerBoundOnly) notes.push('capacity is a lower bound (the sweep never missed the SLO): $/Mtok is an upper bound')
  if (modelError !== null && modelError.fraction !== null) notes.push(`the fleet and $/Mtok intervals include the model's error: ${modelError.sentence}`)
  else if (modelError) notes.push(`no model error band: ${modelError.sentence}`)
  return {
    catalogRow: price.catalogRow,
    provider: price.provider,
    region: price.region,
    sovereignty: price.sovereignty,
    currency: price.currency,
    pricePerGpuHour: price.pricePerGpuHour,
    priceSource: price.priceSource ?? null,
    ...(price.catalogPrice !== undefined ? { catalogPrice: price.catalogPrice, fxRates: price.fxRates ?? [] } : {}),
    soldBy: price.sale.soldBy,
    gpusPerNode: price.sale.gpusPerNode,
    gpusBought: bought,
    fleetPerMonth,
    surge,
    inOneYear: null,
    perMtokFleetAtDemand: {
      input: fleetEstimate(tokens?.input),
      output: fleetEstimate(tokens?.output),
      total: fleetEstimate(tokens ? tokens.input + tokens.output : undefined),
    },
    perMtokOneReplicaAtFullLoad: { input: estimateOf('input'), output: estimateOf('output'), total: estimateOf('total') },
    joulesPerOutputToken: powerWPerGpu !== undefined ? joulesPerToken(powerWPerGpu, gpusPerReplica, capacity.outputTokensPerS.estimate) : null,
    notes,
  }
}
