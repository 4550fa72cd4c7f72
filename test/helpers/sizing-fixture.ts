import { type SizingResult, sizingResultSchema } from '../../src/io/schema/sizing.js'

type Endpoint = SizingResult['endpoints'][number]

/**
 * A schema-valid sizing.json for the TCO's tests: one simulated endpoint per label, each with the
 * given GPU range (the mode is `total`), 10 req/s (8–12) per replica of 2 GPUs, 85 req/s at peak.
 */
export function sizingFixture(
  gpus: { low: number; total: number; high: number | null },
  options: { labels?: string[]; modelError?: Endpoint['modelError']; costs?: Record<string, Endpoint['costs']> } = {},
): SizingResult {
  const estimate = { estimate: 10, low: 8, high: 12, method: 'test' }
  const endpoint = (label: string) => ({
    label,
    source: 'simulated' as const,
    detail: 'test',
    profile: null,
    capacityPerReplica: { ratePerS: estimate, inputTokensPerS: estimate, outputTokensPerS: estimate, lowerBoundOnly: false },
    firstCut: null,
    evaluations: [],
    modelError: options.modelError ?? null,
    gpusPerReplica: 2,
    replicas: { base: 4, spare: 1, surge: 1, total: 6, low: 5, high: 8, terms: { base: 'test', spare: 'test', surge: 'test' } },
    gpus: { surge: 2, ...gpus },
    costs: options.costs?.[label] ?? [],
    warnings: [],
  })
  return sizingResultSchema.parse({ ...sizingFrame(), endpoints: (options.labels ?? ['us-hyperscaler', 'eu-regional']).map(endpoint) })
}

/**
 * A sizing.json but its endpoints: made now, 85 req/s at peak and (assumed) on average, 250 prompt
 * and 200 output tokens, TTFT 1000 ms at 95% attainment, 70% utilization with one spare and 25% surge.
 */
export function sizingFrame(demand: Partial<SizingResult['demand']> = {}): Omit<SizingResult, 'endpoints'> {
  return {
    schema: 'geopat.sizing/v2',
    createdAt: new Date().toISOString(),
    tool: { name: 'geopat', version: 'test' },
    demand: {
      peakRequestsPerS: 85,
      averageRequestsPerS: 85,
      averageBasis: 'assumed-peak',
      growthPerYear: 0,
      inOneYear: null,
      inputTokensMean: 250,
      outputTokensMean: 200,
      tokensPerMonth: null,
      ...demand,
    },
    slo: { ttftMs: 1000 },
    attainment: 0.95,
    policy: { targetUtilization: 0.7, failureDomains: 1, sparePerFailureDomain: 1, surgeFraction: 0.25, rolloutMonths: 0 },
  }
}
