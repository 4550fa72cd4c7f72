import { type MetricId, metricById } from '../metrics/definitions.js'
import { readRecords } from '../io/output/records-reader.js'
import type { CompareSummary } from '../io/schema/compare.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { BenchSummary, RunSummary } from '../io/schema/summary.js'
import { type Random, deriveSeed, seededRandom } from '../util/rng.js'
import type { RecordsSource } from './inputs.js'

/** The per-request metrics whose distributions the report draws (definitions in src/metrics). */
export const CDF_METRICS: readonly MetricId[] = ['ttft', 'tpot', 'e2e']

/** Values kept per series and metric: exact below this, a seeded uniform sample above (memory stays flat). */
const SAMPLE_CAP = 20_000

/** At most this many lines on one CDF chart; past it, one step per endpoint (the one with most requests). */
const MAX_SERIES = 8

/** A fixed-size uniform sample (Vitter's algorithm R), seeded: the same file gives the same sample. */
export class Reservoir {
  private readonly values: number[] = []
  private seen = 0
  private readonly random: Random
  constructor(
    private readonly cap: number,
    seed: number,
  ) {
    this.random = seededRandom(seed)
  }
  add(value: number): void {
    this.seen++
    if (this.values.length < this.cap) {
      this.values.push(value)
      return
    }
    const slot = Math.floor(this.random.next() * this.seen)
    if (slot < this.cap) this.values[slot] = value
  }
  get count(): number {
    return this.seen
  }
  get sampled(): boolean {
    return this.seen > this.cap
  }
  sorted(): Float64Array {
    return Float64Array.from(this.values).sort()
  }
}

export interface LatencySeries {
  name: string
  /** Successful requests that count in the statistics (inside the summary's window). */
  requests: number
  samples: Map<MetricId, Reservoir>
}

/** One chart set: the series of one bench run, or of one compare operating point. */
export interface LatencyGroup {
  title: string
  series: LatencySeries[]
  notes: string[]
}

interface SeriesKey {
  group: string
  name: string
}

/**
 * Streams a records.jsonl (each line validated) and keeps, per endpoint (and load step, or
 * compare operating point and arm), the values of the CDF metrics of the requests its summary
 * counted: successful, inside the measurement window, warm-up blocks left out.
 */
export async function collectLatencies(source: RecordsSource): Promise<LatencyGroup[]> {
  const classify = await classifier(source)
  const groups = new Map<string, { series: Map<string, LatencySeries>; notes: string[] }>()
  for (const note of classify.notes) ensureGroup(groups, classify.defaultGroup).notes.push(note)
  let seriesCount = 0
  const definitions = CDF_METRICS.map((id) => metricById(id))
  // A torn last line (a full disk, a crash mid-write) is skipped: the chart says so.
  const onWarning = (warning: string): void => void ensureGroup(groups, classify.defaultGroup).notes.push(warning)
  for await (const record of readRecords(source.file.absolutePath, { validate: true, onWarning })) {
    if (!record.ok) continue
    const key = classify.key(record)
    if (!key) continue
    const group = ensureGroup(groups, key.group)
    let series = group.series.get(key.name)
    if (!series) {
      const index = seriesCount++
      series = { name: key.name, requests: 0, samples: new Map(CDF_METRICS.map((id, m) => [id, new Reservoir(SAMPLE_CAP, deriveSeed(index + 1, m))])) }
      group.series.set(key.name, series)
    }
    series.requests++
    for (const definition of definitions) {
      const value = definition.perRequest?.(record) ?? null
      if (value !== null && Number.isFinite(value)) series.samples.get(definition.id)?.add(value)
    }
  }
  const result: LatencyGroup[] = []
  for (const [title, group] of groups) {
    let series = [...group.series.values()]
    if (series.length === 0) continue
    if (series.length > MAX_SERIES && classify.reduce) {
      const reduced = classify.reduce(series)
      group.notes.push(
        `${series.length} endpoint × step combinations: each endpoint's step with the most requests is drawn (${reduced.map((s) => s.name).join('; ')})`,
      )
      series = reduced
    }
    const sampled = series.some((s) => [...s.samples.values()].some((r) => r.sampled))
    const cap = SAMPLE_CAP.toLocaleString('en-US')
    if (sampled) group.notes.push(`series over ${cap} requests are drawn from a seeded uniform sample of ${cap}; the summary's figures use every request`)
    result.push({ title, series, notes: group.notes })
  }
  return result
}

function ensureGroup(groups: Map<string, { series: Map<string, LatencySeries>; notes: string[] }>, title: string) {
  let group = groups.get(title)
  if (!group) {
    group = { series: new Map(), notes: [] }
    groups.set(title, group)
  }
  return group
}

interface Classifier {
  defaultGroup: string
  notes: string[]
  key(record: RequestRecord): SeriesKey | null
  reduce?: (series: LatencySeries[]) => LatencySeries[]
}

async function classifier(source: RecordsSource): Promise<Classifier> {
  if (source.owner?.kind === 'bench') return benchClassifier(source.owner.summary)
  if (source.owner?.kind === 'compare') {
    // The step layout needs every step's arm before a record can be placed: one cheap first pass.
    const stepArms = new Map<number, string>()
    for await (const record of readRecords(source.file.absolutePath, { validate: true }))
      if (!stepArms.has(record.step)) stepArms.set(record.step, record.endpoint)
    return compareClassifier(source.owner.summary, compareStepLayout(source.owner.summary, stepArms))
  }
  const group = `records ${source.file.path}`
  return {
    defaultGroup: group,
    notes: ['no summary beside these records: every successful request is drawn (no measurement window applied)'],
    key: (record) => ({ group, name: record.endpoint }),
  }
}

/** In the summary's statistics: the rule of src/metrics/summarize.ts (sent after warm-up, before cool-down). */
export function inWindow(run: RunSummary, record: RequestRecord): boolean {
  if (run.requested.warmupS > 0 && record.sendMs < run.requested.warmupS * 1000) return false
  if (run.requested.cooldownS > 0 && record.sendMs >= run.window.endMs) return false
  return true
}

function benchClassifier(summary: BenchSummary): Classifier {
  const group = `geopat bench ${summary.runId}`
  const runs = new Map(summary.runs.map((run) => [`${run.endpoint.label}\u0000${run.step}`, run]))
  const stepsPerEndpoint = new Map<string, number>()
  for (const run of summary.runs) stepsPerEndpoint.set(run.endpoint.label, (stepsPerEndpoint.get(run.endpoint.label) ?? 0) + 1)
  const nameOf = (run: RunSummary): string =>
    (stepsPerEndpoint.get(run.endpoint.label) ?? 1) > 1 ? `${run.endpoint.label} · ${run.stepLabel}` : run.endpoint.label
  const endpointOf = new Map<string, string>()
  for (const run of summary.runs) endpointOf.set(nameOf(run), run.endpoint.label)
  return {
    defaultGroup: group,
    notes: [],
    key: (record) => {
      const run = runs.get(`${record.endpoint}\u0000${record.step}`)
      if (!run) return { group, name: record.endpoint }
      return inWindow(run, record) ? { group, name: nameOf(run) } : null
    },
    reduce: (series) => {
      const best = new Map<string, LatencySeries>()
      for (const s of series) {
        const endpoint = endpointOf.get(s.name) ?? s.name
        const current = best.get(endpoint)
        if (!current || s.requests > current.requests) best.set(endpoint, s)
      }
      return [...best.values()]
    },
  }
}

/**
 * compare writes one records file for every block: per operating point an optional warm-up block
 * per arm, then its rounds' blocks in blockOrder, then the saturation sweeps. The summary does not
 * store the step numbers, so they are recovered from the counts; when the counts do not add up (an
 * interrupted run), every measured record is drawn per arm, operating points pooled.
 */
export function compareStepLayout(summary: CompareSummary, stepArms: Map<number, string>): { point: Map<number, string>; warmup: boolean } | null {
  const steps = [...stepArms.keys()].sort((a, b) => a - b)
  const saturationSteps = summary.saturation?.arms.reduce((n, arm) => n + arm.steps.length, 0) ?? 0
  const measured = summary.operatingPoints.reduce((n, p) => n + p.blockOrder.reduce((m, round) => m + round.length, 0), 0)
  const armsPerPoint = summary.operatingPoints.map((p) => p.arms.length)
  const warmupBlocks = armsPerPoint.reduce((a, b) => a + b, 0)
  let warmup: boolean
  if (steps.length === measured + saturationSteps) warmup = false
  else if (steps.length === measured + warmupBlocks + saturationSteps) warmup = true
  else return null
  const point = new Map<number, string>()
  let cursor = 0
  for (const op of summary.operatingPoints) {
    if (warmup) cursor += op.arms.length
    for (const round of op.blockOrder) {
      for (const arm of round) {
        const step = steps[cursor++]
        if (step === undefined || stepArms.get(step) !== arm) return null
        point.set(step, op.label)
      }
    }
  }
  return { point, warmup }
}

function compareClassifier(summary: CompareSummary, layout: ReturnType<typeof compareStepLayout>): Classifier {
  const fallback = `geopat compare ${summary.runId}`
  return {
    defaultGroup: fallback,
    notes:
      layout === null
        ? ['the blocks in the records do not match the summary (an interrupted run?): every measured request is drawn per arm, operating points pooled']
        : [],
    key: (record) => {
      if (layout === null) return { group: fallback, name: record.endpoint }
      const point = layout.point.get(record.step)
      return point === undefined ? null : { group: `${fallback} · ${point}`, name: record.endpoint }
    },
  }
}
