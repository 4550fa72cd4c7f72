import { COMPARED_METRICS, type CompareInterval, type CompareSummary, STATISTICS } from '../../io/schema/compare.js'

const METRIC_LABEL: Record<(typeof COMPARED_METRICS)[number], string> = { ttft: 'TTFT', itl: 'ITL', tpot: 'TPOT', e2e: 'E2E' }

function n(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits)
}

function interval(value: CompareInterval | null | undefined, digits = 1): string {
  return value ? `${n(value.estimate, digits)} [${n(value.low, digits)}, ${n(value.high, digits)}]` : '–'
}

function signed(value: CompareInterval | null | undefined, digits = 2): string {
  if (!value) return '–'
  const s = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`
  return `${s(value.estimate)} ms [${s(value.low)}, ${s(value.high)}]`
}

type Point = CompareSummary['operatingPoints'][number]
type Contrast = Point['contrasts'][number]

/** One contrast: every metric and statistic of both arms, the ratio and the verdict. */
function contrastLines(point: Point, contrast: Contrast): string[] {
  const base = point.arms.find((a) => a.label === contrast.baseline)
  const arm = point.arms.find((a) => a.label === contrast.arm)
  if (!base || !arm) return []
  const lines = [
    `  ${contrast.arm} vs ${contrast.baseline} (${contrast.paired ? `paired, ${contrast.pairs} pairs` : 'unpaired'}; ms, 95% intervals)`,
    `    ${'metric'.padEnd(11)}${contrast.baseline.slice(0, 24).padEnd(26)}${contrast.arm.slice(0, 24).padEnd(26)}${'ratio'.padEnd(24)}verdict`,
  ]
  for (const metric of COMPARED_METRICS) {
    for (const statistic of STATISTICS) {
      const entry = contrast.metrics[metric][statistic]
      const hint = entry.runLongerRequests !== null ? ` (±5% needs ~${entry.runLongerRequests} requests per arm)` : ''
      const cells = [
        `${METRIC_LABEL[metric]} ${statistic}`.padEnd(11),
        interval(base.metrics[metric][statistic]).padEnd(26),
        interval(arm.metrics[metric][statistic]).padEnd(26),
        interval(entry.ratio, 3).padEnd(24),
      ]
      lines.push(`    ${cells.join('')}${entry.verdict}${hint}`)
    }
  }
  return lines
}

function overheadLine(split: Point['overhead'][number]): string {
  const frontEnd = split.frontEndMs ? signed(split.frontEndMs) : '(no probe)'
  return (
    `  overhead of ${split.arm} over ${split.baseline}: front end ${frontEnd} · prefill/TTFT ` +
    `${signed(split.prefillMs)} · decode ITL ${signed(split.decodeItlMs)} (×${interval(split.decodeItlRatio, 3)}) · TPOT ` +
    `${signed(split.decodeTpotMs)}`
  )
}

function reconciliationLine(r: Point['reconciliation'][number]): string {
  if (!r.available) return `  /metrics ${r.arm}: ${r.note}`
  const lateness = r.simulatorEmitLatenessMs !== null ? ` · simulator write lateness ${n(r.simulatorEmitLatenessMs, 3)} ms` : ''
  return (
    `  /metrics ${r.arm}: TTFT client ${n(r.ttft.clientMeanMs, 2)} / server ${n(r.ttft.serverMeanMs, 2)} ms ` +
    `(${n(r.ttft.gapPct, 1)}%) · ITL ${n(r.itl.clientMeanMs, 3)} / ${n(r.itl.serverMeanMs, 3)} ms ` +
    `(${n(r.itl.gapPct, 1)}%) · requests ${r.requests.client}/${r.requests.server} · output tokens ` +
    `${r.generationTokens.client}/${r.generationTokens.server} · prompt tokens ${r.promptTokens.client}/${r.promptTokens.server}${lateness}`
  )
}

/** vLLM's per-chunk ITL on a coalescing server measures chunks. */
const COALESCED_NOTE = 'vLLM\'s per-chunk "ITL" below is chunk latency, not token latency'

function coalescedLine(c: Point['coalescing'][number]): string {
  return `  ${c.arm}: events are coalesced (${n(c.eventsPerRead, 2)} per read): ${COALESCED_NOTE}`
}

/** The peers' names for the same records, one line per name, one column per arm. */
function peerLines(point: Point): string[] {
  const lines = ["  the peers' names for the same records (mean ms):"]
  const names = [...new Set(point.peers.map((p) => `${p.tool} ${p.name}`))]
  for (const name of names) {
    const values = point.arms.map((arm) => point.peers.find((p) => p.arm === arm.label && `${p.tool} ${p.name}` === name)?.distribution.mean)
    lines.push(`    ${name.padEnd(24)}${values.map((v) => n(v, 2).padStart(12)).join('')}`)
  }
  return lines
}

function pointLines(point: Point, design: string): string[] {
  const load = point.load.concurrency !== null ? `concurrency ${point.load.concurrency}` : `${point.load.ratePerS} req/s`
  return [
    `operating point "${point.label}" (${load}) · ${design} design · ${point.blockOrder.length} rounds`,
    ...point.contrasts.flatMap((contrast) => contrastLines(point, contrast)),
    ...point.overhead.map(overheadLine),
    ...point.reconciliation.map(reconciliationLine),
    ...point.coalescing.filter((c) => c.detected).map(coalescedLine),
    ...peerLines(point),
    ...point.clientVerdicts.filter((v) => v.verdict !== 'ok').map((v) => `  client-bound on ${v.arm}: ${v.reasons.join('; ')}`),
  ]
}

function saturationLines(saturation: NonNullable<CompareSummary['saturation']>): string[] {
  const lines = ['saturation (one sweep per arm: synchronous, maximum throughput, rates between):']
  for (const arm of saturation.arms) {
    const saturatedAt = arm.knee.nextRatePerS !== null ? ` (saturated at ${n(arm.knee.nextRatePerS, 2)})` : ''
    const knee = arm.knee.ratePerS !== null ? `${n(arm.knee.ratePerS, 2)} req/s${saturatedAt}` : '–'
    lines.push(`  ${arm.arm}: ${interval(arm.outputTokensPerS, 0)} output tok/s at saturation (${n(arm.requestsPerS, 2)} req/s) · knee ${knee}`)
  }
  for (const ratio of saturation.ratios) lines.push(`  ${ratio.arm} / ${ratio.baseline} saturation throughput: ×${interval(ratio.outputTokensPerS, 3)}`)
  return lines
}

/** The human report of `geopat compare`: intervals, ratios and verdicts per operating point. */
export function formatCompare(summary: CompareSummary): string {
  return [
    ...summary.operatingPoints.flatMap((point) => pointLines(point, summary.design)),
    ...(summary.saturation ? saturationLines(summary.saturation) : []),
    ...summary.warnings.map((warning) => `note: ${warning}`),
  ].join('\n')
}
