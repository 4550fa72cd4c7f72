import { z } from 'zod'
import { attestationRunSchema } from './attestation.js'
import { ERROR_CLASSES } from './record.js'
import { runSafetySchema } from './safety.js'
import { clockOffsetSchema } from './shard.js'

const nullableNumber = z.number().nullable()

export const distributionSchema = z
  .object({
    count: z.number().int().nonnegative(),
    mean: nullableNumber,
    std: nullableNumber,
    min: nullableNumber,
    p50: nullableNumber,
    p90: nullableNumber,
    p95: nullableNumber,
    p99: nullableNumber,
    p999: nullableNumber,
    max: nullableNumber,
  })
  .strict()

const errorCountsSchema = z.object(Object.fromEntries(ERROR_CLASSES.map((c) => [c, z.number().int().nonnegative()]))).strict()

const rangeSchema = z.tuple([z.number(), z.number()]).nullable()
export const intervalsSchema = z.object({ confidence: z.number(), mean: rangeSchema, p50: rangeSchema, p90: rangeSchema, p99: rangeSchema }).strict()

export const clientCheckSchema = z
  .object({
    /** server-lost: the server went away during the run; the figures measured failed connections, not the client's capacity. */
    verdict: z.enum(['ok', 'client-bound', 'server-lost']),
    reasons: z.array(z.string()),
    /** When client-bound: what would let the client keep up (more worker threads, more cores, less load). */
    advice: z.string().optional(),
    eventLoopDelayMeanMs: z.number(),
    eventLoopDelayP99Ms: z.number(),
    eventLoopDelayMaxMs: z.number(),
    /** Share of wall time the event loop was busy (1 = never idle). */
    eventLoopUtilization: z.number(),
    /** Open loop: actual − intended send time (a concurrency cap's waits excluded). */
    sendLatenessMs: distributionSchema,
    /** Time requests on kept-alive connections waited inside the client before being written. */
    dispatchWaitMs: distributionSchema,
    /** Closed loop: dispatch wait / (dispatch wait + latency), summed over requests. */
    dispatchWaitShare: z.number(),
    /** CPU time of the geopat process / wall time, in cores (1.0 = one core busy). */
    cpuCores: z.number(),
    workers: z.number().int().positive(),
    /**
     * How late the client read data that had arrived on a socket (a loopback probe written every
     * 2 ms by a worker thread, read like response data): what every chunk timestamp, and so TTFT
     * and E2E, may be late by. Absent where not measured (virtual time, older summaries).
     */
    readLatenessMs: distributionSchema.optional(),
    /**
     * The probe's lateness weighted by the response reads handled around each probe read: reads
     * come in bursts, when the wait is longest, so this is the lateness the reads met on average.
     */
    readLatenessPerReadMeanMs: z.number().optional(),
    /**
     * This thread's garbage-collection pauses after the warm-up (with load workers, the worst
     * worker's): how many, their sum and the longest, and readDelayMeanMs = Σ pause² / (2 × wall
     * time), the mean wait of a read arriving at a random moment.
     */
    gcPauses: z.object({ count: z.number().int().nonnegative(), totalMs: z.number(), maxMs: z.number(), readDelayMeanMs: z.number() }).strict().optional(),
  })
  .strict()

/** The server went away during a run (connect errors in a row, or a stall): sending stopped. */
export const serverLostSchema = z
  .object({ since: z.string(), reason: z.enum(['connect-errors', 'stall']), consecutiveConnectErrors: z.number().int().nonnegative() })
  .strict()

/**
 * A run of multi-turn sessions (input.sessions; src/metrics/sessions.ts): how many started and ran
 * every turn, the turns each sent, TTFT by turn index, how long a session took from its first send
 * to its last answer's end, and the server's prefix-cache hit rate over the step (from /metrics).
 */
export const sessionsSummarySchema = z
  .object({
    started: z.number().int().nonnegative(),
    /** Sessions whose every turn was answered without error. */
    completed: z.number().int().nonnegative(),
    /** Turns sent per session (every started session). */
    turnsPerSession: distributionSchema,
    /** TTFT (ms) of the successful turns of each index, from 0 (the first turn). */
    ttftByTurn: z.array(
      z
        .object({ turn: z.number().int().nonnegative(), count: z.number().int().nonnegative(), p50: nullableNumber, p90: nullableNumber, p99: nullableNumber })
        .strict(),
    ),
    /** Completed sessions: seconds from the first turn's send to the last answer's end. */
    durationS: distributionSchema,
    /** vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total over the step (--scrape-metrics); null when not known. */
    prefixCacheHitRate: nullableNumber,
  })
  .strict()
export type SessionsSummary = z.infer<typeof sessionsSummarySchema>

/**
 * One endpoint × one load step: the numbers a user reads. The run-level figures of window,
 * requests, tokens, throughput and goodput are the ones src/metrics/run-figures.ts defines (a test
 * holds the two lists equal).
 */
export const runSummarySchema = z
  .object({
    endpoint: z.object({ label: z.string(), url: z.string(), model: z.string(), api: z.enum(['chat', 'completions']) }).strict(),
    step: z.number().int().nonnegative(),
    stepLabel: z.string(),
    requested: z
      .object({
        mode: z.enum(['closed', 'open']),
        concurrency: z.number().nullable(),
        ratePerS: z.number().nullable(),
        arrival: z.string().nullable(),
        burstiness: z.number().nullable(),
        maxConcurrency: z.number().nullable(),
        requests: z.number().nullable(),
        durationS: z.number().nullable(),
        warmupS: z.number(),
        cooldownS: z.number(),
        /** The run replayed a trace (bench --trace): which, and how; arrival is then "trace". */
        trace: z
          .object({
            file: z.string(),
            format: z.string(),
            /** Rows replayed (the whole run's, all shards together), of the file's `fileRows`. */
            rows: z.number().int().nonnegative(),
            fileRows: z.number().int().nonnegative(),
            speedup: z.number(),
            /** The window replayed, seconds from the trace's first arrival; endS null: to the end. */
            startS: z.number(),
            endS: z.number().nullable(),
            /**
             * Share of the replayed rows' input tokens in whole blocks whose chain of ids came earlier
             * (src/input/trace/prefix-reuse.ts): what an unbounded prefix cache would reuse.
             */
            impliedPrefixReuse: z.number().min(0).max(1),
          })
          .strict()
          .optional(),
      })
      .strict(),
    achieved: z
      .object({
        concurrencyMean: z.number(),
        concurrencyMax: z.number(),
        sendRatePerS: z.number().nullable(),
        runDurationS: z.number(),
        /** Unix ms (the machine's clock) of the run's time origin: a record's sendMs + this = its send time. */
        runStartedAtUnixMs: z.number().optional(),
      })
      .strict(),
    window: z.object({ startMs: z.number(), endMs: z.number(), durationS: z.number(), rule: z.string() }).strict(),
    requests: z
      .object({
        sent: z.number().int().nonnegative(),
        succeeded: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
        errors: errorCountsSchema,
        inWindow: z.number().int().nonnegative(),
        succeededInWindow: z.number().int().nonnegative(),
        excludedWarmup: z.number().int().nonnegative(),
        excludedCooldown: z.number().int().nonnegative(),
        retries: z.number().int().nonnegative(),
      })
      .strict(),
    tokens: z
      .object({
        inputRequestedMean: nullableNumber,
        inputServerMean: nullableNumber,
        /** (server − requested) / requested × 100 over requests where both are known. */
        inputDiscrepancyPct: nullableNumber,
        outputRequestedMean: nullableNumber,
        outputMean: nullableNumber,
        outputFromServerUsage: z.number().int().nonnegative(),
        outputCountedByClient: z.number().int().nonnegative(),
        /** Mean token events per network read; > 1.2 means the server or a proxy coalesces. */
        eventsPerRead: nullableNumber,
        coalescingDetected: z.boolean(),
      })
      .strict(),
    throughput: z
      .object({
        requestsPerS: z.number(),
        outputTokensPerS: z.number(),
        totalTokensPerS: z.number(),
      })
      .strict(),
    goodput: z
      .object({
        /** The SLO as given (src/metrics/slo.ts): per-request TTFT, TPOT, E2E in ms; other objectives as expressions. */
        slo: z
          .object({ ttftMs: z.number().optional(), tpotMs: z.number().optional(), e2eMs: z.number().optional(), objectives: z.array(z.string()).optional() })
          .strict(),
        requestsPerS: z.number(),
        outputTokensPerS: z.number(),
        fractionOfRequests: nullableNumber,
      })
      .strict()
      .nullable(),
    /**
     * The run-level figures registered after the groups above (src/metrics/run-figures.ts), by id;
     * absent when there are none.
     */
    figures: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])).optional(),
    metrics: z.record(z.string(), distributionSchema),
    /** 95% intervals of the per-request metrics' mean and percentiles within this run. */
    intervals: z.record(z.string(), intervalsSchema),
    client: clientCheckSchema,
    /** Multi-turn sessions (absent for independent requests). */
    sessions: sessionsSummarySchema.optional(),
    interrupted: z.boolean(),
    /** The server went away during the run (connect errors in a row, or a stall): sending stopped. */
    serverLost: serverLostSchema.optional(),
    warnings: z.array(z.string()),
  })
  .strict()
export type RunSummary = z.infer<typeof runSummarySchema>

/** One load step of one shard in a merged run: where its times came from and its own client self-check. */
const mergedShardRunSchema = z
  .object({
    endpoint: z.string(),
    step: z.number().int().nonnegative(),
    /** The step's time origin on the shard's host clock, Unix ms (its summary's runStartedAtUnixMs, else shard.json's startedAtUnixMs). */
    startedAtUnixMs: z.number(),
    /** Added to the shard's intendedSendMs and sendMs to put them on the merged run's one time origin. */
    shiftMs: z.number(),
    /** The shard's own client self-check, as its summary.json has it (null: the shard wrote no summary). */
    client: clientCheckSchema.nullable(),
  })
  .strict()

/** One shard of a merged run, as it arrived (or did not). */
const mergedShardSchema = z
  .object({
    index: z.number().int().nonnegative(),
    /** missing: no folder held it; running: it died mid-run (its records up to then are merged with --allow-missing). */
    status: z.enum(['finished', 'interrupted', 'running', 'missing']),
    host: z.string().nullable(),
    /** The folder it was read from (null when missing). */
    folder: z.string().nullable(),
    /** Requests the shard says it sent (shard.json; null while running or missing). */
    sent: z.number().int().nonnegative().nullable(),
    /** Records read from its records.jsonl. */
    records: z.number().int().nonnegative(),
    clock: z.object({ endpointDate: clockOffsetSchema.nullable(), shared: clockOffsetSchema.nullable() }).strict().nullable(),
    runs: z.array(mergedShardRunSchema),
  })
  .strict()

/**
 * `geopat merge`: the shards a run spread over many machines was merged from, and the time base
 * that put their records on one time origin.
 */
export const mergedShardsSchema = z
  .object({
    count: z.number().int().min(1),
    runKey: z.string(),
    scenarioSha256: z.string(),
    /**
     * Whose clock the shards' start times were read on: `one-host` (every shard ran on one host: its
     * one clock, nothing to correct), `shared` (every shard measured its offset to the time source
     * the shards share), `endpoint-date` (every shard measured the endpoint's HTTP Date),
     * `host-clocks` (none of these: each host's own clock, uncorrected).
     */
    timeBase: z.enum(['one-host', 'shared', 'endpoint-date', 'host-clocks']),
    /** The largest uncertainty of the offsets used, ms (0 on one host; null with host clocks: unknown). */
    largestUncertaintyMs: z.number().nonnegative().nullable(),
    shards: z.array(mergedShardSchema),
    /** Indexes no folder held. */
    missing: z.array(z.number().int().nonnegative()),
    /** Indexes that did not finish (status running): their records up to their death are merged. */
    incomplete: z.array(z.number().int().nonnegative()),
    /** False when a shard is missing or incomplete: the figures cover only what arrived. */
    complete: z.boolean(),
  })
  .strict()
export type MergedShards = z.infer<typeof mergedShardsSchema>

/** summary.json: every run of one `geopat bench` invocation. */
export const benchSummarySchema = z
  .object({
    schema: z.literal('geopat.bench-summary/v1'),
    runId: z.string(),
    tool: z.object({ name: z.literal('geopat'), version: z.string(), node: z.string() }).strict(),
    startedAt: z.string(),
    finishedAt: z.string(),
    recordsFile: z.string(),
    tokenizer: z.string(),
    runs: z.array(runSummarySchema),
    /** Evidence of each endpoint's confidentiality before and after the runs (attest: in the scenario). */
    attestation: attestationRunSchema.optional(),
    /** TLS verification, CA file, client certificate, API key variable, header names, retries (absent in older summaries). */
    safety: runSafetySchema.optional(),
    /** A run merged from shards (`geopat merge`): each shard, its clock and its own client self-check. */
    shards: mergedShardsSchema.optional(),
  })
  .strict()
export type BenchSummary = z.infer<typeof benchSummarySchema>
