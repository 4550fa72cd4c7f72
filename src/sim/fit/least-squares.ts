import { levenbergMarquardt } from 'ml-levenberg-marquardt'

export interface LeastSquaresProblem {
  /** The residual vector at a parameter vector (each simulated operating point, in virtual time). */
  residuals: (parameters: readonly number[]) => Promise<number[]>
  residualCount: number
  initial: readonly number[]
  min: readonly number[]
  max: readonly number[]
  maxIterations: number
  /** Forward-difference step of the numeric Jacobian, in the parameters' own units. */
  gradientDifference: number
}

export interface LeastSquaresResult {
  parameters: number[]
  sumOfSquares: number
  iterations: number
  /** Distinct parameter vectors simulated. */
  evaluations: number
}

/** Thrown inside the solver when it asks for a vector not simulated yet. */
class NeedsEvaluation {
  constructor(readonly parameters: number[]) {}
}

const keyOf = (parameters: readonly number[]): string => parameters.map((p) => p.toString()).join(',')

/**
 * Bounded least squares by Levenberg-Marquardt (ml-levenberg-marquardt, mljs), on residuals that
 * are computed asynchronously (runVirtual is async). The library is synchronous and deterministic,
 * so it is run again from the start each time it asks for a vector not computed yet: every vector
 * it asked for before is answered from the cache, and the new one is simulated in between. The
 * solver's own work (a few small matrices per iteration) is negligible beside one simulation, so
 * replaying it costs nothing that matters.
 *
 * The library's loop moves to every step it computes, even one that raises the error (it keeps the
 * best vector seen, but goes on from the worse one), which on a simulated objective walked the fit
 * to its bounds and left it there. So it is run one iteration at a time, with the classic
 * Levenberg-Marquardt acceptance around it: a step is kept only where it lowers the sum of squares
 * (then the damping falls ÷9, as the library does), otherwise the damping rises ×11 and the step is
 * computed again from the same vector. The step itself (Jacobian by forward differences, damped
 * normal equations, bounds) is the library's.
 */
export async function leastSquares(problem: LeastSquaresProblem, cache = new Map<string, number[]>()): Promise<LeastSquaresResult> {
  const errorTolerance = 1e-8 * problem.residualCount
  let current = problem.initial.slice()
  let damping = INITIAL_DAMPING
  let evaluations = 0
  let sumOfSquares = Number.POSITIVE_INFINITY
  let iterations = 0
  for (let attempt = 0; attempt < problem.maxIterations * 3 && iterations < problem.maxIterations; attempt++) {
    const step = await oneIteration(problem, current, damping, errorTolerance, cache)
    evaluations += step.evaluations
    if (sumOfSquares === Number.POSITIVE_INFINITY) sumOfSquares = step.startSumOfSquares
    if (sumOfSquares <= errorTolerance) break
    if (step.sumOfSquares < sumOfSquares - errorTolerance) {
      current = step.parameters
      sumOfSquares = step.sumOfSquares
      damping = Math.max(damping / 9, 1e-7)
      iterations++
    } else {
      damping *= 11
      if (damping > 1e7) break
    }
  }
  return { parameters: current, sumOfSquares, iterations, evaluations }
}

/** Damping of the first iteration (the library's default). */
const INITIAL_DAMPING = 1e-2

/** One iteration of the library from `initial`: the vector it reached, or `initial` when that was no better. */
async function oneIteration(
  problem: LeastSquaresProblem,
  initial: readonly number[],
  damping: number,
  errorTolerance: number,
  cache: Map<string, number[]>,
): Promise<{ parameters: number[]; sumOfSquares: number; startSumOfSquares: number; evaluations: number }> {
  const indexes = Array.from({ length: problem.residualCount }, (_, i) => i)
  const zeros = indexes.map(() => 0)
  let evaluations = 0
  // Each replay adds one vector: the start, n Jacobian columns, the step.
  for (let replay = 0; replay <= 2 * initial.length + 4; replay++) {
    try {
      const result = levenbergMarquardt(
        { x: indexes, y: zeros },
        (parameters) => {
          const residuals = cache.get(keyOf(parameters))
          if (!residuals) throw new NeedsEvaluation(parameters.slice())
          return (index) => residuals[index] as number
        },
        {
          initialValues: initial.slice(),
          minValues: problem.min,
          maxValues: problem.max,
          maxIterations: 1,
          damping,
          gradientDifference: problem.gradientDifference,
          errorTolerance,
        },
      )
      const startResiduals = cache.get(keyOf(initial)) as number[]
      return {
        parameters: result.parameterValues,
        sumOfSquares: result.parameterError,
        startSumOfSquares: startResiduals.reduce((sum, r) => sum + r * r, 0),
        evaluations,
      }
    } catch (error) {
      if (!(error instanceof NeedsEvaluation)) throw error
      const residuals = await problem.residuals(error.parameters)
      if (residuals.length !== problem.residualCount || residuals.some((r) => !Number.isFinite(r)))
        throw new RangeError(`residuals at [${keyOf(error.parameters)}] are not ${problem.residualCount} finite numbers`)
      cache.set(keyOf(error.parameters), residuals)
      evaluations++
    }
  }
  throw new RangeError('least squares: an iteration asked for more vectors than a Jacobian and a step')
}
