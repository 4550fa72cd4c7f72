/**
 * One shard's slice of a run spread over many machines (`geopat bench --shard I/N`): shard k of N
 * owns the requests whose global id ≡ k (mod N). A closed loop's users and an open loop's
 * concurrency cap are split over the shards; an open loop's arrivals are the unsharded run's
 * seeded schedule with only the shard's own ids kept, so that the union of the shards is the
 * process asked for whatever N is; each request's prompt is the one the unsharded run gives its id.
 */
import type { PromptItem, PromptSource, SkippablePromptSource } from '../input/prompts.js'
import type { LoadConfig } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import type { ArrivalSchedule } from './arrivals.js'

/** Which shard this process is: index from 0, of count. */
export interface ShardSlice {
  index: number
  count: number
}

/** What a step's sending reads to know which requests are its own. */
export interface ShardedCount {
  /** The whole run's request cap (all shards together). */
  maxRequests?: number
  shard?: ShardSlice
}

/** The share of `total` (users, a concurrency cap) shard `index` of `count` takes: the first `total mod count` shards take one more. */
export function shareOf(total: number, shard: ShardSlice): number {
  return Math.floor(total / shard.count) + (shard.index < total % shard.count ? 1 : 0)
}

/** How many of the ids 0 … total − 1 are ≡ index (mod count). */
export function ownedRequestCount(total: number, shard: ShardSlice): number {
  return total > shard.index ? Math.ceil((total - shard.index) / shard.count) : 0
}

/** The requests this process sends: the step's cap, or the shard's part of it (undefined: no cap). */
export function requestsToSend(step: ShardedCount): number | undefined {
  if (step.maxRequests === undefined || step.shard === undefined) return step.maxRequests
  return ownedRequestCount(step.maxRequests, step.shard)
}

/** The global id of this process's `local`-th request (from 0). */
export function globalRequestId(local: number, shard: ShardSlice | undefined): number {
  return shard === undefined ? local : shard.index + local * shard.count
}

/**
 * Refuses, in one line naming the option, a load that cannot be split over `shard.count` shards:
 * a sweep (it steers step by step from the whole's measurements), fewer users or a smaller
 * concurrency cap than shards (a shard with none would send nothing).
 */
export function checkShardable(load: LoadConfig, shard: ShardSlice): void {
  const { count } = shard
  const which = `shard ${shard.index}/${count}`
  if (load.profile === 'sweep')
    throw new UserError(`${which}: a sweep cannot be sharded (it steers each step by what the whole measured); shard a concurrency or a rate`)
  if (load.rate === undefined && load.trace === undefined && (load.concurrency ?? 1) < count) {
    throw new UserError(`${which}: concurrency ${load.concurrency ?? 1} is fewer users than the ${count} shards; give at least one user per shard`)
  }
  if (load.maxConcurrency !== undefined && load.maxConcurrency < count) {
    throw new UserError(`${which}: max-concurrency ${load.maxConcurrency} is split over ${count} shards; give at least 1 per shard`)
  }
}

/** A step as one shard runs it: its share of the users or of the concurrency cap; the rate, seed and request cap stay the whole run's. */
export function shardStep<Step extends ShardedCount & { concurrency?: number; maxConcurrency?: number; mode: 'closed' | 'open' }>(
  step: Step,
  shard: ShardSlice,
): Step {
  return {
    ...step,
    shard,
    ...(step.mode === 'closed' ? { concurrency: shareOf(step.concurrency ?? 1, shard) } : {}),
    ...(step.maxConcurrency !== undefined ? { maxConcurrency: shareOf(step.maxConcurrency, shard) } : {}),
  }
}

/** The arrivals of the unsharded schedule whose index is ≡ shard.index (mod shard.count), at the same offsets. */
export function shardSchedule(schedule: ArrivalSchedule, shard: ShardSlice): ArrivalSchedule {
  let first = true
  return {
    nextOffsetMs(): number | undefined {
      const passOver = first ? shard.index : shard.count - 1
      first = false
      for (let i = 0; i < passOver; i++) if (schedule.nextOffsetMs() === undefined) return undefined
      return schedule.nextOffsetMs()
    },
  }
}

/** The prompts of the shard's ids, in order: each the one the unsharded source gives that id; the others are skipped, never built. */
export function shardPromptSource(source: SkippablePromptSource, shard: ShardSlice): PromptSource {
  let first = true
  return {
    next(): PromptItem {
      source.skip(first ? shard.index : shard.count - 1)
      first = false
      return source.next()
    },
  }
}
