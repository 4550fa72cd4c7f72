import { type Catalog, loadCatalog } from '../pricing/catalog.js'
import { type CapacitySource, type GpuHourPrice, type SizeOptions, gpuHourPriceFromCatalog, runsByEndpoint } from '../sizing/run.js'
import type { Scenario, SizeStep, SloConfig } from '../io/schema/scenario.js'
import type { BenchSummary } from '../io/schema/summary.js'
import { loadProfile } from '../io/schema/sim-profile.js'
import { withPrefixCaching } from '../sim/simulated-endpoint.js'
import { UserError } from '../util/errors.js'
import type { SizingPolicy } from '../sizing/policy.js'

/** What a sizing sizes, beside the step's demand, policy and search settings. */
export interface SizingSubject {
  sources: CapacitySource[]
  slo: SloConfig
  prices: GpuHourPrice[]
  /** Seed of the simulated searches. */
  seed: number
  /** Watts per GPU under load, for energy per token. */
  powerWPerGpu?: number
}

/**
 * The one place a size step (the scenario's `size:` section, or `geopat size`'s flags in that
 * shape) becomes the options of runSizing: its demand, policy and searches, with what is sized.
 */
export function sizeOptionsOf(step: SizeStep, subject: SizingSubject): SizeOptions {
  return {
    peakRequestsPerS: step.peakRequestsPerS,
    ...(step.averageRequestsPerS !== undefined ? { averageRequestsPerS: step.averageRequestsPerS } : {}),
    ...(step.averageToPeak !== undefined ? { averageToPeak: step.averageToPeak } : {}),
    growthPerYear: step.growthPerYear,
    sources: subject.sources,
    slo: subject.slo,
    attainment: step.attainment,
    policy: sizingPolicyOf(step),
    prices: subject.prices,
    ...(subject.powerWPerGpu !== undefined ? { powerWPerGpu: subject.powerWPerGpu } : {}),
    simulation: { searches: step.searches, durationS: step.simulatedSeconds, seed: subject.seed },
  }
}

/**
 * The sizing a scenario's `size:` section asks for: every simulated endpoint's profile searched in
 * virtual time (source: simulator) or every endpoint's measured sweep (source: measured), priced
 * with the catalog rows it names (the freshest row of each id in `catalog`, asked for only when the
 * step names prices; default: the built-in catalog).
 */
export function sizeOptionsForScenario(
  scenario: Scenario,
  step: SizeStep,
  source: string,
  bench: { file: string; summary: BenchSummary } | undefined,
  catalog: () => Catalog = () => loadCatalog(),
): SizeOptions {
  const sloGiven = Object.values(scenario.slo).some((v) => v !== undefined)
  if (!sloGiven) throw new UserError(`${source}: slo: sizing needs at least one objective (ttftMs, tpotMs or e2eMs)`)
  const sources = step.source === 'simulator' ? simulatedSources(scenario, step, source) : measuredSources(step, source, bench)
  const labels = new Set(sources.map((s) => s.label))
  const priced = step.prices.length > 0 ? catalog() : undefined
  const prices = step.prices.map((price, index) => {
    if (!labels.has(price.endpoint))
      throw new UserError(`${source}: size.prices.${index}.endpoint: "${price.endpoint}" is not an endpoint being sized (${[...labels].join(', ')})`)
    return gpuHourPriceFromCatalog(priced as Catalog, price.catalogRow, step.currency, `${source}: size.prices.${index}.catalogRow`, price.endpoint)
  })
  return sizeOptionsOf(step, { sources, slo: scenario.slo, prices, seed: scenario.load.seed ?? 1 })
}

/** source: simulator: each endpoint with a sim.profile (and its prefixCaching), searched at the scenario's token lengths or its session mix. */
function simulatedSources(scenario: Scenario, step: SizeStep, source: string): CapacitySource[] {
  const sources: CapacitySource[] = []
  scenario.endpoints.forEach((endpoint, index) => {
    if (!endpoint.sim?.profile) return
    const profile = withPrefixCaching(loadProfile(endpoint.sim.profile), endpoint.sim.prefixCaching)
    const label = endpoint.label ?? `sim-${index}`
    sources.push({
      kind: 'simulated',
      label,
      profile,
      confidential: endpoint.sim.cc,
      network: endpoint.sim.network,
      inputTokens: scenario.input.inputTokens,
      outputTokens: scenario.input.outputTokens,
      // With input.sessions, the lengths are each turn's new message and answer, and sessions arrive as the process searched.
      ...(scenario.input.sessions ? { sessions: scenario.input.sessions } : {}),
      gpusPerReplica: step.gpusPerReplica[label] ?? profile.gpu.count,
    })
  })
  if (sources.length === 0) throw new UserError(`${source}: size.source simulator needs an endpoint with sim.profile; use source: measured for real endpoints`)
  return sources
}

/** source: measured: each endpoint of the bench run's sweep, with the GPUs per replica the step gives it. */
function measuredSources(step: SizeStep, source: string, bench: { file: string; summary: BenchSummary } | undefined): CapacitySource[] {
  if (!bench) throw new UserError(`${source}: size.source measured needs a bench run first`)
  return [...runsByEndpoint(bench.summary)].map(([label, runs]) => {
    const gpus = step.gpusPerReplica[label]
    if (gpus === undefined)
      throw new UserError(`${source}: size.gpusPerReplica.${label}: required for a measured endpoint (the summary does not say how many GPUs served it)`)
    return { kind: 'measured', label, runs, file: bench.file, gpusPerReplica: gpus }
  })
}

/** The size step's sizing policy (the scenario schema's defaults applied). */
export function sizingPolicyOf(step: SizeStep): SizingPolicy {
  return {
    targetUtilization: step.targetUtilization,
    failureDomains: step.failureDomains,
    sparePerFailureDomain: step.sparePerFailureDomain,
    surgeFraction: step.surgeFraction,
    rolloutMonths: step.rolloutMonths,
  }
}
