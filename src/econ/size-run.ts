import type { LengthSpec } from '../input/distributions.js'
import { locateOutputFile } from '../output/files.js'
import { loadYamlFile } from '../schema/load-file.js'
import type { SloConfig } from '../schema/scenario.js'
import { type CostLine, type Estimate, type EndpointSizing, type ModelError, type SizingResult, sizingResultSchema } from '../schema/sizing.js'
import { type BenchSummary, benchSummarySchema, type RunSummary } from '../schema/summary.js'
import type { SimProfile } from '../sim/engine/profile.js'
import type { NetworkPath } from '../sim/network.js'
import { UserError } from '../util/errors.js'
import type { StopCheck } from '../util/interrupt.js'
import { type Catalog, assertInForce, pricePerGpuHour, staleRows } from './catalog.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { applyModelError } from './model-error.js'
import { type ReplicaCapacity, capacityFromSimulator, capacityFromSweep } from './replica-capacity.js'
import { type SizingPolicy, sizeFleet } from './sizing.js'
import { costPerMtok, joulesPerToken } from './unit-cost.js'

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
  /** The catalog row's source, effective date and confidence. */
  priceSource?: { source: string; date: string; confidence: string }
  /** Said beside the cost (a stale price, a conversion). */
  notes?: string[]
}

/**
 * A catalog row as a GPU-hour price in `currency`, with a note when the row is older than the
 * catalog's staleness limit. Token prices are refused: a fleet is priced per GPU-hour.
 */
export function gpuHourPriceFromCatalog(catalog: Catalog, id: string, currency: string, where: string, endpoint?: string): GpuHourPrice {
  const row = catalog.byId(id)
  if (!row) throw new UserError(`${where}: no catalog row "${id}" (see geopat catalog list)`)
  if (row.unit === 'mtok') throw new UserError(`${where}: "${row.id}" is a token price; sizing needs a GPU-hour price`)
  assertInForce(row, new Date(), where)
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    catalogRow: row.id,
    provider: row.provider,
    region: row.region,
    sovereignty: row.sovereignty,
    currency,
    pricePerGpuHour: pricePerGpuHour(row, currency, catalog.fx),
    priceSource: { source: row.source, date: row.effectiveDate, confidence: row.confidence },
    notes: staleRows([row], { asOf: new Date() }).map((warning) => warning.message),
  }
}

export type CapacitySource =
  | { kind: 'measured'; label: string; runs: RunSummary[]; file: string; gpusPerReplica: number }
  | {
      kind: 'simulated'
      label: string
      profile: SimProfile
      confidential: boolean
      network?: NetworkPath
      inputTokens: LengthSpec
      outputTokens: LengthSpec
      gpusPerReplica: number
    }

export interface SizeOptions {
  peakRequestsPerS: number
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

const HOURS_PER_MONTH = 730

/** Reads a bench summary.json (or the run folder holding one). */
export function readBenchSummary(path: string): { file: string; summary: BenchSummary } {
  const file = locateOutputFile(path, 'summary.json')
  if (!file) throw new UserError(`--from ${path}: no summary.json there (give a geopat bench run folder or its summary.json)`)
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
  if (!(options.peakRequestsPerS > 0)) throw new UserError('--peak-rps: must be a number > 0')
  const endpoints: EndpointSizing[] = []
  let inputTokensMean: number | null = null
  let outputTokensMean: number | null = null
  for (const source of options.sources) {
    const searched: ReplicaCapacity =
      source.kind === 'measured'
        ? capacityFromSweep(source.runs, options.attainment)
        : await capacityFromSimulator({
            profile: source.profile,
            confidential: source.confidential,
            ...(source.network ? { network: source.network } : {}),
            inputTokens: source.inputTokens,
            outputTokens: source.outputTokens,
            slo: options.slo,
            attainment: options.attainment,
            searches: options.simulation.searches,
            seed: options.simulation.seed,
            durationS: options.simulation.durationS,
            ...(options.stop ? { stop: options.stop } : {}),
          })
    // A simulated capacity carries the profile's validation error; a measured one, the measurement's interval only.
    const band = source.kind === 'simulated' ? applyModelError(searched.capacity, source.profile) : null
    const found: ReplicaCapacity = band ? { ...searched, capacity: band.capacity, warnings: [...searched.warnings, ...band.warnings] } : searched
    inputTokensMean ??= found.inputTokensMean
    outputTokensMean ??= found.outputTokensMean
    const fleet = sizeFleet(options.peakRequestsPerS, found.capacity.ratePerS, source.gpusPerReplica, options.policy)
    endpoints.push({
      label: source.label,
      source: source.kind,
      detail: source.kind === 'measured' ? source.file : 'rates searched in the simulator\'s virtual time',
      profile: source.kind === 'simulated' ? { name: source.profile.name, confidential: source.confidential } : null,
      capacityPerReplica: found.capacity,
      firstCut: found.firstCut,
      evaluations: found.evaluations,
      modelError: band?.modelError ?? null,
      gpusPerReplica: source.gpusPerReplica,
      ...fleet,
      costs: options.prices
        .filter((price) => price.endpoint === undefined || price.endpoint === source.label)
        .map((price) => costLine(price, found.capacity, source.gpusPerReplica, fleet.gpus, options.powerWPerGpu, band?.modelError ?? null)),
      warnings: found.warnings,
    })
  }
  return sizingResultSchema.parse({
    schema: 'geopat.sizing/v1',
    createdAt: new Date().toISOString(),
    tool: { name: 'geopat', version: GEOPAT_VERSION },
    demand: { peakRequestsPerS: options.peakRequestsPerS, inputTokensMean, outputTokensMean },
    slo: options.slo,
    attainment: options.attainment,
    policy: options.policy,
    endpoints,
  })
}

function costLine(price: GpuHourPrice, capacity: EndpointSizing['capacityPerReplica'], gpusPerReplica: number, gpus: EndpointSizing['gpus'], powerWPerGpu: number | undefined, modelError: ModelError | null): CostLine {
  const monthly = (count: number): number => count * price.pricePerGpuHour * HOURS_PER_MONTH
  const fleetPerMonth: Estimate = {
    estimate: monthly(gpus.roundedToNodes),
    low: monthly(gpus.low),
    high: gpus.high === null ? null : monthly(gpus.high),
    method: 'GPUs rounded to whole nodes × price × 730 h; interval from the capacity interval',
  }
  // $/Mtok falls as capacity rises: the capacity's high end gives the low price.
  const perMtokAt = (which: 'estimate' | 'low' | 'high') =>
    costPerMtok(price.pricePerGpuHour, gpusPerReplica, { inputTokensPerS: capacity.inputTokensPerS[which] ?? 0, outputTokensPerS: capacity.outputTokensPerS[which] ?? 0 })
  const central = perMtokAt('estimate')
  const cheap = perMtokAt('high')
  const dear = perMtokAt('low')
  const estimateOf = (key: 'input' | 'output' | 'total'): Estimate | null => {
    const value = central[key]
    if (value === null) return null
    // An unbounded capacity (a model error of 100% or more) leaves the cheap end at 0.
    const low = capacity.outputTokensPerS.high === null ? 0 : (cheap[key] ?? value)
    return { estimate: value, low, high: dear[key], method: 'price / goodput tokens per second of one replica at the SLO (InferenceX formula); interval from the capacity interval' }
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
    fleetPerMonth,
    perMtok: { input: estimateOf('input'), output: estimateOf('output'), total: estimateOf('total') },
    joulesPerOutputToken: powerWPerGpu !== undefined ? joulesPerToken(powerWPerGpu, gpusPerReplica, capacity.outputTokensPerS.estimate) : null,
    notes,
  }
}
