import type { TcoOptionResult } from '../io/schema/tco-result.js'

/**
 * The headline basis of `geopat tco`, in one place: the Monte Carlo P50, or, for a run without a
 * Monte Carlo, the deterministic case (inputs at their modes). The terminal table, `geopat run`'s
 * step line and the report all rank and sum on it.
 */
export function headlineNpvCost(option: TcoOptionResult): number | null {
  return option.monteCarlo?.npvCost.p50 ?? option.deterministic?.npvCost ?? null
}

/** The option's saving against the baseline on the headline basis (the P50 of the per-draw savings). */
export function headlineSavings(option: TcoOptionResult): number | null {
  return option.monteCarlo?.savings?.p50 ?? option.savings?.npv ?? null
}
