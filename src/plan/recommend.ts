import { EU_MEMBER_STATES } from '../pricing/catalog.js'
import { sealRank } from '../io/schema/catalog.js'
import type { InventoryWorkload, Strategy, TargetOption } from '../io/schema/inventory.js'

/** What a bench run measured on an option's endpoint: p90 with its 95% interval, ms. */
export interface LatencyEvidence {
  source: string
  ttftP90: { estimate: number; low: number; high: number } | null
  tpotP90: { estimate: number; low: number; high: number } | null
}

export interface Recommendation {
  strategy: Strategy
  option: TargetOption | null
  reasons: string[]
  excluded: Array<{ option: string; reason: string }>
  /** No option can legally host it, or every legal one is measured too slow. */
  conflict: { kind: 'no-legal-option' | 'latency'; detail: string } | null
}

/** Why an option cannot take the workload, or null when it can (the gates, in order). */
function exclusion(
  workload: InventoryWorkload,
  option: TargetOption,
  evidence: Map<string, LatencyEvidence>,
): { reason: string; gate: 'legal' | 'latency' } | null {
  if (sealRank(option.sovereignty) < sealRank(workload.requiredSovereignty)) {
    return {
      gate: 'legal',
      reason:
        `${option.sovereignty} is below the ${workload.requiredSovereignty} that its data ` +
        `(${workload.dataClasses.join(', ')}) requires (C11 sovereignty gate)`,
    }
  }
  if (workload.requiresConfidentialComputing && !option.confidentialComputing)
    return { gate: 'legal', reason: 'no confidential-computing GPUs, which the workload requires' }
  if (!option.models.includes(workload.current.model) && !workload.canSwitchModel) {
    return { gate: 'legal', reason: `does not serve ${workload.current.model}, and the workload may not switch model` }
  }
  const measured = option.benchEndpoint !== undefined ? evidence.get(option.benchEndpoint) : undefined
  if (!measured) return null
  return (
    latencyGate('TTFT', measured.ttftP90, workload.slo.ttftMs, 0, measured.source) ??
    latencyGate('TPOT', measured.tpotP90, workload.slo.tpotMs, 1, measured.source)
  )
}

/** The latency gate on one metric: closed when even the low end of the measured p90's interval is above the SLO (`digits`: decimals in the reason). */
function latencyGate(
  metric: 'TTFT' | 'TPOT',
  p90: LatencyEvidence['ttftP90'],
  sloMs: number,
  digits: number,
  source: string,
): { reason: string; gate: 'latency' } | null {
  if (!(p90 && p90.low > sloMs)) return null
  return {
    gate: 'latency',
    reason: `measured ${metric} p90 ${p90.estimate.toFixed(digits)} ms (95% interval from ${p90.low.toFixed(digits)}) is above the ${sloMs} ms SLO (${source})`,
  }
}

function strategyFor(workload: InventoryWorkload, option: TargetOption): Strategy {
  if (!option.models.includes(workload.current.model) || option.kind === 'model-gateway') return 'refactor'
  switch (option.kind) {
    case 'hyperscaler-sovereign-region':
      return option.provider === workload.current.provider ? 'relocate' : 'rehost'
    case 'eu-gpu-cloud':
    case 'on-prem':
      return 'replatform'
    case 'eu-token-api':
      return 'repurchase'
  }
}

/**
 * The 7 R recommendation for one workload: Retire when marked; Retain when its current host already
 * meets the sovereignty it needs; otherwise the cheapest option that passes every gate (sovereignty
 * level, confidential computing, model, measured latency against the SLO), in the listed order
 * where costs are equal or unknown.
 */
export function recommend(
  workload: InventoryWorkload,
  options: TargetOption[],
  evidence: Map<string, LatencyEvidence>,
  costOf: (option: TargetOption) => number | undefined,
  costUnit = 'per GPU-month equivalent',
): Recommendation {
  if (workload.retire) return { strategy: 'retire', option: null, reasons: ['marked for retirement in the inventory'], excluded: [], conflict: null }
  const excluded: Recommendation['excluded'] = []
  const feasible: TargetOption[] = []
  let latencyOnly = true
  for (const option of options) {
    const why = exclusion(workload, option, evidence)
    if (why) {
      excluded.push({ option: option.id, reason: why.reason })
      if (why.gate === 'legal') latencyOnly = false
    } else feasible.push(option)
  }
  const currentMeets = sealRank(workload.current.sovereignty) >= sealRank(workload.requiredSovereignty) && !workload.requiresConfidentialComputing
  if (currentMeets) {
    const foreignParent = !EU_MEMBER_STATES.has(workload.current.jurisdiction.parent)
    return {
      strategy: 'retain',
      option: null,
      reasons: [
        `its current host (${workload.current.provider} ${workload.current.region}, ${workload.current.sovereignty}) meets the ` +
          `${workload.requiredSovereignty} its data requires`,
        ...(foreignParent
          ? [`the provider's parent is in ${workload.current.jurisdiction.parent}: keep transfer impact assessments and redaction in place (C1, C4)`]
          : []),
      ],
      excluded,
      conflict: null,
    }
  }
  if (feasible.length === 0) {
    const kind = latencyOnly && excluded.length > 0 ? 'latency' : 'no-legal-option'
    const detail =
      `${kind === 'latency' ? 'every legal option is measured too slow' : 'no option can legally host it'}: ` +
      `${excluded.map((e) => `${e.option}: ${e.reason}`).join('; ')}`
    return { strategy: 'retain', option: null, reasons: [`stays where it is for now: ${detail}`], excluded, conflict: { kind, detail } }
  }
  const ranked = feasible
    .map((option, order) => ({ option, order, cost: costOf(option) }))
    .sort((a, b) => (a.cost ?? Number.POSITIVE_INFINITY) - (b.cost ?? Number.POSITIVE_INFINITY) || a.order - b.order)
  const chosen = ranked[0]?.option as TargetOption
  const strategy = strategyFor(workload, chosen)
  const reasons = [
    `its current host (${workload.current.sovereignty}) is below the ${workload.requiredSovereignty} its data requires`,
    ranked[0]?.cost !== undefined
      ? `${chosen.id} is the cheapest of ${feasible.length} option(s) that pass every gate (${ranked[0].cost.toFixed(0)} ${costUnit})`
      : `${chosen.id} is the first listed of ${feasible.length} option(s) that pass every gate (no cost given)`,
  ]
  if (strategy === 'refactor') reasons.push(`switches from ${workload.current.model} to ${chosen.models[0]} behind a model gateway`)
  const measured = chosen.benchEndpoint !== undefined ? evidence.get(chosen.benchEndpoint) : undefined
  if (measured?.ttftP90)
    reasons.push(
      `measured TTFT p90 ${measured.ttftP90.estimate.toFixed(0)} ms [${measured.ttftP90.low.toFixed(0)}, ${measured.ttftP90.high.toFixed(0)}] against a ` +
        `${workload.slo.ttftMs} ms SLO`,
    )
  return { strategy, option: chosen, reasons, excluded, conflict: null }
}
