import type { SimProfile } from '../../io/schema/sim-profile.js'
import { OptionMessageError } from '../../util/option-error.js'
import { type FitBasis, type FittedParameter, type FixedParameter, type LeaveOneOutResult, type PointResult, buildFittedProfile } from './fitted-profile.js'
import { type Residuals, identifiedColumns, jacobianAt, uncertaintiesAt } from './identifiability.js'
import { leastSquares } from './least-squares.js'
import type { OperatingPoint } from './operating-points.js'
import type { PointFigures } from './point-figures.js'
import { FITTABLE_PARAMETERS, type FittableParameter, heldByEngine, logBounds, parameterByPath, readParameter, withParameters } from './parameters.js'
import { samplingNoise } from './sampling-noise.js'
import { RESIDUALS_PER_POINT, isBatchOfOne, pointError, pointResiduals, simulatePoint, simulatePointRequests } from './simulate-point.js'

export interface FitOptions extends FitBasis {
  /** Only these parameter paths (default: every row of FITTABLE_PARAMETERS the sweep identifies). */
  parameters?: string[]
  maxIterations: number
  /** Iterations of each leave-one-out refit (from the base, like the full fit). */
  leaveOneOutIterations: number
}

/**
 * A fitted parameter is called well determined when its uncertainty is at most ±5%. On sweeps
 * measured from a known profile (test/sim/fit.test.ts) the well-determined ones landed within 2–4×
 * their uncertainty of the truth (the fit stops in a shallow valley, the discrete-event simulator
 * ripples), so ±5% here is what backs a claim of ±10%.
 */
export const WELL_DETERMINED = 0.05

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
type Candidate = { parameter: FittableParameter; base: number }

/**
 * timing.perSequenceUs is fitted only where B·perSequenceUs is at least this share of a token's
 * time at the sweep's largest batch. Below, a 10% change of it moves TPOT by under 0.5%, which the
 * order of events in a loaded simulation already moves (and the noise of a measured sweep more):
 * on sweeps from a known profile it came back 30–300% off while the fit called it determined.
 */
const PER_SEQUENCE_VISIBLE_SHARE = 0.05

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
  residualsOn: (chosen: readonly Candidate[], indexes: readonly number[]) => Residuals
  /** Every simulation of a point at a vector of parameter values (the refits ask again for many). */
  simulated: Map<string, PointFigures>
}

/**
 * Parameters the engine holds fixed for this sweep, with the reason: those it pairs with another
 * (heldByEngine), and timing.perSequenceUs where the sweep's batches are too small to see it.
 * Chosen by name, a parameter is fitted even where the engine pairs it with another (the user's call).
 */
function heldParameters(options: FitOptions, points: readonly OperatingPoint[]): Map<string, string> {
  const held = options.parameters ? new Map<string, string>() : heldByEngine(options.base)
  const perSequence = readParameter(options.base, 'timing.perSequenceUs')
  if (!options.parameters && perSequence !== undefined) {
    const { batch, share } = largestPerSequenceShare(points, perSequence)
    if (share < PER_SEQUENCE_VISIBLE_SHARE) {
      held.set(
        'timing.perSequenceUs',
        `at the sweep's largest decode batch (B ≈ ${batch.toFixed(0)} by Little's law: output tok/s × TPOT) ` +
          `B·value is ${(share * 100).toFixed(1)}% of a token's time, ` +
          `below the ${PER_SEQUENCE_VISIBLE_SHARE * 100}% a sweep resolves beside the KV read that grows with B too: ` +
          'a sweep that reaches larger batches (higher concurrency, shorter prompts, longer outputs) fits it',
      )
    }
  }
  return held
}

/** The candidates: what the user chose, or every row; each needs a positive base value. The others are fixed, with the reason. */
function chooseCandidates(options: FitOptions, points: readonly OperatingPoint[]): { candidates: Candidate[]; fixed: FixedParameter[] } {
  const { base } = options
  const fixed: FixedParameter[] = []
  const requested = options.parameters ?? FITTABLE_PARAMETERS.map((p) => p.path)
  for (const path of requested)
    if (!parameterByPath(path))
      throw new OptionMessageError(`{parameters}: unknown parameter "${path}"; fittable: ${FITTABLE_PARAMETERS.map((p) => p.path).join(', ')}`)
  const candidates: Candidate[] = []
  const bothArms = points.some((p) => p.confidential) && points.some((p) => !p.confidential)
  const held = heldParameters(options, points)
  for (const parameter of FITTABLE_PARAMETERS) {
    const value = readParameter(base, parameter.path)
    if (!requested.includes(parameter.path)) {
      if (value !== undefined) fixed.push({ path: parameter.path, value, reason: 'not chosen (--parameters)' })
      continue
    }
    if (value === undefined) {
      if (options.parameters) throw new OptionMessageError(`{parameters}: the base profile ${base.name} has no ${parameter.path}`)
      continue
    }
    const pairedWith = held.get(parameter.path)
    if (pairedWith !== undefined) fixed.push({ path: parameter.path, value, reason: pairedWith })
    else if (parameter.needsBothCcArms && !bothArms)
      fixed.push({ path: parameter.path, value, reason: 'needs a CC-on and a CC-off arm of the same deployment in the run (--cc-endpoint)' })
    else if (!(value > 0)) fixed.push({ path: parameter.path, value, reason: 'base value is 0; the fit scales each parameter from its base' })
    else candidates.push({ parameter, base: value })
  }
  return { candidates, fixed }
}

function openSession(options: FitOptions): { session: FitSession; candidates: Candidate[] } {
  const { base, sweep } = options
  const points = sweep.points
  if (points.length < 2) throw new OptionMessageError(`{from} ${sweep.runFolder}: a fit needs at least 2 operating points, found ${points.length}`)
  const { candidates, fixed } = chooseCandidates(options, points)
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
  const residualsOn =
    (chosen: readonly Candidate[], indexes: readonly number[]) =>
    async (logValues: readonly number[]): Promise<number[]> => {
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
  const jacobian = await jacobianAt(
    session.residualsOn(
      candidates,
      session.points.map((_, i) => i),
    ),
    candidates.length,
  )
  const { kept, dropped } = identifiedColumns(jacobian)
  for (const { column, sensitivity } of dropped) {
    const parameter = (candidates[column] as Candidate).parameter
    session.fixed.push({
      path: parameter.path,
      value: (candidates[column] as Candidate).base,
      reason:
        'not identified by this sweep: a 10% change, the other parameters compensating, ' +
        `moves the figures by ${(sensitivity * 10).toFixed(2)}% (needs ${parameter.identifiedBy})`,
    })
  }
  return kept.map((i) => candidates[i] as Candidate)
}

/** What every fit of a run shares: the session, the identified candidates and their bounds (in ln(value / base)). */
interface Solver {
  session: FitSession
  candidates: readonly Candidate[]
  bounds: ReadonlyArray<{ min: number; max: number }>
}

/**
 * Two stages, each by the library's Levenberg-Marquardt. First the batch-of-one points alone
 * (the synchronous step: every request alone in the engine, smooth in the parameters, and where
 * the fixed costs show undiluted) with the parameters they identify; then every point, from
 * there. Started from the base on every point at once, the solver's first Gauss-Newton steps go
 * to the bounds along the directions the loaded points see only through the order of events, and
 * it stops in a valley away from the truth (seen on sweeps from a known profile).
 */
async function fitOn(solver: Solver, indexes: readonly number[], maxIterations: number): Promise<{ parameters: number[]; iterations: number }> {
  const { session, candidates, bounds } = solver
  const { points, residualsOn } = session
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
  const result = await leastSquares({
    residuals: residualsOn(candidates, indexes),
    residualCount: indexes.length * RESIDUALS_PER_POINT,
    initial: start,
    min: bounds.map((b) => b.min),
    max: bounds.map((b) => b.max),
    maxIterations,
    gradientDifference: GRADIENT_DIFFERENCE,
  })
  return { parameters: result.parameters, iterations: result.iterations }
}

/** Every point simulated at the fitted values, beside its measurement, with its sampling noise. */
async function pointResultsAt(session: FitSession, candidates: readonly Candidate[], best: readonly number[]): Promise<PointResult[]> {
  const pointResults: PointResult[] = []
  for (const [index, point] of session.points.entries()) {
    const figures = await session.simulateAt(candidates, best, index)
    const fittedProfile = withParameters(session.options.base, new Map(candidates.map((c, i) => [c.parameter.path, c.base * Math.exp(best[i] as number)])))
    const { perRequest } = await simulatePointRequests(fittedProfile, point)
    pointResults.push({
      label: point.label,
      regime: point.regime,
      measured: point.measured,
      simulated: figures,
      error: pointError(figures, point.measured),
      noise: samplingNoise(point.measuredPerRequest, perRequest, point.load.mode === 'closed' && !isBatchOfOne(point)),
    })
  }
  return pointResults
}

/** Each point predicted by a refit on every other point. */
async function leaveOneOutResults(solver: Solver, best: number[]): Promise<LeaveOneOutResult[]> {
  const { session, candidates } = solver
  const { points, options } = session
  const allIndexes = points.map((_, i) => i)
  const leaveOneOut: LeaveOneOutResult[] = []
  for (const [index, point] of points.entries()) {
    const others = allIndexes.filter((i) => i !== index)
    // From the base, as the full fit started: a refit that started from the full fit would begin
    // with what the held-out point taught it, and its error would look smaller than it is.
    const refit = candidates.length > 0 ? (await fitOn(solver, others, options.leaveOneOutIterations)).parameters : best
    const figures = await session.simulateAt(candidates, refit, index)
    leaveOneOut.push({ label: point.label, regime: point.regime, simulated: figures, error: pointError(figures, point.measured) })
  }
  return leaveOneOut
}

/** The notes on a fit's trust: a regime with one point, a parameter determined worse than WELL_DETERMINED. */
function trustNotes(points: readonly OperatingPoint[], fitted: readonly FittedParameter[]): string[] {
  const notes: string[] = []
  for (const regime of ['lowLoad', 'underLoad'] as const) {
    const count = points.filter((p) => p.regime === regime).length
    if (count === 1)
      notes.push(
        `one ${regime === 'lowLoad' ? 'low-load' : 'under-load'} point: its validation error is that one point's leave-one-out error; ` +
          'more sweep steps make it a surer guide',
      )
  }
  for (const parameter of fitted) {
    if (parameter.uncertainty > WELL_DETERMINED) {
      notes.push(
        `${parameter.path} is only determined to ±${(parameter.uncertainty * 100).toFixed(0)}%: it trades against other parameters; ` +
          'its value alone is not a measurement (the predictions are judged by the leave-one-out error)',
      )
    }
  }
  return notes
}

/**
 * Fits the profile's timing parameters to a measured sweep by bounded least squares
 * (Levenberg-Marquardt) on the relative errors of every point's figures, simulated in virtual time;
 * then refits without each point in turn to measure the error on points the fit did not see.
 */
export async function fitProfile(options: FitOptions): Promise<FitResult> {
  const { session, candidates: all } = openSession(options)
  const { points, fixed } = session
  const notes = [...options.sweep.notes]
  const candidates = await pruneUnidentified(session, all)
  const solver: Solver = { session, candidates, bounds: candidates.map((c) => logBounds(c.parameter, c.base)) }

  let best = candidates.map(() => 0)
  let iterations = 0
  if (candidates.length > 0) {
    const full = await fitOn(
      solver,
      points.map((_, i) => i),
      options.maxIterations,
    )
    best = full.parameters
    iterations = full.iterations
  } else notes.push('no parameter is identified by this sweep: the profile keeps its base values')

  const pointResults = await pointResultsAt(session, candidates, best)
  const leaveOneOut = await leaveOneOutResults(solver, best)
  const uncertainties = await uncertaintiesAt(
    session.residualsOn(
      candidates,
      points.map((_, i) => i),
    ),
    best,
  )
  const fitted: FittedParameter[] = candidates.map((c, i) => ({
    path: c.parameter.path,
    base: c.base,
    fitted: c.base * Math.exp(best[i] as number),
    uncertainty: uncertainties[i] as number,
  }))
  notes.push(...trustNotes(points, fitted))
  const profile = buildFittedProfile(options, fitted, fixed, pointResults, leaveOneOut)
  return { profile, fitted, fixed, points: pointResults, leaveOneOut, iterations, simulations: session.simulated.size, notes }
}
