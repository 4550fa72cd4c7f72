/**
 * The figures the fit compares at one operating point, read the same way from measured and from
 * simulated requests: the summary's means, per-length groups, the median token gap, and TTFT
 * against prompt length.
 */
import { quickselect } from 'simple-statistics'
import { METRICS } from '../../metrics/definitions.js'
import { meanOrNull } from '../../metrics/distribution.js'
import type { RequestRecord } from '../../io/schema/record.js'
import type { RunSummary } from '../../io/schema/summary.js'

/** The figures the fit compares, measured or simulated, at one operating point. */
export interface PointFigures {
  ttftMs: number | null
  tpotMs: number | null
  outputTokensPerS: number
  /** Mean TTFT of the requests with the shorter / longer prompts (split at the point's median). */
  ttftShortMs: number | null
  ttftLongMs: number | null
  /** Mean TPOT of the requests with the shorter / longer contexts (prompt + output / 2). */
  tpotShortMs: number | null
  tpotLongMs: number | null
  /**
   * Median of every gap between two tokens of a request, pooled over the point's requests
   * (per-token inter-token latency): the typical decode step. With vllm-0.6 multi-step scheduling
   * it is a step inside a group, without the scheduling at the group's head, which the mean (TPOT)
   * carries: the two together separate the GPU's per-step cost from the scheduler's.
   */
  itlMedianMs: number | null
  /**
   * TTFT against prompt length by least squares over the point's requests: at a batch of one the
   * intercept is the fixed path to the first token (front end, scheduling, a step's fixed cost), the
   * slope the prefill compute per prompt token. Null with fewer than 3 requests or one prompt length.
   */
  ttftInterceptMs: number | null
  ttftSlopeMsPerToken: number | null
  /**
   * Mean of vllm:num_requests_running over the step's /metrics scrapes (metrics.jsonl, `geopat bench
   * --scrape-metrics`), the simulation read at the same moments: the server's own batch size. Null
   * where the run kept no /metrics.
   */
  meanRunning: number | null
}

export interface PerRequestTiming {
  ttftMs: number | null
  tpotMs: number | null
}

/** TTFT and TPOT of each record, in the order given. */
export function perRequestTiming(records: readonly RequestRecord[]): PerRequestTiming[] {
  return records.map((r) => ({ ttftMs: TTFT(r), tpotMs: TPOT(r) }))
}

const TTFT = METRICS.find((m) => m.id === 'ttft')?.perRequest as (r: RequestRecord) => number | null
const TPOT = METRICS.find((m) => m.id === 'tpot')?.perRequest as (r: RequestRecord) => number | null

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] as number
}

export const contextOf = (inputTokens: number, outputTokens: number): number => inputTokens + outputTokens / 2

/** The per-length group means of successful records, split at the point's medians. */
function groupFigures(
  records: readonly RequestRecord[],
  medianInputTokens: number,
  medianContextTokens: number,
): Pick<PointFigures, 'ttftShortMs' | 'ttftLongMs' | 'tpotShortMs' | 'tpotLongMs'> {
  const ttft: [number[], number[]] = [[], []]
  const tpot: [number[], number[]] = [[], []]
  for (const record of records) {
    if (!record.ok || record.inputTokens === null) continue
    const ttftValue = TTFT(record)
    if (ttftValue !== null) ttft[record.inputTokens <= medianInputTokens ? 0 : 1].push(ttftValue)
    const tpotValue = TPOT(record)
    if (tpotValue !== null) tpot[contextOf(record.inputTokens, record.outputTokens) <= medianContextTokens ? 0 : 1].push(tpotValue)
  }
  return { ttftShortMs: meanOrNull(ttft[0]), ttftLongMs: meanOrNull(ttft[1]), tpotShortMs: meanOrNull(tpot[0]), tpotLongMs: meanOrNull(tpot[1]) }
}

const INTER_TOKEN_METRIC = METRICS.find((m) => m.id === 'interTokenLatency')
const INTER_TOKEN = INTER_TOKEN_METRIC?.pooled as NonNullable<(typeof METRICS)[number]['pooled']>
const INTER_TOKEN_UNIT_GAPS = INTER_TOKEN_METRIC?.unitChunkGaps as NonNullable<(typeof METRICS)[number]['unitChunkGaps']>

/** The median per-token gap over the successful records (PointFigures.itlMedianMs), null without any gap. */
export function medianInterTokenMs(records: readonly RequestRecord[]): number | null {
  let count = 0
  for (const record of records) if (record.ok) count += Math.max(0, record.outputTokens - 1)
  let gaps = new Float64Array(Math.max(16, count))
  let used = 0
  const makeRoom = (values: number): void => {
    if (used + values <= gaps.length) return
    const grown = new Float64Array(Math.max(gaps.length * 2, used + values))
    grown.set(gaps)
    gaps = grown
  }
  for (const record of records) {
    if (!record.ok) continue
    // One-token chunks (simulated records): the gaps straight from the arrival times.
    const times = INTER_TOKEN_UNIT_GAPS(record)
    if (times) {
      makeRoom(times.length)
      for (let i = 1; i < times.length; i++) gaps[used++] = (times[i] as number) - (times[i - 1] as number)
      continue
    }
    INTER_TOKEN(record, (value, weight = 1) => {
      makeRoom(weight)
      for (let k = 0; k < weight; k++) gaps[used++] = value
    })
  }
  if (used === 0) return null
  // The median order statistic by selection (simple-statistics' quickselect, as the bootstrap takes its
  // percentiles), not a sort: the same value in linear time, on every simulation of every fit iteration.
  const middle = Math.floor((used - 1) / 2)
  const selected = gaps.subarray(0, used)
  quickselect(selected as unknown as number[], middle)
  return selected[middle] as number
}

/** TTFT = intercept + slope × prompt tokens by ordinary least squares over the successful records. */
export function ttftAgainstPrompt(records: readonly RequestRecord[]): Pick<PointFigures, 'ttftInterceptMs' | 'ttftSlopeMsPerToken'> {
  let n = 0
  let sumX = 0
  let sumY = 0
  for (const record of records) {
    const ttft = TTFT(record)
    if (!record.ok || record.inputTokens === null || ttft === null) continue
    n++
    sumX += record.inputTokens
    sumY += ttft
  }
  if (n < 3) return { ttftInterceptMs: null, ttftSlopeMsPerToken: null }
  const meanX = sumX / n
  const meanY = sumY / n
  let sxx = 0
  let sxy = 0
  for (const record of records) {
    const ttft = TTFT(record)
    if (!record.ok || record.inputTokens === null || ttft === null) continue
    sxx += (record.inputTokens - meanX) ** 2
    sxy += (record.inputTokens - meanX) * (ttft - meanY)
  }
  if (!(sxx > 0)) return { ttftInterceptMs: null, ttftSlopeMsPerToken: null }
  const slope = sxy / sxx
  return { ttftInterceptMs: meanY - slope * meanX, ttftSlopeMsPerToken: slope }
}

/** The summary's figures (the same as bench prints) plus the per-length groups and the median token gap. */
export function figuresOf(summary: RunSummary, records: readonly RequestRecord[], medianInputTokens: number, medianContextTokens: number): PointFigures {
  return {
    ttftMs: summary.metrics.ttft?.mean ?? null,
    tpotMs: summary.metrics.tpot?.mean ?? null,
    outputTokensPerS: summary.throughput.outputTokensPerS,
    ...groupFigures(records, medianInputTokens, medianContextTokens),
    itlMedianMs: medianInterTokenMs(records),
    ...ttftAgainstPrompt(records),
    meanRunning: null,
  }
}
