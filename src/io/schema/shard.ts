import { z } from 'zod'

/**
 * shard.json: what one shard of a run spread over many machines (`geopat bench --shard I/N`, or a
 * Kubernetes Indexed Job's JOB_COMPLETION_INDEX with `--shards N`) writes beside its records.jsonl.
 * `geopat merge` reads it to join the shards into one run: which run and scenario the shard belongs
 * to, which requests it sent, its host and how far its clock was from the clocks the shards share.
 *
 * The shard writes it when its load starts (status `running`) and again when it ends; a shard that
 * dies mid-run leaves `running` behind, with the records it had measured up to then.
 */
export const SHARD_FILE = 'shard.json'

/** One measurement of this host's clock against another clock. */
export const clockOffsetSchema = z
  .object({
    /** What was asked: `endpoint-date` (the endpoint's HTTP Date header) or the shared time source (`ntp://host:port`, `https://…`). */
    source: z.string().min(1),
    /** The other clock minus this host's clock, ms: this host's Unix ms + offsetMs = the other clock's. */
    offsetMs: z.number().finite(),
    /** Half-width of the interval the true offset lies in (half the round trip, plus the other clock's resolution). */
    uncertaintyMs: z.number().finite().nonnegative(),
    /** When it was measured, this host's Unix ms. */
    measuredAtUnixMs: z.number().finite(),
  })
  .strict()
export type ClockOffset = z.infer<typeof clockOffsetSchema>

export const shardInfoSchema = z
  .object({
    schema: z.literal('geopat.shard/v1'),
    /** From 0. The shard sends the requests whose id ≡ index (mod count), at the times the unsharded run would. */
    index: z.number().int().nonnegative(),
    count: z.number().int().min(1).max(10_000),
    /** What the shards of one run share (--run-key, else derived from the scenario and --start-at); shards of different runs are never merged. */
    runKey: z.string().min(1),
    /** SHA-256 (hex) of the scenario as resolved, defaults applied, the shard's own settings left out: equal for every shard of one run. */
    scenarioSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    /** The pod's name (HOSTNAME in a pod) or this machine's host name. */
    host: z.string().min(1),
    /** --start-at, Unix ms (null: the shard started when it was ready). */
    startAtUnixMs: z.number().finite().nullable(),
    /** When this shard's load started, this host's Unix ms (the runStartedAtUnixMs of its first step). */
    startedAtUnixMs: z.number().finite(),
    /** With --start-at: how late the load started after it, ms, on the shared clock when one was measured, else this host's (0: on time). */
    startLateMs: z.number().finite().nonnegative().optional(),
    clock: z
      .object({
        /** Against the endpoint's HTTP Date header (null when not measured, e.g. no Date header). */
        endpointDate: clockOffsetSchema.nullable(),
        /** Against the time source the shards share (--time-source); null when none was given. */
        shared: clockOffsetSchema.nullable(),
      })
      .strict(),
    /** running: written at the start and left so by a shard that died; finished; interrupted (Ctrl-C, SIGTERM, a lost server). */
    status: z.enum(['running', 'finished', 'interrupted']),
    /** Requests this shard sent (null while running). */
    sent: z.number().int().nonnegative().nullable(),
    geopatVersion: z.string(),
  })
  .strict()
  .refine((shard) => shard.index < shard.count, { message: 'must be less than count', path: ['index'] })
export type ShardInfo = z.infer<typeof shardInfoSchema>
