import { z } from 'zod'
import { lengthSpecSchema } from './length-spec.js'
import { compareConfigSchema } from './compare-config.js'
import { simEndpointSchema } from './sim-endpoint.js'
import { sessionConfigSchema } from './session.js'
import { traceConfigSchema } from './trace.js'
import { toolsConfigSchema } from './tools.js'

/**
 * What geopat records about an endpoint's confidentiality around every run (`attest:`): where
 * evidence comes from, the trust anchors to verify it with offline, and the measurements allowed.
 */
export const attestConfigSchema = z
  .object({
    /** The scenario's own word that the endpoint is confidential: level `claimed` at most, without evidence. */
    claimed: z.boolean().default(true),
    /**
     * api: the endpoint's GET /v1/attestation/report?nonce= (attested OpenAI-compatible APIs, geopat sim);
     * snpguest / nvattest: the vendors' CLIs on this confidential VM; files: evidence the user brings.
     */
    source: z.enum(['api', 'snpguest', 'nvattest', 'files']).default('api'),
    files: z.object({ snpReport: z.string().optional(), vcekCert: z.string().optional(), nvidiaToken: z.string().optional() }).strict().optional(),
    /** Trust anchors, all local files (air-gapped sites cannot call home). */
    trust: z
      .object({ arkCert: z.string().optional(), askCert: z.string().optional(), nvidiaJwks: z.string().optional(), tdxCollateral: z.string().optional() })
      .strict()
      .optional(),
    /** Launch measurements allowed (hex: SNP MEASUREMENT, TDX MRTD); empty: not pinned, so at most evidence-recorded. */
    allowedMeasurements: z.array(z.string().regex(/^[0-9a-fA-F]+$/, 'must be hex digits')).default([]),
  })
  .strict()
export type AttestConfig = z.infer<typeof attestConfigSchema>

/**
 * The scenario file: everything `geopat bench` flags can say, for one or more endpoints. The same
 * schema validates flags (turned into this shape) and YAML files, so both give the same errors.
 */
export const endpointSchema = z
  .object({
    label: z.string().min(1).max(200).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    /** Instead of a URL: a simulated endpoint that geopat starts for the run (see `geopat sim`). */
    sim: simEndpointSchema.optional(),
    model: z.string().min(1).optional(),
    api: z.enum(['chat', 'completions']).default('chat'),
    /** Name of the environment variable that holds the API key (never the key itself). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    headers: z.record(z.string(), z.string()).default({}),
    insecure: z.boolean().default(false),
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    /** Extra JSON fields merged into every request body (e.g. vLLM sampling parameters). */
    extraBody: z.record(z.string(), z.unknown()).optional(),
    /** Attestation evidence recorded before and after every run (geopat attest). */
    attest: attestConfigSchema.optional(),
  })
  .strict()
  .refine((endpoint) => (endpoint.url === undefined) !== (endpoint.sim === undefined), {
    message: 'give either url or sim (a simulated endpoint), not both',
    path: ['url'],
  })
export type EndpointConfig = z.infer<typeof endpointSchema>

const positiveSeconds = z.number().positive()

export const loadSchema = z
  .object({
    profile: z.enum(['concurrent', 'rate', 'sweep']).optional(),
    concurrency: z.number().int().min(1).max(100_000).optional(),
    rate: z.number().positive().max(1_000_000).optional(),
    arrival: z.enum(['poisson', 'gamma', 'constant']).default('poisson'),
    burstiness: z.number().positive().default(1),
    maxConcurrency: z.number().int().min(1).max(100_000).optional(),
    requests: z.number().int().min(1).optional(),
    duration: positiveSeconds.optional(),
    /** Closed loop: seconds over which the virtual users start, one after another (0 = all at once). */
    rampUp: z.number().nonnegative().default(0),
    warmup: z.number().nonnegative().default(0),
    cooldown: z.number().nonnegative().default(0),
    /** Sweep: number of rates between the synchronous and the maximum-throughput runs. */
    sweepSteps: z.number().int().min(1).max(50).default(5),
    /** Sweep: concurrency used to find the maximum throughput. */
    sweepMaxConcurrency: z.number().int().min(1).max(100_000).default(256),
    seed: z.number().int().default(1),
    /**
     * Closed loop: worker threads to spread the streams over (each its own event loop and
     * connections), for thousands of streams on a machine with several cores. 1 = one thread.
     */
    workers: z.number().int().min(1).max(64).default(1),
    /** Replay a request trace (an open loop at the trace's times, prompts of its lengths) instead of a rate or a concurrency. */
    trace: traceConfigSchema.optional(),
  })
  .strict()
  .refine((load) => load.workers === 1 || (load.concurrency !== undefined && load.profile !== 'sweep'), {
    message: 'more than one worker spreads a closed loop (concurrency) over threads; open loops and sweeps run on one',
    path: ['workers'],
  })
  .refine((load) => !(load.concurrency !== undefined && load.rate !== undefined), {
    message: 'give either concurrency or rate, not both',
  })
  .refine((load) => load.trace === undefined || (load.rate === undefined && load.concurrency === undefined && load.profile === undefined), {
    message: 'a trace sets the arrivals itself: give no rate, concurrency or profile with it',
    path: ['trace', 'file'],
  })
export type LoadConfig = z.infer<typeof loadSchema>

export const inputSchema = z
  .object({
    inputTokens: lengthSpecSchema.default(256),
    outputTokens: lengthSpecSchema.default(128),
    promptsFile: z.string().optional(),
    fixedOutput: z.boolean().default(false),
    continuousUsage: z.boolean().default(false),
    prefixTokens: z.number().int().nonnegative().default(0),
    /** Multi-turn sessions instead of independent prompts; inputTokens and outputTokens then size each turn's new message and answer. */
    sessions: sessionConfigSchema.optional(),
    /** Requests that ask for tools (chat API): the tools file, tool_choice, and the share of requests that carry them. */
    tools: toolsConfigSchema.optional(),
  })
  .strict()
  // A turn answered by a tool call would need the call and its result as messages in the next turn's history.
  .refine((input) => input.tools === undefined || input.sessions === undefined, {
    message: 'tools go with independent requests; multi-turn sessions do not carry them (a tool call would need tool messages in the history)',
    path: ['tools', 'file'],
  })
export type InputConfig = z.infer<typeof inputSchema>

/**
 * The SLO (src/metrics/slo.ts defines what it means): per-request objectives on TTFT, TPOT and E2E
 * in ms, and any other objective as an expression naming a registered metric, e.g. `ttft.p99<=500`,
 * `itl<=30`, `throughput.requestsPerS>=10` (the metric names are checked against the registry when
 * the SLO is compiled).
 */
export const sloSchema = z
  .object({
    ttftMs: z.number().positive().optional(),
    tpotMs: z.number().positive().optional(),
    e2eMs: z.number().positive().optional(),
    objectives: z
      .array(z.string().regex(/^\s*[A-Za-z][A-Za-z0-9.]*\s*(<=|>=|=)\s*[0-9.]/, 'must look like METRIC<=MS or METRIC.STAT<=MS, e.g. ttft.p99<=500'))
      .optional(),
  })
  .strict()
export type SloConfig = z.infer<typeof sloSchema>

export const timeoutsSchema = z
  .object({
    connectMs: z.number().positive().default(10_000),
    firstTokenMs: z.number().positive().default(120_000),
    idleMs: z.number().positive().default(60_000),
    totalMs: z.number().positive().default(600_000),
  })
  .strict()
export type TimeoutsConfig = z.infer<typeof timeoutsSchema>

/** Size caps on what geopat reads from a server, so that a hostile or broken one cannot fill its memory. */
export const limitsSchema = z
  .object({
    /** Largest body read whole: GET /v1/models, /metrics, an attestation report, an error body. */
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024),
    /** Largest server-sent event (one line, or the data lines of one event together), in decoded characters. */
    maxEventBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
  })
  .strict()
export type LimitsConfig = z.infer<typeof limitsSchema>
export const DEFAULT_LIMITS: LimitsConfig = limitsSchema.parse({})

export const retrySchema = z
  .object({
    max: z.number().int().min(0).max(10).default(0),
    /** Used when the server sends no Retry-After: base × 2^attempt. */
    backoffMs: z.number().positive().default(500),
    maxWaitMs: z.number().positive().default(30_000),
  })
  .strict()
export type RetryConfig = z.infer<typeof retrySchema>

/** `geopat run` and `geopat size --scenario`: sizing the scenario's endpoints for a peak demand. */
export const sizeStepSchema = z
  .object({
    peakRequestsPerS: z.number().positive(),
    /**
     * The month's average request rate, what the fleet serves (fleet $/Mtok divides the fleet's cost
     * by it); or averageToPeak. Neither: the average is taken as the peak, the fleet loaded at its
     * peak all month, so fleet $/Mtok is a lower bound (said beside it).
     */
    averageRequestsPerS: z.number().positive().optional(),
    /** The month's average ÷ its peak, e.g. 0.4 for a working-day shape; instead of averageRequestsPerS. */
    averageToPeak: z.number().gt(0).max(1).optional(),
    /** Demand growth per year, peak and average alike (0.3 = +30%): the sizing also gives the fleet and fleet $/Mtok in a year. */
    growthPerYear: z.number().min(0).max(10).default(0),
    /** simulator: search each simulated endpoint's profile in virtual time; measured: read the bench sweep. */
    source: z.enum(['simulator', 'measured']).default('simulator'),
    attainment: z.number().gt(0).max(1).default(0.95),
    targetUtilization: z.number().gt(0).max(1).default(0.7),
    /** Failure domains (zones) the fleet is spread over; with several, spares let it lose one whole domain. */
    failureDomains: z.number().int().positive().default(1),
    /** With one failure domain: replicas that may fail at once (1 = N+1); 0: no failure guarded against. */
    sparePerFailureDomain: z.number().int().nonnegative().default(1),
    surgeFraction: z.number().min(0).max(1).default(0.25),
    /** Months in which rollouts run (the plan's cut-over windows): the surge is paid only then, never in the steady fleet. */
    rolloutMonths: z.number().nonnegative().default(0),
    /** GPUs per replica by endpoint label (default: the simulated profile's GPU count). */
    gpusPerReplica: z.record(z.string(), z.number().int().positive()).default({}),
    searches: z.number().int().min(1).max(30).default(3),
    simulatedSeconds: z.number().min(10).default(120),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code such as USD or EUR')
      .default('USD'),
    /** Prices to cost each endpoint's fleet with: catalog row ids (geopat catalog list). */
    prices: z.array(z.object({ endpoint: z.string().min(1), catalogRow: z.string().min(1) }).strict()).default([]),
  })
  .strict()
  .superRefine((step, ctx) => {
    if (step.averageRequestsPerS !== undefined && step.averageToPeak !== undefined)
      ctx.addIssue({ code: 'custom', path: ['averageToPeak'], message: 'give averageRequestsPerS or averageToPeak, not both' })
    if (step.averageRequestsPerS !== undefined && step.averageRequestsPerS > step.peakRequestsPerS)
      ctx.addIssue({ code: 'custom', path: ['averageRequestsPerS'], message: `must be at most peakRequestsPerS (${step.peakRequestsPerS})` })
  })
export type SizeStep = z.infer<typeof sizeStepSchema>

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    endpoints: z.array(endpointSchema).min(1),
    load: loadSchema,
    input: inputSchema.default({
      inputTokens: 256,
      outputTokens: 128,
      fixedOutput: false,
      continuousUsage: false,
      prefixTokens: 0,
    }),
    slo: sloSchema.default({}),
    timeouts: timeoutsSchema.default({ connectMs: 10_000, firstTokenMs: 120_000, idleMs: 60_000, totalMs: 600_000 }),
    retries: retrySchema.default({ max: 0, backoffMs: 500, maxWaitMs: 30_000 }),
    limits: limitsSchema.default(DEFAULT_LIMITS),
    /** `geopat compare`: design, rounds, operating points, A/A, intervals. */
    compare: compareConfigSchema.optional(),
    /** `geopat run` steps after the measurement; file paths are relative to the scenario file. */
    size: sizeStepSchema.optional(),
    tco: z
      .object({ model: z.string().min(1) })
      .strict()
      .optional(),
    plan: z
      .object({ inventory: z.string().min(1) })
      .strict()
      .optional(),
    report: z
      .object({ title: z.string().min(1).optional() })
      .strict()
      .default({}),
    /** Grace period for streams in flight after Ctrl-C or the end of the duration, seconds. */
    graceSeconds: z.number().nonnegative().default(5),
    /**
     * When a run takes the server as gone and stops sending (summary `serverLost`, exit code 3):
     * this many connect errors in a row, or this many seconds with requests in flight and no byte
     * from any stream (default: twice the first-token timeout and at least 60 s, since one request
     * may rightly wait that timeout for its first token). 0 turns a rule off.
     */
    serverLost: z
      .object({ connectErrors: z.number().int().nonnegative().default(20), stallSeconds: z.number().nonnegative().optional() })
      .strict()
      .default({ connectErrors: 20 }),
    out: z.string().optional(),
  })
  .strict()
  // Multi-turn sessions may be bounded by their count instead (input.sessions.count; src/load/session-setup.ts).
  .refine(
    (scenario) =>
      scenario.load.requests !== undefined ||
      scenario.load.duration !== undefined ||
      scenario.load.trace !== undefined ||
      scenario.input.sessions !== undefined,
    { message: 'give requests and/or duration to bound the run', path: ['load'] },
  )
  .refine((scenario) => scenario.input.tools === undefined || scenario.endpoints.every((endpoint) => endpoint.api === 'chat'), {
    message: 'tools are sent to the chat API only: an endpoint has api completions',
    path: ['input', 'tools', 'file'],
  })
export type Scenario = z.infer<typeof scenarioSchema>
