import { COMPARED_METRICS, type CompareInterval, type CompareSummary, STATISTICS } from '../schema/compare.js'
import { csvCell, csvNumberCell } from './csv.js'

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

/** The human report of `geopat compare`: intervals, ratios and verdicts per operating point. */
export function formatCompare(summary: CompareSummary): string {
  const lines: string[] = []
  for (const point of summary.operatingPoints) {
    const load = point.load.concurrency !== null ? `concurrency ${point.load.concurrency}` : `${point.load.ratePerS} req/s`
    lines.push(`operating point "${point.label}" (${load}) · ${summary.design} design · ${point.blockOrder.length} rounds`)
    const arms = point.arms
    for (const contrast of point.contrasts) {
      const base = arms.find((a) => a.label === contrast.baseline)
      const arm = arms.find((a) => a.label === contrast.arm)
      if (!base || !arm) continue
      lines.push(`  ${contrast.arm} vs ${contrast.baseline} (${contrast.paired ? `paired, ${contrast.pairs} pairs` : 'unpaired'}; ms, 95% intervals)`)
      lines.push(`    ${'metric'.padEnd(11)}${contrast.baseline.slice(0, 24).padEnd(26)}${contrast.arm.slice(0, 24).padEnd(26)}${'ratio'.padEnd(24)}verdict`)
      for (const metric of COMPARED_METRICS) {
        for (const statistic of STATISTICS) {
          const entry = contrast.metrics[metric][statistic]
          const hint = entry.runLongerRequests !== null ? ` (±5% needs ~${entry.runLongerRequests} requests per arm)` : ''
          lines.push(
            `    ${`${METRIC_LABEL[metric]} ${statistic}`.padEnd(11)}${interval(base.metrics[metric][statistic]).padEnd(26)}${interval(arm.metrics[metric][statistic]).padEnd(26)}${interval(entry.ratio, 3).padEnd(24)}${entry.verdict}${hint}`,
          )
        }
      }
    }
    for (const split of point.overhead) {
      lines.push(
        `  overhead of ${split.arm} over ${split.baseline}: front end ${split.frontEndMs ? signed(split.frontEndMs) : '(no probe)'} · prefill/TTFT ${signed(split.prefillMs)} · decode ITL ${signed(split.decodeItlMs)} (×${interval(split.decodeItlRatio, 3)}) · TPOT ${signed(split.decodeTpotMs)}`,
      )
    }
    for (const r of point.reconciliation) {
      if (!r.available) {
        lines.push(`  /metrics ${r.arm}: ${r.note}`)
        continue
      }
      lines.push(
        `  /metrics ${r.arm}: TTFT client ${n(r.ttft.clientMeanMs, 2)} / server ${n(r.ttft.serverMeanMs, 2)} ms (${n(r.ttft.gapPct, 1)}%) · ITL ${n(r.itl.clientMeanMs, 3)} / ${n(r.itl.serverMeanMs, 3)} ms (${n(r.itl.gapPct, 1)}%) · requests ${r.requests.client}/${r.requests.server} · output tokens ${r.generationTokens.client}/${r.generationTokens.server} · prompt tokens ${r.promptTokens.client}/${r.promptTokens.server}${r.simulatorEmitLatenessMs !== null ? ` · simulator write lateness ${n(r.simulatorEmitLatenessMs, 3)} ms` : ''}`,
      )
    }
    for (const c of point.coalescing) {
      if (c.detected) lines.push(`  ${c.arm}: events are coalesced (${n(c.eventsPerRead, 2)} per read): vLLM's per-chunk "ITL" below is chunk latency, not token latency`)
    }
    lines.push('  the peers\' names for the same records (mean ms):')
    const names = [...new Set(point.peers.map((p) => `${p.tool} ${p.name}`))]
    for (const name of names) {
      const values = arms.map((arm) => point.peers.find((p) => p.arm === arm.label && `${p.tool} ${p.name}` === name)?.distribution.mean)
      lines.push(`    ${name.padEnd(24)}${values.map((v) => n(v, 2).padStart(12)).join('')}`)
    }
    for (const v of point.clientVerdicts) if (v.verdict !== 'ok') lines.push(`  client-bound on ${v.arm}: ${v.reasons.join('; ')}`)
  }
  if (summary.saturation) {
    lines.push('saturation (one sweep per arm: synchronous, maximum throughput, rates between):')
    for (const arm of summary.saturation.arms) {
      const knee = arm.knee.ratePerS !== null ? `${n(arm.knee.ratePerS, 2)} req/s${arm.knee.nextRatePerS !== null ? ` (saturated at ${n(arm.knee.nextRatePerS, 2)})` : ''}` : '–'
      lines.push(`  ${arm.arm}: ${interval(arm.outputTokensPerS, 0)} output tok/s at saturation (${n(arm.requestsPerS, 2)} req/s) · knee ${knee}`)
    }
    for (const ratio of summary.saturation.ratios) lines.push(`  ${ratio.arm} / ${ratio.baseline} saturation throughput: ×${interval(ratio.outputTokensPerS, 3)}`)
  }
  for (const warning of summary.warnings) lines.push(`note: ${warning}`)
  return lines.join('\n')
}

/** compare-summary.csv: one row per operating point × contrast × metric × statistic. */
export function compareToCsv(summary: CompareSummary): string {
  const header = ['operating_point', 'baseline', 'arm', 'paired', 'metric', 'statistic', 'baseline_ms', 'arm_ms', 'ratio', 'ratio_low', 'ratio_high', 'difference_ms', 'difference_low', 'difference_high', 'verdict', 'run_longer_requests']
  const rows = [header.map(csvCell)]
  for (const point of summary.operatingPoints) {
    for (const contrast of point.contrasts) {
      const base = point.arms.find((a) => a.label === contrast.baseline)
      const arm = point.arms.find((a) => a.label === contrast.arm)
      for (const metric of COMPARED_METRICS) {
        for (const statistic of STATISTICS) {
          const e = contrast.metrics[metric][statistic]
          rows.push([
            ...[point.label, contrast.baseline, contrast.arm, String(contrast.paired), metric, statistic].map(csvCell),
            csvNumberCell(base?.metrics[metric][statistic]?.estimate, 4), csvNumberCell(arm?.metrics[metric][statistic]?.estimate, 4),
            csvNumberCell(e.ratio?.estimate, 5), csvNumberCell(e.ratio?.low, 5), csvNumberCell(e.ratio?.high, 5),
            csvNumberCell(e.difference?.estimate, 4), csvNumberCell(e.difference?.low, 4), csvNumberCell(e.difference?.high, 4),
            csvCell(e.verdict), csvCell(e.runLongerRequests),
          ])
        }
      }
    }
  }
  return `${rows.map((r) => r.join(',')).join('\n')}\n`
}
