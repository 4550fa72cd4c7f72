/**
 * A trace replay as a load step: an open loop whose arrivals are the trace's (scaled) times and
 * whose prompts have the trace's lengths and shared prefix blocks. The open loop sends it
 * (send-loops.ts runOpenLoop with the step's sendTimesMs), so lateness is measured and judged
 * exactly as for a drawn schedule, and a shard sends rows i ≡ k (mod N) like any open loop.
 */
import { impliedPrefixReuse } from '../input/trace/prefix-reuse.js'
import { type TraceRow, readTrace } from '../input/trace/read-trace.js'
import { type TraceReplayPlan, planTraceReplay } from '../input/trace/replay-plan.js'
import { createTracePromptSource } from '../input/trace/trace-prompts.js'
import type { SkippablePromptSource } from '../input/prompts.js'
import type { LoadConfig, Scenario } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import type { TraceConfig } from '../io/schema/trace.js'
import type { LoadStep } from './runner.js'

/** The scenario's trace, read and planned; undefined when it replays none. */
export async function scenarioTraceReplay(scenario: Scenario): Promise<TraceReplayPlan | undefined> {
  const trace = scenario.load.trace
  if (trace === undefined) return undefined
  if (scenario.input.promptsFile !== undefined)
    throw new UserError(`${trace.file}: a trace sets every prompt's length; give it or a prompt file (${scenario.input.promptsFile}), not both`)
  return loadTraceReplay(trace)
}

/** Reads and plans a trace (the window, the limit, the speedup). */
export async function loadTraceReplay(trace: TraceConfig): Promise<TraceReplayPlan> {
  const { format, rows } = await readTrace(trace.file, trace.format)
  return planTraceReplay(
    { file: trace.file, format, rows },
    {
      speedup: trace.speedup,
      ...(trace.window ? { startS: trace.window.startS } : {}),
      ...(trace.window?.endS !== undefined ? { endS: trace.window.endS } : {}),
      ...(trace.limit !== undefined ? { limit: trace.limit } : {}),
    },
  )
}

/** The step that replays `plan`: every row once (at most `requests` of them), bounded by the load's duration if it has one. */
export function traceStep(load: LoadConfig, plan: TraceReplayPlan): LoadStep {
  const count = Math.min(plan.rows.length, load.requests ?? Number.POSITIVE_INFINITY)
  const sendTimesMs = count < plan.sendTimesMs.length ? plan.sendTimesMs.slice(0, count) : plan.sendTimesMs
  return {
    step: 0,
    label: `trace ${plan.format} ×${plan.speedup}`,
    kind: 'rate',
    mode: 'open',
    ...(plan.ratePerS !== null ? { ratePerS: plan.ratePerS } : {}),
    arrival: 'constant',
    burstiness: 1,
    seed: load.seed,
    maxRequests: count,
    ...(load.duration !== undefined ? { durationMs: load.duration * 1000 } : {}),
    ...(load.maxConcurrency !== undefined ? { maxConcurrency: load.maxConcurrency } : {}),
    sendTimesMs,
    trace: {
      file: plan.file,
      format: plan.format,
      rows: count,
      fileRows: plan.fileRows,
      speedup: plan.speedup,
      startS: plan.startS,
      endS: plan.endS,
      impliedPrefixReuse: impliedPrefixReuse(count < plan.rows.length ? plan.rows.slice(0, count) : plan.rows).rate,
    },
  }
}

/** The prompts of a replay: row i's lengths and prefix blocks for request i. */
export function tracePromptSource(plan: TraceReplayPlan, seed: number): SkippablePromptSource {
  return createTracePromptSource(plan.rows, { seed })
}

/** A replayed request's engine block hashes, from its row (`index`: its place in the replay, unique per request). */
export type TraceRowBlockHashes = (row: TraceRow, index: number) => readonly string[]

/** A request of a replay in virtual time: its lengths and, with a hasher, its prompt's block hashes. */
export interface VirtualReplayRequest {
  inputTokens: number
  outputTokens: number
  blockHashes?: readonly string[]
}

/**
 * The replay in the simulator's virtual time (src/sim/virtual.ts's `replay`): each row's lengths,
 * sent at its time; with `blockHashes` (the engine's naming of the row's hash ids: `geopat sim
 * --virtual --trace` passes src/sim/engine/prefix-cache.ts's traceBlockHashes, which this layer may
 * not import) each request carries its prompt's blocks, so prefix caching sees the trace's reuse.
 * At most `count` rows (a --requests bound), all when absent.
 */
export function virtualReplay(
  plan: TraceReplayPlan,
  blockHashes?: TraceRowBlockHashes,
  count = plan.rows.length,
): { lengths: VirtualReplayRequest[]; sendTimesMs: readonly number[] } {
  const rows = count < plan.rows.length ? plan.rows.slice(0, count) : plan.rows
  return {
    lengths: rows.map((row, index) => ({
      inputTokens: row.inputTokens,
      outputTokens: Math.max(1, row.outputTokens),
      ...(blockHashes ? { blockHashes: blockHashes(row, index) } : {}),
    })),
    sendTimesMs: count < plan.sendTimesMs.length ? plan.sendTimesMs.slice(0, count) : plan.sendTimesMs,
  }
}
