import type { LengthSpec } from '../io/schema/length-spec.js'
import type { Scenario } from '../io/schema/scenario.js'

/**
 * How much one shard's pod asks of a node: the one place the sizing rule of `geopat k8s render`
 * lives, with the measurements it comes from.
 *
 * Source: bench/RESULTS.md, section (B) "Concurrent streams held" (2026-12-04, Intel Xeon, 2 cores,
 * geopat dbbf56e), and the section "Streams and events per pod and per core" (bench/pod-capacity.ts)
 * that measures the same client with its memory. A stream is one response read token by token; a
 * token event is one chunk read and timed. The client's cost is per event, not per stream: N streams
 * at an inter-token latency of t ms bring N × 1000 / t events/s.
 *
 * - One event loop (one `--workers` thread) timed up to 10,000 events/s with its own verdict "ok"
 *   (1,000 streams at ITL 100 ms and 2,000 at ITL 200 ms); from 15,000 events/s it called itself
 *   client-bound (reads waiting on the socket > 0.25 ms). That is the capacity a pod is sized to.
 * - The CPU it used there: 0.25–0.27 cores at 10,000 events/s in (B) (37,000–40,000 events per
 *   core-second), 0.35 cores in the pod-capacity run (28,500, on a machine less quiet: load average
 *   about 2); rising roughly in proportion above (0.44–0.55 cores at 20,000, 0.61–0.76 at 30,000).
 *   The rule takes the lowest, 28,000 events per core-second.
 * - Memory: the peak resident set of the client process (bench/pod-capacity.ts), a base plus a
 *   share per stream held.
 *
 * The rule (a pod is sized so its client stays "ok", never to its CPU limit):
 * - cpu = max(event loops, ⌈2 × events/s ÷ EVENTS_PER_CORE_SECOND⌉) whole cores, request = limit:
 *   every event loop gets a core of its own, as its timestamps need the thread to run the moment
 *   data arrives (a fractional share would make reads wait for the CFS scheduler), and the CPU
 *   time it needs is kept at half of what it gets. Whole cores with request = limit make the pod
 *   Guaranteed, which lets a node's static CPU manager pin it.
 * - memory = ⌈1.5 × (BASE_MIB + streams × KIB_PER_STREAM ÷ 1024)⌉ MiB, request = limit.
 */
export const EVENTS_PER_EVENT_LOOP_OK = 10_000
export const EVENTS_PER_CORE_SECOND = 28_000
/** CPU time needed ÷ CPU given, at most. */
export const CPU_HEADROOM = 2
/** Peak resident set of the client with one stream open (Node, the CLI, the tokenizer): 162–174 MiB measured. */
export const BASE_MIB = 180
/**
 * Resident set per stream held (request state, socket buffers, records in flight): 60–107 KiB
 * measured between 1 and 3,000 streams in two runs, the most at 1,000 streams.
 */
export const KIB_PER_STREAM = 110
export const MEMORY_HEADROOM = 1.5

/** What one shard does, from the scenario split over the shards. */
export interface ShardLoad {
  /** Streams open at once in one shard (a closed loop's users, or an open loop's requests in flight by Little's law). */
  streams: number
  /** Token events per second one shard reads and times. */
  eventsPerSecond: number
  /** Event loops of the client: the scenario's load.workers (a closed loop), else 1. */
  eventLoops: number
  /** How the figures were found, for the manifest's comment and the README. */
  basis: string
}

export interface PodResources {
  /** Whole cores (request = limit). */
  cpuCores: number
  /** MiB (request = limit). */
  memoryMiB: number
}

/** The mean of a token-length spec as written (a distribution's clamping to >= 1 and to min/max is left out). */
export function nominalMeanTokens(spec: LengthSpec): number {
  if (typeof spec === 'number') return spec
  switch (spec.dist) {
    case 'fixed':
      return spec.value
    case 'uniform':
      return (spec.min + spec.max) / 2
    default:
      return spec.mean
  }
}

/**
 * One shard's load: the scenario's users (closed loop: `concurrency`, or a sweep's
 * `sweepMaxConcurrency`, its heaviest step) or arrival rate (open loop: `rate`, capped by
 * `maxConcurrency`) divided over `shards`, at an inter-token latency of `itlMs`.
 */
export function shardLoad(scenario: Scenario, shards: number, itlMs: number): ShardLoad {
  const load = scenario.load
  const eventsPerStream = 1000 / itlMs
  const outputTokens = nominalMeanTokens(scenario.input.outputTokens)
  const closedUsers = load.profile === 'sweep' ? load.sweepMaxConcurrency : load.concurrency
  if (load.rate === undefined || load.profile === 'sweep') {
    const users = closedUsers ?? 1
    const streams = Math.ceil(users / shards)
    return {
      streams,
      eventsPerSecond: streams * eventsPerStream,
      eventLoops: load.workers,
      basis: `${users} users over ${shards} shards = ${streams} streams a shard, × 1000 / ${itlMs} ms ITL`,
    }
  }
  const ratePerShard = load.rate / shards
  const inFlight = ratePerShard * ((outputTokens * itlMs) / 1000)
  const cap = load.maxConcurrency !== undefined ? Math.ceil(load.maxConcurrency / shards) : Number.POSITIVE_INFINITY
  const streams = Math.max(1, Math.min(cap, Math.ceil(inFlight)))
  const eventsPerSecond = Math.min(ratePerShard * outputTokens, streams * eventsPerStream)
  return {
    streams,
    eventsPerSecond,
    eventLoops: 1,
    basis:
      `${load.rate} requests/s over ${shards} shards × ${outputTokens} output tokens = ${round(eventsPerSecond)} events/s a shard; ` +
      `${streams} streams in flight (rate × output tokens × ${itlMs} ms ITL${Number.isFinite(cap) ? `, at most maxConcurrency ÷ shards = ${cap}` : ''})`,
  }
}

/** The pod's cpu and memory for a shard's load (request = limit), by the rule above. */
export function podResources(load: ShardLoad): PodResources {
  const cpuCores = Math.max(load.eventLoops, Math.ceil((CPU_HEADROOM * load.eventsPerSecond) / EVENTS_PER_CORE_SECOND))
  const memoryMiB = Math.ceil(MEMORY_HEADROOM * (BASE_MIB + (load.streams * KIB_PER_STREAM) / 1024))
  return { cpuCores, memoryMiB }
}

/** Shards needed so that no event loop takes more than it times "ok": ⌈events/s of the whole ÷ (loops × capacity)⌉. */
export function shardsNeeded(load: ShardLoad, shards: number): number {
  return Math.ceil((load.eventsPerSecond * shards) / (load.eventLoops * EVENTS_PER_EVENT_LOOP_OK))
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
