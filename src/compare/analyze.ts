import { type Interval, bootstrapContrast, bootstrapStatistic, requestsForTargetWidth } from '../metrics/bootstrap.js'
import { metricById } from '../metrics/definitions.js'
import { describeValues, meanOrNull } from '../metrics/distribution.js'
import { type MetricSamples, delta } from '../client/prometheus.js'
import type { RequestRecord } from '../io/schema/record.js'
import { COMPARED_METRICS, type CompareConfig, type CompareSummary, STATISTICS } from '../io/schema/compare.js'

type Point = CompareSummary['operatingPoints'][number]
type MetricName = (typeof COMPARED_METRICS)[number]
type StatisticName = (typeof STATISTICS)[number]

/** One request of a comparison: its arm, its round, and its place in the round (the pairing key). */
export interface CompareRecord {
  arm: string
  round: number
  record: RequestRecord
}

const METRIC_VALUE: Record<MetricName, (record: RequestRecord) => number | null> = {
  ttft: (r) => metricById('ttft').perRequest?.(r) ?? null,
  itl: (r) => metricById('itl').perRequest?.(r) ?? null,
  tpot: (r) => metricById('tpot').perRequest?.(r) ?? null,
  e2e: (r) => metricById('e2e').perRequest?.(r) ?? null,
}

function valuesOf(records: CompareRecord[], metric: MetricName): number[] {
  const values: number[] = []
  for (const { record } of records) {
    if (!record.ok) continue
    const value = METRIC_VALUE[metric](record)
    if (value !== null) values.push(value)
  }
  return values
}

function mapMetrics<T>(fn: (metric: MetricName, statistic: StatisticName) => T): Record<MetricName, Record<StatisticName, T>> {
  return Object.fromEntries(
    COMPARED_METRICS.map((metric) => [metric, Object.fromEntries(STATISTICS.map((statistic) => [statistic, fn(metric, statistic)]))]),
  ) as Record<MetricName, Record<StatisticName, T>>
}

export function summarizeArm(label: string, url: string, records: CompareRecord[], config: CompareConfig, seed: number): Point['arms'][number] {
  return {
    label,
    url,
    sent: records.length,
    succeeded: records.filter((r) => r.record.ok).length,
    metrics: mapMetrics((metric, statistic) =>
      bootstrapStatistic(valuesOf(records, metric), statistic, { resamples: config.resamples, confidence: config.confidence, seed }),
    ),
    distributions: Object.fromEntries(COMPARED_METRICS.map((m) => [m, describeValues(valuesOf(records, m))])) as Point['arms'][number]['distributions'],
  }
}

/** Values of both arms for the requests both answered, in the same order (same prompt, same round). */
function pairedValues(a: CompareRecord[], b: CompareRecord[], metric: MetricName): { a: number[]; b: number[] } {
  const byKey = new Map<string, number>()
  for (const { round, record } of a) {
    const value = record.ok ? METRIC_VALUE[metric](record) : null
    if (value !== null) byKey.set(`${round}:${record.id}`, value)
  }
  const pairs = { a: [] as number[], b: [] as number[] }
  for (const { round, record } of b) {
    const value = record.ok ? METRIC_VALUE[metric](record) : null
    const other = byKey.get(`${round}:${record.id}`)
    if (value !== null && other !== undefined) {
      pairs.a.push(other)
      pairs.b.push(value)
    }
  }
  return pairs
}

/**
 * Arm against baseline, per metric and statistic: bootstrap intervals of the ratio and the
 * difference, paired by prompt when most requests pair (the same prompt went to both arms in the
 * same round), a verdict against the A/A floor, and how many requests a target width needs.
 */
export function contrastArms(
  baseline: { label: string; records: CompareRecord[] },
  arm: { label: string; records: CompareRecord[] },
  config: CompareConfig,
  floor: Record<MetricName, Record<StatisticName, number>> | null,
  seed: number,
): Point['contrasts'][number] {
  const pairsOfTtft = pairedValues(baseline.records, arm.records, 'ttft').a.length
  const smaller = Math.min(baseline.records.length, arm.records.length)
  const paired = pairsOfTtft >= Math.max(10, 0.8 * smaller)
  const options = { resamples: config.resamples, confidence: config.confidence, seed, paired }
  const metrics = mapMetrics((metric, statistic) => {
    const { a, b } = paired ? pairedValues(baseline.records, arm.records, metric) : { a: valuesOf(baseline.records, metric), b: valuesOf(arm.records, metric) }
    const ratio = bootstrapContrast(a, b, statistic, 'ratio', options)
    const difference = bootstrapContrast(a, b, statistic, 'difference', options)
    if (!ratio || !difference) return { ratio, difference, verdict: 'too-few-requests' as const, runLongerRequests: null }
    const margin = floor?.[metric][statistic] ?? 0
    const verdict = ratio.low > 1 + margin ? ('slower' as const) : ratio.high < 1 - margin ? ('faster' as const) : ('indistinguishable' as const)
    const needed = requestsForTargetWidth(ratio, Math.min(a.length, b.length), config.targetRelativeHalfWidth)
    return { ratio, difference, verdict, runLongerRequests: needed !== null && needed > Math.min(a.length, b.length) ? needed : null }
  })
  return { baseline: baseline.label, arm: arm.label, paired, pairs: pairsOfTtft, metrics }
}

/** The A/A noise floor: how far from 1 the ratio interval of an endpoint against itself reaches. */
export function aaFloor(contrast: Point['contrasts'][number]): Record<MetricName, Record<StatisticName, number>> {
  return mapMetrics((metric, statistic) => {
    const ratio = contrast.metrics[metric][statistic].ratio
    return ratio ? Math.max(Math.abs(ratio.low - 1), Math.abs(ratio.high - 1)) : 0
  })
}

/**
 * The confidential-computing (or region) overhead split into front end, prefill and decode:
 * front end from the probe (difference of means, normal interval), prefill = TTFT difference minus
 * the front-end share (interval widened by the probe's), decode from per-request ITL and TPOT.
 */
export function splitOverhead(
  contrast: Point['contrasts'][number],
  probe: {
    baseline?: { latencyMeanMs: number; latencyStdMs: number; requests: number }
    arm?: { latencyMeanMs: number; latencyStdMs: number; requests: number }
  },
  confidence: number,
): Point['overhead'][number] {
  let frontEndMs: Interval | null = null
  if (probe.baseline && probe.arm && probe.baseline.requests > 1 && probe.arm.requests > 1) {
    const estimate = probe.arm.latencyMeanMs - probe.baseline.latencyMeanMs
    const z = confidence >= 0.99 ? 2.576 : confidence >= 0.95 ? 1.96 : 1.645
    const half = z * Math.sqrt(probe.arm.latencyStdMs ** 2 / probe.arm.requests + probe.baseline.latencyStdMs ** 2 / probe.baseline.requests)
    frontEndMs = { estimate, low: estimate - half, high: estimate + half, confidence, resamples: 0 }
  }
  const ttft = contrast.metrics.ttft.mean.difference
  const prefillMs =
    ttft && frontEndMs
      ? {
          estimate: ttft.estimate - frontEndMs.estimate,
          low: ttft.low - frontEndMs.high,
          high: ttft.high - frontEndMs.low,
          confidence,
          resamples: ttft.resamples,
        }
      : ttft
  return {
    baseline: contrast.baseline,
    arm: contrast.arm,
    frontEndMs,
    prefillMs,
    decodeItlMs: contrast.metrics.itl.mean.difference,
    decodeTpotMs: contrast.metrics.tpot.mean.difference,
    decodeItlRatio: contrast.metrics.itl.mean.ratio,
  }
}

/**
 * Client against server: the client's means and counts over the measured requests next to the
 * deltas of the server's vLLM /metrics over the same blocks. ITL on the server is per token, so the
 * client's per-token figure (gaps spread over the tokens of each read) is the one compared.
 */
export function reconcile(
  arm: string,
  records: CompareRecord[],
  server: { before: MetricSamples; after: MetricSamples } | undefined,
): Point['reconciliation'][number] {
  const ok = records.map((r) => r.record).filter((r) => r.ok)
  let gapSum = 0
  let gapTokens = 0
  for (const record of ok) {
    metricById('interTokenLatency').pooled?.(record, (value, times = 1) => {
      gapSum += value * times
      gapTokens += times
    })
  }
  const client = {
    ttft: meanOrNull(ok.map((r) => r.timeToFirstTokenMs).filter((v): v is number => v !== null)),
    itl: gapTokens > 0 ? gapSum / gapTokens : null,
    e2e: meanOrNull(ok.map((r) => r.endToEndLatencyMs).filter((v): v is number => v !== null)),
  }
  const promptTokens = ok.reduce((sum, r) => sum + (r.inputTokens ?? 0), 0)
  const generationTokens = ok.reduce((sum, r) => sum + r.outputTokens, 0)
  const gap = (c: number | null, s: number | null): number | null => (c !== null && s !== null && s > 0 ? ((c - s) / s) * 100 : null)
  if (!server) {
    return {
      arm,
      available: false,
      note: 'the endpoint serves no Prometheus /metrics: no server-side reconciliation',
      ttft: { clientMeanMs: client.ttft, serverMeanMs: null, gapPct: null },
      itl: { clientMeanMs: client.itl, serverMeanMs: null, gapPct: null },
      e2e: { clientMeanMs: client.e2e, serverMeanMs: null, gapPct: null },
      requests: { client: ok.length, server: null },
      promptTokens: { client: promptTokens, server: null },
      generationTokens: { client: generationTokens, server: null },
      simulatorEmitLatenessMs: null,
    }
  }
  const { before, after } = server
  const meanMs = (name: string): number | null => {
    const count = delta(before, after, `${name}_count`)
    return count > 0 ? (delta(before, after, `${name}_sum`) / count) * 1000 : null
  }
  const itlName = after.has('vllm:inter_token_latency_seconds_count') ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'
  const serverTtft = meanMs('vllm:time_to_first_token_seconds')
  const serverItl = meanMs(itlName)
  const serverE2e = meanMs('vllm:e2e_request_latency_seconds')
  const serverRequests = delta(before, after, 'vllm:request_success_total:length') + delta(before, after, 'vllm:request_success_total:stop')
  return {
    arm,
    available: true,
    note: null,
    ttft: { clientMeanMs: client.ttft, serverMeanMs: serverTtft, gapPct: gap(client.ttft, serverTtft) },
    itl: { clientMeanMs: client.itl, serverMeanMs: serverItl, gapPct: gap(client.itl, serverItl) },
    e2e: { clientMeanMs: client.e2e, serverMeanMs: serverE2e, gapPct: gap(client.e2e, serverE2e) },
    requests: { client: ok.length, server: serverRequests },
    promptTokens: { client: promptTokens, server: delta(before, after, 'vllm:prompt_tokens_total') },
    generationTokens: { client: generationTokens, server: delta(before, after, 'vllm:generation_tokens_total') },
    simulatorEmitLatenessMs: after.has('geopat_sim_emit_lateness_seconds_count') ? meanMs('geopat_sim_emit_lateness_seconds') : null,
  }
}
