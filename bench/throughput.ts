/**
 * Throughput benchmark, two parts.
 *
 * (a) Request rate: geopat bench's sustained requests/s for tiny streamed chat requests (8 input
 *     tokens, 2 output tokens, no server delay, 100 connections, every chunk timed and every record
 *     written as always), divided by autocannon's request rate against the same simulator with the
 *     same body. Target (issue): at least 0.5. Run alternately: autocannon, geopat, autocannon,
 *     geopat (--pairs), one simulator for all, warmed up first.
 * (b) Streams held, in steady state: for each ITL and number of concurrent streams N, a fresh
 *     simulator (TTFT 100 ms) and a closed loop of N streams for --stream-window seconds, 10–50
 *     output tokens (the spread desynchronizes the streams after their first round); warm-up and
 *     cool-down are each the longest request, so the first round is left out and every request
 *     counted ran with all N streams around it. TTFT error per request against the simulator's
 *     first-token write on the machine's clock (its request log); ITL against its /metrics.
 *     N streams at ITL t are N × 1000 / t events/s. Target: 5,000 streams within 1 ms.
 *
 *   npm run build && node dist/bench/throughput.js                # full run, prints the tables
 *   node dist/bench/throughput.js --write                         # … and updates bench/RESULTS.md
 *   node dist/bench/throughput.js --duration 2 --pairs 1 --streams 100,200 --stream-tokens uniform:4-8 --stream-window 3   # smoke
 *
 * Flags: --duration S (20) --pairs N (2) --connections N (100) --streams LIST (1000,2000,3000,4000,5000)
 * --stream-ttft-ms (100) --stream-itl-ms LIST (100,200) --stream-tokens (uniform:10-50) --stream-window S (10)
 * --workers LIST (1,2) --only rate|streams --write --json --no-reference (skip the reference client in part b).
 */
import autocannon from 'autocannon'
import { loadavg } from 'node:os'
import type { RunSummary } from '../src/io/schema/summary.js'
import { type MetricSamples, type ServerWindow, servedModel, serverWindow, startSim, warmSimulator } from './lib/sim-process.js'
import { geopatRequestBody } from './lib/request-bodies.js'
import { type SharedClockTruth, benchAgainstSim, referenceAgainstSim, warnIfFirstRoundOutlastedWarmup } from './lib/sim-runs.js'
import { type MachineInfo, machineInfo, machineLine } from './lib/machine.js'
import { difference, fmt, log, markdownTable, pause, runBenchmark, showAndWriteResults } from './lib/results.js'
import { type OutputOptions, type TokenSpec, outputOptions, parseIntList, parsePositive, parseScriptArgs, parseTokenSpec } from './lib/script-options.js'

const RATE_TARGET = 0.5
const STREAM_ERROR_TOLERANCE_MS = 1
const RATE_INPUT_TOKENS = 8
const RATE_OUTPUT_TOKENS = 2

interface Options extends OutputOptions {
  durationS: number
  pairs: number
  connections: number
  streams: number[]
  streamTtftMs: number
  /** Every stream count is tried at each of these ITLs (the event rate is streams × 1000 / ITL). */
  streamItlMs: number[]
  streamTokens: TokenSpec
  /** Seconds of sends measured in each streams row; the run is warm-up + this + cool-down. */
  streamWindowS: number
  /** geopat bench --workers for each streams row (every count is tried with each). */
  workers: number[]
  only: 'rate' | 'streams' | undefined
}

function parseOptions(argv: string[]): Options {
  const values = parseScriptArgs(argv, {
    duration: { type: 'string', default: '20' },
    pairs: { type: 'string', default: '2' },
    connections: { type: 'string', default: '100' },
    streams: { type: 'string', default: '1000,2000,3000,4000,5000' },
    'stream-ttft-ms': { type: 'string', default: '100' },
    'stream-itl-ms': { type: 'string', default: '100,200' },
    'stream-tokens': { type: 'string', default: 'uniform:10-50' },
    'stream-window': { type: 'string', default: '10' },
    workers: { type: 'string', default: '1,2' },
    only: { type: 'string' },
  })
  if (values.only !== undefined && values.only !== 'rate' && values.only !== 'streams') {
    throw new Error(`--only: rate or streams, got "${values.only}"`)
  }
  const streamTokens = parseTokenSpec(values['stream-tokens'], '--stream-tokens')
  return {
    durationS: parsePositive(values.duration, '--duration'),
    pairs: parsePositive(values.pairs, '--pairs'),
    connections: parsePositive(values.connections, '--connections'),
    streams: parseIntList(values.streams, '--streams'),
    streamTtftMs: parsePositive(values['stream-ttft-ms'], '--stream-ttft-ms'),
    streamItlMs: parseIntList(values['stream-itl-ms'], '--stream-itl-ms'),
    streamTokens,
    streamWindowS: parsePositive(values['stream-window'], '--stream-window'),
    workers: parseIntList(values.workers, '--workers'),
    only: values.only as Options['only'],
    ...outputOptions(values),
  }
}

// ---------------------------------------------------------------------------------------------
// (a) request rate: geopat vs autocannon
// ---------------------------------------------------------------------------------------------

interface AutocannonRun {
  tool: 'autocannon'
  requestsPerS: number
  completed: number
  durationS: number
  non2xx: number
  errors: number
  latencyMeanMs: number
  server: ServerWindow
}

interface GeopatRateRun {
  tool: 'geopat'
  requestsPerS: number
  sent: number
  succeeded: number
  recordsWritten: number
  windowS: number
  ttftMeanMs: number | null
  e2eMeanMs: number | null
  client: RunSummary['client']
  achievedConcurrencyMean: number
  server: ServerWindow
}

interface RatePair {
  autocannon: AutocannonRun
  geopat: GeopatRateRun
  ratio: number
}

interface RateResult {
  pairs: RatePair[]
  meanRatio: number
  /** Mean geopat rate / mean autocannon rate. */
  ratioOfMeans: number
  body: string
}

async function runAutocannon(url: string, body: string, options: Options, scrape: () => Promise<MetricSamples>): Promise<AutocannonRun> {
  const before = await scrape()
  const result = await autocannon({
    url: `${url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body,
    connections: options.connections,
    duration: options.durationS,
  })
  const after = await scrape()
  return {
    tool: 'autocannon',
    requestsPerS: result.requests.total / result.duration,
    completed: result.requests.total,
    durationS: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMeanMs: result.latency.mean,
    server: serverWindow(before, after),
  }
}

async function runRate(options: Options): Promise<RateResult> {
  const sim = await startSim({ ttftMs: 0, itlMs: 0 })
  try {
    const body = geopatRequestBody({
      model: await servedModel(sim.url),
      inputTokens: RATE_INPUT_TOKENS,
      outputTokens: RATE_OUTPUT_TOKENS,
      fixedOutput: false,
    })
    log(`  warming the simulator up (${sim.url})`)
    await warmSimulator(sim.url, { requests: 3000, concurrency: options.connections, inputTokens: RATE_INPUT_TOKENS, outputTokens: RATE_OUTPUT_TOKENS })
    const pairs: RatePair[] = []
    for (let pair = 0; pair < options.pairs; pair++) {
      log(`  pair ${pair + 1}: autocannon ${options.durationS} s, ${options.connections} connections …`)
      const reference = await runAutocannon(sim.url, body, options, () => sim.scrape())
      log(
        `    ${fmt(reference.requestsPerS, 0)} req/s (${reference.completed} in ${reference.durationS} s, non-2xx ${reference.non2xx}, errors ${reference.errors})`,
      )
      await pause(1000)
      log(`  pair ${pair + 1}: geopat bench --concurrency ${options.connections} --duration ${options.durationS} …`)
      const { bench, server } = await benchAgainstSim(sim, [
        '--concurrency',
        String(options.connections),
        '--duration',
        String(options.durationS),
        '--input-tokens',
        String(RATE_INPUT_TOKENS),
        '--output-tokens',
        String(RATE_OUTPUT_TOKENS),
      ])
      const run = bench.run
      const geopat: GeopatRateRun = {
        tool: 'geopat',
        requestsPerS: run.throughput.requestsPerS,
        sent: run.requests.sent,
        succeeded: run.requests.succeeded,
        recordsWritten: bench.records.records,
        windowS: run.window.durationS,
        ttftMeanMs: run.metrics.ttft?.mean ?? null,
        e2eMeanMs: run.metrics.e2e?.mean ?? null,
        client: run.client,
        achievedConcurrencyMean: run.achieved.concurrencyMean,
        server,
      }
      log(
        `    ${fmt(geopat.requestsPerS, 0)} req/s (${geopat.succeeded}/${geopat.sent} ok, ${geopat.recordsWritten} records, ` +
          `client CPU ${fmt(run.client.cpuCores, 2)} cores, verdict ${run.client.verdict})`,
      )
      pairs.push({ autocannon: reference, geopat, ratio: geopat.requestsPerS / reference.requestsPerS })
      await pause(1000)
    }
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
    return {
      pairs,
      meanRatio: mean(pairs.map((p) => p.ratio)),
      ratioOfMeans: mean(pairs.map((p) => p.geopat.requestsPerS)) / mean(pairs.map((p) => p.autocannon.requestsPerS)),
      body,
    }
  } finally {
    await sim.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// (b) concurrent streams held with timing error ≤ 1 ms
// ---------------------------------------------------------------------------------------------

interface StreamsCase {
  streams: number
  itlMs: number
  workers: number
  /** Per-request TTFT truth on the machine's clock (the simulator's request log); null if not joined. */
  sharedClock: SharedClockTruth | null
  /** TTFT error against the /metrics truth (the server's view, blind to the trip in and its intake). */
  ttftErrorVsServerViewMs: number | null
  requests: number
  sent: number
  succeeded: number
  errors: Record<string, number>
  achievedConcurrencyMean: number
  achievedConcurrencyMax: number
  /** Streams on the wire, averaged over the measurement window (from the records). */
  inFlightWindowMean: number | null
  warmupS: number
  cooldownS: number
  clientTtftMeanMs: number | null
  clientItlMeanMs: number | null
  truthTtftMs: number | null
  truthItlMs: number | null
  ttftErrorMs: number | null
  itlErrorMs: number | null
  reference: { ttftErrorMs: number | null; itlErrorMs: number | null; succeeded: number; sent: number } | null
  client: RunSummary['client']
  server: ServerWindow
  firstRoundLastSendMs: number | null
  processWallS: number
  held: boolean
  /** Held with geopat's errors net of the reference client's (what geopat adds) within 1 ms. */
  heldNetOfReference: boolean | null
  loadAverage1mBefore: number
}

/**
 * Steady state, as "held" means: every stream has turned over at least once before the window
 * opens (the warm-up is the longest request, so the connection-opening first round and its
 * synchronized starts are out, and the spread of lengths has desynchronized the streams), and every
 * request counted has ended before sending stops (the cool-down is the longest request too), so each
 * was measured with all N streams running around it.
 */
async function runStreamsCase(options: Options, streams: number, itlMs: number, workers: number): Promise<StreamsCase> {
  const longestRequestMs = options.streamTtftMs + (options.streamTokens.max - 1) * itlMs
  const warmupS = Math.ceil(longestRequestMs / 100) / 10
  const cooldownS = warmupS
  const durationS = Math.round((warmupS + options.streamWindowS + cooldownS) * 10) / 10
  const loadAverage1mBefore = loadavg()[0] ?? 0
  const sim = await startSim({ ttftMs: options.streamTtftMs, itlMs, requestLog: true })
  try {
    await warmSimulator(sim.url, { requests: 400, concurrency: 100, inputTokens: 16, outputTokens: 4 })
    const truthOf = (server: ServerWindow): { ttft: number | null; itl: number | null } => ({
      ttft: server.ttftMeanMs !== null ? server.ttftMeanMs + (server.emitLatenessMeanMs ?? 0) : null,
      itl: server.itlMeanMs,
    })
    let reference: StreamsCase['reference'] = null
    if (options.reference) {
      const ref = await referenceAgainstSim(sim, { concurrency: streams, requests: 3 * streams, inputTokens: 16, outputTokens: options.streamTokens.text })
      const truth = truthOf(ref.server)
      reference = {
        ttftErrorMs: difference(ref.reference.ttftMeanMs, truth.ttft),
        itlErrorMs: difference(ref.reference.itlPerTokenMeanMs, truth.itl),
        succeeded: ref.reference.succeeded,
        sent: ref.reference.sent,
      }
      log(
        `    reference client: TTFT error ${fmt(reference.ttftErrorMs, 3, true)} ms, ITL error ${fmt(reference.itlErrorMs, 3, true)} ms (${reference.succeeded}/${reference.sent} ok)`,
      )
      await pause(2000)
    }
    const { bench, server, sharedClock } = await benchAgainstSim(
      sim,
      [
        '--concurrency',
        String(streams),
        '--duration',
        String(durationS),
        '--input-tokens',
        '16',
        '--output-tokens',
        options.streamTokens.text,
        '--fixed-output',
        '--warmup',
        String(warmupS),
        '--cooldown',
        String(cooldownS),
        '--workers',
        String(workers),
      ],
      { firstRound: streams },
    )
    const run = bench.run
    const truth = truthOf(server)
    const clientTtft = run.metrics.ttft?.mean ?? null
    const clientItl = run.metrics.interTokenLatency?.mean ?? null
    const ttftErrorVsServerViewMs = difference(clientTtft, truth.ttft)
    const ttftErrorMs = sharedClock?.ttftErrorMeanMs ?? ttftErrorVsServerViewMs
    const itlErrorMs = difference(clientItl, truth.itl)
    const inFlightWindowMean = bench.records.inFlightWindowMean
    // Streams held: a closed loop keeps N on the wire but for the moment between one request's end
    // and the next one's write; 98% allows for that and nothing more.
    const streamsReached = inFlightWindowMean !== null && inFlightWindowMean >= 0.98 * streams
    const held =
      run.requests.succeeded === run.requests.sent &&
      streamsReached &&
      ttftErrorMs !== null &&
      itlErrorMs !== null &&
      Math.abs(ttftErrorMs) <= STREAM_ERROR_TOLERANCE_MS &&
      Math.abs(itlErrorMs) <= STREAM_ERROR_TOLERANCE_MS
    const netTtft = difference(ttftErrorVsServerViewMs, reference?.ttftErrorMs ?? null)
    const netItl = difference(itlErrorMs, reference?.itlErrorMs ?? null)
    const heldNetOfReference =
      reference === null
        ? null
        : run.requests.succeeded === run.requests.sent &&
          streamsReached &&
          netTtft !== null &&
          netItl !== null &&
          Math.abs(netTtft) <= STREAM_ERROR_TOLERANCE_MS &&
          Math.abs(netItl) <= STREAM_ERROR_TOLERANCE_MS
    warnIfFirstRoundOutlastedWarmup(bench.records, warmupS, '    ')
    return {
      streams,
      itlMs,
      workers,
      sharedClock,
      ttftErrorVsServerViewMs,
      requests: run.requests.sent,
      sent: run.requests.sent,
      succeeded: run.requests.succeeded,
      errors: Object.fromEntries(Object.entries(run.requests.errors).filter(([, count]) => count > 0)),
      achievedConcurrencyMean: run.achieved.concurrencyMean,
      achievedConcurrencyMax: run.achieved.concurrencyMax,
      inFlightWindowMean,
      warmupS,
      cooldownS,
      clientTtftMeanMs: clientTtft,
      clientItlMeanMs: clientItl,
      truthTtftMs: truth.ttft,
      truthItlMs: truth.itl,
      ttftErrorMs,
      itlErrorMs,
      reference,
      client: run.client,
      server,
      firstRoundLastSendMs: bench.records.firstRoundLastSendMs,
      processWallS: bench.processWallS,
      held,
      heldNetOfReference,
      loadAverage1mBefore,
    }
  } finally {
    await sim.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

function rateMarkdown(rate: RateResult, options: Options): string {
  const rows = rate.pairs.map((pair, index) => [
    String(index + 1),
    fmt(pair.autocannon.requestsPerS, 0),
    `${pair.autocannon.non2xx} / ${pair.autocannon.errors}`,
    fmt(pair.geopat.requestsPerS, 0),
    `${pair.geopat.succeeded}/${pair.geopat.sent} (${pair.geopat.recordsWritten})`,
    fmt(pair.geopat.achievedConcurrencyMean, 0),
    fmt(pair.geopat.client.cpuCores, 2),
    `${fmt(pair.geopat.client.eventLoopDelayMeanMs, 2)} / ${fmt(pair.geopat.client.eventLoopDelayP99Ms, 1)}`,
    pair.geopat.client.verdict,
    `${fmt(pair.autocannon.server.emitLatenessMeanMs, 2)} / ${fmt(pair.geopat.server.emitLatenessMeanMs, 2)}`,
    fmt(pair.ratio, 3),
  ])
  const verdict = rate.meanRatio >= RATE_TARGET ? 'meets' : 'misses'
  return [
    `Simulator: TTFT 0, ITL 0 (no delay), one instance for all runs, warmed up first. Both clients: ${options.connections} ` +
      `connections, ${options.durationS} s, the same streamed chat body (${RATE_INPUT_TOKENS} prompt tokens, ` +
      `max_completion_tokens ${RATE_OUTPUT_TOKENS}, stream_options.include_usage), run alternately. geopat: every chunk timed, ` +
      "records.jsonl written, summary computed, as always; its rate is its summary's requests/s (completions in the window / window).",
    '',
    markdownTable(
      [
        'pair',
        'autocannon req/s',
        'autocannon non-2xx / errors',
        'geopat req/s',
        'geopat ok/sent (records)',
        'geopat achieved streams',
        'geopat CPU (cores)',
        'geopat loop delay mean / p99',
        'geopat verdict',
        'sim write lateness, ac / geopat',
        'ratio',
      ],
      rows,
    ),
    '',
    `**Ratio geopat / autocannon: ${fmt(rate.meanRatio, 3)}** (mean of the pairs; ratio of the mean rates ${fmt(rate.ratioOfMeans, 3)}). ` +
      `Target ≥ ${RATE_TARGET}: ${verdict} it. (For scale, the issue quotes about 0.06 for vLLM's own Python client on this machine; not measured here.)`,
  ].join('\n')
}

function streamsMarkdown(cases: StreamsCase[], options: Options, machine: MachineInfo): string {
  const rows = cases.map((c) => [
    String(c.streams),
    `${c.itlMs} (${fmt((c.streams * 1000) / c.itlMs, 0)})`,
    String(c.workers),
    `${c.succeeded}/${c.sent}${
      Object.keys(c.errors).length > 0
        ? ` (${Object.entries(c.errors)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''
    }`,
    fmt(c.inFlightWindowMean, 0),
    `${fmt(c.clientTtftMeanMs, 3)} / ${fmt(c.sharedClock?.truthTtftMeanMs ?? c.truthTtftMs, 3)}`,
    fmt(c.ttftErrorMs, 3, true),
    fmt(c.sharedClock?.ttftErrorP99Ms, 2, true),
    fmt(c.ttftErrorVsServerViewMs, 3, true),
    `${fmt(c.clientItlMeanMs, 3)} / ${fmt(c.truthItlMs, 3)}`,
    fmt(c.itlErrorMs, 3, true),
    c.reference ? `${fmt(c.reference.ttftErrorMs, 3, true)} / ${fmt(c.reference.itlErrorMs, 3, true)}` : '–',
    fmt(c.server.emitLatenessMeanMs, 3),
    `${fmt(c.client.eventLoopDelayMeanMs, 2)} / ${fmt(c.client.eventLoopDelayP99Ms, 1)}`,
    `${fmt(c.client.readLatenessMs?.mean, 2)} / ${fmt(c.client.readLatenessPerReadMeanMs, 2)}`,
    c.client.gcPauses ? `${fmt(c.client.gcPauses.maxMs, 1)} / ${fmt(c.client.gcPauses.readDelayMeanMs, 2)}` : '–',
    fmt(c.client.cpuCores, 2),
    c.client.verdict,
    c.held ? '**yes**' : 'no',
    c.heldNetOfReference === null ? '–' : c.heldNetOfReference ? 'yes' : 'no',
  ])
  const largestHeld = (itlMs: number, pick: (c: StreamsCase) => boolean): number | null => {
    const held = cases.filter((c) => c.itlMs === itlMs && pick(c)).map((c) => c.streams)
    return held.length > 0 ? Math.max(...held) : null
  }
  const reasons = cases
    .filter((c) => c.client.reasons.length > 0)
    .map((c) => `- ${c.streams} streams, ITL ${c.itlMs} ms, ${c.workers} worker${c.workers > 1 ? 's' : ''}: ${c.client.reasons.join('; ')}`)
  const first = cases[0]
  const lines = [
    `Simulator: TTFT ${options.streamTtftMs} ms, ITL as in the row (N streams at ITL t are N × 1000 / t token events/s, the figure in brackets: ` +
      `the client must read and time every one, on the same ${machine.cores} cores as the simulator writing them), a fresh instance per row, warmed up. ` +
      `geopat bench: closed loop at N streams, 16 prompt tokens, exactly ${options.streamTokens.text} output tokens ` +
      '(--fixed-output; the spread of lengths desynchronizes the streams after their first round), --workers as in the row. ' +
      `Steady state: --warmup and --cooldown are each the longest request (${first ? `${first.warmupS} s at ITL ${first.itlMs} ms` : 'per row'}) and ` +
      `--duration is those plus ${options.streamWindowS} s of measured sends, so the ` +
      'connection-opening first round and its synchronized starts are left out, and every request counted ended while all N streams were still running (but for the lateness of its last tokens: a request sent at the end of the window may end a few ms into the drain). ' +
      '"streams on the wire" is the mean number of requests between geopat\'s write and their last byte over that window, from the records. TTFT truth: per request, ' +
      "on the machine's clock, from geopat's socket write to the simulator's write of the first token (its --request-log, joined on x-request-id); " +
      "the server-only /metrics truth (mean TTFT + write lateness) beside it. ITL truth: the simulator's mean ITL from /metrics over the whole run (its schedule has no jitter, so every window has the same mean). " +
      "Reference: bench/reference-client.ts with the same load just before (when run). Read probe: geopat's read-lateness self-check (plain mean / weighted by reads); GC: the longest garbage-collection pause of the worst thread and the mean wait it put on a read (Σ pause² / 2 × run time). " +
      `Held = every request ok, at least 98% of N streams on the wire over the window, |TTFT error| and |ITL error| ≤ ${STREAM_ERROR_TOLERANCE_MS} ms.`,
    '',
    markdownTable(
      [
        'streams',
        'ITL ms (events/s)',
        'workers',
        'ok/sent',
        'streams on the wire',
        'TTFT client / truth',
        'TTFT error',
        'TTFT error p99',
        'TTFT error vs /metrics',
        'ITL/token client / truth',
        'ITL error',
        'reference error TTFT / ITL',
        'sim write lateness',
        'client loop delay mean / p99',
        'read probe mean / per read',
        'GC pause longest / read delay',
        'client CPU (cores)',
        'verdict',
        'held',
        'held net of reference',
      ],
      rows,
    ),
    '',
    ...[...new Set(cases.map((c) => c.itlMs))].map((itlMs) => {
      const net = cases.some((c) => c.itlMs === itlMs && c.heldNetOfReference !== null)
        ? (largestHeld(itlMs, (c) => c.heldNetOfReference === true) ?? 'none')
        : 'not measured'
      return (
        `- **ITL ${itlMs} ms: largest number of concurrent streams held with timing error ≤ ${STREAM_ERROR_TOLERANCE_MS} ms: ` +
        `${largestHeld(itlMs, (c) => c.held) ?? 'none of those tried'}** (with geopat's own verdict "ok" as well: ` +
        `${largestHeld(itlMs, (c) => c.held && c.client.verdict === 'ok') ?? 'none'}; net of the reference client's errors: ${net}).`
      )
    }),
    '',
    'Target: 5,000.',
  ]
  if (reasons.length > 0) lines.push('', 'Client-bound reasons given by geopat:', '', ...reasons)
  return lines.join('\n')
}

function throughputMarkdown(rate: RateResult | undefined, streams: StreamsCase[] | undefined, options: Options, machine: MachineInfo): string {
  const parts = [`Run: ${machineLine(machine)}.`]
  if (rate) parts.push('', '### Request rate: geopat vs autocannon', '', rateMarkdown(rate, options))
  if (streams) parts.push('', '### Concurrent streams held', '', streamsMarkdown(streams, options, machine))
  return parts.join('\n')
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const machine = await machineInfo()
  log(`throughput benchmark: ${machineLine(machine)}`)
  let rate: RateResult | undefined
  let streams: StreamsCase[] | undefined
  if (options.only !== 'streams') {
    log('(a) request rate, geopat vs autocannon')
    rate = await runRate(options)
    log(`  ratio ${fmt(rate.meanRatio, 3)}`)
  }
  if (options.only !== 'rate') {
    log('(b) concurrent streams held')
    streams = []
    for (const itlMs of options.streamItlMs)
      for (const count of options.streams)
        for (const workers of options.workers) {
          log(`  - ${count} streams, ITL ${itlMs} ms, ${workers} worker${workers > 1 ? 's' : ''} …`)
          const result = await runStreamsCase(options, count, itlMs, workers)
          log(
            `    TTFT ${fmt(result.clientTtftMeanMs, 3)} vs ${fmt(result.sharedClock?.truthTtftMeanMs ?? result.truthTtftMs, 3)} (${fmt(result.ttftErrorMs, 3, true)}), ITL ${fmt(result.clientItlMeanMs, 3)} ` +
              `vs ${fmt(result.truthItlMs, 3)} (${fmt(result.itlErrorMs, 3, true)}), ${result.succeeded}/${result.sent} ok, ${fmt(result.inFlightWindowMean, 0)} on the wire, ` +
              `verdict ${result.client.verdict}, client CPU ${fmt(result.client.cpuCores, 2)}, held: ${result.held}`,
          )
          streams.push(result)
          await pause(3000)
        }
  }
  const markdown = throughputMarkdown(rate, streams, options, machine)
  showAndWriteResults('throughput', markdown, { machine, options, rate, streams }, options)
}

runBenchmark('throughput', main)
