import type { RequestRecord } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import type { MeasurementWindow } from './window.js'

/** A run-level figure's value: a number (or null where undefined for the run), a flag, a text, or counts by class. */
export type FigureValue = number | boolean | string | null | Readonly<Record<string, number>>

/** The groups of summary.json that hold the run-level figures of geopat's first summaries. */
export const SUMMARY_GROUPS = ['window', 'requests', 'tokens', 'throughput', 'goodput'] as const
export type SummaryGroup = (typeof SUMMARY_GROUPS)[number]

/** What a run figure sees of its run besides the records: the window, and whether a request was good. */
export interface RunView {
  window: MeasurementWindow
  /** The run has an SLO: goodput is reported (summary.json's goodput is null otherwise). */
  hasSlo: boolean
  /** The successful record met every per-request objective of the SLO (false without one). */
  isGood(record: RequestRecord): boolean
  /** A count per second of the window (0 when the window is empty). */
  perSecond(count: number): number
}

/** Adds what one record contributes to one of a figure's sums: `add(amount)` any number of times. */
export type Accumulate = (record: RequestRecord, run: RunView, add: (amount: number) => void) => void

/**
 * One run-level figure of summary.json: what it means, what it needs and how it is computed. The
 * summary, summary.csv, the glossary (README, report) and the terminal tables read it from here.
 */
export interface RunFigure {
  /**
   * Its name in SLOs and in summary.json: `group.key` for the figures in summary.json's first
   * groups (throughput.requestsPerS), a bare name for the others, which summary.json keeps under
   * `figures` (figures.<id>).
   */
  id: string
  label: string
  unit: string
  scope: 'run'
  /** How it is computed, in words (the glossary's formula column). */
  description: string
  /** The same quantity's name in the peer tools. */
  peerNames?: string
  /** The record fields it reads and the figures its value is computed from (they come first in the registry). */
  dependsOn: { record: ReadonlyArray<keyof RequestRecord>; figures: readonly string[] }
  /** summary.csv's column (a figure with counts by class gets one per class, column_class); null: none. Default: the id in snake case. */
  csvColumn?: string | null
  /**
   * A figure about what only some runs have (reasoning, tool calls, multi-turn sessions): its value is null when the run
   * saw none, and it is then absent from summary.json, and its summary.csv column absent when no run has it.
   */
  onlyWhenSeen?: true
  /** A figure of counts by class: the classes, in order (its value has one count per class). */
  classes?: readonly string[]
  /** Sums over the records, by name, that `value` receives. */
  sums?: Readonly<Record<string, Accumulate>>
  /** The figure from its sums, the run, and the figures it depends on. */
  value(sums: Readonly<Record<string, number>>, run: RunView, figure: (id: string) => FigureValue): FigureValue
}

/** Where summary.json holds the figure: [group, key]; `figures` for the figures added after the first groups. */
export function summaryPathOf(figure: Pick<RunFigure, 'id'>): readonly [SummaryGroup | 'figures', string] {
  const dot = figure.id.indexOf('.')
  const group = figure.id.slice(0, dot)
  if (dot > 0 && (SUMMARY_GROUPS as readonly string[]).includes(group)) return [group as SummaryGroup, figure.id.slice(dot + 1)]
  return ['figures', figure.id]
}

/** The figure's value in a run summary (undefined where the summary has none: no SLO, an older summary). */
export function figureOf(run: RunSummary, figure: Pick<RunFigure, 'id'>): FigureValue | undefined {
  const [group, key] = summaryPathOf(figure)
  const holder = run[group] as Record<string, FigureValue> | null | undefined
  return holder?.[key]
}

/** Some of `runs` has the figure: a figure reported only when seen (onlyWhenSeen) gets a column then. */
export function seenInRuns(figure: Pick<RunFigure, 'id'>, runs: readonly RunSummary[]): boolean {
  return runs.some((run) => figureOf(run, figure) !== undefined)
}

/** The figure's summary.csv column, or null. */
export function csvColumnOf(figure: Pick<RunFigure, 'id' | 'csvColumn'>): string | null {
  if (figure.csvColumn !== undefined) return figure.csvColumn
  return figure.id.replace(/\./g, '_').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

/** Counts the records for which `holds` is true. */
export const countOf =
  (holds: (record: RequestRecord, run: RunView) => boolean): Accumulate =>
  (record, run, add) => {
    if (holds(record, run)) add(1)
  }

/** Sums `amount` over the records for which it is not null. */
export const sumOf =
  (amount: (record: RequestRecord, run: RunView) => number | null): Accumulate =>
  (record, run, add) => {
    const value = amount(record, run)
    if (value !== null) add(value)
  }

/** A successful request sent inside the statistics window (after the warm-up, before the cool-down). */
export const measured = (record: RequestRecord, run: RunView): boolean => record.ok && run.window.counts(record)

/** When the response ended, ms from the run's start. */
export const completionMs = (record: RequestRecord): number => record.sendMs + (record.endToEndLatencyMs ?? 0)

/** The figure `id` as a number, or null. */
export function numberOf(figure: (id: string) => FigureValue, id: string): number | null {
  const value = figure(id)
  return typeof value === 'number' ? value : null
}
