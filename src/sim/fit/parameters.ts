import type { SimProfile } from '../engine/profile.js'

/**
 * One parameter `geopat sim fit` can fit: where it lives in a profile, how far the fit may move it,
 * and what in a bench sweep pins it down. Adding a parameter is one row here.
 */
export interface FittableParameter {
  /** Dotted path in the profile, e.g. timing.stepOverheadMs. */
  path: string
  /** The fit stays within [base / spread, base × spread], and within [min, max] when given. */
  spread: number
  min?: number
  max?: number
  /** What in a sweep identifies it (said in --help, the README and the fixed-parameter reasons). */
  identifiedBy: string
  /** Only where the sweep measured a confidential and a plain arm of the same endpoint. */
  needsBothCcArms?: boolean
}

/**
 * The fittable parameters. The fit works on ln(value / base), so every row needs a positive base
 * value; a row whose path the profile lacks (an older profile, a field another branch adds) is
 * listed as fixed with that reason, never invented.
 */
export const FITTABLE_PARAMETERS: readonly FittableParameter[] = [
  { path: 'timing.bandwidthEfficiency', spread: 3, max: 1, identifiedBy: 'TPOT at low load (one weight read per step) and its growth with context length' },
  { path: 'timing.stepOverheadMs', spread: 5, identifiedBy: 'TPOT at low load beyond the weight read; only separable from bandwidthEfficiency when it is a visible share of the step' },
  { path: 'timing.perSequenceUs', spread: 5, identifiedBy: 'growth of TPOT with the running batch beyond the KV read: needs a point near saturation' },
  { path: 'timing.prefillMfu', spread: 3, max: 1, identifiedBy: 'TTFT at low load and its growth with prompt length (prefill compute)' },
  { path: 'timing.frontendMs', spread: 5, identifiedBy: 'TTFT at low load beyond prefill (intercept of TTFT against prompt length); absorbs the network path' },
  // Rows the engine model's branch adds (fix/engine); they take part once a profile carries them:
  { path: 'frontend.perRequestMs', spread: 5, identifiedBy: 'TTFT and throughput at saturation when the front end, not the GPU, limits requests/s' },
  { path: 'frontend.perOutputTokenUs', spread: 5, identifiedBy: 'output throughput at saturation when detokenisation limits it' },
  { path: 'timing.schedulerPerStepMs', spread: 5, identifiedBy: 'TPOT at low load beyond the weight read (like stepOverheadMs)' },
  { path: 'timing.schedulerPerSequenceUs', spread: 5, identifiedBy: 'growth of TPOT with the running batch (like perSequenceUs)' },
  { path: 'confidential.cpuTollFactor', spread: 3, min: 1, identifiedBy: 'CPU-side slowdown between the CC-on and CC-off arms', needsBothCcArms: true },
  { path: 'confidential.firstTokenTollMs', spread: 5, identifiedBy: 'TTFT difference between the CC-on and CC-off arms at low load', needsBothCcArms: true },
  { path: 'confidential.stepTollMs', spread: 5, identifiedBy: 'TPOT difference between the CC-on and CC-off arms at low load', needsBothCcArms: true },
  { path: 'confidential.perSequenceTollUs', spread: 5, identifiedBy: 'TPOT difference between the arms growing with the batch', needsBothCcArms: true },
]

export function parameterByPath(path: string): FittableParameter | undefined {
  return FITTABLE_PARAMETERS.find((p) => p.path === path)
}

/** The number at `path` in the profile, or undefined when the profile has no such field. */
export function readParameter(profile: SimProfile, path: string): number | undefined {
  let node: unknown = profile
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return typeof node === 'number' ? node : undefined
}

/** A copy of the profile with the given values written at their paths (each path must exist). */
export function withParameters(profile: SimProfile, values: ReadonlyMap<string, number>): SimProfile {
  const copy = structuredClone(profile)
  for (const [path, value] of values) {
    const keys = path.split('.')
    let node = copy as unknown as Record<string, unknown>
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>
    node[keys[keys.length - 1] as string] = value
  }
  return copy
}

/** Bounds of a parameter around its base value, in the fit's ln(value / base) scale. */
export function logBounds(parameter: FittableParameter, base: number): { min: number; max: number } {
  const low = Math.max(base / parameter.spread, parameter.min ?? 0)
  const high = Math.min(base * parameter.spread, parameter.max ?? Number.POSITIVE_INFINITY)
  return { min: Math.log(low / base), max: Math.log(high / base) }
}
