/**
 * Identifiability of fitted parameters: the residuals' Jacobian in ln(value / base), and how much of
 * each column the others cannot reproduce (which parameters a sweep sees, and how surely).
 */
import { Matrix, inverse } from 'ml-matrix'
import { RESIDUALS_PER_POINT } from './simulate-point.js'

/** The least error a point's figures are taken to have in the uncertainty (a fraction). */
const UNCERTAINTY_FLOOR_PER_POINT = 0.01
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

export type Residuals = (logValues: readonly number[]) => Promise<number[]>

/**
 * Drops, one at a time, the column the residuals see least once the others may compensate, until
 * every column left is seen (IDENTIFIED_SENSITIVITY): the columns kept, and those dropped with
 * their sensitivity when dropped.
 */
export function identifiedColumns(jacobian: Matrix): { kept: number[]; dropped: Array<{ column: number; sensitivity: number }> } {
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

/** The residuals' Jacobian in ln(value / base) at `origin` (default the base), by forward differences (n + 1 evaluations). */
export async function jacobianAt(residuals: Residuals, count: number, origin: readonly number[] = new Array<number>(count).fill(0)): Promise<Matrix> {
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
export async function uncertaintiesAt(residuals: Residuals, best: readonly number[]): Promise<number[]> {
  if (best.length === 0) return []
  const atBest = await residuals(best)
  // Never below 1% per point: a fit that matches to 0.1% says more about the simulator matching
  // itself than about the parameters, and two parameters that almost trade would look exact.
  const floor = UNCERTAINTY_FLOOR_PER_POINT * Math.sqrt(atBest.length / RESIDUALS_PER_POINT)
  const norm = Math.max(floor, Math.sqrt(atBest.reduce((sum, r) => sum + r * r, 0)))
  const sensitivities = conditionalSensitivities(
    await jacobianAt(residuals, best.length, best),
    best.map((_, i) => i),
  )
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
