import { readRecords } from '../io/output/records-reader.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import type { ShardFolder } from './shard-folders.js'

/** One load step of a run: an endpoint's label and the step's number. */
export interface StepKey {
  endpoint: string
  step: number
}

export const stepKeyOf = (key: StepKey): string => `${key.step}\u0000${key.endpoint}`

/** One shard's records of one step, with the summary it wrote of that step (null: it wrote none). */
export interface ShardStep {
  shard: ShardFolder
  records: RequestRecord[]
  run: RunSummary | null
}

/** The steps of a merged run, in the order the shards ran them, each with every shard's part. */
export interface MergedSteps {
  steps: Array<{ key: StepKey; parts: ShardStep[] }>
  /** Records read per shard index. */
  recordCounts: Map<number, number>
}

/**
 * Reads every shard's records.jsonl (each line checked against the record schema: a bad one stops
 * the merge with one line naming the file and line; a torn last line, left by a shard that died
 * mid-write, is skipped and `onWarning` is told) and groups them by step.
 */
export async function readShardSteps(shards: readonly ShardFolder[], onWarning: (message: string) => void): Promise<MergedSteps> {
  const order: StepKey[] = []
  const byKey = new Map<string, Map<number, ShardStep>>()
  const recordCounts = new Map<number, number>()
  const partOf = (key: StepKey, shard: ShardFolder): ShardStep => {
    const id = stepKeyOf(key)
    let parts = byKey.get(id)
    if (!parts) {
      parts = new Map()
      byKey.set(id, parts)
      order.push({ endpoint: key.endpoint, step: key.step })
    }
    let part = parts.get(shard.info.index)
    if (!part) {
      const run = shard.summary?.runs.find((r) => r.endpoint.label === key.endpoint && r.step === key.step) ?? null
      part = { shard, records: [], run }
      parts.set(shard.info.index, part)
    }
    return part
  }
  // The steps each summary lists come first, in its order, so that a step no record reached still has its place.
  for (const shard of shards) for (const run of shard.summary?.runs ?? []) partOf({ endpoint: run.endpoint.label, step: run.step }, shard)
  for (const shard of shards) {
    let count = 0
    for await (const record of readRecords(shard.recordsPath, { validate: true, onWarning })) {
      partOf({ endpoint: record.endpoint, step: record.step }, shard).records.push(record)
      count++
    }
    recordCounts.set(shard.info.index, count)
  }
  const sortedOrder = order.sort((a, b) => endpointRank(shards, a.endpoint) - endpointRank(shards, b.endpoint) || a.step - b.step)
  return {
    steps: sortedOrder.map((key) => ({ key, parts: [...(byKey.get(stepKeyOf(key))?.values() ?? [])].sort((a, b) => a.shard.info.index - b.shard.info.index) })),
    recordCounts,
  }
}

/** An endpoint's place in the run: its first appearance in a shard's summary (endpoints run in turn). */
function endpointRank(shards: readonly ShardFolder[], endpoint: string): number {
  for (const shard of shards) {
    const at = shard.summary?.runs.findIndex((run) => run.endpoint.label === endpoint) ?? -1
    if (at >= 0) return at
  }
  return Number.MAX_SAFE_INTEGER
}
