import type { Estimate, SizingResult } from '../schema/sizing.js'

const number = (value: number | null | undefined, digits: number): string => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits))
const range = (estimate: Estimate, digits: number): string => `${number(estimate.estimate, digits)} [${number(estimate.low, digits)}, ${estimate.high === null ? '∞' : number(estimate.high, digits)}]`

/** The human answer of `geopat size`: per endpoint, capacity per replica, replicas, GPUs, costs. */
export function formatSizing(result: SizingResult): string {
  const slo = Object.entries(result.slo).map(([key, value]) => `${key.replace(/Ms$/, '')} ≤ ${value} ms`).join(', ')
  const policy = result.policy
  const lines = [
    `peak ${result.demand.peakRequestsPerS} req/s · SLO ${slo} for ${(result.attainment * 100).toFixed(0)}% of requests · utilization ${policy.targetUtilization} · ${policy.failureDomains} failure domain(s) × ${policy.sparePerFailureDomain} spare · surge ${(policy.surgeFraction * 100).toFixed(0)}% · ${policy.gpusPerNode} GPUs per node`,
  ]
  for (const endpoint of result.endpoints) {
    const capacity = endpoint.capacityPerReplica
    lines.push('')
    lines.push(`${endpoint.label} (${endpoint.source}: ${endpoint.detail})`)
    lines.push(`  capacity per replica: ${range(capacity.ratePerS, 2)} req/s${capacity.lowerBoundOnly ? ' (at least)' : ''}, ${range(capacity.outputTokensPerS, 0)} good output tok/s · ${capacity.ratePerS.method}`)
    lines.push(`  model error: ${modelErrorLine(endpoint)}`)
    if (endpoint.firstCut) {
      lines.push(`  first cut (mean-value model of the profile, no queueing or noise): ${number(endpoint.firstCut.ratePerS, 2)} req/s, limited by ${endpoint.firstCut.limitedBy}, step ${number(endpoint.firstCut.stepMs, 1)} ms at batch ${number(endpoint.firstCut.batch, 0)}`)
    }
    const r = endpoint.replicas
    lines.push(`  replicas: ${r.total} = ${r.base} base + ${r.spare} spare + ${r.surge} surge (${r.low}–${r.high ?? '∞'} over the capacity interval)`)
    const g = endpoint.gpus
    lines.push(`  GPUs: ${g.total} (${endpoint.gpusPerReplica} per replica) → ${g.nodes} node(s), ${g.roundedToNodes} GPUs (${g.low}–${g.high ?? '∞'})`)
    for (const cost of endpoint.costs) {
      const mtok = cost.perMtok
      lines.push(
        `  ${cost.catalogRow} (${cost.provider}, ${cost.region}, ${cost.sovereignty}) at ${number(cost.pricePerGpuHour, 2)} ${cost.currency}/GPU-h: fleet ${range(cost.fleetPerMonth, 0)} ${cost.currency}/month · per Mtok output ${mtok.output ? range(mtok.output, 3) : '–'}, input ${mtok.input ? range(mtok.input, 3) : '–'}, total ${mtok.total ? range(mtok.total, 3) : '–'}${cost.joulesPerOutputToken !== null ? ` · ${number(cost.joulesPerOutputToken, 2)} J/output token` : ''}`,
      )
      for (const note of cost.notes) lines.push(`    note: ${note}`)
    }
    for (const warning of endpoint.warnings) lines.push(`  warning: ${warning}`)
  }
  return lines.join('\n')
}

/** The model's error beside a capacity: the sentence, and the interval before and after the band. */
export function modelErrorLine(endpoint: SizingResult['endpoints'][number]): string {
  const band = endpoint.modelError
  if (endpoint.source === 'measured') return "none: measured, the interval is the measurement's"
  if (!band) return 'not recorded (a sizing.json written before the band existed)'
  const interval = (i: { low: number; high: number | null }): string => `[${number(i.low, 2)}, ${i.high === null ? '∞' : number(i.high, 2)}]`
  if (band.fraction === null) return `${band.sentence}: no band, searches ${interval(band.sampling)} req/s only`
  return `${band.sentence}: searches ${interval(band.sampling)} req/s, with the band ${interval(band.widened)} req/s (low ÷ (1 + e), high ÷ (1 − e), e = ${number(band.fraction, 3)})`
}
