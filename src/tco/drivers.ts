import type { TcoModel, UncertainNumber } from '../io/schema/tco-model.js'
import { UserError } from '../util/errors.js'
import { choleskyFactor, normalScoreCorrelation } from './correlation.js'
import { type Distribution, makeDistribution } from './distributions.js'
import type { MoneyScale } from './finance-mechanics.js'

/**
 * The drivers of a compiled TCO model: every numeric input is a slot of one Float64Array (its
 * deterministic value, or a Monte Carlo draw); shared drivers are one uncertain quantity; the
 * model's rank correlations are checked against them.
 */

export interface Driver {
  /** Path-like name, unique: `options.eu-cloud.price.perGpuHour`, `compliance.hourlyRate`. */
  name: string
  distribution: Distribution
  /** Where the value comes from (the model, a catalog row, the compliance data's source). */
  origin: string
  /** The shared key this driver is one reading of (`sizing.eu-regional.gpus`), or null: drawn on its own. */
  shared: string | null
}

/**
 * One uncertain quantity of the Monte Carlo: a driver on its own, or every driver that names the
 * same shared key (drawn once per draw: each member at the same quantile of its own distribution,
 * so members with the same distribution take the same value). The tornado moves it as one bar.
 */
export interface DriverVariable {
  /** The shared key, or the driver's name. */
  name: string
  /** Slots of its drivers (one unless shared). */
  slots: number[]
  shared: boolean
}

/** Rank correlations between variables, checked: `matrix` is K × K over `variables` (indices into ModelPlan.variables). */
export interface CompiledCorrelations {
  variables: number[]
  matrix: number[][]
}

/** Builds the driver slots of a compiled model. */
export class DriverTable {
  readonly drivers: Driver[] = []
  /** [derived, raw, fx] slot triples: the derived slot holds raw × the FX draw, refilled per draw (finance-mechanics.ts prepareMechanics). */
  readonly fxDerived: number[] = []
  private readonly byName = new Map<string, number>()
  /**
   * A driver in the next slot. `shared` (or the spec's own `shared: KEY`) makes it one reading of a
   * quantity other drivers share: a sizing's GPU count, an FX rate, a price trend.
   */
  add(name: string, spec: UncertainNumber, origin: string, scale: number | MoneyScale = 1, shared?: string): number {
    if (this.byName.has(name)) throw new Error(`driver ${name} registered twice`)
    const factor = typeof scale === 'number' ? scale : scale.factor
    const key = shared ?? (typeof spec === 'object' ? spec.shared : undefined) ?? null
    this.drivers.push({ name, distribution: makeDistribution(spec, factor), origin, shared: key })
    this.byName.set(name, this.drivers.length - 1)
    const raw = this.drivers.length - 1
    if (typeof scale === 'number' || scale.fxSlot === -1) return raw
    // The amount at the drawn FX rate: what the cost rules read. Its listed value is the one at the dated rate (the FX median).
    const fxName = (this.drivers[scale.fxSlot] as Driver).name
    const rawDriver = this.drivers[raw] as Driver
    rawDriver.origin = `${rawDriver.origin}; converted at the dated rate, × ${fxName} in each draw`
    const derived = this.add(`${name}@fx`, rawDriver.distribution.central, `${name} × ${fxName} (filled per draw)`)
    this.fxDerived.push(derived, raw, scale.fxSlot)
    return derived
  }
}

/** The uncertain quantities of a driver table: shared drivers grouped under their key, the others one each, in slot order. */
export function driverVariables(drivers: readonly Driver[]): DriverVariable[] {
  const variables: DriverVariable[] = []
  const byKey = new Map<string, DriverVariable>()
  drivers.forEach((driver, slot) => {
    if (!driver.distribution.uncertain) return
    if (driver.shared === null) {
      variables.push({ name: driver.name, slots: [slot], shared: false })
      return
    }
    const existing = byKey.get(driver.shared)
    if (existing) {
      existing.slots.push(slot)
      return
    }
    const variable = { name: driver.shared, slots: [slot], shared: true }
    byKey.set(driver.shared, variable)
    variables.push(variable)
  })
  return variables
}

/** Why a set of rank correlations is refused, and the fix. */
const NOT_POSITIVE_DEFINITE = 'are not positive definite (no set of inputs can have them all): weaken the strongest or the contradictory pairs'

/**
 * The model's `correlations` against its variables: each name an uncertain driver or a shared key,
 * each pair once, the matrix positive definite. One UserError line naming the file, field and rule.
 */
export function compileCorrelations(
  correlations: TcoModel['correlations'],
  variables: readonly DriverVariable[],
  drivers: readonly Driver[],
  file: string,
): CompiledCorrelations {
  if (correlations.length === 0) return { variables: [], matrix: [] }
  const byName = new Map<string, number>()
  // A shared driver is named by its key only: its own name would correlate one reading of one quantity.
  variables.forEach((variable, index) => {
    byName.set(variable.name, index)
  })
  const fail = (path: string, rule: string): never => {
    throw new UserError(`${file}: ${path}: ${rule}`)
  }
  const resolve = (name: string, path: string): number => {
    const index = byName.get(name)
    if (index !== undefined) return index
    const driver = drivers.find((d) => d.name === name)
    if (driver && driver.shared !== null) return fail(path, `${name} is shared as ${driver.shared}: name the shared key`)
    if (driver) return fail(path, `${name} is a fixed number: only an uncertain driver can be correlated`)
    const known = variables.map((variable) => variable.name)
    return fail(
      path,
      `no uncertain driver or shared key ${name} (known: ` +
        `${known.slice(0, 12).join(', ')}${known.length > 12 ? `, … ${known.length - 12} more (tco.json's drivers)` : ''})`,
    )
  }
  const involved: number[] = []
  const pairs = correlations.map((pair, k) => {
    const a = resolve(pair.between[0], `correlations.${k}.between.0`)
    const b = resolve(pair.between[1], `correlations.${k}.between.1`)
    if (a === b) fail(`correlations.${k}.between`, `${pair.between[0]} and ${pair.between[1]} are one quantity (the same shared key)`)
    for (const index of [a, b]) if (!involved.includes(index)) involved.push(index)
    return { a, b, rank: pair.rank, k }
  })
  involved.sort((x, y) => x - y)
  const position = new Map(involved.map((variable, i) => [variable, i]))
  const matrix = involved.map((_, i) => involved.map((__, j) => (i === j ? 1 : 0)))
  const given = new Map<string, number>()
  for (const { a, b, rank, k } of pairs) {
    const i = position.get(a) as number
    const j = position.get(b) as number
    const key = i < j ? `${i},${j}` : `${j},${i}`
    const earlier = given.get(key)
    if (earlier !== undefined)
      fail(`correlations.${k}`, `the pair ${correlations[k]?.between.join(' – ')} is given twice (also correlations.${earlier}): give each pair once`)
    given.set(key, k)
    ;(matrix[i] as number[])[j] = rank
    ;(matrix[j] as number[])[i] = rank
  }
  if (
    choleskyFactor(matrix) === null ||
    choleskyFactor(matrix.map((row, i) => row.map((value, j) => (i === j ? 1 : normalScoreCorrelation(value))))) === null
  ) {
    fail('correlations', `the rank correlations among ${involved.map((index) => variables[index]?.name).join(', ')} ${NOT_POSITIVE_DEFINITE}`)
  }
  return { variables: involved, matrix }
}
