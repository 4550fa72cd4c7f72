import type { EndpointSizing, Estimate, ModelError } from '../io/schema/sizing.js'
import type { SimProfile } from '../io/schema/sim-profile.js'

type Capacity = EndpointSizing['capacityPerReplica']

/** What a profile says about its own error, before any capacity is known. */
export type ModelErrorBasis = Omit<ModelError, 'sampling' | 'widened' | 'rule'> & {
  /** Said in sizing.json's warnings and the report when the band is missing or weaker than asked. */
  warning: string | null
}

/** What a capacity searched on an unvalidated profile carries. */
const UNVALIDATED_CAPACITY = "its capacity carries the searches' interval only, with no model error band"

const percent = (fraction: number): string => `±${Number((fraction * 100).toFixed(1))}%`

/**
 * The error a capacity searched on `profile` carries: its calibration block's validation error
 * under load (sizing happens near saturation), the low-load error only when no held-out point under
 * load exists (and the sentence says so), nothing when the profile has no calibration block ("not
 * validated against measurements": no band is invented).
 */
export function modelErrorBasis(profile: SimProfile): ModelErrorBasis {
  const calibration = profile.calibration
  if (!calibration) {
    return {
      basis: 'unvalidated',
      regime: null,
      fraction: null,
      points: null,
      from: null,
      sentence: 'simulated (not validated against measurements)',
      warning: `profile ${profile.name} is not validated against measurements (no calibration block): ${UNVALIDATED_CAPACITY}`,
    }
  }
  const { error, method } = calibration
  const regime = error.underLoad !== null ? 'underLoad' : error.lowLoad !== null ? 'lowLoad' : null
  const fraction = regime === null ? null : (error[regime] as number)
  // The points behind the figure used (files written before the per-regime counts: all held-out points).
  const points = (regime === 'underLoad' ? error.underLoadPoints : regime === 'lowLoad' ? error.lowLoadPoints : undefined) ?? error.heldOutPoints
  const from = method === 'derived' ? (calibration.derivedFrom?.profile ?? null) : method === 'fitted' ? (calibration.fittedFrom?.runFolder ?? null) : null
  const sentence = calibrationSentence(calibration, { regime, fraction, points, from })
  let warning: string | null = null
  if (fraction === null) warning = `profile ${profile.name}: its calibration has no held-out point, so its error is unknown: no model error band`
  else if (regime === 'lowLoad')
    warning =
      `profile ${profile.name}: no held-out point under load, so the band uses the low-load error ` +
      `(${percent(fraction)}), which may understate the error at saturation`
  return { basis: method, regime, fraction, points, from, sentence, warning }
}

/** How the capacity was obtained and how far it is validated, in words: "simulated (validated to ±8% under load on 6 published points)". */
function calibrationSentence(
  calibration: NonNullable<SimProfile['calibration']>,
  { regime, fraction, points, from }: Pick<ModelError, 'regime' | 'fraction' | 'points' | 'from'>,
): string {
  const method = calibration.method
  // "±8% under load on 6 published points", or the weaker claim, said as such.
  const claim = (kind: string, value: number): string => {
    const onPoints = `on ${points} ${kind} point${points === 1 ? '' : 's'}`
    return regime === 'underLoad' ? `${percent(value)} under load ${onPoints}` : `${percent(value)} at low load only ${onPoints}, none under load`
  }
  if (fraction === null) {
    const obtained =
      method === 'fitted' ? `fitted to ${from ?? 'a bench sweep'}` : method === 'derived' ? `derived from ${from ?? 'another profile'}` : 'simulated'
    return `${obtained} (${method} calibration of ${calibration.date} with no held-out point: validation error unknown)`
  }
  if (method === 'published') return `simulated (validated to ${claim('published', fraction)})`
  if (method === 'fitted') {
    const run = calibration.fittedFrom
      ? `${calibration.fittedFrom.runFolder} (run ${calibration.fittedFrom.runId}, ${calibration.date}`
      : `a bench sweep (${calibration.date}`
    return `fitted to ${run}; leave-one-out error ${claim('measured', fraction)})`
  }
  const reason = calibration.derivedFrom ? `: ${calibration.derivedFrom.reason}` : ''
  return `derived from ${from ?? 'another profile'}${reason} (its validation error ${claim('published', fraction)})`
}

/**
 * The band: the profile's error e is |simulated / measured − 1| ≤ e, so the capacity the real server
 * reaches lies in [simulated ÷ (1 + e), simulated ÷ (1 − e)]. Applied to the ends of the searches'
 * t-interval: low ÷ (1 + e), high ÷ (1 − e), the estimate unchanged (the model is not corrected, only
 * its doubt carried). e ≥ 1 leaves the high end unbounded (null).
 */
function widenByModelError(estimate: Estimate, fraction: number, label: string): Estimate {
  const low = estimate.low / (1 + fraction)
  const high = estimate.high === null || fraction >= 1 ? null : estimate.high / (1 - fraction)
  return { estimate: estimate.estimate, low, high, method: `${estimate.method}, widened by ${label} (low ÷ ${num(1 + fraction)}, high ÷ ${num(1 - fraction)})` }
}

const num = (value: number): string => String(Number(value.toFixed(4)))

const MODEL_ERROR_RULE =
  "e = the profile's validation error (|simulated / measured − 1| on held-out points); " +
  'the measured capacity lies in [simulated ÷ (1 + e), simulated ÷ (1 − e)], ' +
  'so low = sampling low ÷ (1 + e), high = sampling high ÷ (1 − e); token rates, GPUs and $/Mtok follow from these ends'

/**
 * A simulated capacity with the profile's error band applied to its request and token rates (the
 * GPU range and $/Mtok interval are computed from these), and the record of both parts for
 * sizing.json. Without a known error the capacity is returned as it was, with a warning.
 */
export function applyModelError(capacity: Capacity, profile: SimProfile): { capacity: Capacity; modelError: ModelError; warnings: string[] } {
  const { warning, ...basis } = modelErrorBasis(profile)
  const sampling = { low: capacity.ratePerS.low, high: capacity.ratePerS.high }
  const warnings = warning === null ? [] : [warning]
  if (basis.fraction === null) {
    return { capacity, modelError: { ...basis, rule: 'no band: the profile carries no validation error', sampling, widened: sampling }, warnings }
  }
  const fraction = basis.fraction
  const label = `the profile's ${percent(fraction)} ${basis.regime === 'underLoad' ? 'under-load' : 'low-load'} validation error`
  const widen = (estimate: Estimate): Estimate => widenByModelError(estimate, fraction, label)
  const widened: Capacity = {
    ratePerS: widen(capacity.ratePerS),
    inputTokensPerS: widen(capacity.inputTokensPerS),
    outputTokensPerS: widen(capacity.outputTokensPerS),
    lowerBoundOnly: capacity.lowerBoundOnly,
  }
  return {
    capacity: widened,
    modelError: { ...basis, rule: MODEL_ERROR_RULE, sampling, widened: { low: widened.ratePerS.low, high: widened.ratePerS.high } },
    warnings,
  }
}
