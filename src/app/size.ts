import { join } from 'node:path'
import type { LengthSpec } from '../io/schema/length-spec.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../io/output/files.js'
import type { SizeStep, SloConfig } from '../io/schema/scenario.js'
import type { SizingResult } from '../io/schema/sizing.js'
import { loadCatalog } from '../pricing/catalog.js'
import { loadProfile } from '../io/schema/sim-profile.js'
import { loadWorkload } from '../sim/workload.js'
import { withPrefixCaching } from '../sim/simulated-endpoint.js'
import type { SessionConfig } from '../io/schema/session.js'
import type { TraceConfig } from '../io/schema/trace.js'
import { type CapacitySource, type GpuHourPrice, gpuHourPriceFromCatalog, readBenchSummary, runSizing, runsByEndpoint } from '../sizing/run.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError, asOptionError } from '../util/option-error.js'
import { sizeOptionsOf } from './size-scenario.js'

/** `geopat size`, validated: the step's demand, policy and searches, and what to size and price. */
export interface SizeRequest {
  /** Demand, policy, searches and currency in the scenario's `size:` shape (its schema's defaults applied). */
  step: SizeStep
  /** Measured sweeps (geopat bench run folders or summary.json files), or `profile`: one of the two. */
  from?: string[]
  profile?: string
  /** With `profile`: confidential computing on. */
  cc?: boolean
  /** With `profile`: a shipped workload's request lengths; `inputTokens`/`outputTokens` override it. */
  workload?: string
  inputTokens?: LengthSpec
  outputTokens?: LengthSpec
  /** With `profile`: multi-turn sessions (synthetic: turns); inputTokens/outputTokens then size each turn's message and answer. */
  sessions?: SessionConfig
  /** With `profile`: a trace replayed with its lengths and hash ids at the speeds searched (instead of the lengths). */
  trace?: TraceConfig
  /** With `profile`: prefix caching on or off (default: the profile's engine.prefixCaching). */
  prefixCaching?: 'on' | 'off'
  /** Required with `profile`; with `from`, it must be the SLO the sweep measured goodput at (default: that one). */
  slo?: SloConfig
  /** GPUs per replica (required with `from`; default: the profile's). */
  gpusPerReplica?: number
  /** Catalog row ids to cost the fleet with. */
  price?: string[]
  catalogFiles?: string[]
  fxFiles?: string[]
  /** A price per GPU-hour in the step's currency, sold GPU by GPU or by nodes of `gpusPerNode`. */
  gpuHourPrice?: number
  gpusPerNode?: number
  powerWPerGpu?: number
  /** Seed of the simulated searches. */
  seed: number
  /** Output folder (default reports/<run-id>). */
  outDir?: string
}

export interface SizeRun {
  result: SizingResult
  /** sizing.json, as written. */
  file: string
}

/** Sizes every endpoint measured (`from`) or the profile searched in virtual time, costs it at each price, and writes sizing.json. */
export async function runSize(request: SizeRequest): Promise<SizeRun> {
  const { sources, slo } = request.from !== undefined ? measuredSources(request, request.from) : simulatedSource(request)
  const prices = gpuHourPrices(request)
  const outDir = prepareOutputDir(request.outDir ?? join('reports', makeRunId('size')))
  const options = sizeOptionsOf(request.step, {
    sources,
    slo,
    prices,
    seed: request.seed,
    ...(request.powerWPerGpu !== undefined ? { powerWPerGpu: request.powerWPerGpu } : {}),
  })
  const result = await runSizing(options)
  const file = join(outDir, 'sizing.json')
  writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`)
  return { result, file }
}

/** One source per endpoint of each summary, all at one SLO: the one given, or the one the first sweep measured. */
function measuredSources(request: SizeRequest, paths: string[]): { sources: CapacitySource[]; slo: SloConfig } {
  if (request.gpusPerReplica === undefined)
    throw new OptionMessageError('{gpusPerReplica}: required with {from} (a summary does not say how many GPUs served it)')
  let slo = request.slo
  const sources: CapacitySource[] = []
  for (const path of paths) {
    const { file, summary } = readBenchSummary(path, 'from')
    for (const [label, runs] of runsByEndpoint(summary)) {
      const measuredSlo = runs.find((run) => run.goodput !== null)?.goodput?.slo
      if (!measuredSlo) throw new UserError(`${file}: endpoint ${label} was run without an SLO: re-run geopat bench with --slo to size from it`)
      if (slo !== undefined && JSON.stringify(slo) !== JSON.stringify(measuredSlo)) {
        throw new OptionMessageError(
          `{slo} ${describeSlo(request.slo ?? {})}: ${file} measured goodput at ${describeSlo(measuredSlo)}; size at that SLO or re-run the sweep`,
        )
      }
      slo ??= measuredSlo
      sources.push({ kind: 'measured', label, runs, file, gpusPerReplica: request.gpusPerReplica })
    }
  }
  return { sources, slo: slo ?? {} }
}

/** The profile, searched at the workload's (or the given) token lengths. */
function simulatedSource(request: SizeRequest): { sources: CapacitySource[]; slo: SloConfig } {
  if (request.slo === undefined) throw new OptionMessageError('{slo}: required with {profile}, e.g. {slo} ttft=500,tpot=25')
  const profile = withPrefixCaching(loadProfile(request.profile as string), request.prefixCaching)
  const confidential = request.cc ?? false
  if (confidential && !profile.confidential) throw new OptionMessageError(`{cc}: profile ${profile.name} has no confidential-computing settings`)
  const workload = request.workload !== undefined ? loadWorkload(request.workload) : undefined
  const source: CapacitySource = {
    kind: 'simulated',
    label: `${profile.name}${confidential ? ' (CC)' : ''}`,
    profile,
    confidential,
    inputTokens: request.inputTokens ?? workload?.inputTokens ?? 512,
    outputTokens: request.outputTokens ?? workload?.outputTokens ?? 128,
    ...(request.sessions ? { sessions: request.sessions } : {}),
    ...(request.trace ? { trace: request.trace } : {}),
    gpusPerReplica: request.gpusPerReplica ?? profile.gpu.count,
  }
  return { sources: [source], slo: request.slo }
}

/** The catalog rows asked for, then the price given per GPU-hour, all in the step's currency. */
function gpuHourPrices(request: SizeRequest): GpuHourPrice[] {
  const currency = request.step.currency
  const prices: GpuHourPrice[] = []
  if (request.price !== undefined && request.price.length > 0) {
    const catalog = loadCatalog({ files: request.catalogFiles ?? [], fxFiles: request.fxFiles ?? [] })
    // The catalog's one-line errors start with where the id came from: the option, named by the cli.
    for (const id of request.price) prices.push(asOptionError(() => gpuHourPriceFromCatalog(catalog, id, currency, `{price} ${id}`)))
  }
  if (request.gpuHourPrice !== undefined) {
    const perNode = request.gpusPerNode
    prices.push({
      catalogRow: 'command line',
      provider: '(given)',
      region: '-',
      sovereignty: '-',
      currency,
      pricePerGpuHour: request.gpuHourPrice,
      sale: perNode !== undefined ? { soldBy: 'node', gpusPerNode: perNode } : { soldBy: 'gpu', gpusPerNode: 1 },
    })
  }
  return prices
}

function describeSlo(slo: SloConfig): string {
  return (
    Object.entries(slo)
      .map(([key, value]) => `${key.replace(/Ms$/, '')}=${value}`)
      .join(',') || '(none)'
  )
}
