import type { ErrorClass, RequestRecord } from '../io/schema/record.js'
import { ERROR_CLASSES } from '../io/schema/record.js'
import type { SloConfig } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import { chunkView } from './chunks.js'
import { METRICS } from './definitions.js'
import { type DistributionIntervals, StreamingDistribution, describeValuesWithIntervals } from './distribution.js'
import { meetsSlo } from './goodput.js'

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
}

/** Above this many token events per network read on average, we say the stream is coalesced. */
const COALESCING_EVENTS_PER_READ = 1.2

/** Mean token events per network read of successful records, and whether that means coalescing. */
export function coalescingOf(tokenEvents: number, reads: number): { eventsPerRead: number | null; detected: boolean } {
  const eventsPerRead = reads > 0 ? tokenEvents / reads : null
  return { eventsPerRead, detected: eventsPerRead !== null && eventsPerRead > COALESCING_EVENTS_PER_READ }
}

/**
 * The run summary as a pure function of the records (vLLM's bench keeps the same contract): the
 * same records always give the same summary, so `geopat report` can recompute it from disk.
 *
 * The measurement window: requests sent before `warmup` seconds or after `sendEnd − cooldown` stay
 * in records.jsonl but leave the statistics. Throughput counts what arrived inside the window
 * [start, end], where start = warm-up end (or the first send) and end = cool-down start (or, with no
 * cool-down, the last completion: vLLM's convention, drain tail included).
 */
export type RecordStream = () => Iterable<RequestRecord> | AsyncIterable<RequestRecord>

export async function summarizeRun(readRecords: RecordStream, facts: RunFacts): Promise<RunSummary> {
  const warmupMs = facts.requested.warmupS * 1000
  const cooldownMs = facts.requested.cooldownS * 1000
  const cooldownStartMs = cooldownMs > 0 ? facts.sendEndMs - cooldownMs : Number.POSITIVE_INFINITY
  const counts = (record: RequestRecord): boolean => record.sendMs >= warmupMs && record.sendMs < cooldownStartMs

  // Pass 1: the window's bounds when they depend on the data (first send, last completion).
  let firstSendMs = Number.POSITIVE_INFINITY
  let lastCompletionMs = Number.NEGATIVE_INFINITY
  for await (const record of readRecords()) {
    if (record.sendMs < firstSendMs) firstSendMs = record.sendMs
    if (record.ok && counts(record)) {
      const completion = record.sendMs + (record.endToEndLatencyMs ?? 0)
      if (completion > lastCompletionMs) lastCompletionMs = completion
    }
  }
  const windowStartMs = warmupMs > 0 ? warmupMs : Number.isFinite(firstSendMs) ? firstSendMs : 0
  const windowEndMs = cooldownMs > 0 ? cooldownStartMs : Number.isFinite(lastCompletionMs) ? lastCompletionMs : windowStartMs
  const windowMs = Math.max(0, windowEndMs - windowStartMs)
  const inside = (t: number): boolean => t >= windowStartMs && t <= windowEndMs
  const hasSlo = facts.slo.ttftMs !== undefined || facts.slo.tpotMs !== undefined || facts.slo.e2eMs !== undefined

  const errors = Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as Record<ErrorClass, number>
  const perRequestValues = new Map<string, number[]>()
  const pooled = new Map<string, StreamingDistribution>()
  for (const metric of METRICS) {
    if (metric.perRequest) perRequestValues.set(metric.id, [])
    else pooled.set(metric.id, new StreamingDistribution())
  }
  // Resolved once, not per record: this loop runs for every request of a long run.
  const perRequestSinks = METRICS.flatMap((m) => (m.perRequest ? [{ value: m.perRequest, values: perRequestValues.get(m.id) as number[] }] : []))
  const pooledSinks = METRICS.flatMap((m) => {
    if (!m.pooled) return []
    const sink = pooled.get(m.id) as StreamingDistribution
    return [{ values: m.pooled, add: (value: number, times?: number) => sink.add(value, times) }]
  })
  let sent = 0
  let succeeded = 0
  let retries = 0
  let inWindow = 0
  let succeededInWindow = 0
  let excludedWarmup = 0
  let excludedCooldown = 0
  let inputRequestedSum = 0
  let inputServerSum = 0
  let inputRequestedPairedSum = 0
  let inputPairs = 0
  let outputRequestedSum = 0
  let outputRequestedCount = 0
  let outputSum = 0
  let outputFromServer = 0
  let outputCounted = 0
  let tokenEventsSum = 0
  let readsSum = 0
  // Throughput: tokens and completions that happened inside the window, from any request.
  let outputTokensInWindow = 0
  let inputTokensInWindow = 0
  let completionsInWindow = 0
  let goodCompletionsInWindow = 0
  let goodOutputTokensInWindow = 0
  let goodCandidates = 0
  let goodCount = 0

  const addThroughput = (record: RequestRecord): void => {
    const completion = record.sendMs + (record.endToEndLatencyMs ?? 0)
    if (inside(record.sendMs) && inside(completion)) {
      // The whole request is inside the window: every token counts, no need to look at chunks.
      outputTokensInWindow += record.outputTokens
    } else {
      const chunks = chunkView(record)
      const scale = chunks.totalTokens > 0 ? record.outputTokens / chunks.totalTokens : 0
      for (let i = 0; i < chunks.count; i++) if (inside(record.sendMs + chunks.timeMs(i))) outputTokensInWindow += chunks.tokens(i) * scale
    }
    if (record.timeToFirstTokenMs !== null && inside(record.sendMs + record.timeToFirstTokenMs)) {
      inputTokensInWindow += record.inputTokens ?? 0
    }
    const good = hasSlo && counts(record) && meetsSlo(record, facts.slo)
    if (hasSlo && counts(record)) {
      goodCandidates++
      if (good) goodCount++
    }
    if (inside(completion)) {
      completionsInWindow++
      if (good) {
        goodCompletionsInWindow++
        goodOutputTokensInWindow += record.outputTokens
      }
    }
  }

  // Pass 2: everything else.
  for await (const record of readRecords()) {
    sent++
    retries += record.retries
    if (record.ok) succeeded++
    else if (record.errorClass) errors[record.errorClass]++
    if (record.ok) addThroughput(record)
    if (record.sendMs < warmupMs) {
      excludedWarmup++
      continue
    }
    if (record.sendMs >= cooldownStartMs) {
      excludedCooldown++
      continue
    }
    inWindow++
    if (!record.ok) continue
    succeededInWindow++
    for (const sink of perRequestSinks) {
      const value = sink.value(record)
      if (value !== null) sink.values.push(value)
    }
    for (const sink of pooledSinks) sink.values(record, sink.add)
    if (record.requestedInputTokens !== null) {
      inputRequestedSum += record.requestedInputTokens
      if (record.inputTokensSource === 'server' && record.inputTokens !== null) {
        inputServerSum += record.inputTokens
        inputRequestedPairedSum += record.requestedInputTokens
        inputPairs++
      }
    }
    if (record.requestedOutputTokens !== null) {
      outputRequestedSum += record.requestedOutputTokens
      outputRequestedCount++
    }
    outputSum += record.outputTokens
    if (record.outputTokensSource === 'server') outputFromServer++
    else outputCounted++
    tokenEventsSum += record.tokenEvents
    readsSum += chunkView(record).count
  }

  const rule =
    warmupMs > 0 || cooldownMs > 0
      ? `requests sent in [${fmt(windowStartMs)} ms, ${cooldownMs > 0 ? fmt(cooldownStartMs) : 'end'}) count; throughput = what arrived in [${fmt(windowStartMs)}, ${fmt(windowEndMs)}] ms`
      : `all requests count; throughput over first send → last completion (${fmt(windowStartMs)} → ${fmt(windowEndMs)} ms)`

  const perSecond = (count: number): number => (windowMs > 0 ? count / (windowMs / 1000) : 0)

  const metrics: RunSummary['metrics'] = {}
  const intervals: Record<string, DistributionIntervals> = {}
  for (const metric of METRICS) {
    if (metric.perRequest) {
      const described = describeValuesWithIntervals(perRequestValues.get(metric.id) ?? [])
      metrics[metric.id] = described.distribution
      intervals[metric.id] = described.intervals
    } else {
      metrics[metric.id] = (pooled.get(metric.id) as StreamingDistribution).describe()
    }
  }

  const { eventsPerRead, detected: coalescingDetected } = coalescingOf(tokenEventsSum, readsSum)
  const warnings = [...facts.warnings]
  if (coalescingDetected) {
    warnings.push(
      `the server or a proxy coalesces events (${(eventsPerRead ?? 0).toFixed(2)} token events per network read): per-chunk "ITL" (vLLM's) understates token latency; use interTokenLatency or TPOT`,
    )
  }
  if (outputCounted > 0) {
    warnings.push(`${outputCounted} responses had no usage: output tokens counted with the client's tokenizer`)
  }

  return {
    endpoint: facts.endpoint,
    step: facts.step,
    stepLabel: facts.stepLabel,
    requested: facts.requested,
    achieved: facts.achieved,
    window: { startMs: windowStartMs, endMs: windowEndMs, durationS: windowMs / 1000, rule },
    requests: {
      sent,
      succeeded,
      failed: sent - succeeded,
      errors,
      inWindow,
      succeededInWindow,
      excludedWarmup,
      excludedCooldown,
      retries,
    },
    tokens: {
      inputRequestedMean: succeededInWindow > 0 && inputRequestedSum > 0 ? inputRequestedSum / succeededInWindow : null,
      inputServerMean: inputPairs > 0 ? inputServerSum / inputPairs : null,
      inputDiscrepancyPct:
        inputRequestedPairedSum > 0 ? ((inputServerSum - inputRequestedPairedSum) / inputRequestedPairedSum) * 100 : null,
      outputRequestedMean: outputRequestedCount > 0 ? outputRequestedSum / outputRequestedCount : null,
      outputMean: succeededInWindow > 0 ? outputSum / succeededInWindow : null,
      outputFromServerUsage: outputFromServer,
      outputCountedByClient: outputCounted,
      eventsPerRead,
      coalescingDetected,
    },
    throughput: {
      requestsPerS: perSecond(completionsInWindow),
      outputTokensPerS: perSecond(outputTokensInWindow),
      totalTokensPerS: perSecond(outputTokensInWindow + inputTokensInWindow),
    },
    goodput: hasSlo
      ? {
          slo: facts.slo,
          requestsPerS: perSecond(goodCompletionsInWindow),
          outputTokensPerS: perSecond(goodOutputTokensInWindow),
          fractionOfRequests: goodCandidates > 0 ? goodCount / goodCandidates : null,
        }
      : null,
    metrics,
    intervals,
    client: facts.client,
    interrupted: facts.interrupted,
    ...(facts.serverLost ? { serverLost: facts.serverLost } : {}),
    warnings,
  }
}

function fmt(ms: number): string {
  return ms.toFixed(0)
}
