import { join } from 'node:path'
import { type ResolvedEndpoint, createControlClient, createStreamPool, resolveEndpoint } from '../client/endpoint.js'
import type { StreamPool } from '../client/stream-pool.js'
import type { GenerationRequest } from '../client/openai.js'
import { discoverModel } from '../client/preflight.js'
import { StreamingClient } from '../client/stream-request.js'
import { type PromptSource, createSyntheticPromptSource, loadPromptFile } from '../input/prompts.js'
import { TOKENIZER_NAME } from '../input/tokenizer.js'
import { summarizeRun } from '../metrics/summarize.js'
import { makeRunId, prepareOutputDir, writeFileAtomic } from '../output/files.js'
import { ProgressLine } from '../output/progress.js'
import { readRecords } from '../output/records-reader.js'
import { RecordsWriter } from '../output/records-writer.js'
import { formatComparisonTable, formatRunTable, summaryToCsv } from '../output/summary-formats.js'
import type { Scenario } from '../schema/scenario.js'
import { type BenchSummary, type RunSummary, benchSummarySchema } from '../schema/summary.js'
import { UserError } from '../util/errors.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type LoadStep, type PreparedRequest, StopSignal, runLoadStep } from './runner.js'
import { launchSimulator } from './sim-target.js'
import { createSweepPlanner, singleStep } from './sweep.js'

export interface BenchRunOptions {
  scenario: Scenario
  /** Where the scenario came from ("flags" or a file path), for messages. */
  source: string
  outDir?: string
  runId?: string
  /** Human output (the table, notes); silent with --json. */
  log: (line: string) => void
  progress: boolean
  stop?: StopSignal
  /** Per-request headers (tests use them to ask the simulator for faults). */
  requestHeaders?: (id: number) => Record<string, string> | undefined
}

export interface BenchRunResult {
  summary: BenchSummary
  outDir: string
  interrupted: boolean
}

interface PreparedEndpoint {
  endpoint: ResolvedEndpoint
  pool: StreamPool
  model: string
}

/**
 * `geopat bench`: checks every endpoint first (reachable, OpenAI-compatible, model known), then
 * runs the load on each in turn, streaming records to records.jsonl and writing summary.json/csv.
 */
export async function runBench(options: BenchRunOptions): Promise<BenchRunResult> {
  const stop = options.stop ?? new StopSignal()
  // Simulated endpoints (sim: in the scenario) are started first, in their own process.
  const simulated = Object.fromEntries(
    options.scenario.endpoints.flatMap((endpoint, index) => (endpoint.sim ? [[endpoint.label ?? `sim-${index}`, endpoint.sim]] : [])),
  )
  const simulator = Object.keys(simulated).length > 0 ? await launchSimulator(simulated) : undefined
  try {
    const scenario: Scenario = {
      ...options.scenario,
      endpoints: options.scenario.endpoints.map((endpoint, index) => {
        const label = endpoint.label ?? `sim-${index}`
        return endpoint.sim ? { ...endpoint, label, url: simulator?.urls[label] } : endpoint
      }),
    }
    return await runBenchOn(scenario, options, stop)
  } finally {
    await simulator?.stop()
  }
}

async function runBenchOn(scenario: Scenario, options: BenchRunOptions, stop: StopSignal): Promise<BenchRunResult> {
  const resolved = scenario.endpoints.map((config, index) =>
    resolveEndpoint(config, scenario.endpoints.length > 1 ? `${options.source}: endpoints.${index}` : options.source),
  )
  assertUniqueLabels(resolved)
  // Fail on a bad prompt file before touching any endpoint.
  const makePromptSource = promptSourceFactory(scenario)
  await makePromptSource()

  const prepared: PreparedEndpoint[] = []
  try {
    for (const endpoint of resolved) {
      const control = createControlClient(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })
      const discovery = await discoverModel(endpoint, control, endpoint.config.model, Math.min(scenario.timeouts.connectMs * 2, 30_000)).finally(() =>
        control.destroy().catch(() => undefined),
      )
      prepared.push({ endpoint, pool: createStreamPool(endpoint, { connectTimeoutMs: scenario.timeouts.connectMs }), model: discovery.model })
      if (discovery.note) options.log(`note: ${endpoint.label}: ${discovery.note}`)
    }
  } catch (error) {
    await Promise.all(prepared.map((p) => p.pool.destroy()))
    throw error
  }

  const runId = options.runId ?? makeRunId('bench')
  const outDir = prepareOutputDir(options.outDir ?? scenario.out ?? join('reports', runId))
  const recordsPath = join(outDir, 'records.jsonl')
  const writer = new RecordsWriter(recordsPath)
  const startedAt = new Date().toISOString()
  const runs: RunSummary[] = []
  const progress = new ProgressLine(options.progress)
  let activeClient: StreamingClient | undefined
  stop.onStop(() => {
    const graceMs = scenario.graceSeconds * 1000
    options.log(`stopping: no new requests; waiting up to ${scenario.graceSeconds} s for the streams in flight`)
    setTimeout(() => activeClient?.stop(true, 'interrupted by the user'), graceMs).unref()
    activeClient?.stop(false)
  })

  try {
    for (const { endpoint, pool, model } of prepared) {
      if (stop.stopped) break
      const planner = scenario.load.profile === 'sweep' ? createSweepPlanner(scenario.load) : undefined
      let previous: RunSummary | undefined
      let step: LoadStep | undefined = planner ? planner.next(undefined) : singleStep(scenario.load)
      while (step && !stop.stopped) {
        const client = new StreamingClient(endpoint, pool, { timeouts: scenario.timeouts, retries: scenario.retries })
        activeClient = client
        const prompts = await makePromptSource()
        const prepare = (id: number): PreparedRequest => buildRequest(prompts, endpoint, model, scenario, id, options.requestHeaders)
        const currentStep = step
        const outcome = await runLoadStep(currentStep, {
          client,
          prepare,
          onRecord: (record) => writer.write(record),
          stop,
          onProgress: (p) => progress.update(`${endpoint.label} ${currentStep.label}`, p, currentStep.maxRequests, currentStep.durationMs),
        })
        progress.clear()
        writer.flush()
        const warnings: string[] = []
        if (outcome.sent === 0) warnings.push('no request was sent')
        const summary = await summarizeRun(
          () => readRecords(recordsPath, { filter: (r) => r.endpoint === endpoint.label && r.step === currentStep.step }),
          {
            endpoint: { label: endpoint.label, url: publicUrl(endpoint), model, api: endpoint.api },
            step: currentStep.step,
            stepLabel: currentStep.label,
            requested: {
              mode: currentStep.mode,
              concurrency: currentStep.concurrency ?? null,
              ratePerS: currentStep.ratePerS ?? null,
              arrival: currentStep.mode === 'open' ? currentStep.arrival : null,
              burstiness: currentStep.mode === 'open' ? currentStep.burstiness : null,
              maxConcurrency: currentStep.maxConcurrency ?? null,
              requests: currentStep.maxRequests ?? null,
              durationS: currentStep.durationMs !== undefined ? currentStep.durationMs / 1000 : null,
              warmupS: scenario.load.warmup,
              cooldownS: scenario.load.cooldown,
            },
            achieved: outcome.achieved,
            client: outcome.client,
            interrupted: outcome.interrupted,
            sendEndMs: outcome.sendEndMs,
            slo: scenario.slo,
            warnings,
          },
        )
        runs.push(summary)
        options.log(formatRunTable(summary))
        previous = summary
        step = planner ? planner.next(previous) : undefined
      }
    }
  } finally {
    progress.clear()
    writer.close()
    await Promise.all(prepared.map((p) => p.pool.close().catch(() => undefined)))
  }

  if (prepared.length > 1 && runs.length > 1) options.log(`\nside by side:\n${formatComparisonTable(runs)}`)

  const summary = benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId,
    tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    recordsFile: 'records.jsonl',
    tokenizer: TOKENIZER_NAME,
    runs,
  } satisfies BenchSummary)
  writeFileAtomic(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  writeFileAtomic(join(outDir, 'summary.csv'), summaryToCsv(summary))
  return { summary, outDir, interrupted: stop.stopped }
}

function assertUniqueLabels(endpoints: ResolvedEndpoint[]): void {
  const seen = new Set<string>()
  for (const endpoint of endpoints) {
    if (seen.has(endpoint.label)) {
      throw new UserError(`endpoints: label "${endpoint.label}" is used twice; give each endpoint its own label`)
    }
    seen.add(endpoint.label)
  }
}

/** The URL as it may appear in outputs: no user-info, no query (either could hold a secret). */
function publicUrl(endpoint: ResolvedEndpoint): string {
  return `${endpoint.origin}${endpoint.basePath}`
}

/** A fresh source per load step, so that every step and every endpoint gets the same prompts. */
function promptSourceFactory(scenario: Scenario): () => Promise<PromptSource> {
  const input = scenario.input
  if (input.promptsFile) {
    const file = input.promptsFile
    return () => loadPromptFile(file, { outputTokens: input.outputTokens, seed: scenario.load.seed })
  }
  return async () =>
    createSyntheticPromptSource({
      inputTokens: input.inputTokens,
      outputTokens: input.outputTokens,
      seed: scenario.load.seed,
      prefixTokens: input.prefixTokens,
    })
}

function buildRequest(
  prompts: PromptSource,
  endpoint: ResolvedEndpoint,
  model: string,
  scenario: Scenario,
  id: number,
  headersFor: ((id: number) => Record<string, string> | undefined) | undefined,
): PreparedRequest {
  const item = prompts.next()
  const request: GenerationRequest = {
    model,
    api: endpoint.api,
    prompt: item.prompt,
    messages: item.messages,
    maxOutputTokens: item.requestedOutputTokens,
    fixedOutput: scenario.input.fixedOutput,
    continuousUsage: scenario.input.continuousUsage,
    extraBody: endpoint.config.extraBody,
  }
  const headers = headersFor?.(id)
  return {
    request,
    requestedInputTokens: item.requestedInputTokens,
    requestedOutputTokens: item.requestedOutputTokens ?? null,
    ...(headers ? { headers } : {}),
  }
}
