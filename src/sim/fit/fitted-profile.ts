import type { SimProfile } from '../../io/schema/sim-profile.js'
import { simProfileSchema } from '../../io/schema/sim-profile.js'
import type { MeasuredSweep, OperatingPoint } from './operating-points.js'
import type { PointFigures } from './point-figures.js'
import { withParameters } from './parameters.js'

/** What a fit starts from: the base profile, how it was named, the measured sweep, and the date. */
export interface FitBasis {
  base: SimProfile
  /** How the base was named on the command line (a shipped name or a path), for the provenance. */
  baseName: string
  sweep: MeasuredSweep
  now: Date
}

export interface FittedParameter {
  path: string
  base: number
  fitted: number
  /**
   * How well the sweep pins it down, as a fraction (0.05 = ±5%): the figures' remaining error at
   * the fit (the residual vector's norm, at least 1% per point) over how much a change of this
   * parameter alone, the others compensating, moves them. A norm, not a root mean square: the
   * simulator's and the measurement's errors are shared by neighbouring figures, not independent.
   */
  uncertainty: number
}

export interface FixedParameter {
  path: string
  /** Its value in the written profile (the base's), or null where the profile has no such field. */
  value: number | null
  reason: string
}

export interface PointResult {
  label: string
  regime: OperatingPoint['regime']
  measured: PointFigures
  simulated: PointFigures
  /** Largest |simulated / measured − 1| over TTFT, TPOT and output throughput. */
  error: number
  /** How much a second measurement of this point would differ by chance (95%, samplingNoise): part of the validation error. */
  noise: number
}

export interface LeaveOneOutResult {
  label: string
  regime: OperatingPoint['regime']
  /** The point predicted by a fit on every other point. */
  simulated: PointFigures
  error: number
}

/**
 * The validation error of a regime: the largest, over its points, of the leave-one-out error (the
 * point predicted by a fit that never saw it) plus the point's sampling noise (how much a second
 * measurement of it would differ by chance, 95%: samplingNoise), since a new sweep of the endpoint
 * is judged against its own noisy figures. Null when the regime has no point. No multiplier on the
 * errors themselves: with one or two points a 95% bound from Student's t (×12.7 for one) said ±74%
 * for a fit whose unseen points were within 5%, covering the true error only by saying nothing.
 */
export function validationError(points: ReadonlyArray<{ leaveOneOut: number; noise: number }>): number | null {
  return points.length === 0 ? null : Math.max(...points.map((p) => p.leaveOneOut + p.noise))
}

function maxOrNull(values: number[]): number | null {
  return values.length > 0 ? Math.max(...values) : null
}

const round = (value: number, digits = 4): number => Number(value.toPrecision(digits))
const roundOrNull = (value: number | null): number | null => (value === null ? null : round(value, 3))

/** The base profile with the fitted values, its calibration block and a source per fitted value. */
export function buildFittedProfile(
  options: FitBasis,
  fitted: FittedParameter[],
  fixed: FixedParameter[],
  points: PointResult[],
  leaveOneOut: LeaveOneOutResult[],
): SimProfile {
  const { base, sweep } = options
  const date = options.now.toISOString().slice(0, 10)
  const values = new Map(fitted.map((p) => [p.path, round(p.fitted)]))
  const profile = withParameters(base, values)
  const labels = sweep.points.map((p) => p.label)
  const regimeErrors = (regime: OperatingPoint['regime']) =>
    leaveOneOut.flatMap((p, i) => (p.regime === regime ? [{ leaveOneOut: p.error, noise: points[i]?.noise ?? 0 }] : []))
  profile.name = `${base.name}-fitted`.slice(0, 120)
  profile.description =
    `${base.description}; fitted by geopat sim fit to bench run ${sweep.runId} ` +
    `(endpoint ${sweep.endpoint}${sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''})`
  profile.calibration = {
    method: 'fitted',
    date,
    fittedOn: labels,
    heldOut: labels,
    error: {
      lowLoad: roundOrNull(validationError(regimeErrors('lowLoad'))),
      underLoad: roundOrNull(validationError(regimeErrors('underLoad'))),
      fitted: maxOrNull(points.map((p) => round(p.error, 3))),
      heldOutPoints: leaveOneOut.length,
      lowLoadPoints: leaveOneOut.filter((p) => p.regime === 'lowLoad').length,
      underLoadPoints: leaveOneOut.filter((p) => p.regime === 'underLoad').length,
    },
    fittedFrom: {
      runFolder: sweep.runFolder,
      runId: sweep.runId,
      baseProfile: options.baseName,
      fittedParameters: fitted.map((p) => p.path),
      fixedParameters: fixed.map((p) => p.path),
    },
  }
  profile.sources = [
    ...base.sources,
    ...fitted.map((p) => ({
      claim:
        `${p.path} = ${values.get(p.path)} (base ${p.base}): ` +
        `fitted by least squares to ${labels.length} operating points (${labels.join(', ')}), leave-one-out error in calibration.error`,
      source:
        `geopat sim fit --from ${sweep.runFolder} (run ${sweep.runId}, ` +
        `endpoint ${sweep.endpoint}${sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''})`,
      date,
    })),
  ]
  return simProfileSchema.parse(profile)
}
