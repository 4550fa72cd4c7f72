import type { SizingResult } from '../io/schema/sizing.js'
import type { TcoResult } from '../io/schema/tco-result.js'
import type { Plan } from '../io/schema/plan.js'
import { fixed } from '../report/sizing-words.js'
import { headlineNpvCost, headlineSavings } from '../tco/headline.js'

/**
 * The one line each step of `geopat run` says about what it found (RunStep.headline: printed in
 * the run's closing table, and part of its --json result).
 */

/** The size step: per endpoint, GPUs bought and fleet $/Mtok beside the full-load figure. */
export function sizeHeadline(result: SizingResult): string {
  return result.endpoints
    .map((e) => {
      if (e.costs.length === 0) return `${e.label}: ${e.gpus.total} GPUs needed (${e.gpus.low}–${e.gpus.high ?? '∞'})`
      return e.costs
        .map((c) => {
          const fleet = c.perMtokFleetAtDemand.total
          const marginal = c.perMtokOneReplicaAtFullLoad.total
          return (
            `${e.label}: ${c.gpusBought.estimate} GPUs bought (${c.gpusBought.low}–${c.gpusBought.high ?? '∞'}), fleet ` +
            `${fixed(fleet?.estimate, 3)} ${c.currency}/Mtok at the demand (${fixed(marginal?.estimate, 3)} at full load, ` +
            'one replica)'
          )
        })
        .join(', ')
    })
    .join(', ')
}

/** The plan step: its waves and conflicts, and how many workloads got GPUs from their own sizing. */
export function planHeadline(plan: Plan, sizedWorkloads: number | null): string {
  const sized = sizedWorkloads === null ? '' : `, GPUs of ${sizedWorkloads} workload(s) from their own sizing`
  return `${plan.waves.length} wave(s), ${plan.conflicts.length} conflict(s)${sized}`
}

type Option = TcoResult['options'][number]

/**
 * The tco step. With a plan, one estate: each option carries the plan's moves to that offer, so each
 * saving is that part of the plan (P50 of the per-draw savings where the Monte Carlo ran). Without
 * one, the cheapest feasible option on the headline basis (the Monte Carlo P50; the deterministic
 * case only without one).
 */
export function tcoHeadline(result: TcoResult, planned: boolean): string {
  const feasible = result.options.filter((o) => o.feasible && o.deterministic !== null)
  const money = (value: number): string => `${Math.round(value).toLocaleString('en')} ${result.model.currency}`
  if (planned) {
    const baseline = result.options.find((o) => o.baseline)
    const saving = (o: Option): number => headlineSavings(o) ?? 0
    const parts = feasible.filter((o) => !o.baseline).map((o) => `${o.id} ${money(saving(o))}`)
    const total = feasible.reduce((sum, o) => sum + (o.baseline ? 0 : saving(o)), 0)
    const basis = feasible.some((o) => o.monteCarlo?.savings) ? 'P50' : 'deterministic'
    return (
      `today's estate ${money((baseline ? headlineNpvCost(baseline) : null) ?? 0)} (NPV of costs, ` +
      `${baseline?.monteCarlo ? 'P50' : 'deterministic'}); savings of the plan's moves by offer (${basis}): ` +
      `${parts.join(', ') || 'none'} (together ${money(total)}${basis === 'P50' ? ', the sum of their P50s' : ''})`
    )
  }
  const headline = (o: Option): number => headlineNpvCost(o) ?? 0
  const cheapest = feasible.sort((a, b) => headline(a) - headline(b))[0]
  return cheapest
    ? `cheapest feasible option ${cheapest.id} (NPV of costs ${money(headline(cheapest))} ${cheapest.monteCarlo ? 'P50' : 'deterministic'})`
    : 'no feasible option'
}
