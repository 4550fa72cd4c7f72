import { SHARD_FILE } from '../io/schema/shard.js'
import { UserError } from '../util/errors.js'
import { SUMMARY_FILE, type ShardFolder } from './shard-folders.js'

/** What the shards given make up: one run's shards, and which of its shards are missing or did not finish. */
export interface ShardSet {
  count: number
  runKey: string
  scenarioSha256: string
  /** The shards that arrived, by index. */
  shards: ShardFolder[]
  /** Indexes no folder held. */
  missing: number[]
  /** Indexes whose shard did not finish (shard.json still `running`, or no summary.json): merged only with --allow-missing. */
  incomplete: number[]
}

/**
 * The rules a merge holds the shards to, each refusal one line naming the folder and the rule:
 * one run (runKey), one scenario (scenarioSha256), one shard count, each index once; and, unless
 * `allowMissing`, every index present and finished.
 */
export function checkShardSet(shards: readonly ShardFolder[], allowMissing: boolean): ShardSet {
  const first = shards[0]
  if (!first) throw new UserError('merge: no shard folder given')
  const byIndex = new Map<number, ShardFolder>()
  for (const shard of shards) {
    sameAs(shard, first, 'runKey', 'shards of different runs are never merged')
    sameAs(shard, first, 'scenarioSha256', 'shards of different scenarios are never merged')
    sameAs(shard, first, 'count', 'every shard of a run has the same count')
    const twin = byIndex.get(shard.info.index)
    if (twin) throw new UserError(`${shard.folder}: ${SHARD_FILE}: index ${shard.info.index} is also ${twin.folder}'s: each shard index once`)
    byIndex.set(shard.info.index, shard)
  }
  const { count } = first.info
  const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !byIndex.has(index))
  const incomplete = [...byIndex.values()].filter((shard) => !finished(shard)).map((shard) => shard.info.index)
  if (!allowMissing) refuseGaps(first, missing, byIndex)
  return {
    count,
    runKey: first.info.runKey,
    scenarioSha256: first.info.scenarioSha256,
    shards: [...byIndex.values()].sort((a, b) => a.info.index - b.info.index),
    missing,
    incomplete: incomplete.sort((a, b) => a - b),
  }
}

/** A shard that ran to its end (finished, or interrupted and summarized) and wrote its summary. */
function finished(shard: ShardFolder): boolean {
  return shard.info.status !== 'running' && shard.summary !== null
}

function sameAs(shard: ShardFolder, first: ShardFolder, field: 'runKey' | 'scenarioSha256' | 'count', rule: string): void {
  const value = shard.info[field]
  const expected = first.info[field]
  if (value !== expected) {
    throw new UserError(
      `${shard.folder}: ${SHARD_FILE}: ${field} ${JSON.stringify(value)} differs from ${JSON.stringify(expected)} in ${first.folder}: ${rule}`,
    )
  }
}

function refuseGaps(first: ShardFolder, missing: number[], byIndex: ReadonlyMap<number, ShardFolder>): void {
  const { count } = first.info
  if (missing.length > 0) {
    throw new UserError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} (run ${first.info.runKey}) missing: no folder given holds ` +
        `${missing.length > 1 ? 'them' : 'it'}; give every shard's folder, or --allow-missing to merge what arrived`,
    )
  }
  for (const shard of byIndex.values()) {
    if (shard.info.status === 'running') {
      throw new UserError(
        `${shard.folder}: shard ${shard.info.index} of ${count} did not finish (${SHARD_FILE} status running: it died mid-run); ` +
          '--allow-missing merges the records it left, and the summary says so',
      )
    }
    if (shard.summary === null) {
      throw new UserError(
        `${shard.folder}: shard ${shard.info.index} of ${count} has no ${SUMMARY_FILE} (status ${shard.info.status}); --allow-missing merges its records`,
      )
    }
  }
}
