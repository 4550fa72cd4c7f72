import type { RequestRecord } from '../io/schema/record.js'
import { UserError } from '../util/errors.js'
import type { MergedShards, RunSummary } from '../io/schema/summary.js'
import { type RunFacts, summarizeRun } from '../metrics/summarize.js'
import { achievedFromRecords } from './achieved.js'
import { mergeClientChecks } from './client-check.js'
import { wholeRequested } from './requested.js'
import type { ShardStep, StepKey } from './shard-records.js'
import { type ChosenTimeBase, shiftsOntoOneOrigin } from './time-base.js'

type ShardRun = MergedShards['shards'][number]['runs'][number]

/** One step merged: the union of its records on one time origin, its summary, and each shard's part of it. */
export interface MergedStep {
  records: RequestRecord[]
  summary: RunSummary
  shardRuns: Map<number, ShardRun>
}

/** Warnings the summary recomputes from the union (src/metrics/summarize.ts figureWarnings): a shard's own are left out. */
const RECOMPUTED_WARNINGS = [/^the server or a proxy coalesces events/, /responses had no usage: output tokens counted with the client's tokenizer$/]

/**
 * One step of the merged run: the load the whole asked (the shards' shares added up), each shard's record times moved onto the earliest corrected start
 * (intendedSendMs and sendMs; every other time counts from sendMs), the union sorted by intended
 * send time, and the summary recomputed from the union by the code bench uses (summarizeRun), the
 * achieved load and the client self-check taken from the union too.
 */
export async function mergeStep(
  key: StepKey,
  parts: readonly ShardStep[],
  context: { base: ChosenTimeBase; reference: RunSummary; gapNote: string | null; count: number },
): Promise<MergedStep> {
  const { base, reference } = context
  const starts = parts.map((part) => ({
    index: part.shard.info.index,
    startedAtUnixMs: part.run?.achieved.runStartedAtUnixMs ?? part.shard.info.startedAtUnixMs,
  }))
  const { originUnixMs, shiftsMs } = shiftsOntoOneOrigin(starts, base)
  const records: RequestRecord[] = []
  const shardRuns = new Map<number, ShardRun>()
  let sendEndMs = 0
  refuseOverlap(key, parts)
  for (const [i, part] of parts.entries()) {
    const shiftMs = shiftsMs[i] as number
    sendEndMs = Math.max(sendEndMs, shardSendEndMs(part, reference.requested.cooldownS) + shiftMs)
    for (const record of part.records) {
      record.intendedSendMs += shiftMs
      record.sendMs += shiftMs
      records.push(record)
    }
    shardRuns.set(part.shard.info.index, {
      endpoint: key.endpoint,
      step: key.step,
      startedAtUnixMs: (starts[i] as { startedAtUnixMs: number }).startedAtUnixMs,
      shiftMs,
      client: part.run?.client ?? null,
    })
  }
  records.sort((a, b) => a.intendedSendMs - b.intendedSendMs || a.id - b.id)
  const notes: string[] = []
  const shares = parts.flatMap((part) => (part.run ? [{ index: part.shard.info.index, requested: part.run.requested }] : []))
  const { requested, estimatedFor } = wholeRequested(shares.length > 0 ? shares : [{ index: 0, requested: reference.requested }], context.count)
  if (estimatedFor.length > 0)
    notes.push(`the load asked: the shares of shard${estimatedFor.length > 1 ? 's' : ''} ${estimatedFor.join(', ')} (no summary) taken from their neighbours'`)
  const checks = parts.flatMap((part) => (part.run ? [{ index: part.shard.info.index, host: part.shard.info.host, check: part.run.client }] : []))
  const client = mergeClientChecks(checks, records, requested)
  notes.push(...client.notes)
  const serverLost = parts.find((part) => part.run?.serverLost)?.run?.serverLost
  const facts: RunFacts = {
    endpoint: reference.endpoint,
    step: key.step,
    stepLabel: reference.stepLabel,
    requested,
    achieved: achievedFromRecords(records, requested.mode, originUnixMs),
    client: client.client,
    interrupted: parts.some((part) => part.run?.interrupted === true || part.shard.info.status === 'interrupted'),
    ...(serverLost ? { serverLost } : {}),
    sendEndMs,
    slo: reference.goodput?.slo ?? {},
    warnings: [...(context.gapNote ? [context.gapNote] : []), ...shardWarnings(parts), ...notes],
  }
  return { records, summary: await summarizeRun(() => records, facts), shardRuns }
}

/** Each request belongs to one shard: an id in two shards' records means they overlap (not one run's slices). */
function refuseOverlap(key: StepKey, parts: readonly ShardStep[]): void {
  const owner = new Map<number, string>()
  for (const part of parts) {
    for (const record of part.records) {
      const other = owner.get(record.id)
      if (other !== undefined && other !== part.shard.folder) {
        throw new UserError(
          `${part.shard.folder}: request id ${record.id} (${key.endpoint}, step ${key.step}) is also in ${other}: each request belongs to one shard`,
        )
      }
      owner.set(record.id, part.shard.folder)
    }
  }
}

/**
 * When the shard stopped sending, ms from its own start: with a cool-down, the one its summary's
 * window was cut by (window end + cool-down); otherwise (or with no summary) its last send.
 */
function shardSendEndMs(part: ShardStep, cooldownS: number): number {
  if (part.run && cooldownS > 0) return part.run.window.endMs + cooldownS * 1000
  let last = 0
  for (const record of part.records) last = Math.max(last, record.sendMs)
  return last
}

/** The shards' own warnings of the step, each naming its shard, less those the merged summary recomputes. */
function shardWarnings(parts: readonly ShardStep[]): string[] {
  const warnings: string[] = []
  for (const part of parts) {
    for (const warning of part.run?.warnings ?? []) {
      if (RECOMPUTED_WARNINGS.some((pattern) => pattern.test(warning))) continue
      const named = `shard ${part.shard.info.index} (${part.shard.info.host}): ${warning}`
      if (!warnings.includes(named)) warnings.push(named)
    }
  }
  return warnings
}
