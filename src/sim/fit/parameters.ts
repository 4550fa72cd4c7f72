import type { SimProfile } from '../../io/schema/sim-profile.js'

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
  {
    path: 'timing.stepOverheadMs',
    spread: 5,
    identifiedBy: 'TPOT at low load beyond the weight read; only separable from bandwidthEfficiency when it is a visible share of the step',
  },
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

/**
 * Parameters that a client's records cannot tell apart from another one the fit fits, for the base
 * profile's engine generation: path → why it is held at the base's value. Each pair enters the
 * step time as a sum, so fitting both is ill-posed (any split of the sum fits equally well). The
 * member the issue names (the GPU's step overhead and per-sequence cost, the front end's delay) is
 * fitted; the other one is held.
 *  - vllm-0.5, and vllm-0.6 without multi-step: the scheduler's CPU time is added to every step, so
 *    schedulerPerStepMs adds to stepOverheadMs and schedulerPerSequenceUs to perSequenceUs, step by step.
 *  - vllm-0.6 with multi-step (N steps per scheduling): the scheduling is paid at the head of each
 *    group of N steps, one long gap per N tokens in every request's token timing, which the median
 *    token gap (PointFigures.itlMedianMs) leaves out and the mean (TPOT) keeps: that separates
 *    schedulerPerStepMs from stepOverheadMs. Its per-sequence part stays held: it grows the head's
 *    gap by B·schedulerPerSequenceUs, a few percent of a step at the batches a sweep reaches, and
 *    the mean by B·schedulerPerSequenceUs / N beside B·perSequenceUs.
 *  - vllm-v1: scheduling overlaps the GPU step (a step takes the longer of the two): hidden while the
 *    GPU's part is the longer, as in every step of a sweep that the GPU bounds.
 *  - frontend.perRequestMs adds to every request's TTFT as timing.frontendMs does; the two part only
 *    where the front end's cores queue. In vllm-0.5 (the API server on the engine's core) the per
 *    output token cost lengthens each step by B·perOutputTokenUs, as perSequenceUs does.
 */
export function heldByEngine(profile: SimProfile): Map<string, string> {
  const held = new Map<string, string>()
  const { version, numSchedulerSteps } = profile.engine
  const multiStep = version === 'vllm-0.6' && numSchedulerSteps > 1
  if (version === 'vllm-v1') {
    const reason =
      'vllm-v1 overlaps the scheduling with the GPU step (a step takes the longer of the two): hidden from the client while the GPU part is the longer'
    held.set('timing.schedulerPerStepMs', reason)
    held.set('timing.schedulerPerSequenceUs', reason)
  } else if (!multiStep) {
    const steps = `${version}${version === 'vllm-0.6' ? ' without multi-step' : ''} adds the scheduling to every step`
    held.set('timing.schedulerPerStepMs', `${steps}: the client sees its sum with timing.stepOverheadMs only`)
    held.set('timing.schedulerPerSequenceUs', `${steps}: the client sees its sum with timing.perSequenceUs only`)
  } else {
    held.set(
      'timing.schedulerPerSequenceUs',
      `paid once per ${numSchedulerSteps}-step group: B·value/${numSchedulerSteps} per step beside B·timing.perSequenceUs, ` +
        `and B·value on the group head's gap, a few percent of a step at a sweep's batches: not separable from timing.perSequenceUs`,
    )
  }
  held.set('frontend.perRequestMs', "adds to every request's TTFT as timing.frontendMs (fitted) does; the two part only where the front end's cores queue")
  if (version === 'vllm-0.5')
    held.set('frontend.perOutputTokenUs', "vllm-0.5 runs the API server on the engine's core: B·value lengthens every step as B·timing.perSequenceUs does")
  return held
}

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
