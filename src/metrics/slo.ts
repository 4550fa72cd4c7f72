import type { RequestRecord } from '../io/schema/record.js'
import type { SloConfig } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'
import { UserError } from '../util/errors.js'
import { METRICS, type MetricDefinition, type MetricId } from './definitions.js'
import { figureOf } from './run-figure.js'
import { RUN_FIGURES } from './run-figures.js'

/**
 * The SLO, defined once for every place that uses it. An objective names a registered metric:
 *
 * - `ttft<=500` (or `ttft=500`, the first form): a per-request objective. Each successful request
 *   meets it or not; goodput (DistServe's) counts the requests that meet every per-request
 *   objective, and sizing's attainment is their share (--attainment).
 * - `ttft.p99<=500` (mean, p50, p90, p95, p99, p99.9): a distribution objective, on the run's
 *   distribution of the metric (summary.json's metrics.ttft.p99). It holds for a run or not; sizing
 *   counts a load level as meeting the SLO only where every distribution objective holds too.
 * - `throughput.requestsPerS>=10`, `requests.failed<=0`: a run objective on a run-level figure
 *   (run-figures.ts), `<=` or `>=`; it holds for a run or not, as a distribution objective.
 *
 * The per-request objectives on TTFT, TPOT and E2E stay in the scenario's first fields (ttftMs,
 * tpotMs, e2eMs); every other objective is kept as its expression in `objectives`.
 */
const SLO_STATISTICS = ['mean', 'p50', 'p90', 'p95', 'p99', 'p999'] as const
export type SloStatistic = (typeof SLO_STATISTICS)[number]

export type SloObjective =
  | { kind: 'request'; metric: MetricDefinition; max: number }
  | { kind: 'distribution'; metric: MetricDefinition; statistic: SloStatistic; max: number }
  | { kind: 'run'; figure: string; bound: 'max' | 'min'; limit: number }

export interface Slo {
  /** As summary.json and sizing.json echo it. */
  config: SloConfig
  objectives: SloObjective[]
}

/** The scenario's first fields: per-request objectives on these metrics. */
const FIRST_FIELDS: ReadonlyArray<[MetricId, 'ttftMs' | 'tpotMs' | 'e2eMs']> = [
  ['ttft', 'ttftMs'],
  ['tpot', 'tpotMs'],
  ['e2e', 'e2eMs'],
]
/** Names the first --slo parser took besides the metric ids. */
const ALIASES: Record<string, MetricId> = { e2el: 'e2e' }

const RULE = 'must look like METRIC<=MS (each request), METRIC.STAT<=MS (STAT: mean, p50, p90, p95, p99, p99.9) or FIGURE<=X / FIGURE>=X'

function metricNamed(name: string): MetricDefinition | undefined {
  const lower = name.toLowerCase()
  const id = ALIASES[lower] ?? lower
  return METRICS.find((m) => m.id.toLowerCase() === id)
}

function knownNames(): string {
  return [...METRICS.map((m) => m.id), ...RUN_FIGURES.map((f) => f.id)].join(', ')
}

/** `where` in front of an error (the flag or file and field), or nothing where the caller adds it (a flag table). */
const prefixOf = (where: string): string => (where === '' ? '' : `${where}: `)

/** One objective from its expression; `where` names the flag or file and field in the error. */
function parseSloObjective(text: string, where: string): SloObjective {
  const match = /^\s*([A-Za-z][A-Za-z0-9.]*?)\s*(<=|>=|=)\s*([0-9.]+(?:e[+-]?[0-9]+)?)\s*(ms)?\s*$/i.exec(text)
  if (!match) throw new UserError(`${prefixOf(where)}"${text.trim()}" ${RULE}`)
  const [, name = '', op = '', number = '', unit] = match
  const value = Number(number)
  const figure = RUN_FIGURES.find((f) => f.id.toLowerCase() === name.toLowerCase())
  if (figure) {
    if (op === '=' || unit) throw new UserError(`${prefixOf(where)}"${text.trim()}": a run figure takes <= or >= and a plain number (${figure.unit})`)
    if (!Number.isFinite(value)) throw new UserError(`${prefixOf(where)}"${text.trim()}": the limit must be a number`)
    return { kind: 'run', figure: figure.id, bound: op === '>=' ? 'min' : 'max', limit: value }
  }
  // Metric ids have no dot: the first one starts the statistic (p99.9 has one of its own).
  const dot = name.indexOf('.')
  const metric = metricNamed(dot > 0 ? name.slice(0, dot) : name)
  if (!metric) throw new UserError(`${prefixOf(where)}"${text.trim()}": ${dot > 0 ? name.slice(0, dot) : name} is not a metric (${knownNames()})`)
  if (op === '>=') throw new UserError(`${prefixOf(where)}"${text.trim()}": a latency objective is an upper bound: use <=`)
  if (!(value > 0)) throw new UserError(`${prefixOf(where)}"${text.trim()}": the limit must be a positive number of ms`)
  if (dot < 0) {
    if (!metric.perRequest)
      throw new UserError(
        `${prefixOf(where)}"${text.trim()}": ${metric.id} is pooled per ${metric.scope}, not per request: name a statistic, e.g. ${metric.id}.p99<=${value}`,
      )
    return { kind: 'request', metric, max: value }
  }
  const statisticName = name.slice(dot + 1).toLowerCase()
  const statistic = (statisticName === 'p99.9' ? 'p999' : statisticName) as SloStatistic
  if (!SLO_STATISTICS.includes(statistic))
    throw new UserError(`${prefixOf(where)}"${text.trim()}": ${statisticName} is not a statistic (mean, p50, p90, p95, p99, p99.9)`)
  return { kind: 'distribution', metric, statistic, max: value }
}

/** An objective as its expression (the form `objectives` keeps). */
function sloExpression(objective: SloObjective): string {
  if (objective.kind === 'run') return `${objective.figure}${objective.bound === 'min' ? '>=' : '<='}${objective.limit}`
  if (objective.kind === 'request') return `${objective.metric.id}<=${objective.max}`
  return `${objective.metric.id}.${objective.statistic === 'p999' ? 'p99.9' : objective.statistic}<=${objective.max}`
}

/** The scenario's form of the objectives: per-request TTFT, TPOT and E2E in their fields, the others as expressions. */
function configOf(objectives: readonly SloObjective[]): SloConfig {
  const config: SloConfig = {}
  const others: string[] = []
  for (const objective of objectives) {
    const field = objective.kind === 'request' ? FIRST_FIELDS.find(([id]) => id === objective.metric.id)?.[1] : undefined
    if (field && objective.kind === 'request') config[field] = objective.max
    else others.push(sloExpression(objective))
  }
  return others.length > 0 ? { ...config, objectives: others } : config
}

/**
 * `--slo` and the scenario's objective lists: objectives joined with commas, e.g.
 * `ttft=500,tpot=50,e2e=10000` (per request, ms) or `ttft.p99<=500,itl<=30`.
 */
export function parseSloExpression(text: string, where = '--slo'): SloConfig {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
  return configOf(parts.map((part) => parseSloObjective(part, where)))
}

/** The SLO of a scenario (or a summary's echo of it); `where` names the file or flag in errors. */
export function compileSlo(config: SloConfig, where = 'slo'): Slo {
  const objectives: SloObjective[] = []
  for (const [id, field] of FIRST_FIELDS) {
    const max = config[field]
    if (max !== undefined) objectives.push({ kind: 'request', metric: METRICS.find((m) => m.id === id) as MetricDefinition, max })
  }
  for (const [index, text] of (config.objectives ?? []).entries()) objectives.push(parseSloObjective(text, `${where}: slo.objectives[${index}]`))
  return { config, objectives }
}

export function hasObjectives(slo: Slo): boolean {
  return slo.objectives.length > 0
}

/** The largest value a per-request objective allows for `metric` (the smallest when several), or undefined. */
export function requestObjectiveMax(slo: Slo, metric: MetricId): number | undefined {
  let max: number | undefined
  for (const o of slo.objectives) if (o.kind === 'request' && o.metric.id === metric && (max === undefined || o.max < max)) max = o.max
  return max
}

/**
 * DistServe's goodput rule, as vLLM and AIPerf use it: a request is good when it succeeded and meets
 * every per-request objective. A metric undefined for the request (a one-token answer has no TPOT)
 * meets its objective where the metric says so (MetricDefinition.undefinedMeetsObjective).
 */
export function meetsRequestObjectives(record: RequestRecord, slo: Slo): boolean {
  if (!record.ok) return false
  for (const objective of slo.objectives) {
    if (objective.kind !== 'request') continue
    const value = objective.metric.perRequest?.(record) ?? null
    if (value === null ? !objective.metric.undefinedMeetsObjective : value > objective.max) return false
  }
  return true
}

/** The distribution and run objectives a run summary misses, as their expressions (empty: all hold). */
export function runObjectivesMissed(run: RunSummary, slo: Slo): string[] {
  const missed: string[] = []
  for (const objective of slo.objectives) {
    if (objective.kind === 'request') continue
    const value =
      objective.kind === 'distribution' ? (run.metrics[objective.metric.id]?.[objective.statistic] ?? null) : figureOf(run, { id: objective.figure })
    const holds =
      typeof value === 'number' &&
      (objective.kind === 'distribution' ? value <= objective.max : objective.bound === 'max' ? value <= objective.limit : value >= objective.limit)
    if (!holds) missed.push(sloExpression(objective))
  }
  return missed
}
