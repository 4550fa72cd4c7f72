import type { RequestRecord } from '../../io/schema/record.js'
import type { Accumulate, RunFigure } from '../run-figure.js'

/**
 * The kinds of run figure that most of the registry is: a total over the records, a total per
 * second of the window, and a ratio of two totals. Each figure still says what it is (id, label,
 * unit, description, the record fields it reads); the kind says how its value comes from its sums.
 */
export type FigureSpec = Pick<RunFigure, 'id' | 'label' | 'unit' | 'description' | 'peerNames' | 'csvColumn'> & {
  /** The record fields it reads (it depends on no other figure). */
  readonly record: ReadonlyArray<keyof RequestRecord>
}

function figureOf({ record, ...spec }: FigureSpec, sums: Readonly<Record<string, Accumulate>>, value: RunFigure['value']): RunFigure {
  return { ...spec, scope: 'run', dependsOn: { record, figures: [] }, sums, value }
}

/** The figure is what `accumulate` adds up over the records (a count: countOf, a sum: sumOf). */
export function totalFigure(spec: FigureSpec, accumulate: Accumulate): RunFigure {
  return figureOf(spec, { total: accumulate }, (sums) => sums.total ?? 0)
}

/** The figure is the sums of `accumulators` added together, per second of the window (throughput). */
export function perSecondFigure(spec: FigureSpec, accumulators: Readonly<Record<string, Accumulate>>): RunFigure {
  const names = Object.keys(accumulators)
  return figureOf(spec, accumulators, (sums, run) => run.perSecond(names.reduce((total, name) => total + (sums[name] ?? 0), 0)))
}

/** The figure is one total over another (a mean or a share), null when the second is 0. */
export function ratioFigure(spec: FigureSpec, numerator: Accumulate, denominator: Accumulate): RunFigure {
  return figureOf(spec, { numerator, denominator }, (sums) => {
    const over = sums.denominator ?? 0
    return over > 0 ? (sums.numerator ?? 0) / over : null
  })
}
