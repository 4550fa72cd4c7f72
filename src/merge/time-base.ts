import type { ClockOffset, ShardInfo } from '../io/schema/shard.js'
import type { MergedShards } from '../io/schema/summary.js'

export type TimeBase = MergedShards['timeBase']

/** Which clock the shards' start times are read on, and each shard's offset to it. */
export interface ChosenTimeBase {
  timeBase: TimeBase
  /** By shard index: add to the shard's host Unix ms to read the chosen clock (0 with host clocks). */
  offsetMs: ReadonlyMap<number, number>
  /** The largest uncertainty of the offsets used (null with host clocks: unknown). */
  largestUncertaintyMs: number | null
}

/**
 * The time base of a merge: the shared time source's offsets when every shard measured one,
 * else the endpoint's HTTP Date offsets when every shard measured one, else the hosts' own clocks
 * (uncorrected). Mixing sources across shards would mix clocks, so one source serves all. Shards
 * that all ran on one host read one clock: a measured offset could only add its own error there.
 */
export function chooseTimeBase(shards: ReadonlyArray<Pick<ShardInfo, 'index' | 'clock' | 'host'>>): ChosenTimeBase {
  if (shards.length > 1 && shards.every((shard) => shard.host === shards[0]?.host)) {
    return { timeBase: 'one-host', offsetMs: new Map(shards.map((shard) => [shard.index, 0])), largestUncertaintyMs: 0 }
  }
  const pick = (source: (shard: Pick<ShardInfo, 'clock'>) => ClockOffset | null): ClockOffset[] | null => {
    const offsets = shards.map((shard) => source(shard))
    return offsets.every((offset): offset is ClockOffset => offset !== null) ? offsets : null
  }
  const shared = pick((shard) => shard.clock.shared)
  const endpointDate = shared ? null : pick((shard) => shard.clock.endpointDate)
  const offsets = shared ?? endpointDate
  if (shards.length === 0 || offsets === null) {
    return { timeBase: 'host-clocks', offsetMs: new Map(shards.map((shard) => [shard.index, 0])), largestUncertaintyMs: null }
  }
  return {
    timeBase: shared ? 'shared' : 'endpoint-date',
    offsetMs: new Map(shards.map((shard, i) => [shard.index, (offsets[i] as ClockOffset).offsetMs])),
    largestUncertaintyMs: Math.max(...offsets.map((offset) => offset.uncertaintyMs)),
  }
}

/**
 * Each shard step's shift onto one time origin: the earliest corrected start. A shard's step
 * began at `startedAtUnixMs` on its host's clock, `startedAtUnixMs + offset` on the chosen clock;
 * its record times (ms from its own start) move by that minus the earliest such start.
 */
export function shiftsOntoOneOrigin(
  starts: ReadonlyArray<{ index: number; startedAtUnixMs: number }>,
  base: ChosenTimeBase,
): { originUnixMs: number; shiftsMs: number[] } {
  const corrected = starts.map((start) => start.startedAtUnixMs + (base.offsetMs.get(start.index) ?? 0))
  const originUnixMs = Math.min(...corrected)
  return { originUnixMs, shiftsMs: corrected.map((at) => at - originUnixMs) }
}
