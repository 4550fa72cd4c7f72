import { TOKENIZER_NAME } from '../input/tokenizer.js'
import { RecordsWriter } from '../io/output/records-writer.js'
import { type BenchSummary, type MergedShards, type RunSummary, benchSummarySchema } from '../io/schema/summary.js'
import { UserError } from '../util/errors.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type MergedStep, mergeStep } from './merge-step.js'
import { RECORDS_FILE, type ShardFolder } from './shard-folders.js'
import { readShardSteps } from './shard-records.js'
import type { ShardSet } from './shard-rules.js'
import { type ChosenTimeBase, chooseTimeBase } from './time-base.js'

export interface MergeShardsOptions {
  set: ShardSet
  /** Where the merged records.jsonl goes (a new file). */
  recordsPath: string
  runId: string
  now?: () => Date
}

/** Records handed to the writer between two writes to disk. */
const WRITE_BATCH = 2000

/**
 * One run from a run's shards: their records on one time origin in one records.jsonl (ids
 * unchanged, each step's records sorted by intended send time) and the summary recomputed from
 * the union, with the `shards` block saying what arrived, each shard's clock and own self-check.
 */
export async function mergeShards(options: MergeShardsOptions): Promise<BenchSummary> {
  const { set } = options
  const readWarnings: string[] = []
  const { steps, recordCounts } = await readShardSteps(set.shards, (warning) => readWarnings.push(warning))
  const base = chooseTimeBase(set.shards.map((shard) => shard.info))
  readWarnings.push(...countWarnings(set.shards, recordCounts))
  if (base.timeBase === 'host-clocks' && set.shards.length > 1)
    readWarnings.push("the shards' host clocks were used uncorrected (not every shard measured an offset to a shared source or the endpoint's Date)")
  const gapNote = describeGaps(set)
  const writer = new RecordsWriter(options.recordsPath, 'wx')
  const runs: RunSummary[] = []
  const merged: MergedStep[] = []
  try {
    for (const { key, parts } of steps) {
      const step = await mergeStep(key, parts, { base, reference: referenceRun(set.shards, key), gapNote, count: set.count })
      step.summary.warnings.push(...readWarnings.filter((warning) => !step.summary.warnings.includes(warning)))
      for (const [i, record] of step.records.entries()) {
        writer.write(record)
        if (i % WRITE_BATCH === WRITE_BATCH - 1) writer.flush()
      }
      writer.flush()
      // The step's records are on disk: only its summary and each shard's part are kept.
      merged.push({ ...step, records: [] })
      runs.push(step.summary)
    }
  } finally {
    writer.close()
  }
  if (writer.failure) throw new UserError(writer.failure, 1)
  const summaries = set.shards.flatMap((shard) => (shard.summary ? [shard.summary] : []))
  const first = summaries[0]
  return benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId: options.runId,
    tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
    startedAt: summaries.map((s) => s.startedAt).sort()[0] ?? new Date(Math.min(...set.shards.map((s) => s.info.startedAtUnixMs))).toISOString(),
    finishedAt:
      summaries
        .map((s) => s.finishedAt)
        .sort()
        .at(-1) ?? (options.now ?? (() => new Date()))().toISOString(),
    recordsFile: RECORDS_FILE,
    tokenizer: first?.tokenizer ?? TOKENIZER_NAME,
    runs,
    ...(first?.safety ? { safety: first.safety } : {}),
    shards: shardsBlock(set, base, recordCounts, merged),
  } satisfies BenchSummary)
}

/**
 * The step's summary from the shards that wrote one (the load asked, the endpoint, the SLO are
 * the scenario's, the same in every shard); when no shard summarized this step, another step's
 * stands in for what the scenario says.
 */
function referenceRun(shards: readonly ShardFolder[], key: { endpoint: string; step: number }): RunSummary {
  const runs = shards.flatMap((shard) => shard.summary?.runs ?? [])
  const same = runs.find((run) => run.endpoint.label === key.endpoint && run.step === key.step)
  if (same) return same
  const stand = runs.find((run) => run.endpoint.label === key.endpoint) ?? runs[0]
  if (!stand) throw new UserError('no shard wrote its summary.json: nothing says what load the run asked for; merge needs at least one shard that finished')
  return { ...stand, step: key.step, stepLabel: `step ${key.step} (no shard summarized it)`, warnings: [] }
}

/** A shard whose records.jsonl holds fewer or more requests than its shard.json says it sent. */
function countWarnings(shards: readonly ShardFolder[], recordCounts: ReadonlyMap<number, number>): string[] {
  return shards.flatMap((shard) => {
    const records = recordCounts.get(shard.info.index) ?? 0
    if (shard.info.sent === null || shard.info.sent === records) return []
    return [`shard ${shard.info.index} (${shard.info.host}): ${shard.info.sent} sent by its shard.json, ${records} in its records.jsonl`]
  })
}

/** The note every run of an incomplete merge carries: which shards its figures leave out. */
function describeGaps(set: ShardSet): string | null {
  if (set.missing.length === 0 && set.incomplete.length === 0) return null
  const arrived = set.shards.map((shard) => shard.info.index)
  const parts = [
    set.missing.length > 0 ? `shard${set.missing.length > 1 ? 's' : ''} ${set.missing.join(', ')} missing` : '',
    set.incomplete.length > 0
      ? `shard${set.incomplete.length > 1 ? 's' : ''} ${set.incomplete.join(', ')} did not finish (their records up to then are in)`
      : '',
  ].filter((part) => part.length > 0)
  return `merged from shards ${arrived.join(', ')} of ${set.count} (${parts.join('; ')}): the figures cover only what arrived`
}

function shardsBlock(set: ShardSet, base: ChosenTimeBase, recordCounts: ReadonlyMap<number, number>, merged: readonly MergedStep[]): MergedShards {
  const shards: MergedShards['shards'] = []
  for (let index = 0; index < set.count; index++) {
    const shard = set.shards.find((s) => s.info.index === index)
    if (!shard) {
      shards.push({ index, status: 'missing', host: null, folder: null, sent: null, records: 0, clock: null, runs: [] })
      continue
    }
    shards.push({
      index,
      status: shard.info.status,
      host: shard.info.host,
      folder: shard.folder,
      sent: shard.info.sent,
      records: recordCounts.get(index) ?? 0,
      clock: shard.info.clock,
      runs: merged.flatMap((step) => {
        const run = step.shardRuns.get(index)
        return run ? [run] : []
      }),
    })
  }
  return {
    count: set.count,
    runKey: set.runKey,
    scenarioSha256: set.scenarioSha256,
    timeBase: base.timeBase,
    largestUncertaintyMs: base.largestUncertaintyMs,
    shards,
    missing: set.missing,
    incomplete: set.incomplete,
    complete: set.missing.length === 0 && set.incomplete.length === 0,
  }
}
