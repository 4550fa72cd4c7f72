import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SERVER_METRICS_FILE } from '../../load/metrics-capture.js'
import { serverMetricsLineSchema } from '../../io/schema/server-metrics.js'
import { readBenchSummary, runsByEndpoint } from '../../sizing/run.js'
import type { ArrivalProcess } from '../../load/arrivals.js'
import type { LoadStep } from '../../load/runner.js'
import { METRICS } from '../../metrics/definitions.js'
import { meanOrNull } from '../../metrics/distribution.js'
import { readRecords } from '../../io/output/records-reader.js'
import type { RequestRecord } from '../../io/schema/record.js'
import type { RunSummary } from '../../io/schema/summary.js'
import { UserError } from '../../util/errors.js'

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

/** Below half the sweep's highest request rate a point is low load; at or above, under load. */
export const UNDER_LOAD_SHARE = 0.5

/** One step of a measured sweep, ready to be simulated. */
export interface OperatingPoint {
  step: number
  /** The step's label (prefixed with its endpoint when the sweep has a CC-on and a CC-off arm). */
  label: string
  /** Simulated with the profile's CC tolls. */
  confidential: boolean
  regime: 'lowLoad' | 'underLoad'
  /** The load as requested (bounds capped to the fit's request limit). */
  load: LoadStep
  warmupS: number
  cooldownS: number
  /** Server-counted lengths of the step's successful requests, in send order: replayed as they were. */
  lengths: Array<{ inputTokens: number; outputTokens: number }>
  /** Open loop: the measured intended send times (ms from the step's start), replayed. */
  sendTimesMs?: number[]
  /** Splits of the per-length groups (PointFigures' short / long halves). */
  medianInputTokens: number
  medianContextTokens: number
  measured: PointFigures
  measuredRequestsPerS: number
  /** Each replayed request's measured TTFT and TPOT, in send order (paired with the simulation's for the sampling noise). */
  measuredPerRequest: PerRequestTiming[]
  /** When the step's /metrics scrapes were taken (ms from the step's start), where the run kept them. */
  scrapeAtMs?: number[]
}

const RUNNING = 'vllm:num_requests_running'

/** The scrapes of metrics.jsonl beside the summary, by endpoint and step (empty without the file). */
function readServerMetrics(path: string): Map<string, Array<{ atMs: number; running: number }>> {
  const byStep = new Map<string, Array<{ atMs: number; running: number }>>()
  if (!existsSync(path)) return byStep
  for (const [index, text] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (text.trim() === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new UserError(`${path}: line ${index + 1}: not JSON`)
    }
    const result = serverMetricsLineSchema.safeParse(parsed)
    if (!result.success) throw new UserError(`${path}: line ${index + 1}: ${result.error.issues[0]?.path.join('.') || 'line'}: ${result.error.issues[0]?.message}`)
    const running = result.data.samples[RUNNING]
    if (running === undefined) continue
    const key = `${result.data.endpoint}\u0000${result.data.step}`
    const list = byStep.get(key) ?? []
    list.push({ atMs: result.data.atMs, running })
    byStep.set(key, list)
  }
  for (const list of byStep.values()) list.sort((a, b) => a.atMs - b.atMs)
  return byStep
}

export interface PerRequestTiming {
  ttftMs: number | null
  tpotMs: number | null
}

/** TTFT and TPOT of each record, in the order given. */
export function perRequestTiming(records: readonly RequestRecord[]): PerRequestTiming[] {
  return records.map((r) => ({ ttftMs: TTFT(r), tpotMs: TPOT(r) }))
}

export interface MeasuredSweep {
  runFolder: string
  runId: string
  endpoint: string
  /** The CC-on arm, when both were measured. */
  ccEndpoint?: string
  /** The model the endpoint served (the summary's). */
  model: string
  points: OperatingPoint[]
  notes: string[]
}

const TTFT = METRICS.find((m) => m.id === 'ttft')?.perRequest as (r: RequestRecord) => number | null
const TPOT = METRICS.find((m) => m.id === 'tpot')?.perRequest as (r: RequestRecord) => number | null

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] as number
}

const contextOf = (inputTokens: number, outputTokens: number): number => inputTokens + outputTokens / 2

/** The per-length group means of successful records, split at the point's medians. */
export function groupFigures(records: readonly RequestRecord[], medianInputTokens: number, medianContextTokens: number): Pick<PointFigures, 'ttftShortMs' | 'ttftLongMs' | 'tpotShortMs' | 'tpotLongMs'> {
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

const INTER_TOKEN = METRICS.find((m) => m.id === 'interTokenLatency')?.pooled as NonNullable<(typeof METRICS)[number]['pooled']>

/** The median per-token gap over the successful records (PointFigures.itlMedianMs), null without any gap. */
export function medianInterTokenMs(records: readonly RequestRecord[]): number | null {
  let count = 0
  for (const record of records) if (record.ok) count += Math.max(0, record.outputTokens - 1)
  let gaps = new Float64Array(Math.max(16, count))
  let used = 0
  for (const record of records) {
    if (!record.ok) continue
    INTER_TOKEN(record, (value, weight = 1) => {
      for (let k = 0; k < weight; k++) {
        if (used === gaps.length) {
          const grown = new Float64Array(gaps.length * 2)
          grown.set(gaps)
          gaps = grown
        }
        gaps[used++] = value
      }
    })
  }
  if (used === 0) return null
  const sorted = gaps.subarray(0, used).sort()
  return sorted[Math.floor((used - 1) / 2)] as number
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

/**
 * Closed loop: users start one after another over the ramp-up (k6's ramping, as bench does); the
 * summary does not keep it, so it is read back from the records: the last of the first
 * `concurrency` sends is at rampUp × (C − 1) / C.
 */
function rampUpOf(records: readonly RequestRecord[], concurrency: number): number {
  if (concurrency < 2 || records.length < concurrency) return 0
  const firstSends = records.map((r) => r.intendedSendMs).sort((a, b) => a - b).slice(0, concurrency)
  const lastFirstSend = firstSends[firstSends.length - 1] as number
  // Below 50 ms the users started together (connection set-up spreads them a little).
  return lastFirstSend < 50 ? 0 : (lastFirstSend * concurrency) / (concurrency - 1)
}

export interface ReadSweepOptions {
  /** The endpoint to fit (the CC-off arm when `ccEndpoint` is given); default: the only one (or the only other). */
  endpoint?: string
  /** The CC-on arm of the same deployment, measured in the same run: the fit then sees the CC tolls. */
  ccEndpoint?: string
  /** One arm only: it ran in a confidential VM (simulated with the profile's CC tolls). */
  confidential?: boolean
  maxRequestsPerPoint: number
  /**
   * Keep the steps the client's self-check called client-bound, with a note each (the fit replays
   * the intended send times, so late sends matter less than late reads). Not a CLI flag: the
   * recovery bench uses it on a machine loaded by other work.
   */
  includeClientBound?: boolean
}

/**
 * Reads a `geopat bench --profile sweep` run folder (summary.json and records.jsonl, through the
 * readers bench and size use) into operating points: each step's load as requested, the lengths
 * its requests really had (server-counted), and its measured figures. With `ccEndpoint`, both arms'
 * steps, each point marked CC on or off and labelled with its endpoint.
 */
export async function readMeasuredSweep(runFolder: string, options: ReadSweepOptions): Promise<MeasuredSweep> {
  const { file, summary } = readBenchSummary(runFolder)
  const groups = runsByEndpoint(summary)
  const labels = [...groups.keys()]
  const known = (flag: string, label: string): string => {
    if (!groups.has(label)) throw new UserError(`${flag} ${label}: not in ${file} (endpoints: ${labels.join(', ') || 'none'})`)
    return label
  }
  const ccEndpoint = options.ccEndpoint !== undefined ? known('--cc-endpoint', options.ccEndpoint) : undefined
  let endpoint = options.endpoint !== undefined ? known('--endpoint', options.endpoint) : undefined
  if (endpoint === undefined) {
    const others = labels.filter((label) => label !== ccEndpoint)
    if (others.length !== 1) throw new UserError(`--from ${runFolder}: the run measured ${others.length === 0 ? 'no other endpoint' : `several endpoints (${others.join(', ')})`}; choose one with --endpoint`)
    endpoint = others[0] as string
  }
  if (endpoint === ccEndpoint) throw new UserError(`--cc-endpoint ${ccEndpoint}: the same endpoint as --endpoint; give the CC-on arm`)
  const arms = [{ label: endpoint, confidential: ccEndpoint === undefined && options.confidential === true }, ...(ccEndpoint !== undefined ? [{ label: ccEndpoint, confidential: true }] : [])]
  for (const arm of arms) {
    const count = groups.get(arm.label)?.length ?? 0
    if (count < 2) throw new UserError(`--from ${runFolder}: endpoint "${arm.label}" has ${count} step; a fit needs a sweep of at least 2 steps (geopat bench --profile sweep)`)
  }

  const recordsPath = join(dirname(file), summary.recordsFile)
  const armLabels = new Set(arms.map((a) => a.label))
  const byStep = new Map<string, RequestRecord[]>()
  try {
    for await (const record of readRecords(recordsPath, { validate: true, filter: (r) => armLabels.has(r.endpoint) })) {
      const key = `${record.endpoint}\u0000${record.step}`
      const list = byStep.get(key) ?? []
      list.push(record)
      byStep.set(key, list)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`--from ${runFolder}: no ${summary.recordsFile} beside ${file}; the fit replays each request's lengths`)
    throw error
  }

  const notes: string[] = []
  const points: OperatingPoint[] = []
  const scrapes = readServerMetrics(join(dirname(file), SERVER_METRICS_FILE))
  for (const arm of arms) {
    const runs = groups.get(arm.label) as RunSummary[]
    const prefix = arms.length > 1 ? `${arm.label}: ` : ''
    for (const point of armPoints(runs, arm.confidential, prefix, (step) => byStep.get(`${arm.label}\u0000${step}`) ?? [], options, runFolder, summary.recordsFile, notes)) {
      const scraped = scrapes.get(`${arm.label}\u0000${point.step}`) ?? []
      points.push(scraped.length > 0 ? { ...point, scrapeAtMs: scraped.map((s) => s.atMs), measured: { ...point.measured, meanRunning: scraped.reduce((sum, s) => sum + s.running, 0) / scraped.length } } : point)
    }
  }
  if (scrapes.size > 0) notes.push(`${SERVER_METRICS_FILE}: the server's running requests (vllm:num_requests_running) at each scrape are compared with the simulation's at the same moments`)
  return { runFolder, runId: summary.runId, endpoint, ...(ccEndpoint !== undefined ? { ccEndpoint } : {}), model: groups.get(endpoint)?.[0]?.endpoint.model ?? '', points, notes }
}

/** One endpoint's steps as operating points; low load and under load relative to its own highest rate. */
function armPoints(
  runs: readonly RunSummary[],
  confidential: boolean,
  prefix: string,
  recordsOf: (step: number) => RequestRecord[],
  options: ReadSweepOptions,
  runFolder: string,
  recordsFile: string,
  notes: string[],
): OperatingPoint[] {
  const highestRate = Math.max(...runs.map((r) => r.throughput.requestsPerS))
  const points: OperatingPoint[] = []
  for (const run of runs) {
    if (run.client.verdict !== 'ok' && options.includeClientBound) notes.push(`${prefix}${run.stepLabel}: the client's self-check says ${run.client.verdict} (${run.client.reasons.join('; ') || 'no reason given'}); kept in the fit as asked`)
    else if (run.client.verdict !== 'ok') {
      // The client's self-check says its figures are the load machine's, not the server's.
      notes.push(`${prefix}${run.stepLabel}: left out of the fit: the client's self-check says ${run.client.verdict} (${run.client.reasons.join('; ') || 'no reason given'}), so its figures are the load machine's, not the server's`)
      continue
    }
    const records = recordsOf(run.step).sort((a, b) => a.id - b.id)
    const ok = records.filter((r) => r.ok && r.inputTokens !== null)
    const label = `${prefix}${run.stepLabel}`
    if (ok.length === 0) throw new UserError(`--from ${runFolder}: step "${label}" has no successful request with a server-counted prompt length in ${recordsFile}`)
    if (ok.length < records.length) notes.push(`${label}: ${records.length - ok.length} of ${records.length} requests failed; their load is not replayed`)
    if (run.metrics.ttft?.mean === null || run.metrics.ttft?.mean === undefined) throw new UserError(`--from ${runFolder}: step "${label}" has no TTFT in summary.json`)
    const lengths = ok.map((r) => ({ inputTokens: r.inputTokens as number, outputTokens: r.outputTokens }))
    const medianInputTokens = median(lengths.map((l) => l.inputTokens))
    const medianContextTokens = median(lengths.map((l) => contextOf(l.inputTokens, l.outputTokens)))
    const requested = run.requested
    const bound = Math.min(requested.requests ?? Number.POSITIVE_INFINITY, options.maxRequestsPerPoint)
    const maxRequests = Number.isFinite(bound) ? bound : undefined
    const measuredRequests = Math.max(requested.requests ?? 0, records.length)
    if (measuredRequests > options.maxRequestsPerPoint) notes.push(`${label}: simulated its first ${options.maxRequestsPerPoint} of ${measuredRequests} requests (--max-requests), compared with the whole step's figures`)
    const concurrency = requested.concurrency ?? 1
    const rampUpMs = requested.mode === 'closed' ? rampUpOf(records, concurrency) : 0
    const load: LoadStep = {
      step: run.step,
      label: run.stepLabel,
      mode: requested.mode,
      ...(requested.mode === 'closed' ? { concurrency } : {}),
      ...(requested.ratePerS !== null ? { ratePerS: requested.ratePerS } : {}),
      arrival: (requested.arrival ?? 'poisson') as ArrivalProcess,
      burstiness: requested.burstiness ?? 1,
      ...(requested.maxConcurrency !== null ? { maxConcurrency: requested.maxConcurrency } : {}),
      ...(maxRequests !== undefined ? { maxRequests } : {}),
      ...(requested.durationS !== null ? { durationMs: requested.durationS * 1000 } : {}),
      ...(rampUpMs > 0 ? { rampUpMs } : {}),
      seed: 1 + run.step,
    }
    points.push({
      step: run.step,
      label,
      confidential,
      regime: run.throughput.requestsPerS >= UNDER_LOAD_SHARE * highestRate ? 'underLoad' : 'lowLoad',
      load,
      warmupS: requested.warmupS,
      cooldownS: requested.cooldownS,
      lengths,
      ...(requested.mode === 'open' ? { sendTimesMs: ok.map((r) => r.intendedSendMs).sort((a, b) => a - b) } : {}),
      medianInputTokens,
      medianContextTokens,
      measured: figuresOf(run, ok, medianInputTokens, medianContextTokens),
      measuredRequestsPerS: run.throughput.requestsPerS,
      measuredPerRequest: perRequestTiming(ok),
    })
  }
  if (points.length < 2) {
    throw new UserError(`--from ${runFolder}: ${prefix === '' ? 'the endpoint' : prefix.slice(0, -2)} has ${points.length} step(s) the client measured cleanly (the others are client-bound); a fit needs at least 2: rerun the sweep with more client cores or workers (geopat bench --workers), or keep them with --include-client-bound`)
  }
  return points
}
