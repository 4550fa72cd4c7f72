import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { StreamingClient, requestIdPrefix } from '../client/stream-request.js'
import { PromptBuffer } from '../input/prompt-buffer.js'
import type { PromptItem, PromptSource } from '../input/prompts.js'
import { TOKENIZER_NAME } from '../input/tokenizer.js'
import { summarizeRun } from '../metrics/summarize.js'
import { type RunFolder, writeSummaryFiles } from '../io/output/files.js'
import { claimRunFolderFor } from './run-folder.js'
import { NO_PROGRESS, type ProgressReporter, type StepProgress } from './progress.js'
import { readRecords } from '../io/output/records-reader.js'
import { attestAroundRun } from '../attest/around-run.js'
import { summaryToCsv } from '../metrics/summary-csv.js'
import type { Scenario } from '../io/schema/scenario.js'
import { type BenchSummary, type RunSummary, benchSummarySchema } from '../io/schema/summary.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type LoadStep, type PreparedRequest, StopSignal, cancelAfterGrace, openRunRecords, requestedLoad, runLoadStep } from '../load/runner.js'
import { launchSimulator } from '../load/sim-target.js'
import { simEndpointSchema } from '../io/schema/sim-endpoint.js'
import { type PreparedEndpoint, promptSourceFactory, publicUrl, startEndpoints, toPreparedRequest } from '../load/endpoints-setup.js'
import { createSweepPlanner, singleStep } from '../load/sweep.js'
import { runLoadStepInWorkers } from '../load/load-workers.js'
import { describeServerLost, serverLostRule } from '../load/server-watch.js'
import { runSafety } from '../load/run-safety.js'
import { SERVER_METRICS_FILE, ServerMetricsCapture } from '../load/metrics-capture.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { RunSafety } from '../io/schema/safety.js'
import { scenarioTraceReplay, traceStep, tracePromptSource } from '../load/trace-replay.js'
import type { TraceReplayPlan } from '../input/trace/replay-plan.js'
import { checkShardable, requestsToSend, shardPromptSource, shardStep } from '../load/shard.js'
import { type ShardRequest, ShardSession } from './bench-shard.js'
import { scenarioSessions, sessionStep } from '../load/session-setup.js'
import type { ConversationSource, ConversationTurn } from '../input/session/conversation.js'
import { type ToolOffer, loadToolOffer } from '../input/tool-offer.js'

/** What a bench shows as it goes; the cli renders it (src/cli/render/summary-formats.ts benchViews), tests and --json pass nothing. */
export interface BenchViews {
  /** Each step's summary as soon as the step ends (the cli shows its table). */
  onStepSummary?: (summary: RunSummary) => void
  /** Every run of a bench of two or more endpoints, after the last one (the cli shows them side by side). */
  onRunsCompared?: (runs: RunSummary[]) => void
  /** What the run did about safety (TLS, CA, keys' variable names, retries), after the load (the cli shows it). */
  onSafety?: (safety: RunSafety) => void
}

export interface BenchRunOptions extends BenchViews {
  scenario: Scenario
  /** Where the scenario came from ("flags" or a file path), for messages. */
  source: string
  outDir?: string
  runId?: string
  /** --overwrite: replace geopat's files in an --out that holds an earlier run. */
  overwrite?: boolean
  /** `geopat run` holds the run folder that outDir is a step folder of (checked and locked). */
  outDirHeld?: boolean
  /** Human output (notes); silent with --json. */
  log: (line: string) => void
  /** Where load steps report their progress (a terminal line); none when absent or false. */
  progress?: ProgressReporter | false
  stop?: StopSignal
  /** Per-request headers (tests use them to ask the simulator for faults). */
  requestHeaders?: (id: number) => Record<string, string> | undefined
  /** --scrape-metrics: scrape each endpoint's /metrics every second during its steps into metrics.jsonl (ServerMetricsCapture). */
  scrapeMetrics?: boolean
  /** One shard of a run spread over machines: its slice of the requests, its start time and its clocks (shard.json). */
  shard?: ShardRequest
}

export interface BenchRunResult {
  summary: BenchSummary
  outDir: string
  interrupted: boolean
  /** A write of records.jsonl failed (a full disk): the run stopped; the summary covers what is on disk. */
  writeFailure?: string
}

/**
 * `geopat bench`: checks every endpoint first (reachable, OpenAI-compatible, model known), then
 * runs the load on each in turn, streaming records to records.jsonl and writing summary.json/csv.
 */
export async function runBench(options: BenchRunOptions): Promise<BenchRunResult> {
  const stop = options.stop ?? new StopSignal()
  const slice = options.shard?.slice
  if (slice) checkShardable(options.scenario.load, slice)
  // Fail on a bad prompt file or trace before touching any endpoint.
  const trace = await scenarioTraceReplay(options.scenario)
  const sessions = await scenarioSessions(options.scenario)
  const toolsConfig = options.scenario.input.tools
  const tools = toolsConfig ? loadToolOffer(toolsConfig, options.scenario.load.seed) : undefined
  const makeWholePromptSource = trace ? async () => tracePromptSource(trace, options.scenario.load.seed) : promptSourceFactory(options.scenario)
  const makePromptSource = slice ? async () => shardPromptSource(await makeWholePromptSource(), slice) : makeWholePromptSource
  await makePromptSource()
  const { runId, folder } = claimRunFolderFor('bench', options)
  try {
    const started = await startEndpoints(options.scenario, options.source, options.log, stop)
    try {
      const shard = options.shard
        ? await ShardSession.prepare(options.shard, { scenario: options.scenario, prepared: started.prepared, dir: folder.dir, log: options.log, stop })
        : undefined
      return await runBenchOn({
        scenario: started.scenario,
        prepared: started.prepared,
        makePromptSource,
        trace,
        sessions,
        tools,
        options,
        stop,
        runId,
        folder,
        shard,
      })
    } finally {
      await started.close()
    }
  } finally {
    folder.release()
  }
}

/** What every step of one bench run shares. */
interface BenchContext {
  scenario: Scenario
  prepared: PreparedEndpoint[]
  makePromptSource: () => Promise<PromptSource>
  /** The trace the run replays (load.trace), read and planned. */
  trace: TraceReplayPlan | undefined
  /** input.sessions: the conversations the run sends as multi-turn sessions. */
  sessions: ConversationSource | undefined
  /** input.tools: the tools file read, and the share of requests that ask for them. */
  tools: ToolOffer | undefined
  options: BenchRunOptions
  stop: StopSignal
  runId: string
  folder: RunFolder
  /** This bench is one shard of a run: shard.json, the start time. */
  shard: ShardSession | undefined
}

/** The run's records file, the client in use (for Ctrl-C) and what watches the run. */
interface BenchRun extends BenchContext {
  recordsPath: string
  records: ReturnType<typeof openRunRecords>
  activeClient: StreamingClient | undefined
  progress: ProgressReporter
  serverMetrics: ServerMetricsCapture | undefined
  /** Requests sent by every step so far. */
  sent: number
}

async function runBenchOn(context: BenchContext): Promise<BenchRunResult> {
  const { scenario, options, folder } = context
  const outDir = folder.dir
  const recordsPath = join(outDir, 'records.jsonl')
  const run: BenchRun = {
    ...context,
    recordsPath,
    records: openRunRecords(recordsPath, context.stop, () => run.activeClient),
    activeClient: undefined,
    progress: options.progress || NO_PROGRESS,
    serverMetrics: options.scrapeMetrics
      ? new ServerMetricsCapture(join(outDir, SERVER_METRICS_FILE), {
          connectTimeoutMs: scenario.timeouts.connectMs,
          maxBytes: scenario.limits.maxResponseBytes,
        })
      : undefined,
    sent: 0,
  }
  const startedAt = new Date().toISOString()
  const runs: RunSummary[] = []
  cancelAfterGrace(context.stop, scenario.graceSeconds, options.log, () => run.activeClient)
  const attestation = attestAroundRun(context.prepared, outDir, options.source, options.log)
  try {
    // Inside the try: evidence that fails to load still closes the records file.
    await attestation.before()
    for (const [endpointIndex, endpoint] of context.prepared.entries()) {
      if (run.records.sending.stopped) break
      runs.push(...(await runEndpointSteps(run, endpointIndex, endpoint)))
    }
  } finally {
    run.progress.clear()
    run.records.close()
    await run.serverMetrics?.close()
  }
  for (const note of run.serverMetrics?.notes ?? []) options.log(`note: ${note}`)
  return finishBench(run, runs, startedAt, await reportAfterRun(run, runs, attestation))
}

/** One endpoint's steps: its one step, or a sweep's steps until the sweep ends or the server is lost. */
async function runEndpointSteps(run: BenchRun, endpointIndex: number, endpoint: PreparedEndpoint): Promise<RunSummary[]> {
  const planner = run.scenario.load.profile === 'sweep' ? createSweepPlanner(run.scenario.load) : undefined
  const runs: RunSummary[] = []
  const slice = run.options.shard?.slice
  let step: LoadStep | undefined = planner
    ? planner.next(undefined)
    : run.trace
      ? traceStep(run.scenario.load, run.trace)
      : run.sessions
        ? sessionStep(run.scenario, run.sessions)
        : singleStep(run.scenario.load)
  // Each endpoint's step is split the same way (a sweep is refused before the run).
  if (step && slice) step = shardStep(step, slice)
  while (step && !run.records.sending.stopped) {
    const { summary, serverLost } = await runStep(run, endpointIndex, endpoint, step)
    runs.push(summary)
    run.options.onStepSummary?.(summary)
    // A server that went away ends this endpoint's steps; the next endpoint still runs.
    step = planner && !serverLost ? planner.next(summary) : undefined
  }
  return runs
}

/** The load of one step, in this thread or in worker threads. */
async function sendStep(run: BenchRun, endpointIndex: number, { endpoint, pool, model }: PreparedEndpoint, step: LoadStep) {
  const { scenario, records } = run
  const clientOptions = {
    timeouts: scenario.timeouts,
    retries: scenario.retries,
    limits: scenario.limits,
    requestIdPrefix: requestIdPrefix(run.runId, endpointIndex, step.step),
  }
  // Worker threads run their own clients and take the stop signal themselves.
  const inWorkers = scenario.load.workers > 1 && step.mode === 'closed'
  const client = inWorkers ? undefined : new StreamingClient(endpoint, pool, clientOptions)
  run.activeClient = client
  // Prompts made before the step starts (all of them when the count is known and moderate),
  // so that building them never sits between a send and its write.
  const inFlight = step.concurrency ?? step.maxConcurrency ?? Math.ceil(((step.ratePerS ?? 1) * 2) / (step.shard?.count ?? 1))
  const toSend = requestsToSend(step)
  // Sessions make each turn's prompt as its history comes back: nothing to build ahead.
  const prompts = run.sessions
    ? undefined
    : new PromptBuffer(await run.makePromptSource(), 2 * inFlight + 64, Math.min(toSend ?? 20_000, 20_000, Math.max(4 * inFlight + 256, 2048)), toSend)
  prompts?.fill()
  run.serverMetrics?.start(endpoint, step.step, performance.now())
  const prepareItem = (item: PromptItem, id: number): PreparedRequest =>
    toPreparedRequest(item, endpoint, model, scenario, run.options.requestHeaders?.(id), run.tools)
  const common = {
    prepare: (id: number): PreparedRequest => prepareItem((prompts as PromptBuffer).next(), id),
    ...(run.sessions ? { sessions: { source: run.sessions, prepare: (turn: ConversationTurn) => prepareItem(turnPrompt(turn), turn.index) } } : {}),
    stop: records.sending,
    graceSeconds: scenario.graceSeconds,
    warmupMs: scenario.load.warmup * 1000,
    serverLost: serverLostRule(scenario),
    onProgress: (p: StepProgress): void => run.progress.update(`${endpoint.label} ${step.label}`, p, toSend, step.durationMs),
    ...(run.shard ? { waitToStart: run.shard.waitToStart(records.sending, run.options.log), onStart: (at: number) => run.shard?.onStart(at) } : {}),
  }
  if (client !== undefined) return runLoadStep(step, { ...common, client, onRecord: (record: RequestRecord): void => records.writer.write(record) })
  return runLoadStepInWorkers(step, scenario.load.workers, {
    ...common,
    endpoint,
    connectTimeoutMs: scenario.timeouts.connectMs,
    client: clientOptions,
    onRecordLines: (lines, count) => records.writer.writeSerialized(lines, count),
  })
}

/** One step: its load, then its summary from the records on disk. */
async function runStep(
  run: BenchRun,
  endpointIndex: number,
  prepared: PreparedEndpoint,
  step: LoadStep,
): Promise<{ summary: RunSummary; serverLost: boolean }> {
  const { scenario, records } = run
  const { endpoint, model } = prepared
  const outcome = await sendStep(run, endpointIndex, prepared, step)
  run.sent += outcome.sent
  run.progress.clear()
  await run.serverMetrics?.stop()
  records.writer.flush()
  const warnings: string[] = []
  if (outcome.sent === 0) warnings.push('no request was sent')
  if (records.writer.failure) warnings.push(`${records.writer.failure}: this summary covers the records on disk`)
  if (outcome.serverLost) warnings.push(describeServerLost(outcome.serverLost))
  const summary = await summarizeRun(
    () =>
      readRecords(run.recordsPath, {
        filter: (r) => r.endpoint === endpoint.label && r.step === step.step,
        onWarning: (w) => void (warnings.includes(w) || warnings.push(w)),
      }),
    {
      endpoint: { label: endpoint.label, url: publicUrl(endpoint), model, api: endpoint.api },
      step: step.step,
      stepLabel: step.label,
      requested: requestedLoad(step, scenario.load.warmup, scenario.load.cooldown),
      achieved: outcome.achieved,
      client: outcome.client,
      interrupted: outcome.interrupted && run.stop.stopped,
      ...(outcome.serverLost ? { serverLost: outcome.serverLost } : {}),
      sendEndMs: outcome.sendEndMs,
      slo: scenario.slo,
      warnings,
      ...(run.sessions ? { prefixCacheHitRate: prefixCacheHitRate(run.serverMetrics) } : {}),
    },
  )
  return { summary, serverLost: outcome.serverLost !== undefined }
}

/** vLLM's prefix-cache hits over queries (tokens) during the step just scraped; null when /metrics did not give both. */
function prefixCacheHitRate(metrics: ServerMetricsCapture | undefined): number | null {
  const queries = metrics?.counterGrowth('vllm:prefix_cache_queries_total')
  const hits = metrics?.counterGrowth('vllm:prefix_cache_hits_total')
  return queries !== undefined && hits !== undefined && queries > 0 ? hits / queries : null
}

/** A session's turn as a prompt: its messages (history included), their tokens, the answer's max_tokens. */
function turnPrompt(turn: ConversationTurn): PromptItem {
  return { id: turn.index, prompt: '', messages: turn.messages, requestedInputTokens: turn.promptTokens, requestedOutputTokens: turn.answerTokens }
}

/** After the load: the side-by-side runs, the run's safety, and the evidence after the run. */
async function reportAfterRun(run: BenchRun, runs: RunSummary[], attestation: ReturnType<typeof attestAroundRun>) {
  const { options, prepared } = run
  if (prepared.length > 1 && runs.length > 1) options.onRunsCompared?.(runs)
  const safety = runSafety(
    prepared.map((p) => p.endpoint),
    run.scenario.retries,
  )
  options.onSafety?.(safety)
  const attested = await attestation.after()
  for (const swapped of attested?.endpoints.filter((e) => e.swapped) ?? []) {
    for (const summary of runs.filter((r) => r.endpoint.label === swapped.endpoint))
      summary.warnings.push(`endpoint swapped during the run: ${swapped.swapReason}`)
  }
  return { safety, attested }
}

/** summary.json and summary.csv. */
function finishBench(run: BenchRun, runs: RunSummary[], startedAt: string, after: Awaited<ReturnType<typeof reportAfterRun>>): BenchRunResult {
  const { writer } = run.records
  const summary = benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId: run.runId,
    tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    recordsFile: 'records.jsonl',
    tokenizer: TOKENIZER_NAME,
    runs,
    ...(after.attested ? { attestation: after.attested } : {}),
    safety: after.safety,
  } satisfies BenchSummary)
  writeSummaryFiles(run.folder.dir, { 'summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'summary.csv': summaryToCsv(summary) }, writer.failure)
  const cutShort = run.stop.stopped || writer.failure !== undefined || runs.some((r) => r.serverLost)
  run.shard?.finish(cutShort ? 'interrupted' : 'finished', run.sent)
  return { summary, outDir: run.folder.dir, interrupted: run.stop.stopped, ...(writer.failure ? { writeFailure: writer.failure } : {}) }
}

/**
 * `geopat bench --sim`: starts the built-in simulator (fixed timing; the schema's defaults where a
 * timing is absent) in its own process, runs `work` against its URL, and stops it.
 */
export async function withFixedSimulator<T>(timing: { ttftMs?: number; itlMs?: number }, work: (url: string) => Promise<T>): Promise<T> {
  const definedTiming = Object.fromEntries(Object.entries(timing).filter(([, v]) => v !== undefined))
  const simulator = await launchSimulator({ simulator: simEndpointSchema.parse(definedTiming) })
  try {
    return await work(simulator.urls.simulator as string)
  } finally {
    await simulator.stop()
  }
}
