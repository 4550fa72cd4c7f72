/**
 * Measured runs against the simulator. Every benchmark runs the simulator (`geopat sim`) and the
 * load client (`geopat bench`) as two separate child processes, as a user would run them; this
 * driver process starts them, scrapes the simulator's /metrics before and after each run, and runs
 * the comparison clients (autocannon and bench/reference-client.ts) while geopat is not running.
 *
 * Not part of `npm test`. Build first: `npm run build` (compiles bench/ into dist/bench/).
 */
import { execa } from 'execa'
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import type { RequestRecord } from '../../src/io/schema/record.js'
import type { BenchSummary, RunSummary } from '../../src/io/schema/summary.js'
import type { SimRequestLogEntry } from '../../src/sim/request-log.js'
import { type ReferenceRunResult, runReferenceClient } from '../reference-client.js'
import { geopatRequestBodies } from './request-bodies.js'
import { fmt, log, pause } from './results.js'
import { GEOPAT_BIN, type RunningSim, type ServerWindow, servedModel, serverWindow } from './sim-process.js'

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
 * `outDir` defaults to a fresh temporary folder, removed afterwards; a folder given is kept.
 */
export async function runGeopatBench(
  url: string,
  args: string[],
  options: { outDir?: string; timeoutMs?: number; firstRound?: number } = {},
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
  if (options.outDir === undefined) rmSync(outDir, { recursive: true, force: true })
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
  const bench = await runGeopatBench(sim.url, args, { outDir, firstRound: options.firstRound ?? 0 })
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
