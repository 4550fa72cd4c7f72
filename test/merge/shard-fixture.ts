import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { type ClockOffset, SHARD_FILE, type ShardInfo, shardInfoSchema } from '../../src/io/schema/shard.js'
import { type BenchSummary, type RunSummary, benchSummarySchema } from '../../src/io/schema/summary.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'

/** An unsharded run in the simulator's virtual time: its records (one time origin) and bench's summary of them. */
export async function virtualRun(options: { mode: 'open' | 'closed'; seed: number; durationMs?: number; cooldownS?: number }) {
  const load =
    options.mode === 'open'
      ? {
          step: 0,
          label: 'rate 12/s',
          mode: 'open' as const,
          ratePerS: 12,
          durationMs: options.durationMs ?? 30_000,
          arrival: 'poisson' as const,
          burstiness: 1,
          seed: options.seed,
        }
      : {
          step: 0,
          label: 'concurrency 6',
          mode: 'closed' as const,
          concurrency: 6,
          durationMs: options.durationMs ?? 20_000,
          arrival: 'poisson' as const,
          burstiness: 1,
          seed: options.seed,
        }
  const { records, summary } = await runVirtual({
    profile: loadProfile('h100-sxm-llama-3.1-8b-bf16'),
    confidential: false,
    load,
    inputTokens: { dist: 'uniform', min: 64, max: 512 },
    outputTokens: { dist: 'uniform', min: 4, max: 64 },
    seed: options.seed,
    slo: { ttftMs: 200, tpotMs: 20 },
    keepRecords: true,
    cooldownS: options.cooldownS ?? 0,
  })
  // As records.jsonl holds them.
  const plain = records.map((record) => JSON.parse(JSON.stringify(record)) as RequestRecord)
  return { records: plain, run: summary }
}

export const offset = (source: string, offsetMs: number, uncertaintyMs: number): ClockOffset => ({
  source,
  offsetMs,
  uncertaintyMs,
  measuredAtUnixMs: 1_800_000_000_000,
})

/** How one shard of a fixture ran: its start on the true clock, its host clock's error, what it measured, how it ended. */
export interface ShardPlan {
  /** When its load started, ms after the run's true origin (its record times count from there). */
  startsAfterMs: number
  /** Its host clock minus the true clock, ms (a shard.json offset is the negative of it, give or take its uncertainty). */
  hostClockErrorMs: number
  clock: ShardInfo['clock']
  status?: ShardInfo['status']
  /** Write no summary.json (a shard that died). */
  noSummary?: boolean
  /** Keep only the records whose send started before this (ms on the shard's own clock): a shard killed mid-run. */
  recordsBeforeMs?: number
  client?: Partial<RunSummary['client']>
  host?: string
}

/** The true clock's Unix ms of the run's origin. */
export const TRUE_ORIGIN_UNIX_MS = 1_800_000_000_000

/**
 * Splits an unsharded run into shard folders as `geopat bench --shard I/N` writes them: shard I
 * holds the requests whose id ≡ I (mod N), its times counted from its own start (`startsAfterMs`
 * after the true origin), its start read on its own host clock, its shard.json and summary.json.
 */
export function writeShards(
  dir: string,
  source: { records: readonly RequestRecord[]; run: RunSummary },
  plans: readonly ShardPlan[],
  identity: { runKey?: string; scenarioSha256?: string; count?: number } = {},
): string[] {
  const count = identity.count ?? plans.length
  return plans.map((plan, index) => {
    const folder = join(dir, `shard-${index}`)
    mkdirSync(folder, { recursive: true })
    const own = source.records
      .filter((record) => record.id % count === index)
      .map((record) => ({ ...record, intendedSendMs: record.intendedSendMs - plan.startsAfterMs, sendMs: record.sendMs - plan.startsAfterMs }))
      .filter((record) => plan.recordsBeforeMs === undefined || record.sendMs < plan.recordsBeforeMs)
    writeFileSync(join(folder, 'records.jsonl'), own.map((record) => `${JSON.stringify(record)}\n`).join(''))
    const startedAtUnixMs = TRUE_ORIGIN_UNIX_MS + plan.startsAfterMs + plan.hostClockErrorMs
    const status = plan.status ?? 'finished'
    const info: ShardInfo = shardInfoSchema.parse({
      schema: 'geopat.shard/v1',
      index,
      count,
      runKey: identity.runKey ?? 'run-a',
      scenarioSha256: identity.scenarioSha256 ?? 'a'.repeat(64),
      host: plan.host ?? `pod-${index}`,
      startAtUnixMs: null,
      startedAtUnixMs,
      clock: plan.clock,
      status,
      sent: status === 'running' ? null : own.length,
      geopatVersion: 'test',
    })
    writeFileSync(join(folder, SHARD_FILE), JSON.stringify(info))
    if (!plan.noSummary) writeFileSync(join(folder, 'summary.json'), JSON.stringify(shardSummary(source.run, plan, startedAtUnixMs, { index, count })))
    return folder
  })
}

/** Shard `index` of `count`'s share of `total` users (or cap): the first `total mod count` shards take one more, as bench --shard splits them. */
export const shareOf = (total: number, index: number, count: number): number => Math.floor(total / count) + (index < total % count ? 1 : 0)

/**
 * The shard's summary.json: the run's, on the shard's own clock, stating the shard's share of the
 * load (1/N of the rate, its share of users, cap and requests) and its own self-check (the merge
 * recomputes the rest).
 */
function shardSummary(run: RunSummary, plan: ShardPlan, startedAtUnixMs: number, shard: { index: number; count: number }): BenchSummary {
  const { index, count } = shard
  const share = (total: number | null): number | null => (total === null ? null : shareOf(total, index, count))
  const shardRun: RunSummary = {
    ...run,
    requested: {
      ...run.requested,
      ratePerS: run.requested.ratePerS === null ? null : run.requested.ratePerS / count,
      concurrency: share(run.requested.concurrency),
      maxConcurrency: share(run.requested.maxConcurrency),
      requests: run.requested.requests === null ? null : Math.max(0, Math.ceil((run.requested.requests - index) / count)),
    },
    achieved: { ...run.achieved, runStartedAtUnixMs: startedAtUnixMs },
    window: { ...run.window, startMs: run.window.startMs - plan.startsAfterMs, endMs: run.window.endMs - plan.startsAfterMs },
    client: { ...run.client, ...plan.client },
    warnings: [],
  }
  return benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId: 'shard-run',
    tool: { name: 'geopat', version: 'test', node: process.version },
    startedAt: new Date(startedAtUnixMs).toISOString(),
    finishedAt: new Date(startedAtUnixMs + 60_000).toISOString(),
    recordsFile: 'records.jsonl',
    tokenizer: 'test',
    runs: [shardRun],
  })
}
