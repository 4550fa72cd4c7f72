import { loadCatalog } from '../pricing/catalog.js'
import { type CapacitySource, type GpuHourPrice, type SizeOptions, gpuHourPriceFromCatalog, runsByEndpoint } from '../sizing/run.js'
import type { Scenario, SizeStep } from '../io/schema/scenario.js'
import type { BenchSummary } from '../io/schema/summary.js'
import { loadProfile } from '../io/schema/sim-profile.js'
import { UserError } from '../util/errors.js'
import type { SizingPolicy } from '../sizing/policy.js'

/**
 * The sizing a scenario's `size:` section asks for: every simulated endpoint's profile searched in
 * virtual time (source: simulator) or every endpoint's measured sweep (source: measured), priced
 * with the catalog rows it names (the freshest row of each id among the built-in catalog and
 * `pricing`'s files).
 */
export function sizeOptionsForScenario(
  scenario: Scenario,
  step: SizeStep,
  source: string,
  bench: { file: string; summary: BenchSummary } | undefined,
  pricing: { catalogFiles?: string[]; fxFiles?: string[] } = {},
): SizeOptions {
  const sloGiven = Object.values(scenario.slo).some((v) => v !== undefined)
  if (!sloGiven) throw new UserError(`${source}: slo: sizing needs at least one objective (ttftMs, tpotMs or e2eMs)`)
  const labelOf = (index: number): string => scenario.endpoints[index]?.label ?? `sim-${index}`
  const sources: CapacitySource[] = []
  if (step.source === 'simulator') {
    scenario.endpoints.forEach((endpoint, index) => {
      if (!endpoint.sim?.profile) return
      const profile = loadProfile(endpoint.sim.profile)
      const label = labelOf(index)
      sources.push({
        kind: 'simulated',
        label,
        profile,
        confidential: endpoint.sim.cc,
        network: endpoint.sim.network,
        inputTokens: scenario.input.inputTokens,
        outputTokens: scenario.input.outputTokens,
        gpusPerReplica: step.gpusPerReplica[label] ?? profile.gpu.count,
      })
    })
    if (sources.length === 0) throw new UserError(`${source}: size.source simulator needs an endpoint with sim.profile; use source: measured for real endpoints`)
  } else {
    if (!bench) throw new UserError(`${source}: size.source measured needs a bench run first`)
    for (const [label, runs] of runsByEndpoint(bench.summary)) {
      const gpus = step.gpusPerReplica[label]
      if (gpus === undefined) throw new UserError(`${source}: size.gpusPerReplica.${label}: required for a measured endpoint (the summary does not say how many GPUs served it)`)
      sources.push({ kind: 'measured', label, runs, file: bench.file, gpusPerReplica: gpus })
    }
  }
  const labels = new Set(sources.map((s) => s.label))
  let prices: GpuHourPrice[] = []
  if (step.prices.length > 0) {
    const catalog = loadCatalog({ files: pricing.catalogFiles ?? [], fxFiles: pricing.fxFiles ?? [] })
    prices = step.prices.map((price, index) => {
      if (!labels.has(price.endpoint)) throw new UserError(`${source}: size.prices.${index}.endpoint: "${price.endpoint}" is not an endpoint being sized (${[...labels].join(', ')})`)
      return gpuHourPriceFromCatalog(catalog, price.catalogRow, step.currency, `${source}: size.prices.${index}.catalogRow`, price.endpoint)
    })
  }
  return {
    peakRequestsPerS: step.peakRequestsPerS,
    ...(step.averageRequestsPerS !== undefined ? { averageRequestsPerS: step.averageRequestsPerS } : {}),
    ...(step.averageToPeak !== undefined ? { averageToPeak: step.averageToPeak } : {}),
    growthPerYear: step.growthPerYear,
    sources,
    slo: scenario.slo,
    attainment: step.attainment,
    policy: sizingPolicyOf(step),
    prices,
    simulation: { searches: step.searches, durationS: step.simulatedSeconds, seed: scenario.load.seed ?? 1 },
  }
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
