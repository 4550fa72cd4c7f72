import type { RequestRecord } from '../../io/schema/record.js'
import { type Accumulate, type RunFigure, type RunView, countOf, measured, sumOf } from '../run-figure.js'
import { ratioFigure } from './figure-kinds.js'

/**
 * Run figures of multi-turn sessions (input.sessions), from the session fields of the records:
 * sessions started and completed, turns per session, and the mean TTFT of first and of later turns
 * (what prefix caching of the history changes). Null for a run of independent requests. The
 * summary's `sessions` block (src/metrics/sessions.ts) has the distributions by turn index.
 */
const isTurn = (record: RequestRecord): boolean => record.sessionId !== undefined
const firstTurn = (record: RequestRecord): boolean => record.sessionTurn === 0
/** A session's last turn answered: every earlier one was (a session ends at its first failed turn). */
const lastTurnAnswered = (record: RequestRecord): boolean => record.ok && record.sessionTurns !== undefined && record.sessionTurn === record.sessionTurns - 1
const measuredTurn =
  (first: boolean) =>
  (record: RequestRecord, run: RunView): boolean =>
    isTurn(record) && measured(record, run) && firstTurn(record) === first && record.timeToFirstTokenMs !== null

/** A count over the records that is null when no record was a session's turn. */
function sessionCount(spec: Pick<RunFigure, 'id' | 'label' | 'description'>, holds: (record: RequestRecord) => boolean): RunFigure {
  return {
    ...spec,
    unit: 'sessions',
    scope: 'run',
    dependsOn: { record: ['sessionId', 'sessionTurn', 'sessionTurns', 'ok'], figures: [] },
    csvColumn: null,
    onlyWhenSeen: true,
    sums: { turns: countOf(isTurn), total: countOf(holds) },
    value: (sums) => ((sums.turns ?? 0) > 0 ? (sums.total ?? 0) : null),
  }
}

/** A ratio figure of session runs only (absent from other runs' summary.json). */
function known(spec: Parameters<typeof ratioFigure>[0], numerator: Accumulate, denominator: Accumulate): RunFigure {
  return { ...ratioFigure(spec, numerator, denominator), onlyWhenSeen: true }
}

export const SESSION_FIGURES: RunFigure[] = [
  sessionCount({ id: 'sessionsStarted', label: 'Sessions started', description: 'multi-turn sessions whose first turn was sent' }, firstTurn),
  sessionCount(
    { id: 'sessionsCompleted', label: 'Sessions completed', description: "multi-turn sessions whose every turn was answered (their last turn's record is ok)" },
    lastTurnAnswered,
  ),
  known(
    {
      id: 'sessionTurnsMean',
      label: 'Turns per session, mean',
      unit: 'turns',
      description: 'turns sent by sessions / sessions started',
      record: ['sessionId', 'sessionTurn'],
      csvColumn: null,
    },
    countOf(isTurn),
    countOf(firstTurn),
  ),
  ...([true, false] as const).map((first) =>
    known(
      {
        id: first ? 'sessionFirstTurnTtftMeanMs' : 'sessionLaterTurnsTtftMeanMs',
        label: first ? 'TTFT of first turns, mean' : 'TTFT of later turns, mean',
        unit: 'ms',
        description:
          `TTFT summed over the measured successful ${first ? 'first turns of sessions' : 'turns after the first'} / their number ` +
          "(prefix caching of the history lowers the later turns')",
        record: ['sessionId', 'sessionTurn', 'timeToFirstTokenMs'],
        csvColumn: null,
      },
      sumOf((record, run) => (measuredTurn(first)(record, run) ? record.timeToFirstTokenMs : null)),
      countOf(measuredTurn(first)),
    ),
  ),
]
