import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SERVER_METRICS_FILE } from '../../load/metrics-capture.js'
import { serverMetricsLineSchema } from '../../io/schema/server-metrics.js'
import { readBenchSummary, runsByEndpoint } from '../../sizing/run.js'
import type { ArrivalProcess } from '../../load/arrivals.js'
import type { LoadStep } from '../../load/runner.js'
import { readRecords } from '../../io/output/records-reader.js'
import type { RequestRecord } from '../../io/schema/record.js'
import type { RunSummary } from '../../io/schema/summary.js'
import { UserError } from '../../util/errors.js'
import { OptionMessageError } from '../../util/option-error.js'
import { type PerRequestTiming, type PointFigures, contextOf, figuresOf, median, perRequestTiming } from './point-figures.js'

/** Below half the sweep's highest request rate a point is low load; at or above, under load. */
const UNDER_LOAD_SHARE = 0.5

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
    if (!result.success)
      throw new UserError(`${path}: line ${index + 1}: ${result.error.issues[0]?.path.join('.') || 'line'}: ${result.error.issues[0]?.message}`)
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

/**
 * Closed loop: users start one after another over the ramp-up (k6's ramping, as bench does); the
 * summary does not keep it, so it is read back from the records: the last of the first
 * `concurrency` sends is at rampUp × (C − 1) / C.
 */
function rampUpOf(records: readonly RequestRecord[], concurrency: number): number {
  if (concurrency < 2 || records.length < concurrency) return 0
  const firstSends = records
    .map((r) => r.intendedSendMs)
    .sort((a, b) => a - b)
    .slice(0, concurrency)
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
  const { file, summary } = readBenchSummary(runFolder, 'from')
  const groups = runsByEndpoint(summary)
  const { endpoint, ccEndpoint, arms } = chooseArms(groups, { file, runFolder, options })
  const byStep = await readStepRecords(join(dirname(file), summary.recordsFile), new Set(arms.map((a) => a.label)), {
    runFolder,
    file,
    recordsFile: summary.recordsFile,
  })

  const notes: string[] = []
  const points: OperatingPoint[] = []
  const scrapes = readServerMetrics(join(dirname(file), SERVER_METRICS_FILE))
  for (const arm of arms) {
    const runs = groups.get(arm.label) as RunSummary[]
    const prefix = arms.length > 1 ? `${arm.label}: ` : ''
    const recordsOf = (step: number) => byStep.get(`${arm.label}\u0000${step}`) ?? []
    for (const point of armPoints(runs, { confidential: arm.confidential, prefix, recordsOf, options, runFolder, recordsFile: summary.recordsFile, notes })) {
      points.push(withScrapes(point, scrapes.get(`${arm.label}\u0000${point.step}`) ?? []))
    }
  }
  if (scrapes.size > 0)
    notes.push(
      `${SERVER_METRICS_FILE}: the server's running requests (vllm:num_requests_running) at each scrape are compared with the simulation's at the same moments`,
    )
  return {
    runFolder,
    runId: summary.runId,
    endpoint,
    ...(ccEndpoint !== undefined ? { ccEndpoint } : {}),
    model: groups.get(endpoint)?.[0]?.endpoint.model ?? '',
    points,
    notes,
  }
}

/** Where a sweep is read from, for the messages: the run folder and its summary file. */
interface SweepSource {
  runFolder: string
  file: string
  options: ReadSweepOptions
}

/** The arms to fit: the endpoint chosen (or the only one), and the CC-on arm when given; each must be a sweep of at least 2 steps. */
function chooseArms(
  groups: ReadonlyMap<string, readonly RunSummary[]>,
  { file, runFolder, options }: SweepSource,
): { endpoint: string; ccEndpoint: string | undefined; arms: Array<{ label: string; confidential: boolean }> } {
  const labels = [...groups.keys()]
  const known = (option: string, label: string): string => {
    if (!groups.has(label)) throw new OptionMessageError(`{${option}} ${label}: not in ${file} (endpoints: ${labels.join(', ') || 'none'})`)
    return label
  }
  const ccEndpoint = options.ccEndpoint !== undefined ? known('ccEndpoint', options.ccEndpoint) : undefined
  let endpoint = options.endpoint !== undefined ? known('endpoint', options.endpoint) : undefined
  if (endpoint === undefined) {
    const others = labels.filter((label) => label !== ccEndpoint)
    if (others.length !== 1)
      throw new OptionMessageError(
        `{from} ${runFolder}: the run measured ` +
          `${others.length === 0 ? 'no other endpoint' : `several endpoints (${others.join(', ')})`}; choose one with {endpoint}`,
      )
    endpoint = others[0] as string
  }
  if (endpoint === ccEndpoint) throw new OptionMessageError(`{ccEndpoint} ${ccEndpoint}: the same endpoint as {endpoint}; give the CC-on arm`)
  const arms = [
    { label: endpoint, confidential: ccEndpoint === undefined && options.confidential === true },
    ...(ccEndpoint !== undefined ? [{ label: ccEndpoint, confidential: true }] : []),
  ]
  for (const arm of arms) {
    const count = groups.get(arm.label)?.length ?? 0
    if (count < 2)
      throw new OptionMessageError(
        `{from} ${runFolder}: endpoint "${arm.label}" has ${count} step; a fit needs a sweep of at least 2 steps (geopat bench --profile sweep)`,
      )
  }
  return { endpoint, ccEndpoint, arms }
}

/** The arms' records, by endpoint and step. */
async function readStepRecords(
  recordsPath: string,
  armLabels: ReadonlySet<string>,
  source: { runFolder: string; file: string; recordsFile: string },
): Promise<Map<string, RequestRecord[]>> {
  const byStep = new Map<string, RequestRecord[]>()
  try {
    for await (const record of readRecords(recordsPath, { validate: true, filter: (r) => armLabels.has(r.endpoint) })) {
      const key = `${record.endpoint}\u0000${record.step}`
      const list = byStep.get(key) ?? []
      list.push(record)
      byStep.set(key, list)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new OptionMessageError(`{from} ${source.runFolder}: no ${source.recordsFile} beside ${source.file}; the fit replays each request's lengths`)
    throw error
  }
  return byStep
}

/** The point with the server's running requests at its /metrics scrapes, where the run kept them. */
function withScrapes(point: OperatingPoint, scraped: ReadonlyArray<{ atMs: number; running: number }>): OperatingPoint {
  if (scraped.length === 0) return point
  return {
    ...point,
    scrapeAtMs: scraped.map((s) => s.atMs),
    measured: { ...point.measured, meanRunning: scraped.reduce((sum, s) => sum + s.running, 0) / scraped.length },
  }
}

/** One arm of a sweep, as armPoints reads it. */
interface ArmSource {
  confidential: boolean
  /** Its label and ': ' when the sweep has two arms, else ''. */
  prefix: string
  recordsOf: (step: number) => RequestRecord[]
  options: ReadSweepOptions
  runFolder: string
  recordsFile: string
  /** Where the notes on left-out steps and failed requests go. */
  notes: string[]
}

/** False (with a note) for a step the client's self-check called client-bound, unless asked to keep it (with a note too). */
function keepsStep(run: RunSummary, arm: ArmSource): boolean {
  if (run.client.verdict === 'ok') return true
  const reasons = run.client.reasons.join('; ') || 'no reason given'
  if (arm.options.includeClientBound) {
    arm.notes.push(`${arm.prefix}${run.stepLabel}: the client's self-check says ${run.client.verdict} (${reasons}); kept in the fit as asked`)
    return true
  }
  // The client's self-check says its figures are the load machine's, not the server's.
  arm.notes.push(
    `${arm.prefix}${run.stepLabel}: left out of the fit: ` +
      `the client's self-check says ${run.client.verdict} (${reasons}), so its figures are the load machine's, not the server's`,
  )
  return false
}

/** The step's load as requested, its request count capped to the fit's limit, its ramp-up read back from the records. */
function stepLoad(run: RunSummary, records: readonly RequestRecord[], maxRequestsPerPoint: number): LoadStep {
  const requested = run.requested
  const bound = Math.min(requested.requests ?? Number.POSITIVE_INFINITY, maxRequestsPerPoint)
  const maxRequests = Number.isFinite(bound) ? bound : undefined
  const concurrency = requested.concurrency ?? 1
  const rampUpMs = requested.mode === 'closed' ? rampUpOf(records, concurrency) : 0
  return {
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
}

/** One step as an operating point: its successful requests' lengths and send times, its measured figures. */
function stepPoint(run: RunSummary, arm: ArmSource, highestRate: number): OperatingPoint {
  const { options, runFolder, notes } = arm
  const records = arm.recordsOf(run.step).sort((a, b) => a.id - b.id)
  const ok = records.filter((r) => r.ok && r.inputTokens !== null)
  const label = `${arm.prefix}${run.stepLabel}`
  if (ok.length === 0)
    throw new OptionMessageError(`{from} ${runFolder}: step "${label}" has no successful request with a server-counted prompt length in ${arm.recordsFile}`)
  if (ok.length < records.length) notes.push(`${label}: ${records.length - ok.length} of ${records.length} requests failed; their load is not replayed`)
  if (run.metrics.ttft?.mean === null || run.metrics.ttft?.mean === undefined)
    throw new OptionMessageError(`{from} ${runFolder}: step "${label}" has no TTFT in summary.json`)
  const lengths = ok.map((r) => ({ inputTokens: r.inputTokens as number, outputTokens: r.outputTokens }))
  const medianInputTokens = median(lengths.map((l) => l.inputTokens))
  const medianContextTokens = median(lengths.map((l) => contextOf(l.inputTokens, l.outputTokens)))
  const requested = run.requested
  const measuredRequests = Math.max(requested.requests ?? 0, records.length)
  if (measuredRequests > options.maxRequestsPerPoint)
    notes.push(
      `${label}: simulated its first ${options.maxRequestsPerPoint} of ${measuredRequests} requests (--max-requests), compared with the whole step's figures`,
    )
  return {
    step: run.step,
    label,
    confidential: arm.confidential,
    regime: run.throughput.requestsPerS >= UNDER_LOAD_SHARE * highestRate ? 'underLoad' : 'lowLoad',
    load: stepLoad(run, records, options.maxRequestsPerPoint),
    warmupS: requested.warmupS,
    cooldownS: requested.cooldownS,
    lengths,
    ...(requested.mode === 'open' ? { sendTimesMs: ok.map((r) => r.intendedSendMs).sort((a, b) => a - b) } : {}),
    medianInputTokens,
    medianContextTokens,
    measured: figuresOf(run, ok, medianInputTokens, medianContextTokens),
    measuredRequestsPerS: run.throughput.requestsPerS,
    measuredPerRequest: perRequestTiming(ok),
  }
}

/** One endpoint's steps as operating points; low load and under load relative to its own highest rate. */
function armPoints(runs: readonly RunSummary[], arm: ArmSource): OperatingPoint[] {
  const highestRate = Math.max(...runs.map((r) => r.throughput.requestsPerS))
  const points: OperatingPoint[] = []
  for (const run of runs) if (keepsStep(run, arm)) points.push(stepPoint(run, arm, highestRate))
  if (points.length < 2) {
    throw new OptionMessageError(
      `{from} ${arm.runFolder}: ${arm.prefix === '' ? 'the endpoint' : arm.prefix.slice(0, -2)} has ${points.length} step(s) the client measured cleanly ` +
        '(the others are client-bound); ' +
        'a fit needs at least 2: rerun the sweep with more client cores or workers (geopat bench --workers), or keep them with {includeClientBound}',
    )
  }
  return points
}
