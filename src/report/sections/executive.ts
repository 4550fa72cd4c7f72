import type { CompareSummary } from '../../io/schema/compare.js'
import type { Plan } from '../../io/schema/plan.js'
import type { BenchSummary, RunSummary } from '../../io/schema/summary.js'
import { estimate, num, pct, ratioChange, signed, withUnit } from '../format.js'
import { type Loaded, type ReportInputs, use } from '../inputs.js'
import type { ExecutiveSection, KeyFigure } from '../model.js'
import { type Findings, sizingFigures, tcoFigures } from './executive-costs.js'

type Interval = { estimate: number; low: number; high: number; confidence: number }

/** Each endpoint's first (lowest-load) step of each bench run: the like-for-like comparison. */
function firstSteps(bench: Array<Loaded<BenchSummary>>): Array<{ run: RunSummary; file: string }> {
  const result: Array<{ run: RunSummary; file: string }> = []
  for (const { data, file } of bench) {
    const seen = new Set<string>()
    for (const run of [...data.runs].sort((a, b) => a.step - b.step)) {
      if (seen.has(run.endpoint.label)) continue
      seen.add(run.endpoint.label)
      result.push({ run, file: file.path })
    }
  }
  return result
}

function runInterval(run: RunSummary, metric: string, statistic: 'mean' | 'p50' | 'p90' | 'p99'): { value: number | null; text: string } {
  const value = run.metrics[metric]?.[statistic] ?? null
  const bounds = run.intervals[metric]?.[statistic] ?? null
  return { value, text: estimate(value, bounds ? { low: bounds[0], high: bounds[1], confidence: run.intervals[metric]?.confidence ?? 0.95 } : null, 'ms') }
}

function benchFigures(inputs: ReportInputs, figures: KeyFigure[], recommendation: string[], caveats: string[]): { fastest: string | null } {
  const runs = firstSteps(inputs.bench)
  for (const { file } of inputs.bench) use(file, 'summary')
  for (const { run, file } of runs)
    if (run.client.verdict === 'client-bound')
      caveats.push(`${run.endpoint.label} (${file}): the client was the bottleneck (${run.client.reasons.join('; ')}); its latencies are upper bounds.`)
  if (runs.length < 2) {
    const only = runs[0]
    if (only) {
      for (const [name, metric, statistic] of [
        ['TTFT p90', 'ttft', 'p90'],
        ['TPOT mean', 'tpot', 'mean'],
      ] as const)
        figures.push({
          label: `${name}, ${only.run.endpoint.label}`,
          value: runInterval(only.run, metric, statistic).text,
          detail: only.run.stepLabel,
          source: `${only.file} · runs[].metrics.${metric}`,
          tone: null,
        })
    }
    return { fastest: null }
  }
  const rank = (metric: string, statistic: 'mean' | 'p90') =>
    runs
      .map((r) => ({ ...r, figure: runInterval(r.run, metric, statistic) }))
      .filter((r) => r.figure.value !== null)
      .sort((a, b) => (a.figure.value as number) - (b.figure.value as number))
  const ttft = rank('ttft', 'p90')
  const tpot = rank('tpot', 'mean')
  /** The fastest run of a ranking as a key figure, the others beside it; `path` names its fields in the summary. */
  const fastest = (ranked: typeof ttft, label: string, path: string) => {
    const best = ranked[0]
    if (!best) return undefined
    const others = ranked
      .slice(1)
      .map((r) => `${r.run.endpoint.label} ${r.figure.text}`)
      .join('; ')
    figures.push({
      label,
      value: `${best.run.endpoint.label}: ${best.figure.text}`,
      detail: others ? `against ${others}` : null,
      source: `${best.file} · ${path}`,
      tone: 'good',
    })
    return best
  }
  const bestTtft = fastest(ttft, 'Fastest to first token (TTFT p90)', 'runs[].metrics.ttft.p90, intervals.ttft.p90')
  const bestTpot = fastest(tpot, 'Fastest decode (TPOT mean)', 'runs[].metrics.tpot.mean, intervals.tpot.mean')
  const withGoodput = runs
    .filter((r) => r.run.goodput !== null)
    .sort((a, b) => (b.run.goodput?.fractionOfRequests ?? 0) - (a.run.goodput?.fractionOfRequests ?? 0))
  const bestGoodput = withGoodput[0]
  if (bestGoodput?.run.goodput) {
    const goodput = bestGoodput.run.goodput
    figures.push({
      label: 'Most requests within the SLO',
      value: `${bestGoodput.run.endpoint.label}: ${pct(goodput.fractionOfRequests)} (${withUnit(goodput.requestsPerS, 'req/s')} goodput)`,
      detail:
        withGoodput
          .slice(1)
          .map((r) => `${r.run.endpoint.label} ${pct(r.run.goodput?.fractionOfRequests ?? null)}`)
          .join('; ') || null,
      source: `${bestGoodput.file} · runs[].goodput`,
      tone: null,
    })
  }
  if (bestTtft && bestTpot) {
    if (bestTtft.run.endpoint.label === bestTpot.run.endpoint.label) {
      const firstToken = `first to the first token (p90 ${bestTtft.figure.text})`
      recommendation.push(`Fastest endpoint measured: ${bestTtft.run.endpoint.label}, ${firstToken} and in decode (TPOT mean ${bestTpot.figure.text}).`)
    } else {
      const firstToken = `${bestTtft.run.endpoint.label} reaches the first token first (p90 ${bestTtft.figure.text})`
      const decode = `${bestTpot.run.endpoint.label} decodes faster (TPOT mean ${bestTpot.figure.text})`
      recommendation.push(`No endpoint is fastest on both counts: ${firstToken}; ${decode}. Interactive chat weighs TTFT; long answers weigh TPOT.`)
    }
  }
  return { fastest: bestTtft?.run.endpoint.label ?? null }
}

function compareFigures(compare: Array<Loaded<CompareSummary>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): void {
  for (const { data, file } of compare) {
    use(file, 'summary')
    for (const point of data.operatingPoints) {
      for (const contrast of point.contrasts) {
        if (!contrast.arm.endsWith('(A/A)')) contrastFigures(point, contrast, file.path, { figures, recommendation, caveats })
      }
      for (const v of point.clientVerdicts)
        if (v.verdict === 'client-bound') caveats.push(`compare ${point.label}, ${v.arm}: the client was the bottleneck (${v.reasons.join('; ')}).`)
    }
    if (data.interrupted) caveats.push(`${file.path}: the comparison was interrupted; its intervals cover the requests measured before.`)
  }
}

type OperatingPoint = CompareSummary['operatingPoints'][number]
type Contrast = OperatingPoint['contrasts'][number]

/**
 * One arm against its baseline at one operating point: the TTFT and TPOT change, the overhead
 * split, and how many requests would narrow a wide interval.
 */
function contrastFigures(point: OperatingPoint, contrast: Contrast, filePath: string, { figures, recommendation, caveats }: Findings): void {
  const ttft = contrast.metrics.ttft.mean
  const tpot = contrast.metrics.tpot.mean
  const describe = (entry: typeof ttft): string =>
    entry.ratio
      ? `${ratioChange(entry.ratio.estimate)} (95% CI ${ratioChange(entry.ratio.low)} to ${ratioChange(entry.ratio.high)}), ${entry.verdict}`
      : entry.verdict
  figures.push({
    label: `${contrast.arm} against ${contrast.baseline}, ${point.label}`,
    value: `TTFT mean ${describe(ttft)}; TPOT mean ${describe(tpot)}`,
    detail: point.aaFloor ? `A/A floor ±${num(point.aaFloor.ttft.mean * 100, 1)}% (TTFT), ±${num(point.aaFloor.tpot.mean * 100, 1)}% (TPOT)` : null,
    source: `${filePath} · operatingPoints[${point.label}].contrasts`,
    tone: ttft.verdict === 'slower' || tpot.verdict === 'slower' ? 'warn' : null,
  })
  const split = point.overhead.find((o) => o.arm === contrast.arm && o.baseline === contrast.baseline)
  if (split) {
    const part = (name: string, i: Interval | null): string | null => (i ? `${name} ${signed(i.estimate, 'ms')} (${signed(i.low)} to ${signed(i.high)})` : null)
    const parts = [part('front end', split.frontEndMs), part('prefill', split.prefillMs), part('decode', split.decodeTpotMs)].filter(
      (p): p is string => p !== null,
    )
    if (parts.length > 0)
      recommendation.push(`${contrast.arm} over ${contrast.baseline} at ${point.label}: ${parts.join(', ')} per request (per token for decode), 95% intervals.`)
  }
  for (const [metric, entry] of [
    ['TTFT', ttft],
    ['TPOT', tpot],
  ] as const) {
    if (entry.runLongerRequests !== null) {
      const narrow = `about ${num(entry.runLongerRequests, 0)} requests per arm would narrow it to ±5%`
      caveats.push(`${contrast.arm} vs ${contrast.baseline} at ${point.label}: the ${metric} mean interval is wide; ${narrow}.`)
    }
  }
}

function planFigures(plans: Array<Loaded<Plan>>, figures: KeyFigure[], recommendation: string[], caveats: string[]): void {
  for (const { data, file } of plans) {
    use(file, 'summary')
    const last = data.waves[data.waves.length - 1]
    const missed = data.workloads.flatMap((w) => w.deadlines.filter((d) => d.met === false).map((d) => `${w.name}: ${d.id} (${d.date})`))
    figures.push({
      label: `Migration plan, ${data.organisation}`,
      value: `${data.workloads.length} workloads in ${data.waves.length} waves, ${data.start} to ${last?.end ?? '–'}`,
      detail: `${data.conflicts.length} conflict${data.conflicts.length === 1 ? '' : 's'}; ${missed.length} deadline${missed.length === 1 ? '' : 's'} missed`,
      source: `${file.path} · waves, conflicts, workloads[].deadlines`,
      tone: missed.length > 0 || data.conflicts.length > 0 ? 'bad' : null,
    })
    if (missed.length > 0) caveats.push(`Deadlines the plan misses: ${missed.join('; ')}.`)
    for (const c of data.conflicts) caveats.push(`Plan conflict (${c.kind}) for ${c.workload}: ${c.detail}`)
    if (last) {
      const waves = `${data.waves.length} wave${data.waves.length === 1 ? '' : 's'}`
      recommendation.push(`Move in ${waves} from ${data.start}; the last cut-over is ${last.cutover}${missed.length === 0 ? ', every deadline met' : ''}.`)
    }
  }
}

/** Why the cheapest fleet per Mtok and the cheapest TCO option can name different offers. */
function twoRankings(fleetLabel: string, tcoLabel: string, years: number): string {
  return [
    'The two name different offers because they rank different things:',
    `fleet $/Mtok ranks the GPU offers sized by their fleet alone at the catalog price (${fleetLabel});`,
    'the TCO ranks every option that passes the sovereignty gate, token APIs and owned servers included,',
    `by its whole ${years}-year cost (pricing model and commitments, staff, migration, dual running, compliance and risk), and names ${tcoLabel}.`,
  ].join(' ')
}

export function executiveSection(inputs: ReportInputs, simulatorNotes: string[]): ExecutiveSection | null {
  const figures: KeyFigure[] = []
  const recommendation: string[] = []
  const caveats: string[] = []
  benchFigures(inputs, figures, recommendation, caveats)
  compareFigures(inputs.compare, figures, recommendation, caveats)
  const fleet = sizingFigures(inputs.sizing, figures, recommendation, caveats)
  const tco = tcoFigures(inputs.tco, figures, recommendation, caveats)
  if (fleet && tco && fleet.catalogRow !== tco.catalogRow) {
    recommendation.push(twoRankings(fleet.label, tco.label, tco.years))
  }
  planFigures(inputs.plan, figures, recommendation, caveats)
  if (figures.length === 0 && recommendation.length === 0) return null
  if (simulatorNotes.length > 0)
    caveats.unshift('Some or all endpoints are simulated (see Methodology): the figures demonstrate the method, not a provider’s performance.')
  if (recommendation.length === 0)
    recommendation.push('The inputs hold measurements but no choice between options: see the figures below and the sections that follow.')
  return { recommendation, figures, caveats }
}
