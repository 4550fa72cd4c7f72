import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { loadYamlFile } from './load-file.js'
import { UserError } from '../../util/errors.js'
import { PACKAGE_ROOT } from '../../util/version.js'

const sourceSchema = z
  .object({
    claim: z.string().min(1),
    source: z.string().min(1),
    date: z.string().regex(/^\d{4}(-\d{2}){0,2}$/, 'must be a date like 2026-11 or 2026-11-24'),
  })
  .strict()

const confidentialSchema = z
  .object({
    /** Added once per request before its first token (encrypted bounce-buffer transfers). */
    firstTokenTollMs: z.number().nonnegative(),
    /** Added to every engine step (encrypted launches and token copies). */
    stepTollMs: z.number().nonnegative(),
    /** Added per sequence in a step (per-sequence copies through the bounce buffer): the toll grows with batch size, lowering saturation throughput. */
    perSequenceTollUs: z.number().nonnegative(),
    /** Multiplies the bandwidth efficiency: throughput at saturation. */
    bandwidthFactor: z.number().positive().max(1),
    /** Multiplies the KV cache (bounce buffers and pinned staging memory take GPU memory). */
    kvCapacityFactor: z.number().positive().max(1),
    /** Model load / cold start takes this many times longer. */
    coldStartFactor: z.number().min(1),
    /** Extra step-time noise per running sequence (ms, standard deviation): variance grows with load. */
    stepJitterMsPerSequence: z.number().nonnegative(),
    /** Extra network jitter of a confidential VM (ms, uniform ±). */
    networkJitterMs: z.number().nonnegative(),
    /**
     * Multiplies the CPU-side costs (front end, scheduler) in a confidential VM: the CPU TEE's I/O
     * exits and encrypted memory, apart from the GPU's bounce-buffer tolls above. 1 = no toll.
     */
    cpuTollFactor: z.number().min(1).default(1),
  })
  .strict()

/**
 * The OpenAI-compatible API server as a queue on `cpuCores` cores (not only a delay): each request
 * costs `perRequestMs` of CPU (HTTP, validation, tokenisation) before it reaches the engine, and
 * every output token `perOutputTokenUs` (detokenisation, JSON and SSE framing) before the client can
 * see it. When the cores are busy, requests and tokens wait: throughput caps and latency grows.
 * With engine.version vllm-0.5 the API server shares the engine's process: one core, whose time the
 * engine's steps also take.
 */
const frontendSchema = z
  .object({
    cpuCores: z.number().int().min(1),
    perRequestMs: z.number().nonnegative(),
    perOutputTokenUs: z.number().nonnegative(),
  })
  .strict()

/**
 * How far a profile's figures can be trusted: which measured points it was fitted on, which were
 * kept out of the fit, and the error on those. Written by `geopat sim calibrate --write` (published
 * points of data/calibration/) or `geopat sim fit` (a bench sweep of the user's endpoint); sizing and
 * the report carry `error` into every capacity, GPU count and $/Mtok computed from the profile.
 */
const calibrationSchema = z
  .object({
    /**
     * published: tuned against data/calibration/ points; fitted: `geopat sim fit` on a bench sweep;
     * derived: no measured point of its own, parameters and error carried over from `derivedFrom`.
     */
    method: z.enum(['published', 'fitted', 'derived']),
    /** For `derived`: the profile whose calibration this one borrows, and why that is fair. */
    derivedFrom: z
      .object({ profile: z.string().min(1), reason: z.string().min(1) })
      .strict()
      .optional(),
    /** When the calibration (or fit) was made. */
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-06'),
    /** Point ids the parameters were tuned on (calibration-set ids, or the sweep's step labels). */
    fittedOn: z.array(z.string().min(1)),
    /** Point ids kept out of the fit, on which `error` is measured. */
    heldOut: z.array(z.string().min(1)),
    /**
     * Validation error as a fraction (0.08 = ±8%): the largest |simulated / measured − 1| over the
     * held-out points (published) or the leave-one-out error (fitted), by regime. `lowLoad`: points
     * well below saturation (QPS 1–2); `underLoad`: points at or near saturation, where sizing
     * happens. null when no held-out point of that regime exists.
     */
    error: z
      .object({
        lowLoad: z.number().nonnegative().nullable(),
        underLoad: z.number().nonnegative().nullable(),
        /** Largest error on the points fitted on (for the record: a fit is judged on held-out points). */
        fitted: z.number().nonnegative().nullable(),
        /** Number of held-out points behind lowLoad, underLoad and overload together. */
        heldOutPoints: z.number().int().nonnegative(),
        /** How many of them are low-load and under-load points (absent in files written before these counts). */
        lowLoadPoints: z.number().int().nonnegative().optional(),
        underLoadPoints: z.number().int().nonnegative().optional(),
        /**
         * Largest error on held-out latency points beyond saturation (the calibration set's
         * `overload` regime: an offered rate the server cannot sustain, where latency grows with the
         * run): recorded, never carried into a sizing, which operates at or below saturation.
         */
        overload: z.number().nonnegative().nullable().optional(),
      })
      .strict(),
    /** For `fitted`: the bench run folder, its run id, and which parameters were fitted and which kept. */
    fittedFrom: z
      .object({
        runFolder: z.string().min(1),
        runId: z.string().min(1),
        baseProfile: z.string().min(1),
        fittedParameters: z.array(z.string().min(1)),
        fixedParameters: z.array(z.string().min(1)),
      })
      .strict()
      .optional(),
  })
  .strict()

/**
 * A simulated vLLM deployment: a GPU, a model on it, vLLM's engine settings and the timing
 * coefficients of the step-time model, each figure with its source. Profiles are data files in
 * data/sim-profiles/, never constants in code.
 */
export const simProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots and dashes'),
    description: z.string(),
    gpu: z
      .object({
        name: z.string(),
        count: z.number().int().min(1),
        memoryGiB: z.number().positive(),
        bandwidthTBps: z.number().positive(),
        /** Dense tensor TFLOPS of one GPU at the precision the model runs in (BF16 or FP8). */
        denseTflops: z.number().positive(),
      })
      .strict(),
    model: z
      .object({
        name: z.string(),
        servedName: z.string(),
        parametersB: z.number().positive(),
        weightsGB: z.number().positive(),
        kvBytesPerToken: z.number().int().positive(),
        precision: z.string(),
        tensorParallel: z.number().int().min(1),
      })
      .strict(),
    engine: z
      .object({
        maxNumSeqs: z.number().int().min(1),
        maxNumBatchedTokens: z.number().int().min(16),
        /** Tokens per KV block (vLLM `--block-size`, 16 by default on CUDA): the cache's and prefix caching's unit. */
        blockSize: z.number().int().min(1),
        gpuMemoryUtilization: z.number().positive().max(1),
        /** GiB kept for activations and CUDA graphs, out of the KV cache. */
        activationReserveGiB: z.number().nonnegative(),
        /**
         * Automatic prefix caching (`--enable-prefix-caching`): off by default in vLLM V0 (0.5, 0.6), on in
         * V1 (docs.vllm.ai design/prefix_caching); `geopat sim --prefix-caching on|off` overrides it.
         */
        prefixCaching: z.boolean(),
        /**
         * The engine generation, which decides how the CPU side meets the GPU:
         * vllm-0.5: API server, scheduler and output processing in the engine's one Python process, each
         * step's CPU time serialized with its GPU time; vllm-0.6: the API server in its own process,
         * scheduling once per `numSchedulerSteps` decode steps (multi-step), output processing overlapped;
         * vllm-v1: the engine core apart from the API server, scheduling overlapped with the GPU (a step
         * takes the longer of the two). Absent: vllm-v1 with no scheduler cost (the model before #16).
         */
        version: z.enum(['vllm-0.5', 'vllm-0.6', 'vllm-v1']).default('vllm-v1'),
        /** Multi-step scheduling (vLLM 0.6 `--num-scheduler-steps`): decode steps per scheduling; new requests join between groups. */
        numSchedulerSteps: z.number().int().min(1).default(1),
        /**
         * Chunked prefill (prompts split into chunks that share steps with decodes). false: vLLM's
         * default before V1 for models up to 32k context, prompts prefilled whole in steps of their own,
         * ahead of the running decodes (which wait).
         */
        chunkedPrefill: z.boolean().default(true),
        /** KV cache precision: fp8 (`--kv-cache-dtype fp8`) halves the bytes per token: twice the tokens, half the KV read time. */
        kvCacheDtype: z.enum(['auto', 'fp8']).default('auto'),
      })
      .strict()
      .refine((engine) => engine.numSchedulerSteps === 1 || engine.version === 'vllm-0.6', {
        message: 'numSchedulerSteps > 1 (multi-step scheduling) exists only in vllm-0.6',
        path: ['numSchedulerSteps'],
      }),
    timing: z
      .object({
        /** η: share of peak memory bandwidth a decode step achieves. */
        bandwidthEfficiency: z.number().positive().max(1),
        /** t0: fixed cost of every step (launches, scheduler, sampling). */
        stepOverheadMs: z.number().nonnegative(),
        /** c_seq: cost per sequence in a step. */
        perSequenceUs: z.number().nonnegative(),
        /** Model FLOPs utilisation of prefill. */
        prefillMfu: z.number().positive().max(1),
        /**
         * Fixed delay before the engine sees a request (the HTTP path, IPC between the API server and the
         * engine), apart from the front end's CPU work, which `frontend` models as a queue.
         */
        frontendMs: z.number().nonnegative(),
        /** Step-time noise, ms standard deviation. */
        stepJitterMs: z.number().nonnegative(),
        /** Seconds to load the model at start (cold start). */
        coldStartS: z.number().nonnegative(),
        /**
         * CPU cost of one scheduling (gathering the last outputs, scheduling, preparing inputs), ms;
         * paid each step (vllm-0.5, and overlapped with the GPU in vllm-v1) or once per multi-step group (vllm-0.6).
         */
        schedulerPerStepMs: z.number().nonnegative().default(0),
        /** CPU cost of one scheduling per running sequence (its input preparation and output processing), µs. */
        schedulerPerSequenceUs: z.number().nonnegative().default(0),
      })
      .strict(),
    confidential: confidentialSchema.optional(),
    /** Absent: the front end costs only `timing.frontendMs` of delay, with no queue (the model before #16). */
    frontend: frontendSchema.optional(),
    /** Absent: the profile has not been validated against measurements (sizing says so). */
    calibration: calibrationSchema.optional(),
    sources: z.array(sourceSchema).min(1),
  })
  .strict()
export type SimProfile = z.infer<typeof simProfileSchema>
export type ConfidentialSettings = z.infer<typeof confidentialSchema>
export type FrontendSettings = z.infer<typeof frontendSchema>
export type ProfileCalibration = z.infer<typeof calibrationSchema>

export const PROFILE_DIR = join(PACKAGE_ROOT, 'data', 'sim-profiles')

/** Every shipped profile name (file names without .yaml). */
export function listProfiles(dir = PROFILE_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort()
}

/** A shipped profile by name, or a profile file by path. */
export function loadProfile(nameOrPath: string): SimProfile {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml')
  if (!isPath && !listProfiles().includes(nameOrPath)) {
    throw new UserError(`--profile: unknown profile "${nameOrPath}"; shipped profiles: ${listProfiles().join(', ')}`)
  }
  const path = isPath ? nameOrPath : join(PROFILE_DIR, `${nameOrPath}.yaml`)
  const profile = loadYamlFile(path, simProfileSchema)
  if (!isPath && profile.name !== nameOrPath) throw new UserError(`${path}: name: must equal the file name (${nameOrPath})`)
  return profile
}
