import { CholeskyDecomposition, Matrix } from 'ml-matrix'
import type { Random } from '../util/rng.js'
import { standardNormalQuantile } from './distributions.js'

/**
 * Rank correlation between Monte Carlo inputs, by Iman and Conover ("A distribution-free approach
 * to inducing rank correlation among input variables", Communications in Statistics B 11(3), 1982):
 * each input's sample is drawn on its own, then its values are reordered (never changed) so that
 * their ranks follow van der Waerden scores that carry the asked correlation. Marginals stay exactly
 * as drawn; only the pairing of values across inputs changes.
 *
 * No npm package implements Iman–Conover (searched the registry's list: none by that name or as a
 * rank-correlation copula), so it is written here on ml-matrix's Cholesky decomposition.
 */

/**
 * Pearson correlation of standard normal scores that gives Spearman's ρ_s: r = 2 sin(π ρ_s / 6)
 * (Pearson 1907 for the bivariate normal). The two differ by at most 0.018; without it the sample's
 * Spearman correlation would miss the asked one by more than its sampling error at 100k draws.
 */
export function normalScoreCorrelation(spearman: number): number {
  return 2 * Math.sin((Math.PI * spearman) / 6)
}

/** The lower Cholesky factor of a correlation matrix, or why it has none (not positive definite). */
export function choleskyFactor(matrix: number[][]): Matrix | null {
  const decomposition = new CholeskyDecomposition(new Matrix(matrix))
  if (!decomposition.isPositiveDefinite()) return null
  const lower = decomposition.lowerTriangularMatrix
  for (let i = 0; i < lower.rows; i++) if (!(lower.get(i, i) > 1e-9)) return null
  return lower
}

/**
 * Reorders each column of `uniforms` (one Float64Array of `draws` values per correlated input, drawn
 * independently) in place so that their rank correlations follow `spearman` (K × K, symmetric,
 * positive definite, ones on the diagonal). `randoms[k]` permutes column k's scores.
 */
export function imanConover(uniforms: Float64Array[], spearman: number[][], randoms: Random[]): void {
  const columns = uniforms.length
  if (columns < 2) return
  const draws = (uniforms[0] as Float64Array).length
  if (draws <= columns) return
  const target = choleskyFactor(spearman.map((row, i) => row.map((value, j) => (i === j ? 1 : normalScoreCorrelation(value)))))
  if (target === null) throw new Error('imanConover: the target correlation is not positive definite (compileModel checks it)')

  // Van der Waerden scores Φ⁻¹(i / (N + 1)), one random permutation per column.
  const scores = new Float64Array(draws)
  for (let i = 0; i < draws; i++) scores[i] = standardNormalQuantile((i + 1) / (draws + 1))
  const permuted: Float64Array[] = randoms.map((random) => {
    const column = Float64Array.from(scores)
    for (let i = draws - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1))
      const swap = column[i] as number
      column[i] = column[j] as number
      column[j] = swap
    }
    return column
  })

  // The permuted scores' own correlation E = F Fᵀ is not exactly the identity: undo it, then apply the target P: M* = M (P F⁻¹)ᵀ.
  const sampleCorrelation = correlationMatrix(permuted)
  const factor = choleskyFactor(sampleCorrelation)
  if (factor === null) throw new Error('imanConover: the permuted scores are collinear (too few draws)')
  const transform = target.mmul(inverseLower(factor))
  const rearranged = permuted.map(() => new Float64Array(draws))
  for (let i = 0; i < columns; i++) {
    const out = rearranged[i] as Float64Array
    for (let j = 0; j <= i; j++) {
      const weight = transform.get(i, j)
      if (weight === 0) continue
      const source = permuted[j] as Float64Array
      for (let d = 0; d < draws; d++) out[d] = (out[d] as number) + weight * (source[d] as number)
    }
  }

  // Each column's values take the ranks of its rearranged scores.
  uniforms.forEach((column, k) => {
    const sortedValues = Float64Array.from(column).sort()
    const order = rankOrder(rearranged[k] as Float64Array)
    for (let r = 0; r < draws; r++) column[order[r] as number] = sortedValues[r] as number
  })
}

/** Indices of `values` from the smallest value to the largest. */
function rankOrder(values: Float64Array): Uint32Array {
  const order = new Uint32Array(values.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  order.sort((a, b) => (values[a] as number) - (values[b] as number))
  return order
}

function correlationMatrix(columns: Float64Array[]): number[][] {
  const centred = columns.map((column) => {
    let mean = 0
    for (let i = 0; i < column.length; i++) mean += column[i] as number
    mean /= column.length
    let norm = 0
    const out = new Float64Array(column.length)
    for (let i = 0; i < column.length; i++) {
      const value = (column[i] as number) - mean
      out[i] = value
      norm += value * value
    }
    const scale = 1 / Math.sqrt(norm)
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale
    return out
  })
  return centred.map((a, i) =>
    centred.map((b, j) => {
      if (i === j) return 1
      let sum = 0
      for (let d = 0; d < a.length; d++) sum += (a[d] as number) * (b[d] as number)
      return sum
    }),
  )
}

/** Inverse of a lower-triangular matrix by forward substitution. */
function inverseLower(lower: Matrix): Matrix {
  const n = lower.rows
  const inverse = Matrix.zeros(n, n)
  for (let column = 0; column < n; column++) {
    for (let i = column; i < n; i++) {
      let sum = i === column ? 1 : 0
      for (let k = column; k < i; k++) sum -= lower.get(i, k) * inverse.get(k, column)
      inverse.set(i, column, sum / lower.get(i, i))
    }
  }
  return inverse
}
