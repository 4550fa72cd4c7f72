import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import type { Client } from 'undici'
import { type ResolvedEndpoint, createControlClient } from '../client/endpoint.js'
import { type MetricSamples, scrapeMetrics } from '../client/prometheus.js'
import { StreamingClient, requestIdPrefix } from '../client/stream-request.js'
import type { PromptItem } from '../input/prompts.js'
import type { BenchRunOptions } from './bench.js'
import { type PreparedEndpoint, promptSourceFactory, publicUrl, toPreparedRequest } from '../load/endpoints-setup.js'
import { runSafety } from '../load/run-safety.js'
import { type LoadStep, type PreparedRequest, type StopSignal, cancelAfterGrace, openRunRecords, requestedLoad, runLoadStep } from '../load/runner.js'
import { type ServerLost, ServerWatch, describeServerLost, serverLostRule } from '../load/server-watch.js'
import { summarizeRun } from '../metrics/summarize.js'
import { type SweepStepRun, saturationRatio, summarizeSaturation, sweepPlanner } from '../compare/saturation.js'
import { type RunFolder, writeSummaryFiles } from '../io/output/files.js'
import { attestAroundRun } from '../attest/around-run.js'
import type { AttestationRun } from '../io/schema/attestation.js'
import { compareToCsv } from '../io/output/compare-csv.js'
import { NO_PROGRESS, type ProgressReporter, type StepProgress } from './progress.js'
import { type CompareConfig, type CompareSummary, compareSummarySchema } from '../io/schema/compare.js'
import type { Scenario } from '../io/schema/scenario.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import { deriveSeed } from '../util/rng.js'
import { GEOPAT_VERSION } from '../util/version.js'
import type { CompareRecord } from '../compare/analyze.js'
import { type ProbeResult, probeFrontEnd } from '../compare/probe.js'
import { accumulate, analyzePoint, blockOrder } from './compare-analysis.js'

type StepOutcome = Awaited<ReturnType<typeof runLoadStep>>

export type CompareRunOptions = Omit<BenchRunOptions, 'requestHeaders'>

export interface CompareRunResult {
  summary: CompareSummary
  outDir: string
  interrupted: boolean
  /** A write of records.jsonl failed (a full disk): the comparison stopped there. */
  writeFailure?: string
}

export interface Arm {
  label: string
  prepared: PreparedEndpoint
  endpoint: ResolvedEndpoint
}

type Point = CompareConfig['operatingPoints'][number]

/** The prompts of one round: the same for every arm (a seed per round). */
export async function promptsForRound(input: Scenario, round: number, count: number): Promise<PromptItem[]> {
  const source = await promptSourceFactory(input, deriveSeed(input.load.seed, 2000 + round))()
  return Array.from({ length: count }, () => source.next())
}

export interface SessionSetup {
  options: CompareRunOptions
  config: CompareConfig
  /** The scenario as sent (fixed output lengths). */
  input: Scenario
  /** The scenario with its endpoints resolved. */
  scenario: Scenario
  arms: Arm[]
  prepared: PreparedEndpoint[]
  stop: StopSignal
  runId: string
  folder: RunFolder
}

/** What one operating point's rounds gather per arm. */
interface PointState {
  byArm: Map<string, CompareRecord[]>
  serverTotals: Map<string, MetricSamples>
  serverAvailable: Map<string, boolean>
  verdicts: Map<string, RunSummary['client']>
  orders: string[][]
}

/** One comparison: its records file, the clients, watches and evidence around it, and what it measured. */
export class CompareSession {
  private readonly seed: number
  private readonly records: ReturnType<typeof openRunRecords>
  private readonly progress: ProgressReporter
  private readonly lostServerRule: ReturnType<typeof serverLostRule>
  private readonly serversLost: NonNullable<CompareSummary['serverLost']> = []
  private readonly connectWatches = new Map<string, ServerWatch>()
  /** /metrics is scraped on a connection of its own, outside the measured requests' pool. */
  private readonly controlClients: Map<string, Client>
  /** Attestation evidence per endpoint (not per arm: an A/A arm is the same machine) before and after. */
  private readonly attestation: ReturnType<typeof attestAroundRun>
  private readonly startedAt = new Date().toISOString()
  private readonly points: CompareSummary['operatingPoints'] = []
  private saturation: CompareSummary['saturation'] = null
  private attested: AttestationRun | undefined
  private activeClient: StreamingClient | undefined
  private stepCounter = 0

  constructor(private readonly setup: SessionSetup) {
    const { options, scenario, stop, arms } = setup
    this.seed = setup.input.load.seed
    // Sending also stops when an endpoint goes away (noteServerLost).
    this.records = openRunRecords(join(setup.folder.dir, 'records.jsonl'), stop, () => this.activeClient)
    this.progress = options.progress || NO_PROGRESS
    this.lostServerRule = serverLostRule(options.scenario)
    this.controlClients = new Map(arms.map((arm) => [keyOf(arm), createControlClient(arm.endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })]))
    cancelAfterGrace(stop, scenario.graceSeconds, options.log, () => this.activeClient)
    this.attestation = attestAroundRun(setup.prepared, setup.folder.dir, options.source, options.log)
  }

  private get sending(): StopSignal {
    return this.records.sending
  }

  /** Every operating point, then the saturation sweeps, with the evidence before and after. */
  async measure(): Promise<void> {
    const { config } = this.setup
    await this.attestation.before()
    for (const point of config.operatingPoints) {
      if (this.sending.stopped) break
      this.points.push(await this.measurePoint(point))
    }
    if (config.saturation && !this.sending.stopped) this.saturation = await this.runSaturation(config.saturation)
    this.attested = await this.attestation.after()
  }

  async close(): Promise<void> {
    this.progress.clear()
    this.records.close()
    await Promise.all([...this.controlClients.values()].map((c) => c.close().catch(() => undefined)))
  }

  private noteServerLost(arm: Arm, lost: ServerLost | undefined): void {
    if (!lost) return
    if (!this.serversLost.some((known) => known.endpoint === arm.endpoint.label)) this.serversLost.push({ endpoint: arm.endpoint.label, ...lost })
    this.sending.stop()
  }

  /**
   * Blocks are short: connect errors in a row are counted per endpoint across its blocks (a step's
   * own watch sees only its block; it still catches a stall).
   */
  private connectWatch(arm: Arm): ServerWatch {
    let watch = this.connectWatches.get(keyOf(arm))
    if (!watch) {
      watch = new ServerWatch({ connectErrors: this.lostServerRule.connectErrors, stallMs: 0 }, 0, (lost) => this.noteServerLost(arm, lost), performance.now())
      this.connectWatches.set(keyOf(arm), watch)
    }
    return watch
  }

  /** One step's load on one arm, its records written and kept (after a failed write, only what reached the disk). */
  private async send(
    arm: Arm,
    step: LoadStep,
    prepare: (id: number) => PreparedRequest,
    onProgress: (progress: StepProgress) => void,
  ): Promise<{ records: RequestRecord[]; outcome: StepOutcome }> {
    const { scenario } = this.setup
    const client = new StreamingClient(arm.endpoint, arm.prepared.pool, {
      timeouts: scenario.timeouts,
      retries: scenario.retries,
      limits: scenario.limits,
      requestIdPrefix: requestIdPrefix(this.setup.runId, step.step),
    })
    this.activeClient = client
    const records: RequestRecord[] = []
    const origin = performance.now()
    const outcome = await runLoadStep(step, {
      client,
      runStartedAt: origin,
      prepare,
      onRecord: (record) => {
        this.connectWatch(arm).observe(record, origin)
        if (this.records.writer.failure) return
        this.records.writer.write(record)
        records.push(record)
      },
      stop: this.sending,
      graceSeconds: scenario.graceSeconds,
      serverLost: this.lostServerRule,
      onProgress,
    })
    this.progress.clear()
    this.noteServerLost(arm, outcome.serverLost)
    return { records, outcome }
  }

  /** One block: `items` sent to one arm at the operating point. */
  private async runBlock(arm: Arm, point: Point, items: PromptItem[], label: string): Promise<{ records: RequestRecord[]; client: RunSummary['client'] }> {
    const { scenario } = this.setup
    const step: LoadStep = {
      step: this.stepCounter++,
      label,
      mode: point.rate !== undefined ? 'open' : 'closed',
      ...(point.rate !== undefined ? { ratePerS: point.rate } : { concurrency: point.concurrency ?? 1 }),
      maxRequests: items.length,
      arrival: scenario.load.arrival,
      burstiness: scenario.load.burstiness,
      seed: this.seed,
    }
    const prepare = (id: number): PreparedRequest => toPreparedRequest(items[id] as PromptItem, arm.endpoint, arm.prepared.model, scenario)
    const { records, outcome } = await this.send(arm, step, prepare, (p) => this.progress.update(`${point.label} ${label} ${arm.label}`, p, items.length))
    return { records, client: outcome.client }
  }

  /** One operating point: warm-up per arm, the rounds, the front-end probe; then its statistics. */
  private async measurePoint(point: Point): Promise<CompareSummary['operatingPoints'][number]> {
    const { config, arms, input } = this.setup
    const labels = arms.map((arm) => arm.label)
    const state: PointState = {
      byArm: new Map(labels.map((label) => [label, []])),
      serverTotals: new Map(labels.map((label) => [label, new Map()])),
      serverAvailable: new Map(labels.map((label) => [label, true])),
      verdicts: new Map(),
      orders: [],
    }
    // Warm-up per arm (its records are kept in records.jsonl, outside the statistics).
    if (config.warmupRequests > 0) {
      const warmup = (await promptsForRound(input, -1, config.requestsPerBlock)).slice(0, config.warmupRequests)
      for (const arm of arms) if (!this.sending.stopped) await this.runBlock(arm, point, warmup, 'warm-up')
    }
    for (let round = 0; round < config.rounds && !this.sending.stopped; round++) await this.runRound(point, round, state)
    const probes = new Map<string, ProbeResult>()
    if (config.probe && !this.sending.stopped) {
      for (const arm of arms) probes.set(arm.label, await probeFrontEnd(arm.endpoint, config.probe.rate, config.probe.durationS))
    }
    const armUrls = arms.map((arm) => ({ label: arm.label, url: publicUrl(arm.endpoint) }))
    return analyzePoint({ point, arms: armUrls, ...state, probes, config, seed: this.seed })
  }

  /** One round: every arm's block in the round's order, each between two scrapes of its server's /metrics. */
  private async runRound(point: Point, round: number, state: PointState): Promise<void> {
    const { config, arms, input } = this.setup
    const items = await promptsForRound(input, round, point.requestsPerBlock ?? config.requestsPerBlock)
    const order = blockOrder(
      arms.map((a) => a.label),
      config.design,
      round,
      this.seed,
    )
    state.orders.push(order)
    for (const label of order) {
      if (this.sending.stopped) break
      const arm = arms.find((a) => a.label === label) as Arm
      const before = state.serverAvailable.get(label) ? await this.scrape(arm) : undefined
      const { records, client } = await this.runBlock(arm, point, items, `round ${round + 1}`)
      const after = before ? await this.scrape(arm) : undefined
      if (before && after) accumulate(state.serverTotals.get(label) as MetricSamples, before, after)
      else state.serverAvailable.set(label, false)
      ;(state.byArm.get(label) as CompareRecord[]).push(...records.map((record) => ({ arm: label, round, record })))
      const previous = state.verdicts.get(label)
      if (!previous || (previous.verdict === 'ok' && client.verdict !== 'ok')) state.verdicts.set(label, client)
    }
  }

  /** The arm's server /metrics (undefined when it has none). */
  private scrape(arm: Arm): Promise<MetricSamples | undefined> {
    const { endpoint } = arm
    const headers = { accept: 'text/plain', ...endpoint.headers, ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) }
    const control = this.controlClients.get(keyOf(arm)) as Client
    return scrapeMetrics(control, endpoint.origin, endpoint.basePath, headers, this.setup.scenario.limits.maxResponseBytes)
  }

  /** One sweep per arm (the A/A copy excluded): throughput at saturation and the knee. */
  private async runSaturation(settings: NonNullable<CompareConfig['saturation']>): Promise<CompareSummary['saturation']> {
    const { config } = this.setup
    const results: Array<{ arm: string; saturation: Awaited<ReturnType<typeof summarizeSaturation>> }> = []
    for (const arm of this.setup.arms.filter((a) => !a.label.endsWith('(A/A)'))) {
      const runs = await this.sweepArm(arm, settings)
      results.push({ arm: arm.label, saturation: await summarizeSaturation(arm.label, runs, config, this.seed) })
    }
    const base = results[0]
    return {
      arms: results.map((r) => r.saturation.saturation),
      ratios: results.slice(1).map((r) => ({
        baseline: base?.arm ?? '',
        arm: r.arm,
        outputTokensPerS: base ? saturationRatio(base.saturation.bins, r.saturation.bins, config, this.seed) : null,
      })),
    }
  }

  /** One arm's sweep: synchronous, maximum throughput, then rates between. */
  private async sweepArm(arm: Arm, settings: NonNullable<CompareConfig['saturation']>): Promise<SweepStepRun[]> {
    const { scenario, input } = this.setup
    const planner = sweepPlanner(scenario, settings)
    const runs: SweepStepRun[] = []
    let previous: RunSummary | undefined
    for (let step = planner.next(undefined); step && !this.sending.stopped; step = planner.next(previous)) {
      const prompts = await promptSourceFactory(input, deriveSeed(this.seed, 3000 + runs.length))()
      const sweepStep: LoadStep = { ...step, step: this.stepCounter++ }
      const prepare = (): PreparedRequest => toPreparedRequest(prompts.next(), arm.endpoint, arm.prepared.model, scenario)
      const onProgress = (p: StepProgress): void => this.progress.update(`saturation ${arm.label} ${step.label}`, p, undefined, sweepStep.durationMs)
      const { records, outcome } = await this.send(arm, sweepStep, prepare, onProgress)
      const facts = {
        endpoint: { label: arm.label, url: publicUrl(arm.endpoint), model: arm.prepared.model, api: arm.endpoint.api },
        step: sweepStep.step,
        stepLabel: sweepStep.label,
        requested: requestedLoad(sweepStep, 0, 0),
        achieved: outcome.achieved,
        client: outcome.client,
        interrupted: outcome.interrupted && this.setup.stop.stopped,
        sendEndMs: outcome.sendEndMs,
      }
      runs.push({ step: sweepStep, records, facts })
      previous = await summarizeRun(() => records, { ...facts, slo: {}, warnings: [] })
    }
    return runs
  }

  /** The warnings, compare-summary.json and compare-summary.csv. */
  finish(): CompareRunResult {
    const { stop, scenario, folder } = this.setup
    const { writer } = this.records
    const warnings: string[] = []
    for (const lost of this.serversLost) warnings.push(`${lost.endpoint}: ${describeServerLost(lost)}: the intervals cover the requests measured before`)
    if (writer.failure) warnings.push(`${writer.failure}: the intervals cover the requests measured before`)
    else if (stop.stopped) warnings.push('interrupted: the intervals cover the requests measured before Ctrl-C')
    for (const swapped of this.attested?.endpoints.filter((e) => e.swapped) ?? [])
      warnings.push(`endpoint swapped during the comparison: ${swapped.swapReason}`)
    const safety = runSafety(
      this.setup.prepared.map((prepared) => prepared.endpoint),
      scenario.retries,
    )
    const summary = compareSummarySchema.parse({
      schema: 'geopat.compare-summary/v1',
      runId: this.setup.runId,
      tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      recordsFile: 'records.jsonl',
      design: this.setup.config.design,
      paired: this.points.every((p) => p.contrasts.every((c) => c.paired)),
      interrupted: stop.stopped,
      ...(this.serversLost.length > 0 ? { serverLost: this.serversLost } : {}),
      saturation: this.saturation,
      operatingPoints: this.points,
      warnings,
      ...(this.attested ? { attestation: this.attested } : {}),
      safety,
    } satisfies CompareSummary)
    writeSummaryFiles(
      folder.dir,
      { 'compare-summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'compare-summary.csv': compareToCsv(summary) },
      writer.failure,
    )
    return { summary, outDir: folder.dir, interrupted: stop.stopped, ...(writer.failure ? { writeFailure: writer.failure } : {}) }
  }
}

/** One server behind an arm (an A/A arm shares its baseline's). */
function keyOf(arm: Arm): string {
  return arm.endpoint.origin + arm.endpoint.basePath
}
