import { METRICS } from './definitions.js'
import { CLIENT_BOUND_THRESHOLDS } from './client-bound-thresholds.js'
import { RUN_FIGURES } from './run-figures.js'

/** The run-level figures for the glossary tables (README, the report's methodology): from the registry. */
export const AGGREGATE_METRICS: ReadonlyArray<{ name: string; formula: string; peerNames: string }> = RUN_FIGURES.map((figure) => ({
  name: `${figure.label} (${figure.id}${figure.unit === 'text' ? '' : `, ${figure.unit}`})`,
  formula: figure.description,
  peerNames: figure.peerNames ?? '',
}))

/** The README's metric glossary, generated so that it cannot drift from the code. */
export function renderGlossaryMarkdown(): string {
  const lines = [
    '| metric (summary key) | unit | per | formula | the peers call it |',
    '|---|---|---|---|---|',
    ...METRICS.map((m) => `| ${m.label} (\`${m.id}\`) | ${m.unit} | ${m.scope} | ${m.formula} | ${m.peerNames} |`),
    ...RUN_FIGURES.map((f) => `| ${f.label} (\`${f.id}\`) | ${f.unit === 'text' ? '' : f.unit} | ${f.scope} | ${f.description} | ${f.peerNames ?? ''} |`),
  ]
  const t = CLIENT_BOUND_THRESHOLDS
  lines.push(
    '',
    'Every distribution reports mean, std (n − 1), p50, p90, p95, p99, p99.9 and max. Per-request metrics use exact values and',
    "linear interpolation between ranks (numpy's default, as vLLM); the pooled per-chunk and per-token ones use an HDR histogram",
    '(3 significant digits) with an exact mean and std, so memory stays flat on long runs.',
    '',
    "An SLO (--slo, a scenario's slo) names metrics of this table, objectives joined with commas: `ttft<=500` (or `ttft=500`) must hold for",
    "each request (goodput counts the requests that meet every such objective; sizing's attainment is their share), `ttft.p99<=500`",
    "(mean, p50, p90, p95, p99, p99.9) for the run's distribution, and `throughput.requestsPerS>=10` for a run-level figure; sizing counts a",
    "load level as meeting the SLO where the run's distribution and figure objectives hold too.",
    '',
    `Client self-check ("client-bound" verdict): the run is marked client-bound when the event-loop delay averages over ${t.eventLoopDelayMeanMs} ms`,
    `or its p99 exceeds ${t.eventLoopDelayP99Ms} ms (chunk timestamps can be that late), or, in an open loop, sends leave more than`,
    `${t.sendLatenessMeanMs} ms late on average or ${t.sendLatenessP99Ms} ms at p99 (the rate asked for was not offered), or, in a closed loop,`,
    `requests spend over ${t.dispatchWaitShare * 100}% of their time queued inside the client before undici writes them. Latencies count from the`,
    'moment undici writes the request to its socket; the wait before it is reported apart (dispatchWaitMs).',
    `It is also marked when data waits on its sockets before the client reads it: a worker thread writes the machine's clock to a loopback`,
    `socket every 2 ms and the client reads it like response data; a mean lateness over ${t.readLatenessMeanMs} ms (plain, or weighted by the response reads`,
    'around each probe read, as reads come in bursts) while the event loop is busy at least ' +
      `${t.readLatenessBusyUtilization * 100}% of the time, or over ${t.readLatenessAnyLoadMs} ms at any load,`,
    'means TTFT and E2E read late. The event-loop delay misses this: a loop busy with',
    "reads is never blocked. Against the per-request truth of bench/ (the simulator's request log), TTFT errors ran 2–6× this figure at",
    '1,000–3,000 streams, so the threshold is low on purpose. `--workers N` spreads a closed loop over N threads, each with its own loop.',
    'Garbage collection is watched too (client.gcPauses: count, total, longest): V8 stops the thread for each collection, and a read',
    `arriving meanwhile waits; Σ pause² / (2 × run time), the mean wait of a read at a random moment, over ${t.readLatenessMeanMs} ms marks the run.`,
    'At 5,000 open streams (ITL 200 ms, one thread) young-generation collections paused the client 6–10 ms every ~170 ms, its main source',
    'of late reads before its CPU ran out; more workers split the heap and shorten them.',
    'A client-bound verdict comes with advice (client.advice) from where the CPU went: more --workers for a closed loop on fewer',
    'threads than cores, a machine with more cores when they were full, a lower rate for an open loop (it runs on one thread).',
  )
  return lines.join('\n')
}
