import { z } from 'zod'
import { lengthSpecSchema } from './length-spec.js'

/**
 * The calibration set (data/calibration/*.yaml): published vLLM measurements, one file per source,
 * that `geopat sim calibrate --check` reproduces in virtual time. Each point says what was measured,
 * on what, how loaded, by which definition of the metric, and where in the source the figure is.
 */

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-06')
const dayOrMonth = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be a date like 2024-09 or 2024-09-05')
const id = z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots and dashes')

/**
 * Each metric as its publisher defines it (the simulator computes it the same way from its records):
 * - vllm-serving-mean-ttft: vLLM benchmark_serving's mean TTFT, ms (request sent → first content chunk).
 * - vllm-serving-mean-tpot: benchmark_serving's mean TPOT, ms: mean over requests with more than one
 *   output token of (e2e − TTFT) / (output tokens − 1).
 * - vllm-serving-mean-itl: benchmark_serving's mean ITL, ms: the mean of every gap between successive
 *   streamed chunks, pooled over all requests.
 * - vllm-serving-request-throughput: completed requests / benchmark duration (first send → last
 *   completion), req/s.
 * - vllm-serving-output-throughput: total output tokens / benchmark duration, tok/s.
 * - vllm-offline-request-throughput: benchmark_throughput: prompts / elapsed time of one
 *   `LLM.generate` over all of them (no HTTP server), req/s.
 * - phala-mean-decode-rate: Phala's "TPS" (src/stats.py): mean over requests of output tokens /
 *   decode time (sum of the request's ITLs = e2e − TTFT), rows with input + output ≤ 4 or output ≤ 2
 *   dropped, tok/s.
 * - phala-mean-ttft: Phala's TTFT (src/stats.py): mean TTFT over the same filtered rows, ms.
 */
export const CALIBRATION_METRICS = {
  'vllm-serving-mean-ttft': 'ms',
  'vllm-serving-mean-tpot': 'ms',
  'vllm-serving-mean-itl': 'ms',
  'vllm-serving-request-throughput': 'req/s',
  'vllm-serving-output-throughput': 'tok/s',
  'vllm-offline-request-throughput': 'req/s',
  'phala-mean-decode-rate': 'tok/s',
  'phala-mean-ttft': 'ms',
} as const
export type CalibrationMetric = keyof typeof CALIBRATION_METRICS
const metricSchema = z.enum(Object.keys(CALIBRATION_METRICS) as [CalibrationMetric, ...CalibrationMetric[]])

/**
 * How the benchmark loaded the server:
 * - rate: open loop, Poisson arrivals at ratePerS (benchmark_serving --request-rate);
 * - max-throughput: benchmark_serving at QPS ∞, every request sent at time 0;
 * - offline: benchmark_throughput, every prompt handed to the engine at once, no HTTP server.
 */
const loadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rate'), ratePerS: z.number().positive() }).strict(),
  z.object({ kind: z.literal('max-throughput') }).strict(),
  z.object({ kind: z.literal('offline') }).strict(),
])
export type CalibrationLoad = z.infer<typeof loadSchema>

const workloadSchema = z
  .object({
    /** What the benchmark sent, as published (e.g. "ShareGPT", "sonnet, prefill-heavy"). */
    dataset: z.string().min(1),
    prompts: z.number().int().min(1),
    /** The published mean lengths, tokens (null: not published). */
    publishedMeanInputTokens: z.number().positive().nullable(),
    publishedMeanOutputTokens: z.number().positive().nullable(),
    /** The lengths the simulation draws: fixed as published, or a stand-in distribution for a dataset. */
    inputTokens: lengthSpecSchema,
    outputTokens: lengthSpecSchema,
    /**
     * Seed of the simulated run (prompt lengths, arrivals, engine noise). With a stand-in
     * distribution, pick one whose `prompts` draws average the published means: the publisher's
     * prompts are one fixed-seed sample too, and a few hundred heavy-tailed draws can miss the
     * distribution's mean by 5% or more. Default 1.
     */
    seed: z.number().int().nonnegative().optional(),
    /** How the lengths relate to the dataset (e.g. "stand-in for ShareGPT: lognormal whose mean matches"). */
    note: z.string().min(1),
  })
  .strict()

const setupSchema = z
  .object({
    /** Engine version as published, e.g. "vLLM 0.5.4 (rev 4db5176)". */
    engine: z.string().min(1),
    /** Server and benchmark settings as published (flags, defaults that matter). */
    settings: z.string().min(1),
    hardware: z.string().min(1),
    model: z.string().min(1),
    workload: workloadSchema,
  })
  .strict()

const pointSchema = z
  .object({
    /** Stable id, referenced by profiles' calibration.fittedOn / heldOut. */
    id,
    /** The built-in profile this point calibrates (data/sim-profiles/NAME.yaml). */
    profile: id,
    confidential: z.boolean(),
    /** Name of one of this file's setups. */
    setup: z.string().min(1),
    load: loadSchema,
    metric: metricSchema,
    value: z.number().positive(),
    unit: z.enum(['ms', 'req/s', 'tok/s']),
    /**
     * low-load: QPS 1–2, far from saturation; under-load: loaded and saturation points, throughput at
     * any load (where sizing happens); overload: a latency measured at an open-loop rate above what
     * the server sustains (its published throughput at that rate is below the rate offered): the
     * queue grows for the whole run, so the figure is a transient set by the run's length and the
     * server's admission order, not an operating point a sizing can reach. Judged like the others,
     * kept apart in the error a sizing carries.
     */
    regime: z.enum(['low-load', 'under-load', 'overload']),
    /** Where in the source: file, table or figure, row and column. */
    where: z.string().min(1),
    /** A more precise address than the source's url, when the point has one (a file of the repository). */
    url: z.url().optional(),
    /** table: the figure is printed; chart (±3%): read off a chart image. */
    readFrom: z.enum(['table', 'chart (±3%)', 'results file']),
    note: z.string().min(1).optional(),
  })
  .strict()
export type CalibrationPoint = z.infer<typeof pointSchema>

export const calibrationFileSchema = z
  .object({
    source: z
      .object({
        title: z.string().min(1),
        publisher: z.string().min(1),
        url: z.url(),
        published: dayOrMonth,
        accessed: day,
        /** The commit of the repository the figures were read from, when the source is one. */
        commit: z
          .string()
          .regex(/^[0-9a-f]{7,40}$/, 'must be a git commit hash')
          .optional(),
      })
      .strict(),
    setups: z.record(z.string().min(1), setupSchema),
    points: z.array(pointSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.points.forEach((point, index) => {
      if (seen.has(point.id)) ctx.addIssue({ code: 'custom', path: ['points', index, 'id'], message: `duplicate point id "${point.id}"` })
      seen.add(point.id)
      if (!(point.setup in file.setups)) {
        ctx.addIssue({ code: 'custom', path: ['points', index, 'setup'], message: `must name one of setups (${Object.keys(file.setups).join(', ')})` })
      }
      const unit = CALIBRATION_METRICS[point.metric]
      if (point.unit !== unit) ctx.addIssue({ code: 'custom', path: ['points', index, 'unit'], message: `must be ${unit} for metric ${point.metric}` })
      if (point.regime === 'overload' && (point.load.kind !== 'rate' || point.unit !== 'ms')) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', index, 'regime'],
          message: 'overload is for a latency (ms) at an open-loop rate above what the server sustains; a throughput is under-load',
        })
      }
      if (point.metric === 'vllm-offline-request-throughput' && point.load.kind !== 'offline') {
        ctx.addIssue({ code: 'custom', path: ['points', index, 'load', 'kind'], message: 'must be offline for metric vllm-offline-request-throughput' })
      }
      if (point.load.kind === 'offline' && point.metric !== 'vllm-offline-request-throughput') {
        ctx.addIssue({
          code: 'custom',
          path: ['points', index, 'metric'],
          message: 'must be vllm-offline-request-throughput for an offline load (no streaming, no per-request latency)',
        })
      }
    })
  })
export type CalibrationFile = z.infer<typeof calibrationFileSchema>
export type CalibrationSetup = z.infer<typeof setupSchema>
