/**
 * Request traces that `geopat bench --trace` replays: one schema per format, each checking one row
 * (one JSON line, or one CSV record keyed by its header). README's "Trace replay" section documents
 * the formats; src/input/trace/read-trace.ts reads them.
 */
import { z } from 'zod'

const tokens = z.number().int().nonnegative()
const positiveTokens = z.number().int().min(1)
/** A CSV cell holding a whole number of tokens. */
const csvTokens = (min: number) => z.string().trim().regex(/^\d+$/, 'must be a whole number of tokens').transform(Number).pipe(z.number().int().min(min))
/** A CSV cell holding a number of seconds. */
const csvSeconds = z
  .string()
  .trim()
  .regex(/^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, 'must be a number of seconds >= 0')
  .transform(Number)

/**
 * Mooncake (kvcache-ai/Mooncake's FAST'25 traces, also read by vLLM bench, GuideLLM and AIPerf):
 * `timestamp` is ms since the trace's first request; each of `hash_ids` names one 512-token block
 * of the prompt, and two rows that share ids share those blocks (a prefix cache can reuse them).
 */
export const mooncakeTraceRowSchema = z.object({
  timestamp: z.number().nonnegative(),
  input_length: positiveTokens,
  output_length: tokens,
  hash_ids: z.array(z.number().int().nonnegative()).default([]),
})

/**
 * The Azure LLM inference trace (Azure/AzurePublicDataset, 2023 and 2024): TIMESTAMP as
 * "YYYY-MM-DD HH:MM:SS.fffffff" (UTC), ContextTokens, GeneratedTokens.
 */
export const azureTraceRowSchema = z.object({
  TIMESTAMP: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)?$/, 'must be a time as YYYY-MM-DD HH:MM:SS[.fraction] (UTC)'),
  ContextTokens: csvTokens(1),
  GeneratedTokens: csvTokens(0),
})

/**
 * BurstGPT (HPMLL/BurstGPT): Timestamp in seconds from the trace's start, Model, Request tokens,
 * Response tokens, Total tokens, Log Type; only the time and the two lengths are replayed.
 */
export const burstGptTraceRowSchema = z.object({
  Timestamp: csvSeconds,
  'Request tokens': csvTokens(1),
  'Response tokens': csvTokens(0),
})

/**
 * geopat's own trace (JSON Lines): `timestampMs` from any origin (the first row's is the start),
 * `inputTokens`, `outputTokens`, and optional `prefixBlocks`, ids of 512-token blocks as Mooncake's hash_ids.
 */
export const geopatTraceRowSchema = z
  .object({
    timestampMs: z.number().nonnegative(),
    inputTokens: positiveTokens,
    outputTokens: tokens,
    prefixBlocks: z.array(z.number().int().nonnegative()).optional(),
  })
  .strict()

export const TRACE_FORMATS = ['mooncake', 'azure', 'burstgpt', 'geopat'] as const
export type TraceFormat = (typeof TRACE_FORMATS)[number]

/** A trace to replay, as a scenario's `load.trace` gives it (bench's --trace flags set it). */
export const traceConfigSchema = z
  .object({
    file: z.string().min(1),
    /** Detected from the file's first line when absent. */
    format: z.enum(TRACE_FORMATS).optional(),
    /** Time scaling: 2 sends the trace twice as fast. */
    speedup: z.number().positive().max(1_000_000).default(1),
    /** Seconds of the trace (from its first arrival) to replay: rows with startS <= t < endS (no endS: to the end). */
    window: z
      .object({ startS: z.number().nonnegative().default(0), endS: z.number().positive().optional() })
      .strict()
      .refine((window) => window.endS === undefined || window.endS > window.startS, {
        message: 'the window must end after it starts (endS > startS)',
        path: ['endS'],
      })
      .optional(),
    /** The first `limit` rows of the window only. */
    limit: z.number().int().min(1).optional(),
  })
  .strict()
export type TraceConfig = z.infer<typeof traceConfigSchema>
