import type { CalibrationPoint } from '../../io/schema/calibration-set.js'
import type { ProfileCalibration, SimProfile } from '../../io/schema/sim-profile.js'
import { type PointRunOptions, runCalibrationPoint } from './run-point.js'
import type { SetPoint } from './set.js'

/** The acceptance of issue #16: a profile is within 10% of the points it was fitted on, 15% of those held out. */
export const FITTED_TOLERANCE = 0.1
export const HELD_OUT_TOLERANCE = 0.15

export type PointRole = 'fitted' | 'held-out' | 'unassigned'

export interface CheckedPoint {
  id: string
  profile: string
  confidential: boolean
  regime: CalibrationPoint['regime']
  metric: CalibrationPoint['metric']
  unit: CalibrationPoint['unit']
  load: string
  published: number
  simulated: number | null
  /** simulated / published (null: the run gave no value). */
  ratio: number | null
  /** |ratio − 1|. */
  error: number | null
  /** From the profile's calibration.fittedOn / heldOut. */
  role: PointRole
  /** The tolerance of the role (none for unassigned points: they are shown, not judged). */
  tolerance: number | null
  withinTolerance: boolean | null
  file: string
  where: string
  /** Mean prompt and output lengths of the simulated requests. */
  simulatedMeanTokens: { input: number; output: number }
}

export interface ProfileVerdict {
  profile: string
  /** validated: a published calibration with held-out points, every judged point within tolerance. */
  status: 'validated' | 'out-of-tolerance' | 'not-validated' | 'derived' | 'fitted-to-own-sweep'
  method: ProfileCalibration['method'] | null
  /** Points of the set for this profile that ran. */
  points: number
  fitted: { points: number; ids: string[]; worstError: number | null }
  /** Worst error by regime over the held-out points, and how many points of each regime. */
  heldOut: {
    points: number
    ids: string[]
    lowLoad: number | null
    underLoad: number | null
    overload: number | null
    lowLoadPoints: number
    underLoadPoints: number
    overloadPoints: number
  }
  /** Ids in fittedOn / heldOut that the set has no point for. */
  unknownIds: string[]
  note: string
}

export interface SkippedPoint {
  id: string
  profile: string
  /** The role the point has in its profile's calibration (a judged point that did not run fails the check). */
  role: PointRole
  reason: string
}

export interface CalibrationCheck {
  points: CheckedPoint[]
  profiles: ProfileVerdict[]
  skipped: SkippedPoint[]
  /** Ids of fitted or held-out points outside their tolerance, with no simulated value, or that could not run. */
  failures: string[]
}

function describeLoad(point: CalibrationPoint): string {
  if (point.load.kind === 'rate') return `${point.load.ratePerS} req/s`
  return point.load.kind === 'offline' ? 'offline' : 'QPS ∞'
}

function roleOf(calibration: ProfileCalibration | undefined, id: string): PointRole {
  if (calibration?.method !== 'published') return 'unassigned'
  if (calibration.fittedOn.includes(id)) return 'fitted'
  if (calibration.heldOut.includes(id)) return 'held-out'
  return 'unassigned'
}

function worst(errors: ReadonlyArray<number | null>): number | null {
  if (errors.length === 0) return null
  // A point with no simulated value is as bad as can be.
  return errors.reduce<number>((max, e) => Math.max(max, e ?? Number.POSITIVE_INFINITY), 0)
}

/**
 * Runs every point of the set whose profile is among `profiles` (virtual time, fixed seeds) and
 * judges each against its profile's calibration: fitted points within 10%, held-out ones within 15%.
 */
export async function runCalibrationCheck(set: readonly SetPoint[], profiles: readonly SimProfile[], options: PointRunOptions = {}): Promise<CalibrationCheck> {
  const byName = new Map(profiles.map((p) => [p.name, p]))
  const points: CheckedPoint[] = []
  const skipped: SkippedPoint[] = []
  for (const { point, setup, file } of set) {
    const profile = byName.get(point.profile)
    if (!profile) {
      skipped.push({ id: point.id, profile: point.profile, role: 'unassigned', reason: `no profile ${point.profile} in this check` })
      continue
    }
    if (point.confidential && !profile.confidential) {
      skipped.push({
        id: point.id,
        profile: point.profile,
        role: roleOf(profile.calibration, point.id),
        reason: `profile ${profile.name} has no confidential settings`,
      })
      continue
    }
    let result: Awaited<ReturnType<typeof runCalibrationPoint>>
    try {
      result = await runCalibrationPoint(point, setup, profile, options)
    } catch (error) {
      // The engine refuses what the profile cannot run (a request longer than its KV cache): a skip, not a crash.
      if (!(error instanceof RangeError)) throw error
      skipped.push({ id: point.id, profile: point.profile, role: roleOf(profile.calibration, point.id), reason: error.message })
      continue
    }
    const role = roleOf(profile.calibration, point.id)
    const error = result.ratio === null ? null : Math.abs(result.ratio - 1)
    const tolerance = role === 'fitted' ? FITTED_TOLERANCE : role === 'held-out' ? HELD_OUT_TOLERANCE : null
    points.push({
      id: point.id,
      profile: profile.name,
      confidential: point.confidential,
      regime: point.regime,
      metric: point.metric,
      unit: point.unit,
      load: describeLoad(point),
      published: result.published,
      simulated: result.simulated,
      ratio: result.ratio,
      error,
      role,
      tolerance,
      withinTolerance: tolerance === null ? null : error !== null && error <= tolerance,
      file,
      where: point.where,
      simulatedMeanTokens: { input: result.meanInputTokens, output: result.meanOutputTokens },
    })
  }
  const ids = new Set(set.map((s) => s.point.id))
  return {
    points,
    profiles: profiles.map((profile) => profileVerdict(profile, points, ids)),
    skipped,
    failures: [...points.filter((p) => p.withinTolerance === false).map((p) => p.id), ...skipped.filter((p) => p.role !== 'unassigned').map((p) => p.id)],
  }
}

function profileVerdict(profile: SimProfile, allPoints: readonly CheckedPoint[], setIds: ReadonlySet<string>): ProfileVerdict {
  const points = allPoints.filter((p) => p.profile === profile.name)
  const calibration = profile.calibration
  const fitted = points.filter((p) => p.role === 'fitted')
  const heldOut = points.filter((p) => p.role === 'held-out')
  const base = {
    profile: profile.name,
    method: calibration?.method ?? null,
    points: points.length,
    fitted: { points: fitted.length, ids: fitted.map((p) => p.id), worstError: worst(fitted.map((p) => p.error)) },
    heldOut: {
      points: heldOut.length,
      ids: heldOut.map((p) => p.id),
      lowLoad: worst(heldOut.filter((p) => p.regime === 'low-load').map((p) => p.error)),
      underLoad: worst(heldOut.filter((p) => p.regime === 'under-load').map((p) => p.error)),
      overload: worst(heldOut.filter((p) => p.regime === 'overload').map((p) => p.error)),
      lowLoadPoints: heldOut.filter((p) => p.regime === 'low-load').length,
      underLoadPoints: heldOut.filter((p) => p.regime === 'under-load').length,
      overloadPoints: heldOut.filter((p) => p.regime === 'overload').length,
    },
    unknownIds: calibration?.method === 'published' ? [...calibration.fittedOn, ...calibration.heldOut].filter((id) => !setIds.has(id)) : [],
  }
  if (!calibration) {
    return {
      ...base,
      status: 'not-validated',
      note: points.length === 0 ? 'no calibration block and no point in the set' : 'no calibration block: its points are shown, not judged',
    }
  }
  if (calibration.method === 'derived') {
    return {
      ...base,
      status: 'derived',
      note: `no published point of its own: error borrowed from ${calibration.derivedFrom?.profile ?? '(derivedFrom missing)'}`,
    }
  }
  if (calibration.method === 'fitted') {
    return {
      ...base,
      status: 'fitted-to-own-sweep',
      note: `fitted to ${calibration.fittedFrom?.runFolder ?? 'a bench sweep'}: judged by its leave-one-out error, not by this set`,
    }
  }
  if (points.length === 0) return { ...base, status: 'not-validated', note: 'no point of the set ran for it' }
  if (heldOut.length === 0) return { ...base, status: 'not-validated', note: 'no held-out point: nothing validates the fit' }
  const off = [...fitted, ...heldOut].filter((p) => p.withinTolerance === false)
  if (off.length > 0)
    return { ...base, status: 'out-of-tolerance', note: `${off.length} of its ${fitted.length + heldOut.length} judged point(s) out of tolerance` }
  return { ...base, status: 'validated', note: `fitted on ${fitted.length} point(s), validated on ${heldOut.length} held-out point(s)` }
}
