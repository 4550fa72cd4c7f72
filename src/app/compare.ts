import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import type { Client } from 'undici'
import { type ResolvedEndpoint, createControlClient } from '../client/endpoint.js'
import { type MetricSamples, scrapeMetrics } from '../client/prometheus.js'
import { StreamingClient, requestIdPrefix } from '../client/stream-request.js'
import type { PromptItem } from '../input/prompts.js'
import type { BenchRunOptions } from './bench.js'
import { type PreparedEndpoint, promptSourceFactory, publicUrl, startEndpoints, toPreparedRequest } from '../load/endpoints-setup.js'
import { runSafety } from '../load/run-safety.js'
import { type LoadStep, StopSignal, cancelAfterGrace, openRunRecords, requestedLoad, runLoadStep } from '../load/runner.js'
import { type ServerLost, ServerWatch, describeServerLost, serverLostRule } from '../load/server-watch.js'
import { coalescingOf, summarizeRun } from '../metrics/summarize.js'
import { type SweepStepRun, saturationRatio, summarizeSaturation, sweepPlanner } from '../compare/saturation.js'
import { peerMetrics } from '../metrics/peers.js'
import { type RunFolder, claimRunFolder, makeRunId, writeSummaryFiles } from '../io/output/files.js'
import { attestAroundRun } from '../attest/around-run.js'
import type { AttestationRun } from '../io/schema/attestation.js'
import { compareToCsv } from '../io/output/compare-formats.js'
import { ProgressLine } from '../io/output/progress.js'
import { type CompareConfig, type CompareSummary, compareConfigSchema, compareSummarySchema } from '../io/schema/compare.js'
import type { Scenario } from '../io/schema/scenario.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import { deriveSeed, seededRandom, shuffleInPlace } from '../util/rng.js'
import { UserError } from '../util/errors.js'
import { GEOPAT_VERSION } from '../util/version.js'
import { type CompareRecord, aaFloor, contrastArms, reconcile, splitOverhead, summarizeArm } from '../compare/analyze.js'
import { type ProbeResult, probeFrontEnd } from '../compare/probe.js'

export type CompareRunOptions = Omit<BenchRunOptions, 'requestHeaders'>

interface Arm {
  label: string
  prepared: PreparedEndpoint
  endpoint: ResolvedEndpoint
}

/** The order of the arms in round `round`: ABBA alternates, randomized shuffles with the seed. */
export function blockOrder(arms: readonly string[], design: CompareConfig['design'], round: number, seed: number): string[] {
  const order = [...arms]
  if (design === 'abba') return round % 2 === 0 ? order : order.reverse()
  shuffleInPlace(order, seededRandom(deriveSeed(seed, 1000 + round)))
  return order
}

function accumulate(total: MetricSamples, before: MetricSamples, after: MetricSamples): void {
  for (const [name, value] of after) total.set(name, (total.get(name) ?? 0) + value - (before.get(name) ?? 0))
}

/**
 * `geopat compare`: every arm gets the same prompts with a fixed output length, in interleaved
 * blocks (ABBA or seeded random order per round), after its own warm-up, at each operating point
 * apart. Then per arm and per contrast: bootstrap intervals, verdicts against the A/A floor, the
 * overhead split, server /metrics reconciliation and the peers' metric names.
 */
export async function runCompare(options: CompareRunOptions): Promise<CompareRunResult> {
  // The folder is checked and locked before any endpoint is touched: a used one fails at once.
  const runId = options.runId ?? makeRunId('compare')
  const folder = claimRunFolder({ outDir: options.outDir ?? options.scenario.out, runId, overwrite: options.overwrite ?? false, heldByCaller: options.outDirHeld ?? false, log: options.log })
  try {
    return await compareInFolder(options, runId, folder)
  } finally {
    folder.release()
  }
}

export interface CompareRunResult {
  summary: CompareSummary
  outDir: string
  interrupted: boolean
  /** A write of records.jsonl failed (a full disk): the comparison stopped there. */
  writeFailure?: string
}

async function compareInFolder(options: CompareRunOptions, runId: string, folder: RunFolder): Promise<CompareRunResult> {
  const config = options.scenario.compare ?? compareConfigSchema.parse({})
  // A fair comparison needs the same work on every arm: exact output lengths (vLLM ignore_eos).
  const input: Scenario = { ...options.scenario, input: { ...options.scenario.input, fixedOutput: true } }
  const stop = options.stop ?? new StopSignal()
  const seed = input.load.seed
  const promptsForRound = async (round: number, count = config.requestsPerBlock): Promise<PromptItem[]> => {
    const source = await promptSourceFactory(input, deriveSeed(seed, 2000 + round))()
    return Array.from({ length: count }, () => source.next())
  }
  await promptsForRound(0)
  const started = await startEndpoints(input, options.source, options.log, stop)
  const scenario = started.scenario
  const arms: Arm[] = started.prepared.map((prepared) => ({ label: prepared.endpoint.label, prepared, endpoint: prepared.endpoint }))
  const first = arms[0] as Arm
  if (config.aa) {
    const label = `${first.label} (A/A)`
    arms.splice(1, 0, { label, prepared: first.prepared, endpoint: { ...first.endpoint, label } })
  }
  if (arms.length < 2) {
    await started.close()
    throw new UserError(`${options.source}: endpoints: compare needs two endpoints, or one with compare.aa: true`)
  }

  const outDir = folder.dir
  const recordsPath = join(outDir, 'records.jsonl')
  let activeClient: StreamingClient | undefined
  // Sending also stops when an endpoint goes away (noteServerLost).
  const { writer, sending, close: closeRecords } = openRunRecords(recordsPath, stop, () => activeClient)
  const lostServerRule = serverLostRule(options.scenario)
  const serversLost: NonNullable<CompareSummary['serverLost']> = []
  const noteServerLost = (arm: Arm, lost: ServerLost | undefined): void => {
    if (!lost) return
    if (!serversLost.some((known) => known.endpoint === arm.endpoint.label)) serversLost.push({ endpoint: arm.endpoint.label, ...lost })
    sending.stop()
  }
  // Blocks are short: connect errors in a row are counted per endpoint across its blocks (a step's
  // own watch sees only its block; it still catches a stall).
  const connectWatches = new Map<string, ServerWatch>()
  const connectWatch = (arm: Arm): ServerWatch => {
    const key = arm.endpoint.origin + arm.endpoint.basePath
    let watch = connectWatches.get(key)
    if (!watch) {
      watch = new ServerWatch({ connectErrors: lostServerRule.connectErrors, stallMs: 0 }, 0, (lost) => noteServerLost(arm, lost), performance.now())
      connectWatches.set(key, watch)
    }
    return watch
  }
  const startedAt = new Date().toISOString()
  const progress = new ProgressLine(options.progress)
  const warnings: string[] = []
  const points: CompareSummary['operatingPoints'] = []
  cancelAfterGrace(stop, scenario.graceSeconds, options.log, () => activeClient)
  let stepCounter = 0
  // /metrics is scraped on a connection of its own, outside the measured requests' pool.
  const controlClients = new Map(arms.map((arm) => [arm.endpoint.origin + arm.endpoint.basePath, createControlClient(arm.endpoint, { connectTimeoutMs: scenario.timeouts.connectMs })]))
  // Attestation evidence per endpoint (not per arm: an A/A arm is the same machine) before and after.
  const attestation = attestAroundRun(started.prepared, outDir, options.source, options.log)
  let attested: AttestationRun | undefined

  const runBlock = async (arm: Arm, point: CompareConfig['operatingPoints'][number], items: PromptItem[], label: string): Promise<{ records: RequestRecord[]; client: RunSummary['client'] }> => {
    const stepNumber = stepCounter++
    const client = new StreamingClient(arm.endpoint, arm.prepared.pool, { timeouts: scenario.timeouts, retries: scenario.retries, limits: scenario.limits, requestIdPrefix: requestIdPrefix(runId, stepNumber) })
    activeClient = client
    const records: RequestRecord[] = []
    const step: LoadStep = {
      step: stepNumber,
      label,
      mode: point.rate !== undefined ? 'open' : 'closed',
      ...(point.rate !== undefined ? { ratePerS: point.rate } : { concurrency: point.concurrency ?? 1 }),
      maxRequests: items.length,
      arrival: scenario.load.arrival,
      burstiness: scenario.load.burstiness,
      seed,
    }
    const origin = performance.now()
    const outcome = await runLoadStep(step, {
      client,
      runStartedAt: origin,
      prepare: (id) => toPreparedRequest(items[id] as PromptItem, arm.endpoint, arm.prepared.model, scenario),
      onRecord: (record) => {
        connectWatch(arm).observe(record, origin)
        // After a failed write only what reached the disk is analysed (the streams it cancels are not).
        if (writer.failure) return
        writer.write(record)
        records.push(record)
      },
      stop: sending,
      graceSeconds: scenario.graceSeconds,
      serverLost: lostServerRule,
      onProgress: (p) => progress.update(`${point.label} ${label} ${arm.label}`, p, items.length),
    })
    progress.clear()
    noteServerLost(arm, outcome.serverLost)
    return { records, client: outcome.client }
  }

  let saturation: CompareSummary['saturation'] = null
  /** One sweep per arm (the A/A copy excluded): throughput at saturation and the knee. */
  const runSaturation = async (settings: NonNullable<CompareConfig['saturation']>): Promise<CompareSummary['saturation']> => {
    const results: Array<{ arm: string; saturation: Awaited<ReturnType<typeof summarizeSaturation>> }> = []
    for (const arm of arms.filter((a) => !a.label.endsWith('(A/A)'))) {
      const planner = sweepPlanner(scenario, settings)
      const runs: SweepStepRun[] = []
      let previous: RunSummary | undefined
      for (let step = planner.next(undefined); step && !sending.stopped; step = planner.next(previous)) {
        const prompts = await promptSourceFactory(input, deriveSeed(seed, 3000 + runs.length))()
        const sweepStep: LoadStep = { ...step, step: stepCounter++ }
        const client = new StreamingClient(arm.endpoint, arm.prepared.pool, { timeouts: scenario.timeouts, retries: scenario.retries, limits: scenario.limits, requestIdPrefix: requestIdPrefix(runId, sweepStep.step) })
        activeClient = client
        const records: RequestRecord[] = []
        const origin = performance.now()
        const outcome = await runLoadStep(sweepStep, {
          client,
          runStartedAt: origin,
          prepare: () => toPreparedRequest(prompts.next(), arm.endpoint, arm.prepared.model, scenario),
          onRecord: (record) => {
            connectWatch(arm).observe(record, origin)
            if (writer.failure) return
            writer.write(record)
            records.push(record)
          },
          stop: sending,
          graceSeconds: scenario.graceSeconds,
          serverLost: lostServerRule,
          onProgress: (p) => progress.update(`saturation ${arm.label} ${step?.label ?? ''}`, p, undefined, sweepStep.durationMs),
        })
        progress.clear()
        noteServerLost(arm, outcome.serverLost)
        const facts = {
          endpoint: { label: arm.label, url: publicUrl(arm.endpoint), model: arm.prepared.model, api: arm.endpoint.api },
          step: sweepStep.step,
          stepLabel: sweepStep.label,
          requested: requestedLoad(sweepStep, 0, 0),
          achieved: outcome.achieved,
          client: outcome.client,
          interrupted: outcome.interrupted && stop.stopped,
          sendEndMs: outcome.sendEndMs,
        }
        runs.push({ step: sweepStep, records, facts })
        previous = await summarizeRun(() => records, { ...facts, slo: {}, warnings: [] })
      }
      results.push({ arm: arm.label, saturation: await summarizeSaturation(arm.label, runs, config, seed) })
    }
    const base = results[0]
    return {
      arms: results.map((r) => r.saturation.saturation),
      ratios: results.slice(1).map((r) => ({
        baseline: base?.arm ?? '',
        arm: r.arm,
        outputTokensPerS: base ? saturationRatio(base.saturation.bins, r.saturation.bins, config, seed) : null,
      })),
    }
  }

  try {
    await attestation.before()
    for (const point of config.operatingPoints) {
      if (sending.stopped) break
      const byArm = new Map<string, CompareRecord[]>(arms.map((arm) => [arm.label, []]))
      const serverTotals = new Map<string, MetricSamples>(arms.map((arm) => [arm.label, new Map()]))
      const serverAvailable = new Map<string, boolean>(arms.map((arm) => [arm.label, true]))
      const verdicts = new Map<string, RunSummary['client']>()
      const orders: string[][] = []
      // Warm-up per arm (its records are kept in records.jsonl, outside the statistics).
      if (config.warmupRequests > 0) {
        const warmup = (await promptsForRound(-1)).slice(0, config.warmupRequests)
        for (const arm of arms) if (!sending.stopped) await runBlock(arm, point, warmup, 'warm-up')
      }
      for (let round = 0; round < config.rounds && !sending.stopped; round++) {
        const items = await promptsForRound(round, point.requestsPerBlock ?? config.requestsPerBlock)
        const order = blockOrder(arms.map((a) => a.label), config.design, round, seed)
        orders.push(order)
        for (const label of order) {
          if (sending.stopped) break
          const arm = arms.find((a) => a.label === label) as Arm
          const headers = { accept: 'text/plain', ...arm.endpoint.headers, ...(arm.endpoint.apiKey ? { authorization: `Bearer ${arm.endpoint.apiKey}` } : {}) }
          const control = controlClients.get(arm.endpoint.origin + arm.endpoint.basePath) as Client
          const before = serverAvailable.get(label) ? await scrapeMetrics(control, arm.endpoint.origin, arm.endpoint.basePath, headers, scenario.limits.maxResponseBytes) : undefined
          const { records, client } = await runBlock(arm, point, items, `round ${round + 1}`)
          const after = before ? await scrapeMetrics(control, arm.endpoint.origin, arm.endpoint.basePath, headers, scenario.limits.maxResponseBytes) : undefined
          if (before && after) accumulate(serverTotals.get(label) as MetricSamples, before, after)
          else serverAvailable.set(label, false)
          ;(byArm.get(label) as CompareRecord[]).push(...records.map((record) => ({ arm: label, round, record })))
          const previous = verdicts.get(label)
          if (!previous || (previous.verdict === 'ok' && client.verdict !== 'ok')) verdicts.set(label, client)
        }
      }
      const probes = new Map<string, ProbeResult>()
      if (config.probe && !sending.stopped) {
        for (const arm of arms) probes.set(arm.label, await probeFrontEnd(arm.endpoint, config.probe.rate, config.probe.durationS))
      }
      const armUrls = arms.map((arm) => ({ label: arm.label, url: publicUrl(arm.endpoint) }))
      points.push(analyzePoint(point, armUrls, byArm, serverTotals, serverAvailable, verdicts, probes, orders, config, seed))
    }
    if (config.saturation && !sending.stopped) saturation = await runSaturation(config.saturation)
    attested = await attestation.after()
  } finally {
    progress.clear()
    closeRecords()
    await Promise.all([...controlClients.values()].map((c) => c.close().catch(() => undefined)))
    await started.close()
  }
  for (const lost of serversLost) warnings.push(`${lost.endpoint}: ${describeServerLost(lost)}: the intervals cover the requests measured before`)
  if (writer.failure) warnings.push(`${writer.failure}: the intervals cover the requests measured before`)
  else if (stop.stopped) warnings.push('interrupted: the intervals cover the requests measured before Ctrl-C')
  for (const swapped of attested?.endpoints.filter((e) => e.swapped) ?? []) warnings.push(`endpoint swapped during the comparison: ${swapped.swapReason}`)
  const safety = runSafety(started.prepared.map((prepared) => prepared.endpoint), scenario.retries)
  const summary = compareSummarySchema.parse({
    schema: 'geopat.compare-summary/v1',
    runId,
    tool: { name: 'geopat', version: GEOPAT_VERSION, node: process.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    recordsFile: 'records.jsonl',
    design: config.design,
    paired: points.every((p) => p.contrasts.every((c) => c.paired)),
    interrupted: stop.stopped,
    ...(serversLost.length > 0 ? { serverLost: serversLost } : {}),
    saturation,
    operatingPoints: points,
    warnings,
    ...(attested ? { attestation: attested } : {}),
    safety,
  } satisfies CompareSummary)
  writeSummaryFiles(outDir, { 'compare-summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'compare-summary.csv': compareToCsv(summary) }, writer.failure)
  return { summary, outDir, interrupted: stop.stopped, ...(writer.failure ? { writeFailure: writer.failure } : {}) }
}

/**
 * One operating point's statistics from its records: per arm, per contrast (the A/A copy first,
 * whose floor the other verdicts use), the overhead split, the /metrics reconciliation, the peers'
 * names and coalescing. Pure: the tests feed it records made in the simulator's virtual time.
 */
export function analyzePoint(
  point: CompareConfig['operatingPoints'][number],
  arms: ReadonlyArray<{ label: string; url: string }>,
  byArm: Map<string, CompareRecord[]>,
  serverTotals: Map<string, MetricSamples>,
  serverAvailable: Map<string, boolean>,
  verdicts: Map<string, RunSummary['client']>,
  probes: Map<string, ProbeResult>,
  orders: string[][],
  config: CompareConfig,
  seed: number,
): CompareSummary['operatingPoints'][number] {
  const records = (label: string): CompareRecord[] => byArm.get(label) ?? []
  const baseline = arms[0] as { label: string; url: string }
  const summaries = arms.map((arm) => summarizeArm(arm.label, arm.url, records(arm.label), config, seed))
  let floor: ReturnType<typeof aaFloor> | null = null
  const contrasts: CompareSummary['operatingPoints'][number]['contrasts'] = []
  for (const arm of arms.slice(1)) {
    const contrast = contrastArms({ label: baseline.label, records: records(baseline.label) }, { label: arm.label, records: records(arm.label) }, config, arm.label.endsWith('(A/A)') ? null : floor, seed)
    if (config.aa && arm.label === `${baseline.label} (A/A)`) floor = aaFloor(contrast)
    contrasts.push(contrast)
  }
  const probeOf = (label: string) => probes.get(label)
  return {
    label: point.label,
    load: { concurrency: point.concurrency ?? null, ratePerS: point.rate ?? null },
    blockOrder: orders,
    arms: summaries,
    contrasts,
    aaFloor: floor,
    overhead: contrasts
      .filter((c) => !c.arm.endsWith('(A/A)'))
      .map((c) => {
        const baselineProbe = probeOf(c.baseline)
        const armProbe = probeOf(c.arm)
        return splitOverhead(c, { ...(baselineProbe ? { baseline: baselineProbe } : {}), ...(armProbe ? { arm: armProbe } : {}) }, config.confidence)
      }),
    reconciliation: arms.map((arm) =>
      reconcile(arm.label, records(arm.label), serverAvailable.get(arm.label) ? { before: new Map(), after: serverTotals.get(arm.label) as MetricSamples } : undefined),
    ),
    peers: arms.flatMap((arm) => peerMetrics(records(arm.label).map((r) => r.record)).map((peer) => ({ arm: arm.label, ...peer }))),
    coalescing: arms.map((arm) => {
      const ok = records(arm.label).map((r) => r.record).filter((r) => r.ok)
      const reads = ok.reduce((sum, r) => sum + r.chunks.length, 0)
      const events = ok.reduce((sum, r) => sum + r.tokenEvents, 0)
      return { arm: arm.label, ...coalescingOf(events, reads) }
    }),
    clientVerdicts: arms.map((arm) => {
      const check = verdicts.get(arm.label)
      return { arm: arm.label, verdict: check?.verdict ?? 'ok', reasons: check?.reasons ?? [] }
    }),
    probe: [...probes.entries()].map(([arm, probe]) => ({ arm, ...probe })),
  }
}
