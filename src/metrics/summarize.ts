import type { RequestRecord } from '../io/schema/record.js'
import type { SloConfig } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import { METRICS, type MetricDefinition } from './definitions.js'
import { type DistributionIntervals, StreamingDistribution, describeValuesWithIntervals } from './distribution.js'
import { type FigureValue, SUMMARY_GROUPS, type SummaryGroup, summaryPathOf } from './run-figure.js'
import { RUN_FIGURES } from './run-figures.js'
import { type RecordStream, runView, walkRunFigures } from './run-walk.js'
import { compileSlo } from './slo.js'
import { measurementWindow } from './window.js'
import { sessionsCollector } from './sessions.js'

export type { RecordStream } from './run-walk.js'
export { coalescingOf } from './figures/tokens.js'

/** What the load engine knows about a run besides its records. */
export interface RunFacts {
  endpoint: RunSummary['endpoint']
  step: number
  stepLabel: string
  requested: RunSummary['requested']
  achieved: RunSummary['achieved']
  client: RunSummary['client']
  interrupted: boolean
  /** The server went away during the run. */
  serverLost?: RunSummary['serverLost']
  /** When sending stopped (ms from run start): the duration bound, or the last send. */
  sendEndMs: number
  slo: SloConfig
  warnings: string[]
  /** Multi-turn sessions: the server's prefix-cache hit rate over the step, from its /metrics (null or absent: not known). */
  prefixCacheHitRate?: number | null
}

/**
 * The pooled metrics' histograms. For a record of one-token chunks (virtual time) the pooled metrics
 * may all give the same values, the gaps between its arrivals (unitChunkGaps): as long as every
 * record so far gave them the same values, they share one histogram, which takes each value once
 * (virtual-time searches pool millions of token gaps). The first record that gives them different
 * values splits it into one copy each, from then on fed apart: each ends up with the very adds, in the
 * same order, it would have seen alone.
 */
function pooledDistributions(metrics: readonly MetricDefinition[]): {
  add(record: RequestRecord): void
  describe(metric: MetricDefinition): RunSummary['metrics'][string]
} {
  const distributions = new Map(metrics.map((metric) => [metric, new StreamingDistribution()]))
  let shared = metrics.length > 1 ? (distributions.get(metrics[0] as MetricDefinition) as StreamingDistribution) : undefined
  if (shared) for (const metric of metrics) distributions.set(metric, shared)
  const addApart = (record: RequestRecord): void => {
    for (const metric of metrics) {
      const distribution = distributions.get(metric) as StreamingDistribution
      const gaps = metric.unitChunkGaps?.(record)
      if (gaps) distribution.addGaps(gaps)
      else metric.pooled?.(record, (value, times) => distribution.add(value, times))
    }
  }
  return {
    add(record) {
      if (shared) {
        const gaps = metrics[0]?.unitChunkGaps?.(record)
        if (gaps && metrics.every((metric, index) => index === 0 || metric.unitChunkGaps?.(record) === gaps)) {
          shared.addGaps(gaps)
          return
        }
        for (const metric of metrics.slice(1)) distributions.set(metric, shared.copy())
        shared = undefined
      }
      addApart(record)
    },
    describe: (metric) => (distributions.get(metric) ?? new StreamingDistribution()).describe(),
  }
}

/** The latency distributions of summary.json's `metrics`, over the measured successful requests. */
function latencyDistributions(): { add(record: RequestRecord): void; describe(): Pick<RunSummary, 'metrics' | 'intervals'> } {
  const perRequest = METRICS.flatMap((metric) => (metric.perRequest ? [{ metric, value: metric.perRequest, values: [] as number[] }] : []))
  const pooled = pooledDistributions(METRICS.filter((metric) => metric.pooled !== undefined))
  return {
    add(record) {
      for (const sink of perRequest) {
        const value = sink.value(record)
        if (value !== null) sink.values.push(value)
      }
      pooled.add(record)
    },
    describe() {
      const metrics: RunSummary['metrics'] = {}
      const intervals: Record<string, DistributionIntervals> = {}
      for (const metric of METRICS) {
        const sink = perRequest.find((s) => s.metric === metric)
        if (sink) {
          const described = describeValuesWithIntervals(sink.values)
          metrics[metric.id] = described.distribution
          intervals[metric.id] = described.intervals
        } else {
          metrics[metric.id] = pooled.describe(metric)
        }
      }
      return { metrics, intervals }
    },
  }
}

/** summary.json's figure groups (and `figures`, for the figures registered after them) from the figures' values. */
function figureGroups(values: ReadonlyMap<string, FigureValue>): Record<SummaryGroup | 'figures', Record<string, FigureValue>> {
  const groups = Object.fromEntries([...SUMMARY_GROUPS, 'figures'].map((group) => [group, {}])) as Record<SummaryGroup | 'figures', Record<string, FigureValue>>
  for (const figure of RUN_FIGURES) {
    const [group, key] = summaryPathOf(figure)
    const value = values.get(figure.id) ?? null
    if (value !== null || !figure.onlyWhenSeen) groups[group][key] = value
  }
  return groups
}

/** What the figures say a reader should know: coalesced streams, output counted by the client. */
function figureWarnings(tokens: Record<string, FigureValue>): string[] {
  const warnings: string[] = []
  if (tokens.coalescingDetected === true) {
    const eventsPerRead = typeof tokens.eventsPerRead === 'number' ? tokens.eventsPerRead : 0
    warnings.push(
      `the server or a proxy coalesces events (${eventsPerRead.toFixed(2)} token events per network ` +
        `read): per-chunk "ITL" (vLLM's) understates token latency; use interTokenLatency or TPOT`,
    )
  }
  const countedByClient = typeof tokens.outputCountedByClient === 'number' ? tokens.outputCountedByClient : 0
  if (countedByClient > 0) warnings.push(`${countedByClient} responses had no usage: output tokens counted with the client's tokenizer`)
  return warnings
}

/**
 * The run summary as a pure function of the records (vLLM's bench keeps the same contract): the
 * same records always give the same summary, so `geopat report` can recompute it from disk. One
 * pass for the measurement window (window.ts), one for every registered run figure
 * (run-figures.ts) and latency distribution (definitions.ts).
 */
export async function summarizeRun(readRecords: RecordStream, facts: RunFacts): Promise<RunSummary> {
  const window = await measurementWindow(readRecords, { warmupS: facts.requested.warmupS, cooldownS: facts.requested.cooldownS, sendEndMs: facts.sendEndMs })
  const view = runView(window, compileSlo(facts.slo))
  const latencies = latencyDistributions()
  const sessions = sessionsCollector()
  const values = await walkRunFigures(readRecords, view, RUN_FIGURES, (record) => {
    if (record.ok && window.counts(record)) latencies.add(record)
    sessions.add(record)
  })
  const sessionsBlock = sessions.describe(facts.prefixCacheHitRate ?? null)
  const groups = figureGroups(values)
  const { metrics, intervals } = latencies.describe()
  return {
    endpoint: facts.endpoint,
    step: facts.step,
    stepLabel: facts.stepLabel,
    requested: facts.requested,
    achieved: facts.achieved,
    window: groups.window as RunSummary['window'],
    requests: groups.requests as RunSummary['requests'],
    tokens: groups.tokens as RunSummary['tokens'],
    throughput: groups.throughput as RunSummary['throughput'],
    goodput: view.hasSlo ? ({ slo: facts.slo, ...groups.goodput } as RunSummary['goodput']) : null,
    ...(Object.keys(groups.figures).length > 0 ? { figures: groups.figures as NonNullable<RunSummary['figures']> } : {}),
    metrics,
    intervals,
    client: facts.client,
    ...(sessionsBlock ? { sessions: sessionsBlock } : {}),
    interrupted: facts.interrupted,
    ...(facts.serverLost ? { serverLost: facts.serverLost } : {}),
    warnings: [...facts.warnings, ...figureWarnings(groups.tokens)],
  }
}
