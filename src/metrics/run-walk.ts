import type { RequestRecord } from '../io/schema/record.js'
import type { Accumulate, FigureValue, RunFigure, RunView } from './run-figure.js'
import { type Slo, hasObjectives, meetsRequestObjectives } from './slo.js'
import type { MeasurementWindow } from './window.js'

export type RecordStream = () => Iterable<RequestRecord> | AsyncIterable<RequestRecord>

/** The run as its figures see it: the window, and which requests were good under the SLO. */
export function runView(window: MeasurementWindow, slo: Slo): RunView {
  const hasSlo = hasObjectives(slo)
  return {
    window,
    hasSlo,
    isGood: (record) => hasSlo && window.counts(record) && meetsRequestObjectives(record, slo),
    perSecond: (count) => (window.durationS > 0 ? count / window.durationS : 0),
  }
}

interface Slot {
  accumulate: Accumulate
  add: (amount: number) => void
}

/** Each figure's sums as slots of one array, so that the walk over the records is one tight loop. */
function slotsOf(figures: readonly RunFigure[]): { slots: Slot[]; totals: number[]; sumsOf: (index: number) => Record<string, number> } {
  const totals: number[] = []
  const slots: Slot[] = []
  const names: Array<Array<[string, number]>> = figures.map((figure) =>
    Object.entries(figure.sums ?? {}).map(([name, accumulate]) => {
      const slot = totals.length
      totals.push(0)
      slots.push({
        accumulate,
        add: (amount) => {
          totals[slot] = (totals[slot] as number) + amount
        },
      })
      return [name, slot]
    }),
  )
  const sumsOf = (index: number): Record<string, number> => Object.fromEntries((names[index] ?? []).map(([name, slot]) => [name, totals[slot] as number]))
  return { slots, totals, sumsOf }
}

/**
 * The run-level figures of `figures`, in their order: one pass over the records for every figure's
 * sums (`visit` sees each record too, for the latency distributions), then each value from its
 * sums and the figures it depends on. A figure may read only the figures it declares, computed
 * before it.
 */
export async function walkRunFigures(
  readRecords: RecordStream,
  view: RunView,
  figures: readonly RunFigure[],
  visit: (record: RequestRecord) => void = () => {},
): Promise<Map<string, FigureValue>> {
  const { slots, sumsOf } = slotsOf(figures)
  for await (const record of readRecords()) {
    for (const slot of slots) slot.accumulate(record, view, slot.add)
    visit(record)
  }
  const values = new Map<string, FigureValue>()
  figures.forEach((figure, index) => {
    const dependency = (id: string): FigureValue => {
      if (!figure.dependsOn.figures.includes(id)) throw new Error(`run figure ${figure.id} reads ${id} without declaring it`)
      if (!values.has(id)) throw new Error(`run figure ${figure.id} depends on ${id}, which is not computed before it`)
      return values.get(id) as FigureValue
    }
    values.set(figure.id, figure.value(sumsOf(index), view, dependency))
  })
  return values
}
