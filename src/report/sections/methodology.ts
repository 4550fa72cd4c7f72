import { STALE_AFTER_DAYS, ageInDays } from '../../pricing/fx.js'
import type { CompareSummary } from '../../io/schema/compare.js'
import { METRICS } from '../../metrics/definitions.js'
import { AGGREGATE_METRICS, renderGlossaryMarkdown } from '../../metrics/glossary.js'
import { COMPARED_METRICS, STATISTICS } from '../../io/schema/compare.js'
import { num } from '../format.js'
import { type ReportInputs, use } from '../inputs.js'
import { type MethodologySection, type SourceRow, type Tone, m, table } from '../model.js'
import { pricesUsed } from './prices-used.js'

/** A figure the report found in its inputs, with where it came from. */
export interface SourcedFigure {
  figure: string
  value: string
  source: string
  /** YYYY-MM-DD or YYYY-MM (or YYYY); null when the input gives none. */
  date: string | null
  confidence: string | null
  foundIn: string
  /** A catalog price whose age the "Prices used" table warns about: marked here, not warned twice. */
  agedInPricesUsed?: boolean
}

/** The glossary's paragraphs after its table (percentiles, client self-check), as plain text. */
function glossaryNotes(): string[] {
  const markdown = renderGlossaryMarkdown()
  const paragraphs = markdown.split(/\n\s*\n/).filter((p) => !p.trimStart().startsWith('|'))
  return paragraphs.map((p) => p.replace(/\n/g, ' ').replace(/`/g, '').replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0)
}

/** Age in days of a figure's date (YYYY, YYYY-MM, or YYYY-MM-DD and anything after it) at the report's date; null when undated or unreadable. */
export function figureAgeInDays(date: string | null, now: Date): number | null {
  if (date === null) return null
  const age = ageInDays(date, now)
  return Number.isNaN(age) ? null : age
}

export function sourcesAndStaleness(figures: SourcedFigure[], now: Date): { sources: SourceRow[]; staleness: string[] } {
  const sources: SourceRow[] = []
  const staleness: string[] = []
  const undated = new Map<string, string[]>()
  for (const f of figures) {
    if (f.date === null) undated.set(f.foundIn, [...(undated.get(f.foundIn) ?? []), f.figure])
    const tone = figureTone(f, figureAgeInDays(f.date, now), staleness)
    const confidence = f.confidence ?? '–'
    sources.push({ figure: f.figure, value: f.value, source: f.source, date: f.date ?? 'not given', confidence, foundIn: f.foundIn, tone })
  }
  for (const [foundIn, names] of undated) {
    const shown = names.slice(0, 4).join('; ')
    const which = names.length === 1 ? `${shown} has` : `${names.length} figures (${shown}${names.length > 4 ? '; …' : ''}) have`
    staleness.unshift(`${foundIn}: ${which} no date in the input — validity cannot be checked`)
  }
  return { sources, staleness }
}

/** A figure's tone in the sources table by its age and confidence; the warnings it earns go to `staleness`. */
function figureTone(f: SourcedFigure, age: number | null, staleness: string[]): Tone {
  let tone: Tone = null
  if (f.date === null) {
    tone = 'warn'
  } else if (age !== null && age > STALE_AFTER_DAYS) {
    // The catalog's staleness limit: older is stale, past half of it ageing.
    tone = 'bad'
    if (!f.agedInPricesUsed)
      staleness.push(
        `${f.figure} (${f.foundIn}): dated ${f.date}, ${num(age, 0)} days before this report — stale (over ${STALE_AFTER_DAYS} days); check the source again`,
      )
  } else if (age !== null && age > STALE_AFTER_DAYS / 2) {
    tone = 'warn'
    if (!f.agedInPricesUsed) staleness.push(`${f.figure} (${f.foundIn}): dated ${f.date}, ${num(age, 0)} days old — ageing`)
  } else if (age !== null && age < -1) {
    tone = 'warn'
    staleness.push(`${f.figure} (${f.foundIn}): dated ${f.date}, after this report's date`)
  }
  if (f.confidence === 'assumption' || f.confidence === 'low') {
    tone = tone ?? 'warn'
    const meaning = f.confidence === 'assumption' ? 'a default with no source for this case' : 'a single secondary or derived figure'
    staleness.push(`${f.figure} (${f.foundIn}): confidence “${f.confidence}” — ${meaning}`)
  }
  return tone
}

const BENCH_INTERVALS =
  'the normal interval of the mean (mean ± 1.96·s/√n) and the distribution-free order-statistic interval of each percentile ' +
  '(summary.json, intervals; null where too few requests).'

const COMPARE_INTERVALS = 'of each arm’s statistics and of ratios and differences; an effect is claimed only outside the A/A floor.'

/** How each interval in the inputs was obtained, in words, without repeats. */
function intervalMethods(inputs: ReportInputs): string[] {
  const methods = new Set<string>()
  for (const { data } of inputs.bench) {
    const confidence = data.runs.flatMap((r) => Object.values(r.intervals).map((i) => i.confidence))[0]
    if (confidence !== undefined) methods.add(`geopat bench: ${num(confidence * 100, 0)}% intervals within each run: ${BENCH_INTERVALS}`)
  }
  for (const { data } of inputs.compare) {
    const first = firstRatio(data)
    const resamples = first?.resamples ?? null
    const confidence = first?.confidence ?? null
    const paired = data.paired ? ', the same prompts on every arm (paired)' : ''
    const level = confidence !== null ? `${num(confidence * 100, 0)}% ` : ''
    const seeded = resamples !== null ? ` (${num(resamples, 0)} resamples, seeded)` : ''
    methods.add(`geopat compare: ${data.design} interleaved blocks${paired}; ${level}bootstrap intervals${seeded} ${COMPARE_INTERVALS}`)
  }
  for (const { data } of inputs.sizing)
    for (const e of data.endpoints) {
      methods.add(`geopat size (${e.label}): capacity interval — ${e.capacityPerReplica.ratePerS.method}.`)
      if (e.modelError && e.modelError.fraction !== null) methods.add(`geopat size: the model’s error band of a simulated capacity — ${e.modelError.rule}.`)
    }
  return [...methods]
}

/** The first bootstrap ratio of a comparison (its resamples and confidence are the comparison's). */
function firstRatio(data: CompareSummary): { resamples: number; confidence: number } | null {
  for (const point of data.operatingPoints) {
    for (const c of point.contrasts) {
      for (const m of COMPARED_METRICS) {
        for (const s of STATISTICS) {
          const r = c.metrics[m][s].ratio
          if (r) return r
        }
      }
    }
  }
  return null
}

const LOOPBACK_SERVED = 'Endpoints served on this machine’s loopback address (geopat’s simulator, or a local server)'

const LOOPBACK_MEANING = 'A simulated region’s latency is the configured round trip, not a measured network.'

const SIMULATOR_CAVEAT =
  'geopat’s simulator models vLLM’s continuous batching, KV cache and the confidential-computing tolls from calibrated profiles ' +
  '(data/sim-profiles, each figure with its source): its figures show the method and the order of magnitude, not any provider’s measured performance. ' +
  'Re-run the same scenario against real endpoints before deciding.'

/** Where endpoints were simulated, and what that means for the figures. */
export function simulatorNotes(inputs: ReportInputs): string[] {
  const notes: string[] = []
  const simulatedArms = new Set<string>()
  for (const { data } of inputs.compare)
    for (const p of data.operatingPoints) for (const r of p.reconciliation) if (r.simulatorEmitLatenessMs !== null) simulatedArms.add(r.arm)
  if (simulatedArms.size > 0)
    notes.push(`Compared arms served by geopat’s simulator (its /metrics reports its own write lateness): ${[...simulatedArms].sort().join(', ')}.`)
  const loopback = new Set<string>()
  for (const { data } of inputs.bench)
    for (const r of data.runs) if (/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(r.endpoint.url)) loopback.add(r.endpoint.label)
  if (loopback.size > 0) notes.push(`${LOOPBACK_SERVED}: ${[...loopback].sort().join(', ')}. ${LOOPBACK_MEANING}`)
  const simulatedSizing = inputs.sizing.flatMap(({ data }) => data.endpoints.filter((e) => e.source === 'simulated').map((e) => e.label))
  if (simulatedSizing.length > 0) notes.push(`Capacity searched in the simulator’s virtual time: ${simulatedSizing.join(', ')}.`)
  if (notes.length > 0) {
    notes.push(SIMULATOR_CAVEAT)
  }
  return notes
}

export function methodologySection(inputs: ReportInputs, figures: SourcedFigure[], now: Date): MethodologySection {
  const metrics = table(
    'Per-request and pooled metrics (src/metrics/definitions.ts)',
    ['Metric (summary key)', 'Unit', 'Per', 'Formula', 'The peers call it'],
    METRICS.map((m) => [`${m.label} (${m.id})`, m.unit, m.scope.replace('per-', ''), m.formula, m.peerNames]),
  )
  const aggregates = table(
    'Run-level figures (src/metrics/glossary.ts)',
    ['Figure', 'Formula', 'The peers call it'],
    AGGREGATE_METRICS.map((m) => [m.name, m.formula, m.peerNames]),
  )
  const { sources, staleness } = sourcesAndStaleness(figures, now)
  const prices = pricesUsed(inputs, now)
  for (const { file } of [...inputs.bench, ...inputs.compare, ...inputs.sizing]) use(file, 'methodology')
  const measured = [
    ...inputs.bench.map(({ data, file }) => ({ at: data.startedAt, what: `geopat bench ${data.runId} (${file.path})` })),
    ...inputs.compare.map(({ data, file }) => ({ at: data.startedAt, what: `geopat compare ${data.runId} (${file.path})` })),
  ]
  for (const m of measured) {
    const age = figureAgeInDays(m.at.slice(0, 10), now)
    if (age !== null && age > 90)
      staleness.push(`${m.what}: measured ${m.at.slice(0, 10)}, ${num(age, 0)} days ago — servers, drivers and prices change; re-measure before deciding`)
  }
  return {
    metrics,
    aggregates,
    notes: glossaryNotes(),
    intervals: intervalMethods(inputs),
    sources:
      sources.length > 0
        ? table(
            'Sources and dates of every price and figure found in the inputs',
            ['Figure', 'Value', 'Source', 'Valid at', 'Confidence', m('Found in')],
            sources.map((s) => ({ cells: [s.figure, s.value, s.source, s.date, s.confidence, s.foundIn], tone: s.tone })),
            `A figure dated more than ${STALE_AFTER_DAYS} days before this report is marked stale; an undated one cannot be checked.`,
          )
        : null,
    pricesUsed: prices,
    staleness: [...staleness, ...(prices?.warnings ?? [])],
    simulator: simulatorNotes(inputs),
  }
}
