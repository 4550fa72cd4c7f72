import { Matrix, inverse } from 'ml-matrix'
import type { SimProfile } from '../../io/schema/sim-profile.js'
import { simProfileSchema } from '../../io/schema/sim-profile.js'
import { UserError } from '../../util/errors.js'
import { leastSquares } from './least-squares.js'
import type { MeasuredSweep, OperatingPoint, PointFigures } from './operating-points.js'
import { FITTABLE_PARAMETERS, type FittableParameter, heldByEngine, logBounds, parameterByPath, readParameter, withParameters } from './parameters.js'
import { samplingNoise } from './sampling-noise.js'
import { RESIDUALS_PER_POINT, isBatchOfOne, pointError, pointResiduals, simulatePoint, simulatePointRequests } from './simulate-point.js'

export interface FitOptions {
  base: SimProfile
  /** How the base was named on the command line (a shipped name or a path), for the provenance. */
  baseName: string
  sweep: MeasuredSweep
  /** Only these parameter paths (default: every row of FITTABLE_PARAMETERS the sweep identifies). */
  parameters?: string[]
  maxIterations: number
  /** Iterations of each leave-one-out refit (from the base, like the full fit). */
  leaveOneOutIterations: number
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

/**
 * A fitted parameter is called well determined when its uncertainty is at most ±5%. On sweeps
 * measured from a known profile (test/sim/fit.test.ts) the well-determined ones landed within 2–4×
 * their uncertainty of the truth (the fit stops in a shallow valley, the discrete-event simulator
 * ripples), so ±5% here is what backs a claim of ±10%.
 */
export const WELL_DETERMINED = 0.05
/** The least error a point's figures are taken to have in the uncertainty (a fraction). */
const UNCERTAINTY_FLOOR_PER_POINT = 0.01

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

export interface FitResult {
  profile: SimProfile
  fitted: FittedParameter[]
  fixed: FixedParameter[]
  points: PointResult[]
  leaveOneOut: LeaveOneOutResult[]
  /** Levenberg-Marquardt iterations of the fit on every point. */
  iterations: number
  /** Operating points simulated in virtual time, in all (fit, identifiability and leave-one-out refits). */
  simulations: number
  notes: string[]
}

/** Forward-difference step of the solver's Jacobian in ln(value / base): a 3% change. */
const GRADIENT_DIFFERENCE = 0.03
/**
 * Step of the identifiability Jacobian: a 10% change, large beside the ripples of a discrete-event
 * simulation (a smaller step sees the order of events change and reads it as sensitivity).
 */
const IDENTIFIABILITY_DIFFERENCE = 0.1
/**
 * A parameter is identified when a 10% change of it, the other fitted parameters free to
 * compensate, still moves the weighted residual vector by at least 1% (Euclidean norm).
 */
const IDENTIFIED_SENSITIVITY = 0.1

type Candidate = { parameter: FittableParameter; base: number }

/**
 * timing.perSequenceUs is fitted only where B·perSequenceUs is at least this share of a token's
 * time at the sweep's largest batch. Below, a 10% change of it moves TPOT by under 0.5%, which the
 * order of events in a loaded simulation already moves (and the noise of a measured sweep more):
 * on sweeps from a known profile it came back 30–300% off while the fit called it determined.
 */
export const PER_SEQUENCE_VISIBLE_SHARE = 0.05

/** The largest decode batch of the sweep (Little's law on its measured points) and B·perSequenceUs as a share of TPOT there. */
function largestPerSequenceShare(points: readonly OperatingPoint[], perSequenceUs: number): { batch: number; share: number } {
  let largest = { batch: 0, share: 0 }
  for (const point of points) {
    const tpot = point.measured.tpotMs
    if (tpot === null || !(tpot > 0)) continue
    const batch = (point.measured.outputTokensPerS * tpot) / 1000
    const share = (batch * perSequenceUs) / 1000 / tpot
    if (share > largest.share) largest = { batch, share }
  }
  return largest
}

/** The fit's state shared by its stages: the candidates, and every point simulated so far. */
interface FitSession {
  options: FitOptions
  points: OperatingPoint[]
  fixed: FixedParameter[]
  simulateAt: (chosen: readonly Candidate[], logValues: readonly number[], index: number) => Promise<PointFigures>
  residualsOn: (chosen: readonly Candidate[], indexes: readonly number[]) => (logValues: readonly number[]) => Promise<number[]>
  /** Every simulation of a point at a vector of parameter values (the refits ask again for many). */
  simulated: Map<string, PointFigures>
}

function openSession(options: FitOptions): { session: FitSession; candidates: Candidate[] } {
  const { base, sweep } = options
  const points = sweep.points
  if (points.length < 2) throw new UserError(`--from ${sweep.runFolder}: a fit needs at least 2 operating points, found ${points.length}`)
  // The candidates: what the user chose, or every row; each needs a positive base value.
  const fixed: FixedParameter[] = []
  const requested = options.parameters ?? FITTABLE_PARAMETERS.map((p) => p.path)
  for (const path of requested) if (!parameterByPath(path)) throw new UserError(`--parameters: unknown parameter "${path}"; fittable: ${FITTABLE_PARAMETERS.map((p) => p.path).join(', ')}`)
  const candidates: Candidate[] = []
  const bothArms = points.some((p) => p.confidential) && points.some((p) => !p.confidential)
  // Chosen by name, a parameter is fitted even where the engine pairs it with another (the user's call).
  const held = options.parameters ? new Map<string, string>() : heldByEngine(base)
  const perSequence = readParameter(base, 'timing.perSequenceUs')
  if (!options.parameters && perSequence !== undefined) {
    const { batch, share } = largestPerSequenceShare(points, perSequence)
    if (share < PER_SEQUENCE_VISIBLE_SHARE) {
      held.set('timing.perSequenceUs', `at the sweep's largest decode batch (B ≈ ${batch.toFixed(0)} by Little's law: output tok/s × TPOT) B·value is ${(share * 100).toFixed(1)}% of a token's time, below the ${PER_SEQUENCE_VISIBLE_SHARE * 100}% a sweep resolves beside the KV read that grows with B too: a sweep that reaches larger batches (higher concurrency, shorter prompts, longer outputs) fits it`)
    }
  }
  for (const parameter of FITTABLE_PARAMETERS) {
    const value = readParameter(base, parameter.path)
    if (!requested.includes(parameter.path)) {
      if (value !== undefined) fixed.push({ path: parameter.path, value, reason: 'not chosen (--parameters)' })
      continue
    }
    if (value === undefined) {
      if (options.parameters) throw new UserError(`--parameters: the base profile ${base.name} has no ${parameter.path}`)
      continue
    }
    const pairedWith = held.get(parameter.path)
    if (pairedWith !== undefined) fixed.push({ path: parameter.path, value, reason: pairedWith })
    else if (parameter.needsBothCcArms && !bothArms) fixed.push({ path: parameter.path, value, reason: 'needs a CC-on and a CC-off arm of the same deployment in the run (--cc-endpoint)' })
    else if (!(value > 0)) fixed.push({ path: parameter.path, value, reason: 'base value is 0; the fit scales each parameter from its base' })
    else candidates.push({ parameter, base: value })
  }
  const simulated = new Map<string, PointFigures>()
  const profileAt = (chosen: readonly Candidate[], logValues: readonly number[]): SimProfile =>
    withParameters(base, new Map(chosen.map((c, i) => [c.parameter.path, c.base * Math.exp(logValues[i] as number)])))
  const simulateAt = async (chosen: readonly Candidate[], logValues: readonly number[], index: number): Promise<PointFigures> => {
    const key = `${index}|${chosen.map((c, i) => `${c.parameter.path}=${logValues[i]}`).join(',')}`
    let figures = simulated.get(key)
    if (!figures) {
      figures = await simulatePoint(profileAt(chosen, logValues), points[index] as OperatingPoint)
      simulated.set(key, figures)
    }
    return figures
  }
  const residualsOn = (chosen: readonly Candidate[], indexes: readonly number[]) => async (logValues: readonly number[]): Promise<number[]> => {
    const all: number[] = []
    for (const index of indexes) {
      const point = points[index] as OperatingPoint
      all.push(...pointResiduals(await simulateAt(chosen, logValues, index), point.measured, isBatchOfOne(point)))
    }
    return all
  }
  return { session: { options, points, fixed, simulateAt, residualsOn, simulated }, candidates }
}

/**
 * Identifiability at the base: drops, one at a time, the parameter the sweep sees least once the
 * others may compensate (1 / sqrt of the diagonal of (JᵀJ)⁻¹), until every one left is seen; the
 * dropped ones join `session.fixed` with the reason.
 */
async function pruneUnidentified(session: FitSession, candidates: readonly Candidate[]): Promise<Candidate[]> {
  if (candidates.length === 0) return []
  const jacobian = await jacobianAt(session.residualsOn(candidates, session.points.map((_, i) => i)), candidates.length)
  const { kept, dropped } = identifiedColumns(jacobian)
  for (const { column, sensitivity } of dropped) {
    const parameter = (candidates[column] as Candidate).parameter
    session.fixed.push({
      path: parameter.path,
      value: (candidates[column] as Candidate).base,
      reason: `not identified by this sweep: a 10% change, the other parameters compensating, moves the figures by ${(sensitivity * 10).toFixed(2)}% (needs ${parameter.identifiedBy})`,
    })
  }
  return kept.map((i) => candidates[i] as Candidate)
}

/**
 * Drops, one at a time, the column the residuals see least once the others may compensate, until
 * every column left is seen (IDENTIFIED_SENSITIVITY): the columns kept, and those dropped with
 * their sensitivity when dropped.
 */
function identifiedColumns(jacobian: Matrix): { kept: number[]; dropped: Array<{ column: number; sensitivity: number }> } {
  let kept = Array.from({ length: jacobian.columns }, (_, i) => i)
  const dropped: Array<{ column: number; sensitivity: number }> = []
  while (kept.length > 0) {
    const sensitivities = conditionalSensitivities(jacobian, kept)
    let weakest = 0
    for (let k = 1; k < kept.length; k++) if ((sensitivities[k] as number) < (sensitivities[weakest] as number)) weakest = k
    if ((sensitivities[weakest] as number) >= IDENTIFIED_SENSITIVITY) break
    dropped.push({ column: kept[weakest] as number, sensitivity: sensitivities[weakest] as number })
    kept = kept.filter((_, k) => k !== weakest)
  }
  return { kept, dropped }
}

/**
 * Fits the profile's timing parameters to a measured sweep by bounded least squares
 * (Levenberg-Marquardt) on the relative errors of every point's figures, simulated in virtual time;
 * then refits without each point in turn to measure the error on points the fit did not see.
 */
export async function fitProfile(options: FitOptions): Promise<FitResult> {
  const { session, candidates: all } = openSession(options)
  const { points, fixed, simulateAt, residualsOn } = session
  const notes = [...options.sweep.notes]
  const candidates = await pruneUnidentified(session, all)
  const allIndexes = points.map((_, i) => i)

  const bounds = candidates.map((c) => logBounds(c.parameter, c.base))
  const solve = (indexes: readonly number[], initial: readonly number[], maxIterations: number) =>
    leastSquares({
      residuals: residualsOn(candidates, indexes),
      residualCount: indexes.length * RESIDUALS_PER_POINT,
      initial,
      min: bounds.map((b) => b.min),
      max: bounds.map((b) => b.max),
      maxIterations,
      gradientDifference: GRADIENT_DIFFERENCE,
    })

  /**
   * Two stages, each by the library's Levenberg-Marquardt. First the batch-of-one points alone
   * (the synchronous step: every request alone in the engine, smooth in the parameters, and where
   * the fixed costs show undiluted) with the parameters they identify; then every point, from
   * there. Started from the base on every point at once, the solver's first Gauss-Newton steps go
   * to the bounds along the directions the loaded points see only through the order of events, and
   * it stops in a valley away from the truth (seen on sweeps from a known profile).
   */
  const fitOn = async (indexes: readonly number[], maxIterations: number): Promise<{ parameters: number[]; iterations: number }> => {
    let start = candidates.map(() => 0)
    const alone = indexes.filter((i) => isBatchOfOne(points[i] as OperatingPoint))
    if (alone.length > 0 && alone.length < indexes.length) {
      const { kept } = identifiedColumns(await jacobianAt(residualsOn(candidates, alone), candidates.length))
      if (kept.length > 0) {
        const chosen = kept.map((i) => candidates[i] as Candidate)
        const first = await leastSquares({
          residuals: residualsOn(chosen, alone),
          residualCount: alone.length * RESIDUALS_PER_POINT,
          initial: chosen.map(() => 0),
          min: kept.map((i) => (bounds[i] as { min: number }).min),
          max: kept.map((i) => (bounds[i] as { max: number }).max),
          maxIterations,
          gradientDifference: GRADIENT_DIFFERENCE,
        })
        start = candidates.map((_, i) => (kept.includes(i) ? (first.parameters[kept.indexOf(i)] as number) : 0))
      }
    }
    const result = await solve(indexes, start, maxIterations)
    return { parameters: result.parameters, iterations: result.iterations }
  }

  let best = candidates.map(() => 0)
  let iterations = 0
  if (candidates.length > 0) {
    const full = await fitOn(allIndexes, options.maxIterations)
    best = full.parameters
    iterations = full.iterations
  } else notes.push('no parameter is identified by this sweep: the profile keeps its base values')

  const pointResults: PointResult[] = []
  for (const [index, point] of points.entries()) {
    const figures = await simulateAt(candidates, best, index)
    const { perRequest } = await simulatePointRequests(withParameters(options.base, new Map(candidates.map((c, i) => [c.parameter.path, c.base * Math.exp(best[i] as number)]))), point)
    pointResults.push({ label: point.label, regime: point.regime, measured: point.measured, simulated: figures, error: pointError(figures, point.measured), noise: samplingNoise(point.measuredPerRequest, perRequest, point.load.mode === 'closed' && !isBatchOfOne(point)) })
  }

  const leaveOneOut: LeaveOneOutResult[] = []
  for (const [index, point] of points.entries()) {
    const others = allIndexes.filter((i) => i !== index)
    // From the base, as the full fit started: a refit that started from the full fit would begin
    // with what the held-out point taught it, and its error would look smaller than it is.
    const refit = candidates.length > 0 ? (await fitOn(others, options.leaveOneOutIterations)).parameters : best
    const figures = await simulateAt(candidates, refit, index)
    leaveOneOut.push({ label: point.label, regime: point.regime, simulated: figures, error: pointError(figures, point.measured) })
  }

  const uncertainties = await uncertaintiesAt(residualsOn(candidates, allIndexes), best)
  for (const regime of ['lowLoad', 'underLoad'] as const) {
    const count = points.filter((p) => p.regime === regime).length
    if (count === 1) notes.push(`one ${regime === 'lowLoad' ? 'low-load' : 'under-load'} point: its validation error is that one point's leave-one-out error; more sweep steps make it a surer guide`)
  }
  const fitted: FittedParameter[] = candidates.map((c, i) => ({ path: c.parameter.path, base: c.base, fitted: c.base * Math.exp(best[i] as number), uncertainty: uncertainties[i] as number }))
  for (const parameter of fitted) {
    if (parameter.uncertainty > WELL_DETERMINED) notes.push(`${parameter.path} is only determined to ±${(parameter.uncertainty * 100).toFixed(0)}%: it trades against other parameters; its value alone is not a measurement (the predictions are judged by the leave-one-out error)`)
  }
  const profile = buildFittedProfile(options, fitted, fixed, pointResults, leaveOneOut)
  return { profile, fitted, fixed, points: pointResults, leaveOneOut, iterations, simulations: session.simulated.size, notes }
}

/** The residuals' Jacobian in ln(value / base) at `origin` (default the base), by forward differences (n + 1 evaluations). */
async function jacobianAt(residuals: (logValues: readonly number[]) => Promise<number[]>, count: number, origin: readonly number[] = new Array<number>(count).fill(0)): Promise<Matrix> {
  const atOrigin = await residuals(origin)
  const jacobian = new Matrix(atOrigin.length, count)
  for (let k = 0; k < count; k++) {
    const moved = origin.slice()
    moved[k] = IDENTIFIABILITY_DIFFERENCE
    const atMoved = await residuals(moved)
    for (let i = 0; i < atOrigin.length; i++) jacobian.set(i, k, ((atMoved[i] as number) - (atOrigin[i] as number)) / IDENTIFIABILITY_DIFFERENCE)
  }
  return jacobian
}

/** Each fitted parameter's uncertainty (FittedParameter.uncertainty) at the fitted values. */
async function uncertaintiesAt(residuals: (logValues: readonly number[]) => Promise<number[]>, best: readonly number[]): Promise<number[]> {
  if (best.length === 0) return []
  const atBest = await residuals(best)
  // Never below 1% per point: a fit that matches to 0.1% says more about the simulator matching
  // itself than about the parameters, and two parameters that almost trade would look exact.
  const floor = UNCERTAINTY_FLOOR_PER_POINT * Math.sqrt(atBest.length / RESIDUALS_PER_POINT)
  const norm = Math.max(floor, Math.sqrt(atBest.reduce((sum, r) => sum + r * r, 0)))
  const sensitivities = conditionalSensitivities(await jacobianAt(residuals, best.length, best), best.map((_, i) => i))
  return sensitivities.map((s) => (s > 0 ? Math.expm1(norm / s) : Number.POSITIVE_INFINITY))
}

/**
 * For each kept column k: the residual change per unit change of ln(parameter k) that the other
 * kept parameters cannot undo, 1 / sqrt(((JᵀJ)⁻¹)_kk). Zero for a column the others reproduce.
 */
function conditionalSensitivities(jacobian: Matrix, kept: readonly number[]): number[] {
  const columns = new Matrix(jacobian.rows, kept.length)
  kept.forEach((column, k) => {
    columns.setColumn(k, jacobian.getColumn(column))
  })
  const normal = columns.transpose().mmul(columns)
  try {
    const inverted = inverse(normal)
    return kept.map((_, k) => {
      const diagonal = inverted.get(k, k)
      return diagonal > 0 && Number.isFinite(diagonal) ? 1 / Math.sqrt(diagonal) : 0
    })
  } catch {
    return kept.map(() => 0)
  }
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
function buildFittedProfile(options: FitOptions, fitted: FittedParameter[], fixed: FixedParameter[], points: PointResult[], leaveOneOut: LeaveOneOutResult[]): SimProfile {
  const { base, sweep } = options
  const date = options.now.toISOString().slice(0, 10)
  const values = new Map(fitted.map((p) => [p.path, round(p.fitted)]))
  const profile = withParameters(base, values)
  const labels = sweep.points.map((p) => p.label)
  const regimeErrors = (regime: OperatingPoint['regime']) => leaveOneOut.flatMap((p, i) => (p.regime === regime ? [{ leaveOneOut: p.error, noise: points[i]?.noise ?? 0 }] : []))
  profile.name = `${base.name}-fitted`.slice(0, 120)
  profile.description = `${base.description}; fitted by geopat sim fit to bench run ${sweep.runId} (endpoint ${sweep.endpoint}${sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''})`
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
      claim: `${p.path} = ${values.get(p.path)} (base ${p.base}): fitted by least squares to ${labels.length} operating points (${labels.join(', ')}), leave-one-out error in calibration.error`,
      source: `geopat sim fit --from ${sweep.runFolder} (run ${sweep.runId}, endpoint ${sweep.endpoint}${sweep.ccEndpoint !== undefined ? `, CC-on arm ${sweep.ccEndpoint}` : ''})`,
      date,
    })),
  ]
  return simProfileSchema.parse(profile)
}
