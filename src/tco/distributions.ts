import type { UncertainNumber } from '../io/schema/tco-model.js'
import { type Random, sampleStandardNormal } from '../util/rng.js'

/**
 * The input distributions of the TCO Monte Carlo and tornado: a fixed number, triangular, PERT
 * (a beta on [min, max] with shape λ = 4) and lognormal (from its P10 and P90, or its median and σ).
 * Each gives its deterministic value (`central`: the number, the mode, or the median), its
 * quantiles (the tornado's P10 and P90) and seeded draws.
 */
export interface Distribution {
  readonly kind: 'fixed' | 'triangular' | 'pert' | 'lognormal'
  /** The value the deterministic run uses: the number itself, the mode, or the median. */
  readonly central: number
  readonly uncertain: boolean
  quantile(p: number): number
  sample(random: Random): number
  /** The spec as written, scaled (for tco.json and the tornado's labels). */
  describe(): string
}

/** z of the standard normal at 0.9 (AS 241 to double precision). */
export const Z90 = 1.2815515655446004

/** Builds a distribution from a model value; `scale` converts currencies (every shape here is scale-invariant). */
export function makeDistribution(spec: UncertainNumber, scale = 1): Distribution {
  if (typeof spec === 'number') return new FixedValue(spec * scale)
  if ('triangular' in spec) return new Triangular(spec.triangular[0] * scale, spec.triangular[1] * scale, spec.triangular[2] * scale)
  if ('pert' in spec) return new Pert(spec.pert[0] * scale, spec.pert[1] * scale, spec.pert[2] * scale)
  const lognormal = spec.lognormal
  if ('p10' in lognormal) {
    const mu = (Math.log(lognormal.p10 * scale) + Math.log(lognormal.p90 * scale)) / 2
    const sigma = (Math.log(lognormal.p90) - Math.log(lognormal.p10)) / (2 * Z90)
    return new Lognormal(mu, sigma)
  }
  return new Lognormal(Math.log(lognormal.median * scale), lognormal.sigma)
}

class FixedValue implements Distribution {
  readonly kind = 'fixed'
  readonly uncertain = false
  constructor(readonly central: number) {}
  quantile(): number {
    return this.central
  }
  sample(): number {
    return this.central
  }
  describe(): string {
    return formatNumber(this.central)
  }
}

/** A distribution on [min, max] whose mode is its central value (triangular, PERT): drawn through its quantile, written kind(min, mode, max). */
abstract class MinModeMax implements Distribution {
  abstract readonly kind: 'triangular' | 'pert'
  readonly uncertain = true
  constructor(
    readonly min: number,
    readonly central: number,
    readonly max: number,
  ) {}
  abstract quantile(p: number): number
  sample(random: Random): number {
    return this.quantile(random.next())
  }
  describe(): string {
    return `${this.kind}(${formatNumber(this.min)}, ${formatNumber(this.central)}, ${formatNumber(this.max)})`
  }
}

class Triangular extends MinModeMax {
  readonly kind = 'triangular'
  private readonly modeAt: number
  constructor(min: number, mode: number, max: number) {
    super(min, mode, max)
    this.modeAt = (mode - min) / (max - min)
  }
  quantile(p: number): number {
    const { min, central: mode, max } = this
    return p < this.modeAt ? min + Math.sqrt(p * (max - min) * (mode - min)) : max - Math.sqrt((1 - p) * (max - min) * (max - mode))
  }
}

/** Cells of the PERT's tabulated CDF: x is resolved to (max − min) / 4096. */
const PERT_CELLS = 4096

/**
 * PERT: min + (max − min) × Beta(α, β), α = 1 + 4 (mode − min)/(max − min), β = 1 + 4 (max − mode)/(max − min).
 * α, β lie in [1, 5], so the density is bounded and smooth: its CDF is tabulated once (Simpson's
 * rule on each of 4096 cells) and inverted by binary search with linear interpolation
 * inside the cell, so a draw costs one uniform and the tornado's P10/P90 come from the same table.
 */
class Pert extends MinModeMax {
  readonly kind = 'pert'
  private readonly cdf: Float64Array
  constructor(min: number, central: number, max: number) {
    super(min, central, max)
    const alpha = 1 + (4 * (central - min)) / (max - min)
    const beta = 1 + (4 * (max - central)) / (max - min)
    const density = (x: number): number => x ** (alpha - 1) * (1 - x) ** (beta - 1)
    const cdf = new Float64Array(PERT_CELLS + 1)
    let total = 0
    let left = density(0)
    for (let cell = 0; cell < PERT_CELLS; cell++) {
      const right = density((cell + 1) / PERT_CELLS)
      total += ((left + 4 * density((cell + 0.5) / PERT_CELLS) + right) / 6) * (1 / PERT_CELLS)
      left = right
      cdf[cell + 1] = total
    }
    for (let i = 0; i <= PERT_CELLS; i++) cdf[i] = (cdf[i] as number) / total
    this.cdf = cdf
  }
  /** The mean (min + 4 mode + max) / 6: the PERT's defining property. */
  get mean(): number {
    return (this.min + 4 * this.central + this.max) / 6
  }
  quantile(p: number): number {
    const cdf = this.cdf
    let low = 0
    let high = PERT_CELLS
    while (high - low > 1) {
      const middle = (low + high) >>> 1
      if ((cdf[middle] as number) <= p) low = middle
      else high = middle
    }
    const start = cdf[low] as number
    const width = (cdf[high] as number) - start
    const within = width > 0 ? (p - start) / width : 0
    return this.min + ((low + within) / PERT_CELLS) * (this.max - this.min)
  }
}

class Lognormal implements Distribution {
  readonly kind = 'lognormal'
  readonly uncertain = true
  readonly central: number
  constructor(
    readonly mu: number,
    readonly sigma: number,
  ) {
    this.central = Math.exp(mu)
  }
  quantile(p: number): number {
    return Math.exp(this.mu + this.sigma * standardNormalQuantile(p))
  }
  sample(random: Random): number {
    return Math.exp(this.mu + this.sigma * sampleStandardNormal(random))
  }
  describe(): string {
    return (
      `lognormal(median ${formatNumber(this.central)}, σ ${formatNumber(this.sigma)}; P10 ${formatNumber(this.quantile(0.1))}, P90 ` +
      `${formatNumber(this.quantile(0.9))})`
    )
  }
}

/**
 * Quantile of the standard normal, Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3),
 * 1988), accurate to about 1e-16. simple-statistics' probit is good to only ~5e-4 at the tails,
 * too coarse for a P10/P90 that the tornado reports.
 */
// biome-ignore-start lint/correctness/noPrecisionLoss: AS 241 coefficients as published (more digits than a double holds; each parses to its nearest double)
export function standardNormalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY
    if (p === 1) return Number.POSITIVE_INFINITY
    return Number.NaN
  }
  const q = p - 0.5
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    )
  }
  let r = q < 0 ? p : 1 - p
  r = Math.sqrt(-Math.log(r))
  let value: number
  if (r <= 5) {
    r -= 1.6
    value =
      (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1)
  } else {
    r -= 5
    value =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1)
  }
  return q < 0 ? -value : value
}
// biome-ignore-end lint/correctness/noPrecisionLoss: end of the AS 241 coefficients

function formatNumber(value: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) return value.toPrecision(4)
  return String(Number(value.toPrecision(6)))
}
