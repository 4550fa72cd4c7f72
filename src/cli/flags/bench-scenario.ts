import { loadYamlFile } from '../../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../../io/schema/scenario.js'
import type { ShardRequest } from '../../app/bench-shard.js'
import type { ShardSlice } from '../../load/shard.js'
import { UserError } from '../../util/errors.js'
import { BENCH_FLAGS, type BenchFlagValues } from './bench.js'
import { applyFlags, validateWithFlags } from './table.js'

type Draft = Record<string, unknown>

/** The scenario file, validated on its own first so that its errors name the file; a copy to change. */
function baseScenario(values: BenchFlagValues): { base: Draft; source: string } {
  if (!values.scenario) return { base: {}, source: 'flags' }
  const file = loadYamlFile(values.scenario, scenarioSchema)
  return { base: structuredClone(file) as unknown as Draft, source: values.scenario }
}

/**
 * The endpoints the flags apply to: --url names one endpoint instead of the file's; otherwise the
 * endpoint flags apply to every endpoint of the file.
 */
function endpointsOf(base: Draft, values: BenchFlagValues): Draft[] {
  const fromFile = (base.endpoints as Draft[] | undefined) ?? []
  return values.url !== undefined || fromFile.length === 0 ? [{}] : fromFile
}

/** A flag that picks the load shape replaces the file's shape instead of mixing with it. */
function loadShapeOf(base: Draft, values: BenchFlagValues): Draft {
  const load = { ...((base.load as Draft | undefined) ?? {}) }
  if (values.rate !== undefined) delete load.concurrency
  if (values.concurrency !== undefined) delete load.rate
  // A trace replay and a rate or concurrency are two load shapes: the flag given wins over the file.
  if (values.trace !== undefined) for (const key of ['rate', 'concurrency', 'profile']) delete load[key]
  if (values.rate !== undefined || values.concurrency !== undefined) delete load.trace
  return load
}

/** A run with no bound sends 100 requests; a sweep with none runs 10 s per step; a trace replay sends its rows; sessions are bounded by their own count. */
function boundRun(load: Draft, input: Draft | undefined): void {
  if (load.requests !== undefined || load.duration !== undefined || load.trace !== undefined || input?.sessions !== undefined) return
  if (load.profile === 'sweep') load.duration = 10
  else load.requests = 100
}

/**
 * `geopat bench`'s flags (and the scenario file they override) → a validated Scenario: flags and
 * files share one schema and its messages; an error in a scenario made of flags names the flag.
 */
export function benchScenarioFromFlags(values: BenchFlagValues): { scenario: Scenario; source: string } {
  const { base, source } = baseScenario(values)
  if (!values.scenario && values.url === undefined) throw new UserError('give --url (or --scenario FILE)')
  const draft: Draft = { ...base, endpoints: endpointsOf(base, values), load: loadShapeOf(base, values) }
  applyFlags(BENCH_FLAGS, values, draft)
  boundRun(draft.load as Draft, draft.input as Draft | undefined)
  return { scenario: validateWithFlags(scenarioSchema, draft, { table: BENCH_FLAGS, values, source }), source }
}

/**
 * The shard this process is, from --shard I/N, or from --shards N and the JOB_COMPLETION_INDEX that
 * a Kubernetes Indexed Job sets in each pod; undefined when neither is given (the shard-only flags
 * are refused then).
 */
export function shardRequestFromFlags(values: BenchFlagValues, env: NodeJS.ProcessEnv): ShardRequest | undefined {
  const slice = shardSliceFromFlags(values, env)
  if (slice === undefined) {
    const stray = (['start-at', 'time-source', 'run-key'] as const).find((name) => values[name] !== undefined)
    if (stray) throw new UserError(`--${stray} is for a shard of a run: give --shard I/N or --shards N with it`)
    return undefined
  }
  return {
    slice,
    ...(values['run-key'] !== undefined ? { runKey: values['run-key'] } : {}),
    ...(values['start-at'] !== undefined ? { startAtUnixMs: values['start-at'] } : {}),
    ...(values['time-source'] !== undefined ? { timeSource: values['time-source'] } : {}),
  }
}

function shardSliceFromFlags(values: BenchFlagValues, env: NodeJS.ProcessEnv): ShardSlice | undefined {
  if (values.shard !== undefined && values.shards !== undefined) throw new UserError('give --shard I/N or --shards N, not both')
  if (values.shard !== undefined) return values.shard
  const count = values.shards
  if (count === undefined) return undefined
  const text = env.JOB_COMPLETION_INDEX
  if (text === undefined || text.trim() === '')
    throw new UserError(`--shards ${count}: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it); elsewhere give --shard I/${count}`)
  const index = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN
  if (!(index < count)) throw new UserError(`--shards ${count}: JOB_COMPLETION_INDEX "${text.slice(0, 40)}" is not a whole number below ${count}`)
  return { index, count }
}
