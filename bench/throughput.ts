/**
 * Throughput benchmark, two parts.
 *
 * (a) Request rate: geopat bench's sustained requests/s for tiny streamed chat requests (8 input
 *     tokens, 2 output tokens, no server delay, 100 connections, every chunk timed and every record
 *     written as always), divided by autocannon's request rate against the same simulator with the
 *     same body. Target (issue): at least 0.5. Run alternately: autocannon, geopat, autocannon,
 *     geopat (--pairs), one simulator for all, warmed up first.
 * (b) Streams held: for each number of concurrent streams, a fresh simulator with TTFT 100 ms and
 *     ITL 100 ms (a slow token rate, so that the simulator is not the bottleneck: 5,000 streams are
 *     50,000 events/s), 25–35 output tokens, requests = 2 × streams (the first, connection-opening
 *     round left out of geopat's statistics by --warmup); timing error = |client mean − truth| for
 *     TTFT and per-token ITL, truth from the simulator's /metrics. Target: 5,000 streams within 1 ms.
 *
 *   npm run build && node dist/bench/throughput.js                # full run, prints the tables
 *   node dist/bench/throughput.js --write                         # … and updates bench/RESULTS.md
 *   node dist/bench/throughput.js --duration 2 --pairs 1 --streams 100,200 --stream-tokens uniform:4-8   # smoke
 *
 * Flags: --duration S (20) --pairs N (2) --connections N (100) --streams LIST (1000,2000,3000,5000)
 * --stream-ttft-ms (100) --stream-itl-ms (100) --stream-tokens (uniform:25-35) --only rate|streams --write
 * --json --no-reference (skip the reference client in part b).
 */
import autocannon from 'autocannon'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { RunSummary } from '../src/schema/summary.js'
import {
  type MachineInfo,
  type MetricSamples,
  type ServerWindow,
  type SharedClockTruth,
  type TokenSpec,
  benchAgainstSim,
  fmt,
  geopatRequestBodies,
  geopatRequestBody,
  log,
  machineInfo,
  machineLine,
  markdownTable,
  parseIntList,
  parsePositive,
  parseTokenSpec,
  pause,
  referenceAgainstSim,
  servedModel,
  serverWindow,
  startSim,
  warmSimulator,
  writeResultsData,
  writeResultsSection,
} from './common.js'

const RATE_TARGET = 0.5
const STREAM_ERROR_TOLERANCE_MS = 1
const RATE_INPUT_TOKENS = 8
const RATE_OUTPUT_TOKENS = 2

interface Options {
  durationS: number
  pairs: number
  connections: number
  streams: number[]
  streamTtftMs: number
  streamItlMs: number
  streamTokens: TokenSpec
  /** geopat bench --workers for each streams row (every count is tried with each). */
  workers: number[]
  only: 'rate' | 'streams' | undefined
  write: boolean
  json: boolean
  reference: boolean
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '20' },
      pairs: { type: 'string', default: '2' },
      connections: { type: 'string', default: '100' },
      streams: { type: 'string', default: '1000,2000,3000,5000' },
      'stream-ttft-ms': { type: 'string', default: '100' },
      'stream-itl-ms': { type: 'string', default: '100' },
      'stream-tokens': { type: 'string', default: 'uniform:25-35' },
      workers: { type: 'string', default: '1,2' },
      only: { type: 'string' },
      write: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-reference': { type: 'boolean', default: false },
    },
    strict: true,
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
    streamItlMs: parsePositive(values['stream-itl-ms'], '--stream-itl-ms'),
    streamTokens,
    workers: parseIntList(values.workers, '--workers'),
    only: values.only as Options['only'],
    write: values.write,
    json: values.json,
    reference: !values['no-reference'],
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

async function runAutocannon(
  url: string,
  body: string,
  options: Options,
  scrape: () => Promise<MetricSamples>,
): Promise<AutocannonRun> {
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
      log(`    ${fmt(reference.requestsPerS, 0)} req/s (${reference.completed} in ${reference.durationS} s, non-2xx ${reference.non2xx}, errors ${reference.errors})`)
      await pause(1000)
      log(`  pair ${pair + 1}: geopat bench --concurrency ${options.connections} --duration ${options.durationS} …`)
      const { bench, server } = await benchAgainstSim(sim, [
        '--concurrency', String(options.connections),
        '--duration', String(options.durationS),
        '--input-tokens', String(RATE_INPUT_TOKENS),
        '--output-tokens', String(RATE_OUTPUT_TOKENS),
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
  warmupS: number
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

async function runStreamsCase(options: Options, streams: number, workers: number): Promise<StreamsCase> {
  const requests = 2 * streams
  const requestMs = options.streamTtftMs + (options.streamTokens.min - 1) * options.streamItlMs
  // Half the shortest request: the whole first round is sent by then, the second has not started.
  const warmupS = Math.round(requestMs / 2) / 1000
  const loadAverage1mBefore = loadavg()[0] ?? 0
  const sim = await startSim({ ttftMs: options.streamTtftMs, itlMs: options.streamItlMs, requestLog: true })
  try {
    await warmSimulator(sim.url, { requests: 400, concurrency: 100, inputTokens: 16, outputTokens: 4 })
    const truthOf = (server: ServerWindow): { ttft: number | null; itl: number | null } => ({
      ttft: server.ttftMeanMs !== null ? server.ttftMeanMs + (server.emitLatenessMeanMs ?? 0) : null,
      itl: server.itlMeanMs,
    })
    const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b)
    let reference: StreamsCase['reference'] = null
    if (options.reference) {
      // The same prompts and lengths as geopat's, in the same order.
      const bodies = geopatRequestBodies({
        model: await servedModel(sim.url),
        inputTokens: 16,
        outputTokens: options.streamTokens.text,
        fixedOutput: true,
        count: requests,
      })
      const ref = await referenceAgainstSim(sim, { concurrency: streams, requests, bodies })
      const truth = truthOf(ref.server)
      reference = {
        ttftErrorMs: diff(ref.reference.ttftMeanMs, truth.ttft),
        itlErrorMs: diff(ref.reference.itlPerTokenMeanMs, truth.itl),
        succeeded: ref.reference.succeeded,
        sent: ref.reference.sent,
      }
      log(`    reference client: TTFT error ${fmt(reference.ttftErrorMs, 3, true)} ms, ITL error ${fmt(reference.itlErrorMs, 3, true)} ms (${reference.succeeded}/${reference.sent} ok)`)
      await pause(2000)
    }
    const { bench, server, sharedClock } = await benchAgainstSim(
      sim,
      [
        '--concurrency', String(streams),
        '--requests', String(requests),
        '--input-tokens', '16',
        '--output-tokens', options.streamTokens.text,
        '--fixed-output',
        '--warmup', String(warmupS),
        '--workers', String(workers),
      ],
      { firstRound: streams, warmupS },
    )
    const run = bench.run
    const truth = truthOf(server)
    const clientTtft = run.metrics.ttft?.mean ?? null
    const clientItl = run.metrics.interTokenLatency?.mean ?? null
    const ttftErrorVsServerViewMs = diff(clientTtft, truth.ttft)
    const ttftErrorMs = sharedClock?.ttftErrorMeanMs ?? ttftErrorVsServerViewMs
    const itlErrorMs = diff(clientItl, truth.itl)
    const held =
      run.requests.succeeded === run.requests.sent &&
      run.achieved.concurrencyMax >= streams &&
      ttftErrorMs !== null &&
      itlErrorMs !== null &&
      Math.abs(ttftErrorMs) <= STREAM_ERROR_TOLERANCE_MS &&
      Math.abs(itlErrorMs) <= STREAM_ERROR_TOLERANCE_MS
    const netTtft = diff(ttftErrorVsServerViewMs, reference?.ttftErrorMs ?? null)
    const netItl = diff(itlErrorMs, reference?.itlErrorMs ?? null)
    const heldNetOfReference =
      reference === null
        ? null
        : run.requests.succeeded === run.requests.sent &&
          run.achieved.concurrencyMax >= streams &&
          netTtft !== null &&
          netItl !== null &&
          Math.abs(netTtft) <= STREAM_ERROR_TOLERANCE_MS &&
          Math.abs(netItl) <= STREAM_ERROR_TOLERANCE_MS
    if (bench.records.firstRoundLastSendMs !== null && bench.records.firstRoundLastSendMs >= warmupS * 1000) {
      log(`    warning: the first round was still being sent at ${fmt(bench.records.firstRoundLastSendMs, 0)} ms, after the ${warmupS} s warm-up`)
    }
    return {
      streams,
      workers,
      sharedClock,
      ttftErrorVsServerViewMs,
      requests,
      sent: run.requests.sent,
      succeeded: run.requests.succeeded,
      errors: Object.fromEntries(Object.entries(run.requests.errors).filter(([, count]) => count > 0)),
      achievedConcurrencyMean: run.achieved.concurrencyMean,
      achievedConcurrencyMax: run.achieved.concurrencyMax,
      warmupS,
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
      'records.jsonl written, summary computed, as always; its rate is its summary\'s requests/s (completions in the window / window).',
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

function streamsMarkdown(cases: StreamsCase[], options: Options): string {
  const rows = cases.map((c) => [
    String(c.streams),
    String(c.workers),
    `${c.succeeded}/${c.sent}${Object.keys(c.errors).length > 0 ? ` (${Object.entries(c.errors).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `${fmt(c.achievedConcurrencyMean, 0)} (max ${c.achievedConcurrencyMax})`,
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
    fmt(c.client.cpuCores, 2),
    c.client.verdict,
    c.held ? '**yes**' : 'no',
    c.heldNetOfReference === null ? '–' : c.heldNetOfReference ? 'yes' : 'no',
  ])
  const held = cases.filter((c) => c.held).map((c) => c.streams)
  const heldOk = cases.filter((c) => c.held && c.client.verdict === 'ok').map((c) => c.streams)
  const largest = held.length > 0 ? Math.max(...held) : null
  const largestOk = heldOk.length > 0 ? Math.max(...heldOk) : null
  const heldNet = cases.filter((c) => c.heldNetOfReference === true).map((c) => c.streams)
  const largestNet = heldNet.length > 0 ? Math.max(...heldNet) : null
  const reasons = cases
    .filter((c) => c.client.reasons.length > 0)
    .map((c) => `- ${c.streams} streams, ${c.workers} worker${c.workers > 1 ? "s" : ""}: ${c.client.reasons.join("; ")}`)
  const lines = [
    `Simulator: TTFT ${options.streamTtftMs} ms, ITL ${options.streamItlMs} ms (a slow token rate so that the simulator is not ` +
      `the bottleneck: N streams are N × ${fmt(1000 / options.streamItlMs, 0)} events/s), a fresh instance per row, warmed up. ` +
      `geopat bench: closed loop at N streams, 2 × N requests, 16 prompt tokens, exactly ${options.streamTokens.text} output tokens ` +
      '(--fixed-output; a spread of lengths keeps the streams from finishing, and the next round from arriving, all at once), ' +
      '--warmup half a request (the first, connection-opening round is left out of the statistics), --workers as in the row. TTFT truth: per request, ' +
      'on the machine\'s clock, from geopat\'s socket write to the simulator\'s write of the first token (its --request-log, joined on x-request-id); ' +
      'the server-only /metrics truth (mean TTFT + write lateness) beside it. ITL truth: the simulator\'s mean ITL from /metrics. ' +
      'Reference: bench/reference-client.ts with the same load just before (when run). Read probe: geopat\'s read-lateness self-check (plain mean / weighted by reads). ' +
      `Held = every request ok, N streams reached, |TTFT error| and |ITL error| ≤ ${STREAM_ERROR_TOLERANCE_MS} ms.`,
    '',
    markdownTable(
      [
        'streams',
        'workers',
        'ok/sent',
        'achieved streams',
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
        'client CPU (cores)',
        'verdict',
        'held',
        'held net of reference',
      ],
      rows,
    ),
    '',
    `**Largest number of concurrent streams held with timing error ≤ ${STREAM_ERROR_TOLERANCE_MS} ms: ${largest ?? 'none of those tried'}` +
      `** (with geopat's own verdict "ok" as well: ${largestOk ?? 'none'}; with geopat's errors net of the reference client's: ` +
      `${cases.some((c) => c.heldNetOfReference !== null) ? largestNet ?? 'none' : 'not measured'}). Target: 5,000.`,
  ]
  if (reasons.length > 0) lines.push('', 'Client-bound reasons given by geopat:', '', ...reasons)
  return lines.join('\n')
}

function throughputMarkdown(rate: RateResult | undefined, streams: StreamsCase[] | undefined, options: Options, machine: MachineInfo): string {
  const parts = [`Run: ${machineLine(machine)}.`]
  if (rate) parts.push('', '### Request rate: geopat vs autocannon', '', rateMarkdown(rate, options))
  if (streams) parts.push('', '### Concurrent streams held', '', streamsMarkdown(streams, options))
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
    for (const count of options.streams) for (const workers of options.workers) {
      log(`  - ${count} streams, ${workers} worker${workers > 1 ? 's' : ''} …`)
      const result = await runStreamsCase(options, count, workers)
      log(
        `    TTFT ${fmt(result.clientTtftMeanMs, 3)} vs ${fmt(result.sharedClock?.truthTtftMeanMs ?? result.truthTtftMs, 3)} (${fmt(result.ttftErrorMs, 3, true)}), ITL ${fmt(result.clientItlMeanMs, 3)} ` +
          `vs ${fmt(result.truthItlMs, 3)} (${fmt(result.itlErrorMs, 3, true)}), ${result.succeeded}/${result.sent} ok, verdict ${result.client.verdict}, held: ${result.held}`,
      )
      streams.push(result)
      await pause(3000)
    }
  }
  const markdown = throughputMarkdown(rate, streams, options, machine)
  const data = { machine, options, rate, streams }
  if (options.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`)
  else process.stdout.write(`${markdown}\n`)
  if (options.write) {
    writeResultsSection('throughput', markdown)
    const dataPath = writeResultsData('throughput', data)
    log(`wrote the throughput section of bench/RESULTS.md and ${dataPath}`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`throughput benchmark failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
