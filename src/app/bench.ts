import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { StreamingClient, requestIdPrefix } from '../client/stream-request.js'
import { PromptBuffer } from '../input/prompt-buffer.js'
import type { PromptSource } from '../input/prompts.js'
import { TOKENIZER_NAME } from '../input/tokenizer.js'
import { summarizeRun } from '../metrics/summarize.js'
import { type RunFolder, claimRunFolder, makeRunId, writeSummaryFiles } from '../io/output/files.js'
import { ProgressLine } from '../io/output/progress.js'
import { readRecords } from '../io/output/records-reader.js'
import { attestAroundRun } from '../attest/around-run.js'
import { formatComparisonTable, formatRunTable } from '../cli/render/summary-formats.js'
import { summaryToCsv } from '../metrics/summary-csv.js'
import type { Scenario } from '../io/schema/scenario.js'
import { type BenchSummary, type RunSummary, benchSummarySchema } from '../io/schema/summary.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type LoadStep, type PreparedRequest, StopSignal, cancelAfterGrace, openRunRecords, requestedLoad, runLoadStep } from '../load/runner.js'
import { type PreparedEndpoint, promptSourceFactory, publicUrl, startEndpoints, toPreparedRequest } from '../load/endpoints-setup.js'
import { createSweepPlanner, singleStep } from '../load/sweep.js'
import { runLoadStepInWorkers } from '../load/load-workers.js'
import { describeServerLost, serverLostRule } from '../load/server-watch.js'
import { formatSafety, runSafety } from '../load/run-safety.js'
import { SERVER_METRICS_FILE, ServerMetricsCapture } from '../load/metrics-capture.js'
import type { RequestRecord } from '../io/schema/record.js'

export interface BenchRunOptions {
  scenario: Scenario
  /** Where the scenario came from ("flags" or a file path), for messages. */
  source: string
  outDir?: string
  runId?: string
  /** --overwrite: replace geopat's files in an --out that holds an earlier run. */
  overwrite?: boolean
  /** `geopat run` holds the run folder that outDir is a step folder of (checked and locked). */
  outDirHeld?: boolean
  /** Human output (the table, notes); silent with --json. */
  log: (line: string) => void
  progress: boolean
  stop?: StopSignal
  /** Per-request headers (tests use them to ask the simulator for faults). */
  requestHeaders?: (id: number) => Record<string, string> | undefined
  /** --scrape-metrics: scrape each endpoint's /metrics every second during its steps into metrics.jsonl (ServerMetricsCapture). */
  scrapeMetrics?: boolean
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
  // Fail on a bad prompt file before touching any endpoint.
  const makePromptSource = promptSourceFactory(options.scenario)
  await makePromptSource()
  // The folder is checked and locked before any endpoint is touched: a used one fails at once.
  const runId = options.runId ?? makeRunId('bench')
  const folder = claimRunFolder({ outDir: options.outDir ?? options.scenario.out, runId, overwrite: options.overwrite ?? false, heldByCaller: options.outDirHeld ?? false, log: options.log })
  try {
    const started = await startEndpoints(options.scenario, options.source, options.log, stop)
    try {
      return await runBenchOn(started.scenario, started.prepared, makePromptSource, options, stop, runId, folder)
    } finally {
      await started.close()
    }
  } finally {
    folder.release()
  }
}

async function runBenchOn(
  scenario: Scenario,
  prepared: PreparedEndpoint[],
  makePromptSource: () => Promise<PromptSource>,
  options: BenchRunOptions,
  stop: StopSignal,
  runId: string,
  folder: RunFolder,
): Promise<BenchRunResult> {
  const outDir = folder.dir
  const recordsPath = join(outDir, 'records.jsonl')
  let activeClient: StreamingClient | undefined
  const { writer, sending, close: closeRecords } = openRunRecords(recordsPath, stop, () => activeClient)
  const startedAt = new Date().toISOString()
  const runs: RunSummary[] = []
  const progress = new ProgressLine(options.progress)
  cancelAfterGrace(stop, scenario.graceSeconds, options.log, () => activeClient)
  const attestation = attestAroundRun(prepared, outDir, options.source, options.log)
  const serverMetrics = options.scrapeMetrics ? new ServerMetricsCapture(join(outDir, SERVER_METRICS_FILE), { connectTimeoutMs: scenario.timeouts.connectMs, maxBytes: scenario.limits.maxResponseBytes }) : undefined

  try {
    // Inside the try: evidence that fails to load still closes the records file.
    await attestation.before()
    for (const [endpointIndex, { endpoint, pool, model }] of prepared.entries()) {
      if (sending.stopped) break
      const planner = scenario.load.profile === 'sweep' ? createSweepPlanner(scenario.load) : undefined
      let previous: RunSummary | undefined
      let step: LoadStep | undefined = planner ? planner.next(undefined) : singleStep(scenario.load)
      while (step && !sending.stopped) {
        const currentStep: LoadStep = step
        const clientOptions = { timeouts: scenario.timeouts, retries: scenario.retries, limits: scenario.limits, requestIdPrefix: requestIdPrefix(runId, endpointIndex, currentStep.step) }
        // Worker threads run their own clients and take the stop signal themselves.
        const inWorkers = scenario.load.workers > 1 && currentStep.mode === 'closed'
        const client = inWorkers ? undefined : new StreamingClient(endpoint, pool, clientOptions)
        activeClient = client
        // Prompts made before the step starts (all of them when the count is known and moderate),
        // so that building them never sits between a send and its write.
        const inFlight = currentStep.concurrency ?? currentStep.maxConcurrency ?? Math.ceil((currentStep.ratePerS ?? 1) * 2)
        const prompts = new PromptBuffer(await makePromptSource(), 2 * inFlight + 64, Math.min(currentStep.maxRequests ?? 20_000, 20_000, Math.max(4 * inFlight + 256, 2048)), currentStep.maxRequests)
        prompts.fill()
        const prepare = (id: number): PreparedRequest => toPreparedRequest(prompts.next(), endpoint, model, scenario, options.requestHeaders?.(id))
        const onRecord = (record: RequestRecord): void => writer.write(record)
        const serverLost = serverLostRule(scenario)
        const onProgress = (p: Parameters<typeof progress.update>[1]): void =>
          progress.update(`${endpoint.label} ${currentStep.label}`, p, currentStep.maxRequests, currentStep.durationMs)
        serverMetrics?.start(endpoint, currentStep.step, performance.now())
        const outcome =
          client === undefined
            ? await runLoadStepInWorkers(currentStep, scenario.load.workers, {
                endpoint,
                connectTimeoutMs: scenario.timeouts.connectMs,
                client: clientOptions,
                prepare,
                onRecordLines: (lines, count) => writer.writeSerialized(lines, count),
                stop: sending,
                graceSeconds: scenario.graceSeconds,
                warmupMs: scenario.load.warmup * 1000,
                serverLost,
                onProgress,
              })
            : await runLoadStep(currentStep, { client, prepare, onRecord, stop: sending, onProgress, warmupMs: scenario.load.warmup * 1000, graceSeconds: scenario.graceSeconds, serverLost })
        progress.clear()
        await serverMetrics?.stop()
        writer.flush()
        const warnings: string[] = []
        if (outcome.sent === 0) warnings.push('no request was sent')
        if (writer.failure) warnings.push(`${writer.failure}: this summary covers the records on disk`)
        if (outcome.serverLost) warnings.push(describeServerLost(outcome.serverLost))
        const summary = await summarizeRun(
          () => readRecords(recordsPath, { filter: (r) => r.endpoint === endpoint.label && r.step === currentStep.step, onWarning: (w) => void (warnings.includes(w) || warnings.push(w)) }),
          {
            endpoint: { label: endpoint.label, url: publicUrl(endpoint), model, api: endpoint.api },
            step: currentStep.step,
            stepLabel: currentStep.label,
            requested: requestedLoad(currentStep, scenario.load.warmup, scenario.load.cooldown),
            achieved: outcome.achieved,
            client: outcome.client,
            interrupted: outcome.interrupted && stop.stopped,
            ...(outcome.serverLost ? { serverLost: outcome.serverLost } : {}),
            sendEndMs: outcome.sendEndMs,
            slo: scenario.slo,
            warnings,
          },
        )
        runs.push(summary)
        options.log(formatRunTable(summary))
        previous = summary
        // A server that went away ends this endpoint's steps; the next endpoint still runs.
        step = planner && !outcome.serverLost ? planner.next(previous) : undefined
      }
    }
  } finally {
    progress.clear()
    closeRecords()
    await serverMetrics?.close()
  }
  for (const note of serverMetrics?.notes ?? []) options.log(`note: ${note}`)

  if (prepared.length > 1 && runs.length > 1) options.log(`\nside by side:\n${formatComparisonTable(runs)}`)
  const safety = runSafety(prepared.map((p) => p.endpoint), scenario.retries)
  for (const line of formatSafety(safety)) options.log(line)
  const attested = await attestation.after()
  for (const swapped of attested?.endpoints.filter((e) => e.swapped) ?? []) {
    for (const run of runs.filter((r) => r.endpoint.label === swapped.endpoint)) run.warnings.push(`endpoint swapped during the run: ${swapped.swapReason}`)
  }

  const summary = benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId,
    tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    recordsFile: 'records.jsonl',
    tokenizer: TOKENIZER_NAME,
    runs,
    ...(attested ? { attestation: attested } : {}),
    safety,
  } satisfies BenchSummary)
  writeSummaryFiles(outDir, { 'summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'summary.csv': summaryToCsv(summary) }, writer.failure)
  return { summary, outDir, interrupted: stop.stopped, ...(writer.failure ? { writeFailure: writer.failure } : {}) }
}
