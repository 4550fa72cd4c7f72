/**
 * Shared helpers of geopat's performance benchmarks (bench/accuracy.ts, bench/throughput.ts).
 *
 * Every benchmark runs the simulator (`geopat sim`) and the load client (`geopat bench`) as two
 * separate child processes, as a user would run them. This driver process starts them, scrapes
 * the simulator's /metrics before and after each run, runs the comparison clients (autocannon and
 * bench/reference-client.ts) while geopat is not running, and writes the tables.
 *
 * Not part of `npm test`. Build first: `npm run build` (compiles bench/ into dist/bench/).
 */
import { execa } from 'execa'
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { buildRequestBody } from '../src/client/openai.js'
import { type MetricSamples, parsePrometheusText } from '../src/client/prometheus.js'
import { parseLengthFlag } from '../src/input/distributions.js'
import { createSyntheticPromptSource } from '../src/input/prompts.js'
import type { RequestRecord } from '../src/io/schema/record.js'
import type { BenchSummary, RunSummary } from '../src/io/schema/summary.js'
import type { SimRequestLogEntry } from '../src/sim/request-log.js'
import { PACKAGE_ROOT } from '../src/util/version.js'
import { type ReferenceRunResult, runReferenceClient } from './reference-client.js'
import { type ParseArgsConfig, parseArgs } from 'node:util'

export { PACKAGE_ROOT }

/** bench/RESULTS.md in the source tree (not in dist/), where --write puts the tables. */
export const RESULTS_FILE = join(PACKAGE_ROOT, 'bench', 'RESULTS.md')
/** Raw per-case results (JSON) beside RESULTS.md, so that every table figure can be recomputed. */
export const RESULTS_DATA_DIR = join(PACKAGE_ROOT, 'bench', 'results')

const GEOPAT_BIN = join(PACKAGE_ROOT, 'bin', 'run.js')

// ---------------------------------------------------------------------------------------------
// Simulator in its own process, and its /metrics
// ---------------------------------------------------------------------------------------------

export interface SimSettings {
  ttftMs: number
  itlMs: number
  coalesce?: number
  jitterMs?: number
  /** Output length when a request sets no max tokens. */
  outputTokens?: number
  /** Keep the simulator's request log (--request-log), for the shared-clock truth. */
  requestLog?: boolean
}

export interface RunningSim {
  url: string
  settings: SimSettings
  /** The simulator's request log (when asked for): one line per request, on the machine's clock. */
  requestLogPath?: string
  /** Scrapes GET /metrics now. */
  scrape(): Promise<MetricSamples>
  stop(): Promise<void>
}

/**
 * `geopat sim --port 0 --ttft-ms … --itl-ms … [--coalesce k]` (fixed timing) in a child process, resolved once it
 * prints its "listening on URL" line. Driven through the CLI (the documented interface), as a user
 * would start it, so that the benchmark does not depend on internal APIs.
 */
export async function startSim(settings: SimSettings, timeoutMs = 30_000): Promise<RunningSim> {
  const args = ['--ttft-ms', String(settings.ttftMs), '--itl-ms', String(settings.itlMs)]
  if (settings.coalesce !== undefined) args.push('--coalesce', String(settings.coalesce))
  if (settings.jitterMs !== undefined) args.push('--jitter-ms', String(settings.jitterMs))
  if (settings.outputTokens !== undefined) args.push('--output-tokens', String(settings.outputTokens))
  return launchSim(args, settings, timeoutMs)
}

/** `geopat sim --port 0 --profile FILE`: the engine model of a profile file, behind HTTP. */
export async function startProfileSim(profileFile: string, timeoutMs = 30_000, extraArgs: readonly string[] = []): Promise<RunningSim> {
  return launchSim(['--profile', profileFile, ...extraArgs], { ttftMs: 0, itlMs: 0 }, timeoutMs)
}

async function launchSim(simArgs: string[], settings: SimSettings, timeoutMs: number): Promise<RunningSim> {
  const args = ['sim', '--port', '0', ...simArgs]
  const logDir = settings.requestLog ? mkdtempSync(join(tmpdir(), 'geopat-sim-log-')) : undefined
  const requestLogPath = logDir !== undefined ? join(logDir, 'requests.jsonl') : undefined
  if (requestLogPath !== undefined) args.push('--request-log', requestLogPath)
  const child = execa(process.execPath, [GEOPAT_BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { GEOPAT_DEBUG: '' },
  })
  let output = ''
  let exited = false
  void child.then(() => (exited = true))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`geopat ${args.join(' ')} did not start within ${timeoutMs / 1000} s: ${output.trim()}`)), timeoutMs)
      const onData = (data: Buffer): void => {
        output += data.toString()
        const match = /listening on (http:\/\/[^\s,)]+)/.exec(output)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      void child.then((result) => {
        clearTimeout(timer)
        reject(new Error(`geopat ${args.join(' ')} exited (${result.exitCode ?? result.signal}): ${output.trim().split('\n').slice(0, 5).join(' | ')}`))
      })
    })
    return {
      url,
      settings,
      ...(requestLogPath !== undefined ? { requestLogPath } : {}),
      scrape: async () => {
        if (exited) throw new Error(`the simulator exited during the run: ${output.trim().split('\n').slice(-5).join(' | ')}`)
        return scrapeMetrics(url)
      },
      async stop() {
        child.kill('SIGTERM')
        await child
        if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    child.kill('SIGKILL')
    await child
    throw error
  }
}

export type { MetricSamples }
export { parsePrometheusText }

export async function scrapeMetrics(baseUrl: string): Promise<MetricSamples> {
  const response = await fetch(`${baseUrl}/metrics`)
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics: HTTP ${response.status}`)
  return parsePrometheusText(await response.text())
}

/** The simulator's own figures over exactly one run: deltas of its counters between two scrapes. */
export interface ServerWindow {
  /** Requests that produced all their tokens (finished_reason "length" or "stop"). */
  completed: number
  aborted: number
  generationTokens: number
  /** vllm:time_to_first_token_seconds: the ENGINE's scheduled first-token offset from receipt, mean, ms. */
  ttftMeanMs: number | null
  /** vllm:inter_token_latency_seconds: scheduled gap between successive tokens, mean, ms. */
  itlMeanMs: number | null
  /** vllm:e2e_request_latency_seconds, mean, ms. */
  e2eMeanMs: number | null
  /** geopat_sim_emit_lateness_seconds: actual socket write time − scheduled time, mean over writes, ms. */
  emitLatenessMeanMs: number | null
  /** Socket writes of tokens in the window. */
  writes: number
}

export function serverWindow(before: MetricSamples, after: MetricSamples): ServerWindow {
  const delta = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0)
  const meanMs = (histogram: string): number | null => {
    const count = delta(`${histogram}_count`)
    return count > 0 ? (delta(`${histogram}_sum`) / count) * 1000 : null
  }
  return {
    completed: delta('vllm:request_success_total:length') + delta('vllm:request_success_total:stop'),
    aborted: delta('vllm:request_success_total:abort'),
    generationTokens: delta('vllm:generation_tokens_total'),
    ttftMeanMs: meanMs('vllm:time_to_first_token_seconds'),
    itlMeanMs: meanMs('vllm:inter_token_latency_seconds'),
    e2eMeanMs: meanMs('vllm:e2e_request_latency_seconds'),
    emitLatenessMeanMs: meanMs('geopat_sim_emit_lateness_seconds'),
    writes: delta('geopat_sim_emit_lateness_seconds_count'),
  }
}

// ---------------------------------------------------------------------------------------------
// geopat bench as a child process
// ---------------------------------------------------------------------------------------------

export interface GeopatBenchResult {
  summary: BenchSummary
  run: RunSummary
  /** Wall time of the whole child process (oclif start-up, preflight and summary included), s. */
  processWallS: number
  /** Diagnostics computed from records.jsonl (see recordDiagnostics). */
  records: RecordDiagnostics
  outDir: string
}

/**
 * Runs `node bin/run.js bench --url URL ARGS --json --out DIR` and parses the summary it prints.
 * `outDir` defaults to a fresh temporary folder, removed afterwards unless `keep` is set.
 */
export async function runGeopatBench(
  url: string,
  args: string[],
  options: { outDir?: string; keep?: boolean; timeoutMs?: number; firstRound?: number } = {},
): Promise<GeopatBenchResult> {
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), 'geopat-bench-'))
  const started = performance.now()
  const child = await execa(process.execPath, [GEOPAT_BIN, 'bench', '--url', url, ...args, '--json', '--out', outDir], {
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 30 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
    env: { GEOPAT_DEBUG: '' },
  })
  const processWallS = (performance.now() - started) / 1000
  if (child.exitCode !== 0) {
    throw new Error(
      `geopat bench ${args.join(' ')} exited ${child.exitCode ?? child.signal}: ${String(child.stderr).trim()} ${String(child.stdout).slice(0, 2000)}`,
    )
  }
  const summary = JSON.parse(String(child.stdout)) as BenchSummary
  const run = summary.runs[0]
  if (run === undefined) throw new Error(`geopat bench ${args.join(' ')}: the summary has no run`)
  const records = await recordDiagnostics(join(outDir, 'records.jsonl'), options.firstRound ?? 0, run.window)
  if (!options.keep && options.outDir === undefined) rmSync(outDir, { recursive: true, force: true })
  return { summary, run, processWallS, records, outDir }
}

export interface RecordDiagnostics {
  /** Lines (records) in records.jsonl. */
  records: number
  /** Successful requests in records.jsonl. */
  succeeded: number
  /** Mean TTFT over every successful request, the first round (connection set-up) included. */
  ttftAllMeanMs: number | null
  /** Mean responseHeadersMs (send → response headers; the simulator sends headers once it has
   * read and parsed the request) over requests after the first round: warm keep-alive connections. */
  sendToHeadersWarmMeanMs: number | null
  /** The same over the first round (ids below `firstRound`): connection set-up included. */
  sendToHeadersFirstRoundMeanMs: number | null
  /** Latest sendMs of the first round: a --warmup shorter than this would count some of it. */
  firstRoundLastSendMs: number | null
  /**
   * Requests on the wire (from geopat's write to the last byte), averaged over the summary's
   * measurement window: what a closed loop of N streams really held while it was measured.
   */
  inFlightWindowMean: number | null
}

/**
 * A few figures the summary does not carry, read from records.jsonl. `firstRound` (the
 * concurrency of a closed loop) marks the requests that opened the connections: ids below it.
 */
export async function recordDiagnostics(path: string, firstRound = 0, window?: { startMs: number; endMs: number }): Promise<RecordDiagnostics> {
  const tally = newTally()
  if (existsSync(path)) {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })
    for await (const line of lines) {
      if (line.trim() !== '') tallyRecord(tally, JSON.parse(line) as DiagnosedRecord, firstRound, window)
    }
  }
  const mean = (key: keyof Tally['sums']): number | null => {
    const [sum, count] = tally.sums[key]
    return count > 0 ? sum / count : null
  }
  return {
    records: tally.records,
    succeeded: tally.succeeded,
    ttftAllMeanMs: mean('ttft'),
    sendToHeadersWarmMeanMs: mean('warmHeaders'),
    sendToHeadersFirstRoundMeanMs: mean('firstHeaders'),
    firstRoundLastSendMs: tally.firstRoundLastSendMs,
    inFlightWindowMean: window !== undefined && window.endMs > window.startMs ? tally.inFlightArea / (window.endMs - window.startMs) : null,
  }
}

/** The fields of a records.jsonl line these diagnostics read. */
interface DiagnosedRecord {
  id: number
  ok: boolean
  sendMs: number
  responseHeadersMs: number | null
  timeToFirstTokenMs: number | null
  endToEndLatencyMs: number | null
}

/** Running sums over the records: [sum, count] per mean, and the request-time area inside the window. */
interface Tally {
  records: number
  succeeded: number
  inFlightArea: number
  firstRoundLastSendMs: number | null
  sums: Record<'ttft' | 'warmHeaders' | 'firstHeaders', [number, number]>
}

function newTally(): Tally {
  return { records: 0, succeeded: 0, inFlightArea: 0, firstRoundLastSendMs: null, sums: { ttft: [0, 0], warmHeaders: [0, 0], firstHeaders: [0, 0] } }
}

function tallyRecord(tally: Tally, record: DiagnosedRecord, firstRound: number, window: { startMs: number; endMs: number } | undefined): void {
  const add = (key: keyof Tally['sums'], value: number): void => {
    tally.sums[key][0] += value
    tally.sums[key][1] += 1
  }
  tally.records++
  if (window !== undefined && record.endToEndLatencyMs !== null) {
    const overlap = Math.min(window.endMs, record.sendMs + record.endToEndLatencyMs) - Math.max(window.startMs, record.sendMs)
    if (overlap > 0) tally.inFlightArea += overlap
  }
  if (record.id < firstRound) tally.firstRoundLastSendMs = Math.max(tally.firstRoundLastSendMs ?? 0, record.sendMs)
  if (!record.ok) return
  tally.succeeded++
  if (record.timeToFirstTokenMs !== null) add('ttft', record.timeToFirstTokenMs)
  if (record.responseHeadersMs !== null) add(record.id >= firstRound ? 'warmHeaders' : 'firstHeaders', record.responseHeadersMs)
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

/**
 * The JSON bodies geopat bench sends for its first `count` requests with these settings (chat API,
 * seed 1, built by geopat's own prompt source and request builder): the same prompts and output
 * lengths in the same order, for the clients that do not build their own (autocannon, the
 * reference client, the warm-up). Token lengths take geopat's forms: `64`, `uniform:25-35`, ...
 */
export function geopatRequestBodies(options: {
  model: string
  inputTokens: string | number
  outputTokens: string | number
  fixedOutput: boolean
  count: number
}): string[] {
  const prompts = createSyntheticPromptSource({
    inputTokens: parseLengthFlag(String(options.inputTokens)),
    outputTokens: parseLengthFlag(String(options.outputTokens)),
    seed: 1,
  })
  return Array.from({ length: Math.max(1, options.count) }, () => {
    const item = prompts.next()
    return buildRequestBody({
      model: options.model,
      api: 'chat',
      prompt: item.prompt,
      messages: item.messages,
      maxOutputTokens: item.requestedOutputTokens,
      fixedOutput: options.fixedOutput,
      continuousUsage: false,
      extraBody: undefined,
    })
  })
}

/** The body of geopat's first request with these settings (see geopatRequestBodies). */
export function geopatRequestBody(options: { model: string; inputTokens: string | number; outputTokens: string | number; fixedOutput: boolean }): string {
  return geopatRequestBodies({ ...options, count: 1 })[0] as string
}

export async function servedModel(baseUrl: string): Promise<string> {
  const models = (await (await fetch(`${baseUrl}/v1/models`)).json()) as { data?: Array<{ id?: string }> }
  return models.data?.[0]?.id ?? 'geopat-sim'
}

/**
 * Warms a fresh simulator up (its JIT, tokenizer and SSE paths) with `requests` short streamed
 * requests, `concurrency` at a time, from this driver process, before anything is measured: a
 * cold simulator takes tens of ms to read its first requests, which would land in the client's
 * TTFT but not in the server's.
 */
export async function warmSimulator(
  baseUrl: string,
  options: { requests: number; concurrency: number; outputTokens?: number; inputTokens?: number },
): Promise<void> {
  const body = geopatRequestBody({
    model: await servedModel(baseUrl),
    inputTokens: options.inputTokens ?? 64,
    outputTokens: options.outputTokens ?? 8,
    fixedOutput: true,
  })
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      next++
      const response = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      await response.text()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.requests)) }, worker))
}

/**
 * runGeopatBench, then the simulator's figures over exactly that run (a /metrics scrape before
 * and after), with the first round (the connection-opening requests) set apart in the record
 * diagnostics. Records go to a temporary folder, removed afterwards, unless `keepDir` names one.
 */
export async function benchAgainstSim(
  sim: RunningSim,
  args: string[],
  options: { firstRound?: number; keepDir?: string } = {},
): Promise<{ bench: GeopatBenchResult; server: ServerWindow; sharedClock: SharedClockTruth | null }> {
  const before = await sim.scrape()
  const outDir = options.keepDir ?? mkdtempSync(join(tmpdir(), 'geopat-bench-'))
  const bench = await runGeopatBench(sim.url, args, { outDir, keep: true, firstRound: options.firstRound ?? 0 })
  const after = await sim.scrape()
  let sharedClock: SharedClockTruth | null = null
  if (sim.requestLogPath !== undefined) {
    await pause(SIM_LOG_FLUSH_MS)
    sharedClock = await sharedClockTruth(join(outDir, 'records.jsonl'), sim.requestLogPath, bench.run)
  }
  if (options.keepDir === undefined) rmSync(outDir, { recursive: true, force: true })
  return { bench, server: serverWindow(before, after), sharedClock }
}

/** The simulator writes its request log at the end of each event-loop turn: a moment lets the last lines land. */
const SIM_LOG_FLUSH_MS = 300

/**
 * Each request's true TTFT on the machine's clock: from geopat's socket write (the run's
 * runStartedAtUnixMs + the record's sendMs) to the simulator's write of the first token (its
 * request log), joined on x-request-id. The difference from geopat's TTFT is what geopat adds on
 * the way back (the read of the first chunk); the server's share (trip in, intake, its own late
 * writes) is in the truth, as a client sees it.
 */
export interface SharedClockTruth {
  /** Successful requests in geopat's window found in the log. */
  joined: number
  /** In the window but missing from the log (should be 0). */
  unmatched: number
  clientTtftMeanMs: number
  truthTtftMeanMs: number
  /** Mean of (geopat's TTFT − the true TTFT), per request. */
  ttftErrorMeanMs: number
  ttftErrorP99Ms: number
  /** geopat's socket write → the simulator has read the whole request (trip in and its intake). */
  intakeMeanMs: number
  /** The simulator's read → its first token write (its TTFT setting, its late writes). */
  serverFirstTokenMeanMs: number
  /** Smallest (simulator saw the request head − geopat wrote it): ≥ 0 if the clocks agree. */
  causalityMinMs: number
}

/** Judges the requests geopat's statistics count: sent inside the run's window (warm-up and cool-down left out). */
export async function sharedClockTruth(recordsPath: string, logPath: string, run: RunSummary): Promise<SharedClockTruth | null> {
  const origin = run.achieved.runStartedAtUnixMs
  if (origin === undefined || !existsSync(logPath)) return null
  const logged = new Map<string, SimRequestLogEntry>()
  for await (const line of createInterface({ input: createReadStream(logPath, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue
    const entry = JSON.parse(line) as SimRequestLogEntry
    if (entry.requestId !== null) logged.set(entry.requestId, entry)
  }
  const errors: number[] = []
  const sums = { client: 0, truth: 0, intake: 0, server: 0 }
  let unmatched = 0
  let causalityMinMs = Number.POSITIVE_INFINITY
  for await (const line of createInterface({ input: createReadStream(recordsPath, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue
    const record = JSON.parse(line) as RequestRecord
    if (!record.ok || record.sendMs < run.window.startMs || record.sendMs >= run.window.endMs || record.timeToFirstTokenMs === null) continue
    const entry = record.requestId !== undefined ? logged.get(record.requestId) : undefined
    if (entry === undefined || entry.firstTokenWrittenUnixMs === null) {
      unmatched++
      continue
    }
    const sentUnixMs = origin + record.sendMs
    const truth = entry.firstTokenWrittenUnixMs - sentUnixMs
    errors.push(record.timeToFirstTokenMs - truth)
    sums.client += record.timeToFirstTokenMs
    sums.truth += truth
    sums.intake += entry.receivedUnixMs - sentUnixMs
    sums.server += entry.firstTokenWrittenUnixMs - entry.receivedUnixMs
    causalityMinMs = Math.min(causalityMinMs, entry.headersUnixMs - sentUnixMs)
  }
  const n = errors.length
  if (n === 0) return null
  errors.sort((a, b) => a - b)
  return {
    joined: n,
    unmatched,
    clientTtftMeanMs: sums.client / n,
    truthTtftMeanMs: sums.truth / n,
    ttftErrorMeanMs: errors.reduce((a, b) => a + b, 0) / n,
    ttftErrorP99Ms: errors[Math.min(n - 1, Math.floor(0.99 * n))] as number,
    intakeMeanMs: sums.intake / n,
    serverFirstTokenMeanMs: sums.server / n,
    causalityMinMs,
  }
}

/**
 * The reference client (bench/reference-client.ts) against the simulator, with its /metrics window:
 * `requests` requests, `concurrency` at a time, with the prompts and exact output lengths geopat
 * bench sends with these token settings (--fixed-output), in the same order.
 */
export async function referenceAgainstSim(
  sim: RunningSim,
  options: { concurrency: number; requests: number; inputTokens: number; outputTokens: string },
): Promise<{ reference: ReferenceRunResult; server: ServerWindow }> {
  const bodies = geopatRequestBodies({
    model: await servedModel(sim.url),
    inputTokens: options.inputTokens,
    outputTokens: options.outputTokens,
    fixedOutput: true,
    count: options.requests,
  })
  const before = await sim.scrape()
  const reference = await runReferenceClient(sim.url, { concurrency: options.concurrency, requests: options.requests, bodies })
  const after = await sim.scrape()
  return { reference, server: serverWindow(before, after) }
}

/** a − b, or null when either is unknown: a client's figure against a truth that a run may lack. */
export function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b
}

/**
 * Says on stderr when geopat was still sending its first, connection-opening round after the
 * warm-up had ended: some of those requests were then counted in its statistics.
 */
export function warnIfFirstRoundOutlastedWarmup(records: RecordDiagnostics, warmupS: number, indent: string): void {
  const lastSendMs = records.firstRoundLastSendMs
  if (lastSendMs !== null && warmupS > 0 && lastSendMs >= warmupS * 1000) {
    log(`${indent}warning: the first round was still being sent at ${fmt(lastSendMs, 1)} ms, after the ${warmupS * 1000} ms warm-up`)
  }
}

// ---------------------------------------------------------------------------------------------
// Machine and run context
// ---------------------------------------------------------------------------------------------

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  openFilesLimit: string
  geopatCommit: string
  date: string
  /** 1-minute load average when the benchmark started: others' work on the machine shows here. */
  loadAverage1m: number
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuList = cpus()
  const shell = async (command: string): Promise<string> => {
    const result = await execa('sh', ['-c', command], { reject: false, cwd: PACKAGE_ROOT })
    return result.exitCode === 0 ? String(result.stdout).trim() : 'unknown'
  }
  const commit = await shell('git rev-parse --short HEAD')
  const dirty = await shell('git status --porcelain --untracked-files=no | head -1')
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    openFilesLimit: await shell('ulimit -n'),
    geopatCommit: commit === 'unknown' ? commit : `${commit}${dirty !== '' && dirty !== 'unknown' ? ' (with uncommitted changes)' : ''}`,
    date: new Date().toISOString(),
    loadAverage1m: loadavg()[0] ?? 0,
  }
}

export function machineLine(machine: MachineInfo): string {
  return (
    `${machine.date.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpuModel}, ${machine.cores} cores, ` +
    `${machine.memoryGiB} GiB · ${machine.os} · Node ${machine.node} · ulimit -n ${machine.openFilesLimit} · ` +
    `geopat ${machine.geopatCommit} · load average (1 min) at start ${machine.loadAverage1m.toFixed(2)}`
  )
}

// ---------------------------------------------------------------------------------------------
// Formatting and RESULTS.md
// ---------------------------------------------------------------------------------------------

/** A markdown table; cells are printed as given. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const escapeCell = (cell: string): string => cell.replace(/\|/g, '\\|')
  const lines = [`| ${headers.map(escapeCell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`]
  for (const row of rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`)
  return lines.join('\n')
}

/** A number with `digits` decimals, '–' for null/undefined/NaN; `signed` adds '+' to positives. */
export function fmt(value: number | null | undefined, digits = 2, signed = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  const text = value.toFixed(digits)
  return signed && value > 0 ? `+${text}` : text
}

/** Replaces what lies between `<!-- NAME:start -->` and `<!-- NAME:end -->` in RESULTS.md. */
export function writeResultsSection(name: string, markdown: string, file = RESULTS_FILE): void {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const text = readFileSync(file, 'utf8')
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file}: markers ${start} … ${end} not found`)
  const updated = `${text.slice(0, from + start.length)}\n${markdown.trim()}\n${text.slice(to)}`
  writeFileSync(file, updated)
}

/** Writes the raw results as bench/results/NAME.json. */
export function writeResultsData(name: string, data: unknown): string {
  const path = join(RESULTS_DATA_DIR, `${name}.json`)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`)
  return path
}

/**
 * A benchmark's output: on stdout its data as JSON (`json`) or else its markdown; with `write`, its
 * section of bench/RESULTS.md and its data in bench/results/NAME.json, and a line saying so.
 */
export function showAndWriteResults(name: string, markdown: string, data: unknown, options: { json: boolean; write: boolean }): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${markdown}\n`)
  if (!options.write) return
  writeResultsSection(name, markdown)
  log(`wrote the ${name} section of bench/RESULTS.md and ${writeResultsData(name, data)}`)
}

/** The options the measuring scripts share: --write (RESULTS.md and bench/results), --json (the data instead of the markdown), --no-reference (no reference client). */
export const OUTPUT_OPTIONS = {
  write: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'no-reference': { type: 'boolean', default: false },
} as const

/** Those options' values as the scripts keep them. */
export interface OutputOptions {
  write: boolean
  json: boolean
  reference: boolean
}

export function outputOptions(values: { write: boolean; json: boolean; 'no-reference': boolean }): OutputOptions {
  return { write: values.write, json: values.json, reference: !values['no-reference'] }
}

/** A script's command line read strictly (an unknown option is an error): its own options and OUTPUT_OPTIONS. */
export function parseScriptArgs<const T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseArgs({ args: argv, options: { ...options, ...OUTPUT_OPTIONS }, strict: true }).values
}

/** Comma-separated integers: `1,100,1000`. */
export function parseIntList(text: string, flag: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()))
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${flag}: expected comma-separated whole numbers >= 1, got "${text}"`)
  }
  return values
}

/** An output length for these benchmarks: `N` or `uniform:MIN-MAX` (passed to geopat as is). */
export interface TokenSpec {
  text: string
  min: number
  max: number
}

export function parseTokenSpec(text: string, flag: string): TokenSpec {
  const fixed = /^\d+$/.exec(text.trim())
  if (fixed) {
    const n = Number(text)
    if (n >= 2) return { text: String(n), min: n, max: n }
  }
  const uniform = /^uniform:(\d+)-(\d+)$/.exec(text.trim())
  if (uniform) {
    const min = Number(uniform[1])
    const max = Number(uniform[2])
    if (min >= 2 && max >= min) return { text: `uniform:${min}-${max}`, min, max }
  }
  throw new Error(`${flag}: expected N or uniform:MIN-MAX with MIN >= 2, got "${text}"`)
}

/** The value after `--name` on this script's command line, else `fallback`. */
export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

export function parsePositive(text: string, flag: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag}: expected a number > 0, got "${text}"`)
  return value
}

/** A line on stderr (stdout is kept for the final table or JSON). */
export function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** Runs a benchmark script's main; a failure is one line on stderr naming the benchmark (with its stack) and exit code 1. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}

/** Lets the machine settle between cases (sockets in TIME_WAIT, GC, the simulator's exit). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
