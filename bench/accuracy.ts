/**
 * Accuracy benchmark: does geopat bench measure TTFT and ITL right, against a server in another
 * process whose timing is known?
 *
 * For each number of concurrent streams × coalescing factor: a fresh `geopat sim` (TTFT 100 ms,
 * ITL 10 ms), warmed up; the reference client (bench/reference-client.ts) and then `geopat bench`
 * run the same closed-loop load against it (exact output lengths, the first round left out), each
 * between two scrapes of the simulator's /metrics, whose deltas give the truth of that run.
 * Acceptance (issue): mean TTFT within 1 ms of the truth and mean ITL within 0.5 ms, or the run
 * is marked client-bound. See bench/RESULTS.md (Method).
 *
 *   npm run build && node dist/bench/accuracy.js                  # full run, prints the tables
 *   node dist/bench/accuracy.js --write                           # … and updates bench/RESULTS.md
 *   node dist/bench/accuracy.js --concurrency 1,10 --coalesce 1,4 --output-tokens 16 --min-requests 8   # smoke
 *
 * Flags: --concurrency LIST (1,100,1000) --coalesce LIST (1,4) --ttft-ms (100) --itl-ms (10)
 * --input-tokens (64) --output-tokens (64) --min-requests (40) --rounds (3: requests =
 * max(min-requests, rounds × concurrency)) --write --json --keep DIR (keep records.jsonl of each case)
 * --no-reference (skip the reference client) --no-warmup (count the connection-opening round too).
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { type ServerWindow, startSim, warmSimulator } from './lib/sim-process.js'
import { type RecordDiagnostics, type SharedClockTruth, benchAgainstSim, referenceAgainstSim, warnIfFirstRoundOutlastedWarmup } from './lib/sim-runs.js'
import { type MachineInfo, machineInfo, machineLine } from './lib/machine.js'
import { difference, fmt, log, markdownTable, pause, runBenchmark, showAndWriteResults } from './lib/results.js'
import { type OutputOptions, type TokenSpec, outputOptions, parseIntList, parsePositive, parseScriptArgs, parseTokenSpec } from './lib/script-options.js'
import type { RunSummary } from '../src/io/schema/summary.js'

const TTFT_TOLERANCE_MS = 1
const ITL_TOLERANCE_MS = 0.5

export interface AccuracyCase {
  concurrency: number
  coalesce: number
  requests: number
  outputTokens: string
  sent: number
  succeeded: number
  achievedConcurrencyMean: number
  achievedConcurrencyMax: number
  client: {
    ttftMeanMs: number | null
    /** Per-token inter-token latency (interTokenLatency): the figure judged. */
    itlPerTokenMeanMs: number | null
    tpotMeanMs: number | null
    itlPerRequestMeanMs: number | null
    interChunkMeanMs: number | null
    eventsPerRead: number | null
    verdict: RunSummary['client']['verdict']
    reasons: string[]
    eventLoopDelayMeanMs: number
    eventLoopDelayP99Ms: number
    /** geopat's I/O probe: how late data on a socket was read, mean (ms). */
    readLatenessMeanMs: number | null
    cpuCores: number
  }
  records: RecordDiagnostics
  /** Per-request truth on the machine's clock (geopat's send → the simulator's first write). */
  sharedClock: SharedClockTruth | null
  /** Requests inside geopat's statistics (the first round is left out by --warmup). */
  inWindow: number
  warmupS: number
  /** The reference client (bench/reference-client.ts), same load on the same simulator, just before. */
  reference: {
    sent: number
    succeeded: number
    counted: number
    ttftMeanMs: number | null
    itlPerTokenMeanMs: number | null
    timerLagMeanMs: number
    server: ServerWindow
    truthTtftMs: number | null
    truthItlMs: number | null
    ttftErrorMs: number | null
    itlErrorMs: number | null
  } | null
  server: ServerWindow
  /** The server's own view (/metrics): misses the trip in and the simulator's intake (see RESULTS.md, Method). */
  truth: { ttftMs: number | null; itlMs: number | null; coalescingHoldMs: number | null }
  nominal: { ttftMs: number; itlMs: number }
  error: {
    /** Against the shared-clock truth (the /metrics truth when no request log was joined). */
    ttftMs: number | null
    /** Against the /metrics truth. */
    ttftVsServerViewMs: number | null
    itlMs: number | null
    ttftVsNominalMs: number | null
    itlVsNominalMs: number | null
    /** geopat's error minus the reference client's: what geopat adds beyond what the machine adds. */
    ttftNetOfReferenceMs: number | null
    itlNetOfReferenceMs: number | null
  }
  result: 'PASS' | 'PASS (client-bound)' | 'FAIL'
  loadAverage1mBefore: number
}

interface Options extends OutputOptions {
  concurrency: number[]
  coalesce: number[]
  ttftMs: number
  itlMs: number
  inputTokens: number
  outputTokens: TokenSpec
  minRequests: number
  rounds: number
  keep: string | undefined
  warmup: boolean
}

function parseOptions(argv: string[]): Options {
  const values = parseScriptArgs(argv, {
    concurrency: { type: 'string', default: '1,100,1000' },
    coalesce: { type: 'string', default: '1,4' },
    'ttft-ms': { type: 'string', default: '100' },
    'itl-ms': { type: 'string', default: '10' },
    'input-tokens': { type: 'string', default: '64' },
    'output-tokens': { type: 'string', default: '64' },
    'min-requests': { type: 'string', default: '40' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'string' },
    'no-warmup': { type: 'boolean', default: false },
  })
  const outputTokens = parseTokenSpec(values['output-tokens'], '--output-tokens')
  return {
    concurrency: parseIntList(values.concurrency, '--concurrency'),
    coalesce: parseIntList(values.coalesce, '--coalesce'),
    ttftMs: parsePositive(values['ttft-ms'], '--ttft-ms'),
    itlMs: parsePositive(values['itl-ms'], '--itl-ms'),
    inputTokens: parsePositive(values['input-tokens'], '--input-tokens'),
    outputTokens,
    minRequests: parsePositive(values['min-requests'], '--min-requests'),
    rounds: parsePositive(values.rounds, '--rounds'),
    keep: values.keep,
    warmup: !values['no-warmup'],
    ...outputOptions(values),
  }
}

async function runCase(options: Options, concurrency: number, coalesce: number): Promise<AccuracyCase> {
  const requests = Math.max(options.minRequests, Math.ceil(options.rounds * concurrency))
  const loadAverage1mBefore = loadavg()[0] ?? 0
  // The first round opens the connections; geopat's --warmup leaves it out of the statistics. The
  // whole first round is sent at once, at t ≈ 0, and the second only after a whole answer, so
  // half the shortest answer separates them.
  const shortestRequestMs = options.ttftMs + (options.outputTokens.min - 1) * options.itlMs
  const warmupS = options.warmup ? Math.round(shortestRequestMs / 2) / 1000 : 0
  const sim = await startSim({ ttftMs: options.ttftMs, itlMs: options.itlMs, coalesce, requestLog: true })
  try {
    await warmSimulator(sim.url, { requests: 400, concurrency: Math.min(100, Math.max(10, concurrency)), inputTokens: options.inputTokens })
    const tokensInFirstWrite = Math.min(coalesce, options.outputTokens.min)
    /** Truth of a run from the server's own figures: the first write goes out with the last token
     * of the first group, (k − 1) ITLs after the first token, plus the server's write lateness. */
    const truthOf = (server: ServerWindow): { ttftMs: number | null; itlMs: number | null; holdMs: number | null } => {
      const holdMs = server.itlMeanMs !== null ? (tokensInFirstWrite - 1) * server.itlMeanMs : null
      const ttftMs = server.ttftMeanMs !== null && holdMs !== null ? server.ttftMeanMs + holdMs + (server.emitLatenessMeanMs ?? 0) : null
      return { ttftMs, itlMs: server.itlMeanMs, holdMs }
    }
    let reference: AccuracyCase['reference'] = null
    if (options.reference) {
      const ref = await referenceAgainstSim(sim, { concurrency, requests, inputTokens: options.inputTokens, outputTokens: options.outputTokens.text })
      const truth = truthOf(ref.server)
      reference = {
        sent: ref.reference.sent,
        succeeded: ref.reference.succeeded,
        counted: ref.reference.counted,
        ttftMeanMs: ref.reference.ttftMeanMs,
        itlPerTokenMeanMs: ref.reference.itlPerTokenMeanMs,
        timerLagMeanMs: ref.reference.timerLagMeanMs,
        server: ref.server,
        truthTtftMs: truth.ttftMs,
        truthItlMs: truth.itlMs,
        ttftErrorMs: difference(ref.reference.ttftMeanMs, truth.ttftMs),
        itlErrorMs: difference(ref.reference.itlPerTokenMeanMs, truth.itlMs),
      }
      await pause(500)
    }
    const args = [
      '--concurrency',
      String(concurrency),
      '--requests',
      String(requests),
      '--input-tokens',
      String(options.inputTokens),
      '--output-tokens',
      options.outputTokens.text,
      '--fixed-output',
      '--warmup',
      String(warmupS),
    ]
    const { bench, server, sharedClock } = await benchAgainstSim(sim, args, {
      firstRound: concurrency,
      ...(options.keep !== undefined ? { keepDir: join(options.keep, `accuracy-c${concurrency}-k${coalesce}`) } : {}),
    })
    const run = bench.run
    const mean = (id: string): number | null => run.metrics[id]?.mean ?? null

    const truth = truthOf(server)
    const nominal = { ttftMs: options.ttftMs + (tokensInFirstWrite - 1) * options.itlMs, itlMs: options.itlMs }
    const clientTtft = mean('ttft')
    const clientItl = mean('interTokenLatency')
    const ttftVsServerView = difference(clientTtft, truth.ttftMs)
    const itlError = difference(clientItl, truth.itlMs)
    const error = {
      ttftMs: sharedClock?.ttftErrorMeanMs ?? ttftVsServerView,
      ttftVsServerViewMs: ttftVsServerView,
      itlMs: itlError,
      ttftVsNominalMs: difference(clientTtft, nominal.ttftMs),
      itlVsNominalMs: difference(clientItl, nominal.itlMs),
      ttftNetOfReferenceMs: difference(ttftVsServerView, reference?.ttftErrorMs ?? null),
      itlNetOfReferenceMs: difference(itlError, reference?.itlErrorMs ?? null),
    }
    warnIfFirstRoundOutlastedWarmup(bench.records, warmupS, '  ')
    const accurate =
      error.ttftMs !== null &&
      error.itlMs !== null &&
      Math.abs(error.ttftMs) <= TTFT_TOLERANCE_MS &&
      Math.abs(error.itlMs) <= ITL_TOLERANCE_MS &&
      run.requests.succeeded === run.requests.sent
    const result: AccuracyCase['result'] = accurate ? 'PASS' : run.client.verdict === 'client-bound' ? 'PASS (client-bound)' : 'FAIL'
    return {
      concurrency,
      coalesce,
      requests,
      outputTokens: options.outputTokens.text,
      sent: run.requests.sent,
      succeeded: run.requests.succeeded,
      achievedConcurrencyMean: run.achieved.concurrencyMean,
      achievedConcurrencyMax: run.achieved.concurrencyMax,
      client: {
        ttftMeanMs: clientTtft,
        itlPerTokenMeanMs: clientItl,
        tpotMeanMs: mean('tpot'),
        itlPerRequestMeanMs: mean('itl'),
        interChunkMeanMs: mean('interChunkLatency'),
        eventsPerRead: run.tokens.eventsPerRead,
        verdict: run.client.verdict,
        reasons: run.client.reasons,
        eventLoopDelayMeanMs: run.client.eventLoopDelayMeanMs,
        eventLoopDelayP99Ms: run.client.eventLoopDelayP99Ms,
        readLatenessMeanMs: run.client.readLatenessMs?.mean ?? null,
        cpuCores: run.client.cpuCores,
      },
      records: bench.records,
      sharedClock,
      inWindow: run.requests.succeededInWindow,
      warmupS,
      reference,
      server,
      truth: { ttftMs: truth.ttftMs, itlMs: truth.itlMs, coalescingHoldMs: truth.holdMs },
      nominal,
      error,
      result,
      loadAverage1mBefore,
    }
  } finally {
    await sim.stop()
  }
}

export function accuracyMarkdown(cases: AccuracyCase[], options: Options, machine: MachineInfo): string {
  const ttftRows = cases.map((c) => [
    String(c.concurrency),
    String(c.coalesce),
    `${c.succeeded}/${c.sent} (${c.inWindow})`,
    `${fmt(c.achievedConcurrencyMean, 0)} (max ${c.achievedConcurrencyMax})`,
    fmt(c.client.ttftMeanMs, 3),
    fmt(c.sharedClock?.truthTtftMeanMs, 3),
    fmt(c.error.ttftMs, 3, true),
    fmt(c.sharedClock?.ttftErrorP99Ms, 2, true),
    c.sharedClock ? `${c.sharedClock.joined}${c.sharedClock.unmatched > 0 ? ` (${c.sharedClock.unmatched} unmatched)` : ''}` : '–',
    fmt(c.sharedClock?.intakeMeanMs, 3),
    fmt(c.sharedClock?.serverFirstTokenMeanMs, 3),
    fmt(c.sharedClock?.causalityMinMs, 3),
    fmt(c.client.readLatenessMeanMs, 3),
    fmt(c.truth.ttftMs, 3),
    fmt(c.error.ttftVsServerViewMs, 3, true),
    fmt(c.reference?.ttftErrorMs, 3, true),
    fmt(c.error.ttftNetOfReferenceMs, 3, true),
  ])
  const itlRows = cases.map((c) => [
    String(c.concurrency),
    String(c.coalesce),
    fmt(c.client.itlPerTokenMeanMs, 3),
    fmt(c.truth.itlMs, 3),
    fmt(c.error.itlMs, 3, true),
    fmt(c.reference?.itlErrorMs, 3, true),
    fmt(c.client.tpotMeanMs, 3),
    fmt(c.client.interChunkMeanMs, 3),
    fmt(c.client.eventsPerRead, 2),
    `${fmt(c.client.eventLoopDelayMeanMs, 2)} / ${fmt(c.client.eventLoopDelayP99Ms, 1)}`,
    fmt(c.client.cpuCores, 2),
    c.client.verdict,
    `**${c.result}**`,
  ])
  const reasons = cases
    .filter((c) => c.client.reasons.length > 0)
    .map((c) => `- ${c.concurrency} streams, coalesce ${c.coalesce}: ${c.client.reasons.join('; ')}`)
  const warmup = cases[0]?.warmupS ?? 0
  const lines = [
    `Run: ${machineLine(machine)}.`,
    '',
    `Simulator: TTFT ${options.ttftMs} ms, ITL ${options.itlMs} ms, no jitter. geopat bench: closed loop, ` +
      `${options.inputTokens} input tokens, exactly ${options.outputTokens.text} output tokens (--fixed-output), ` +
      `requests = max(${options.minRequests}, ${options.rounds} × streams)` +
      (warmup > 0 ? `, --warmup ${warmup} (the first, connection-opening round is left out of geopat's statistics)` : '') +
      '. Times in ms, means over the run.',
    '',
    "TTFT. True TTFT, per request, on the machine's clock: from geopat's socket write (the run's runStartedAtUnixMs + the record's sendMs) " +
      "to the simulator's socket write of the first token (its --request-log), joined on x-request-id; error = mean of geopat's TTFT − the true one " +
      "(p99 beside it). Beside it, where the true time went: geopat's write → the simulator has read the request (trip in, its intake), and the " +
      'simulator\'s read → its first write; "clock check" is the smallest (simulator saw the request head − geopat wrote it), ≥ 0 when the two ' +
      'processes\' clocks agree; "probe" is geopat\'s own read-lateness self-check (mean). For comparison, the older, server-only view: the ' +
      "/metrics truth (mean first-token offset + coalescing hold + mean write lateness; blind to the trip in and the intake), geopat's error " +
      "against it, the reference client's (bench/reference-client.ts: raw sockets, no HTTP library) error against its own run's /metrics truth, " +
      'and the difference of the two (net).',
    '',
    markdownTable(
      [
        'streams',
        'coalesce',
        'ok/sent (counted)',
        'achieved streams',
        'client TTFT',
        'true TTFT',
        'error',
        'error p99',
        'joined',
        'send → sim read',
        'sim read → first write',
        'clock check',
        'probe',
        '/metrics truth',
        'error vs /metrics',
        'reference error vs /metrics',
        'net',
      ],
      ttftRows,
    ),
    '',
    `ITL (client: per-token interTokenLatency; truth: the server's mean ITL from /metrics) and verdict. ` +
      `PASS = |TTFT error| ≤ ${TTFT_TOLERANCE_MS} ms and |ITL error| ≤ ${ITL_TOLERANCE_MS} ms with every request ok; ` +
      'PASS (client-bound) = outside that, but geopat marked the run client-bound; FAIL = outside it and not marked.',
    '',
    markdownTable(
      [
        'streams',
        'coalesce',
        'client ITL/token',
        'server ITL',
        'error',
        'reference error',
        'TPOT',
        'per-chunk ITL',
        'events/read',
        'client loop delay mean / p99',
        'client CPU (cores)',
        'verdict',
        'result',
      ],
      itlRows,
    ),
  ]
  if (reasons.length > 0) lines.push('', 'Client-bound reasons given by geopat:', '', ...reasons)
  return lines.join('\n')
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const machine = await machineInfo()
  log(`accuracy benchmark: ${machineLine(machine)}`)
  const cases: AccuracyCase[] = []
  for (const coalesce of options.coalesce) {
    for (const concurrency of options.concurrency) {
      log(`- ${concurrency} streams, coalesce ${coalesce} …`)
      const result = await runCase(options, concurrency, coalesce)
      log(
        `  client TTFT ${fmt(result.client.ttftMeanMs, 3)} vs truth ${fmt(result.sharedClock?.truthTtftMeanMs ?? result.truth.ttftMs, 3)} (${fmt(result.error.ttftMs, 3, true)}), ` +
          `ITL/token ${fmt(result.client.itlPerTokenMeanMs, 3)} vs ${fmt(result.truth.itlMs, 3)} (${fmt(result.error.itlMs, 3, true)}), ` +
          `verdict ${result.client.verdict}: ${result.result}`,
      )
      cases.push(result)
      await pause(1000)
    }
  }
  const markdown = accuracyMarkdown(cases, options, machine)
  showAndWriteResults('accuracy', markdown, { machine, options, cases }, options)
}

runBenchmark('accuracy', main)
