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
 * replaying it costs nothing that matters, and the result is the library's, unchanged.
 */
export async function leastSquares(problem: LeastSquaresProblem, cache = new Map<string, number[]>()): Promise<LeastSquaresResult> {
  const indexes = Array.from({ length: problem.residualCount }, (_, i) => i)
  const zeros = indexes.map(() => 0)
  let evaluations = 0
  // Each replay adds one vector; the bound only guards against a solver that never settles.
  const maxReplays = (problem.maxIterations + 2) * (2 * problem.initial.length + 2) + 10
  for (let replay = 0; replay <= maxReplays; replay++) {
    try {
      const result = levenbergMarquardt(
        { x: indexes, y: zeros },
        (parameters) => {
          const residuals = cache.get(keyOf(parameters))
          if (!residuals) throw new NeedsEvaluation(parameters.slice())
          return (index) => residuals[index] as number
        },
        {
          initialValues: problem.initial,
          minValues: problem.min,
          maxValues: problem.max,
          maxIterations: problem.maxIterations,
          gradientDifference: problem.gradientDifference,
          // Stop once the fit explains the figures to 0.01% RMS: beyond, iterations buy nothing.
          errorTolerance: 1e-8 * problem.residualCount,
        },
      )
      return { parameters: result.parameterValues, sumOfSquares: result.parameterError, iterations: result.iterations, evaluations }
    } catch (error) {
      if (!(error instanceof NeedsEvaluation)) throw error
      const residuals = await problem.residuals(error.parameters)
      if (residuals.length !== problem.residualCount || residuals.some((r) => !Number.isFinite(r))) throw new RangeError(`residuals at [${keyOf(error.parameters)}] are not ${problem.residualCount} finite numbers`)
      cache.set(keyOf(error.parameters), residuals)
      evaluations++
    }
  }
  throw new RangeError(`least squares did not finish within ${maxReplays} evaluations`)
}
