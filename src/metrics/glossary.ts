import { METRICS } from './definitions.js'
import { CLIENT_BOUND_THRESHOLDS } from './client-bound-thresholds.js'

/** Run-level figures, computed in summarize.ts; described here so the README has one source. */
export const AGGREGATE_METRICS: ReadonlyArray<{ name: string; formula: string; peerNames: string }> = [
  {
    name: 'Request throughput (req/s)',
    formula: 'successful requests completed inside the window / window length',
    peerNames: 'vLLM "Request throughput", GuideLLM "requests_per_second", AIPerf "Request Throughput"',
  },
  {
    name: 'Output token throughput (tok/s)',
    formula: 'output tokens whose chunk arrived inside the window (any request, warm-up ones included) / window length',
    peerNames: 'vLLM "Output token throughput", GuideLLM "output_tokens_per_second", AIPerf "Output Token Throughput"',
  },
  {
    name: 'Total token throughput (tok/s)',
    formula: 'output token throughput + prompt tokens of requests whose first token arrived inside the window / window length',
    peerNames: 'vLLM "Total Token throughput", GuideLLM "tokens_per_second"',
  },
  {
    name: 'Goodput (req/s)',
    formula: 'requests completed inside the window that succeeded and met every SLO given (--slo ttft, tpot, e2e) / window length (DistServe)',
    peerNames: 'vLLM "Request goodput" (--goodput), AIPerf "Goodput"',
  },
  {
    name: 'Window',
    formula:
      'with no --warmup/--cooldown: first send → last completion (vLLM, drain tail included); otherwise [warm-up end, cool-down start] (GuideLLM). Requests sent outside it stay in records.jsonl and leave the statistics',
    peerNames: 'vLLM: benchmark duration; GuideLLM: warmup/cooldown',
  },
]

/** The README's metric glossary, generated so that it cannot drift from the code. */
export function renderGlossaryMarkdown(): string {
  const lines = [
    '| metric (summary key) | unit | per | formula | the peers call it |',
    '|---|---|---|---|---|',
    ...METRICS.map((m) => `| ${m.label} (\`${m.id}\`) | ${m.unit} | ${m.scope.replace('per-', '')} | ${m.formula} | ${m.peerNames} |`),
    ...AGGREGATE_METRICS.map((m) => `| ${m.name} | | run | ${m.formula} | ${m.peerNames} |`),
  ]
  const t = CLIENT_BOUND_THRESHOLDS
  lines.push(
    '',
    'Every distribution reports mean, std (n − 1), p50, p90, p95, p99, p99.9 and max. Per-request metrics use exact values and',
    "linear interpolation between ranks (numpy's default, as vLLM); the pooled per-chunk and per-token ones use an HDR histogram",
    '(3 significant digits) with an exact mean and std, so memory stays flat on long runs.',
    '',
    `Client self-check ("client-bound" verdict): the run is marked client-bound when the event-loop delay averages over ${t.eventLoopDelayMeanMs} ms`,
    `or its p99 exceeds ${t.eventLoopDelayP99Ms} ms (chunk timestamps can be that late), or, in an open loop, sends leave more than`,
    `${t.sendLatenessMeanMs} ms late on average or ${t.sendLatenessP99Ms} ms at p99 (the rate asked for was not offered), or, in a closed loop,`,
    `requests spend over ${t.dispatchWaitShare * 100}% of their time queued inside the client before undici writes them. Latencies count from the`,
    'moment undici writes the request to its socket; the wait before it is reported apart (dispatchWaitMs).',
    `It is also marked when data waits on its sockets before the client reads it: a worker thread writes the machine's clock to a loopback`,
    `socket every 2 ms and the client reads it like response data; a mean lateness over ${t.readLatenessMeanMs} ms (plain, or weighted by the response reads`,
    `around each probe read, as reads come in bursts) while the event loop is busy at least ${t.readLatenessBusyUtilization * 100}% of the time, or over ${t.readLatenessAnyLoadMs} ms at any load,`,
    'means TTFT and E2E read late. The event-loop delay misses this: a loop busy with',
    'reads is never blocked. Against the per-request truth of bench/ (the simulator\'s request log), TTFT errors ran 2–6× this figure at',
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
