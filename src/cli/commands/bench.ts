import { Flags } from '@oclif/core'
import { type BenchFlags, buildBenchScenario } from '../../load/bench-config.js'
import { runBench } from '../../app/bench.js'
import { StopSignal, stopOnSignals } from '../../load/runner.js'
import { SERVER_LOST_EXIT_CODE } from '../../load/server-watch.js'
import { type LaunchedSimulator, launchSimulator } from '../../load/sim-target.js'
import { simEndpointSchema } from '../../io/schema/sim-endpoint.js'
import type { BenchSummary } from '../../io/schema/summary.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

export default class Bench extends GeopatCommand {
  static override summary = 'Benchmark an OpenAI-compatible streaming endpoint for latency and throughput'
  static override description = `Sends streamed chat or completion requests (closed loop at a concurrency, open loop at a rate, or a sweep), records every request to records.jsonl as it finishes, and writes summary.json and summary.csv: TTFT, ITL, TPOT, E2E, throughput and goodput, with a check that the client itself was not the bottleneck.

Ctrl-C stops sending, waits --grace seconds for the streams in flight, writes the summary of what was measured and exits 130. A server that goes away (--max-connect-errors in a row, or --stall-timeout) stops the endpoint's run the same way; the summary says since when (serverLost) and the exit code is 3.`

  static override examples = [
    '<%= config.bin %> bench --sim --concurrency 16 --requests 200',
    '<%= config.bin %> bench --url http://127.0.0.1:8000 --concurrency 8 --requests 200',
    '<%= config.bin %> bench --url https://llm.example.eu/v1 --api-key-env EU_KEY --rate 5 --duration 60 --slo ttft=500,tpot=50',
    '<%= config.bin %> bench --scenario scenarios/bench-two-endpoints.yaml --json',
  ]

  static override flags = {
    sim: Flags.boolean({ description: 'start the built-in simulator (its own process, free loopback port) and benchmark it' }),
    'sim-ttft-ms': Flags.string({ description: 'with --sim: time to first token, ms (default 100)' }),
    'sim-itl-ms': Flags.string({ description: 'with --sim: inter-token latency, ms (default 10)' }),
    scenario: Flags.string({ description: 'scenario file (YAML) with one or more endpoints; flags override its fields' }),
    url: Flags.string({ description: 'endpoint base URL, e.g. http://127.0.0.1:8000 or https://host/v1' }),
    label: Flags.string({ description: 'name of the endpoint in outputs (default: host)' }),
    model: Flags.string({ description: 'model name (default: the first of GET /v1/models)' }),
    api: Flags.string({ options: ['chat', 'completions'], description: 'API to call (default chat)' }),
    'api-key-env': Flags.string({ description: 'environment variable holding the API key (sent as a Bearer token)' }),
    header: Flags.string({ multiple: true, description: 'extra request header "Name: value" (repeatable)' }),
    insecure: Flags.boolean({ description: 'do not verify the server certificate (TLS verification is on otherwise)' }),
    'ca-file': Flags.string({ description: 'PEM bundle of CAs to trust (private or sovereign-cloud CAs)' }),
    cert: Flags.string({ description: 'client certificate (PEM) for mutual TLS' }),
    key: Flags.string({ description: 'client private key (PEM) for mutual TLS' }),
    profile: Flags.string({ options: ['concurrent', 'rate', 'sweep'], description: 'load profile (default: from --concurrency or --rate)' }),
    concurrency: Flags.integer({ description: 'closed loop: requests kept in flight' }),
    rate: Flags.string({ description: 'open loop: requests per second' }),
    arrival: Flags.string({ options: ['poisson', 'gamma', 'constant'], description: 'open loop arrival process (default poisson)' }),
    burstiness: Flags.string({ description: 'gamma shape for --arrival gamma (1 = Poisson; lower = burstier)' }),
    'max-concurrency': Flags.integer({ description: 'open loop: cap on requests in flight' }),
    requests: Flags.integer({ description: 'number of requests to send (default 100 when no --duration)' }),
    duration: Flags.string({ description: 'seconds to send for' }),
    'ramp-up': Flags.string({ description: 'closed loop: seconds over which the concurrent users start one after another' }),
    workers: Flags.integer({ description: 'closed loop: worker threads to spread the streams over, each with its own event loop (default 1; about one per core for thousands of streams)' }),
    warmup: Flags.string({ description: 'seconds at the start kept in records but left out of the statistics' }),
    cooldown: Flags.string({ description: 'seconds at the end kept in records but left out of the statistics' }),
    'sweep-steps': Flags.integer({ description: 'sweep: rates between synchronous and maximum throughput (default 5)' }),
    'sweep-max-concurrency': Flags.integer({ description: 'sweep: concurrency of the maximum-throughput step (default 256)' }),
    seed: Flags.integer({ description: 'seed for prompts and arrivals (default 1)' }),
    'scrape-metrics': Flags.boolean({ description: "scrape each endpoint's Prometheus /metrics (vLLM's, or geopat sim's) every second during its steps into metrics.jsonl; off by default; an endpoint without /metrics is skipped, never failing the run (geopat sim fit uses it)" }),
    'input-tokens': Flags.string({ description: 'prompt tokens: N, uniform:MIN-MAX, normal:MEAN,STD or lognormal:MEAN,STD (default 256)' }),
    'output-tokens': Flags.string({ description: 'output tokens asked for, same forms (default 128)' }),
    prompts: Flags.string({ description: 'JSONL file of {"prompt": ...} lines or ShareGPT conversations' }),
    'prefix-tokens': Flags.integer({ description: 'tokens of shared prefix before every synthetic prompt' }),
    'fixed-output': Flags.boolean({ description: "send vLLM's ignore_eos and min_tokens so outputs are exactly the length asked" }),
    'continuous-usage': Flags.boolean({ description: "ask vLLM for usage on every chunk (continuous_usage_stats)" }),
    slo: Flags.string({ description: 'goodput objectives, e.g. ttft=500,tpot=50,e2e=10000 (ms)' }),
    'connect-timeout': Flags.string({ description: 'seconds to connect (default 10)' }),
    'ttft-timeout': Flags.string({ description: 'seconds to the first token (default 120)' }),
    'idle-timeout': Flags.string({ description: 'seconds allowed between chunks (default 60)' }),
    'total-timeout': Flags.string({ description: 'seconds for a whole request (default 600); also bounds the GET /v1/models check, which ends within 2 × --connect-timeout and 30 s' }),
    'max-response-bytes': Flags.integer({ description: 'largest body read whole (GET /v1/models, an error body, /metrics); a larger one is an error (default 33554432, 32 MiB)' }),
    'max-event-bytes': Flags.integer({ description: 'largest server-sent event or SSE line; a larger one ends that request as a protocol error (default 4194304, 4 MiB)' }),
    retries: Flags.integer({ description: 'retries on 429, 5xx and connect errors, honouring Retry-After (default 0)' }),
    grace: Flags.string({ description: 'seconds to wait for streams in flight after Ctrl-C, the end of --duration or the loss of the server (default 5)' }),
    'max-connect-errors': Flags.integer({ description: 'connect errors in a row that mean the server is gone: sending stops, exit code 3 (default 20; 0 = never)' }),
    'stall-timeout': Flags.string({ description: 'seconds with requests in flight and no byte from any stream that mean the server is gone (default: 2 × --ttft-timeout and at least 60, so 240; 0 = never)' }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>); refused when it holds an earlier run' }),
    overwrite: Flags.boolean({ description: "with --out: replace geopat's files there (records, summaries, report) from an earlier run; other files are left alone" }),
    progress: Flags.boolean({ default: true, allowNo: true, description: 'progress line on a terminal' }),
  }

  async run(): Promise<BenchSummary> {
    const { flags } = await this.parse(Bench)
    const numeric = (name: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined
      const parsed = Number(value)
      if (!Number.isFinite(parsed)) this.error(`--${name}: "${value}" is not a number`)
      return parsed
    }
    const benchFlags: BenchFlags = {
      ...flags,
      rate: numeric('rate', flags.rate),
      burstiness: numeric('burstiness', flags.burstiness),
      duration: numeric('duration', flags.duration),
      'ramp-up': numeric('ramp-up', flags['ramp-up']),
      warmup: numeric('warmup', flags.warmup),
      cooldown: numeric('cooldown', flags.cooldown),
      'connect-timeout': numeric('connect-timeout', flags['connect-timeout']),
      'ttft-timeout': numeric('ttft-timeout', flags['ttft-timeout']),
      'idle-timeout': numeric('idle-timeout', flags['idle-timeout']),
      'total-timeout': numeric('total-timeout', flags['total-timeout']),
      grace: numeric('grace', flags.grace),
      'stall-timeout': numeric('stall-timeout', flags['stall-timeout']),
    }
    if (flags.sim && (flags.url || flags.scenario)) this.error('--sim starts its own endpoint: give it without --url or --scenario')
    let simulator: LaunchedSimulator | undefined
    if (flags.sim) {
      const ttftMs = numeric('sim-ttft-ms', flags['sim-ttft-ms']) ?? 100
      const itlMs = numeric('sim-itl-ms', flags['sim-itl-ms']) ?? 10
      simulator = await launchSimulator({ simulator: simEndpointSchema.parse({ ttftMs, itlMs }) })
      benchFlags.url = simulator.urls.simulator
      benchFlags.label ??= 'simulator'
    }
    const { scenario, source } = buildBenchScenario(benchFlags)
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const stop = new StopSignal()
    const removeSignalHandlers = stopOnSignals(stop)
    try {
      const result = await runBench({ scenario, source, log, progress: flags.progress && !json, stop, overwrite: flags.overwrite, scrapeMetrics: flags['scrape-metrics'] })
      log(`records: ${result.outDir}/records.jsonl · summary: ${result.outDir}/summary.json`)
      if (result.writeFailure) throw new UserError(result.writeFailure, 1)
      if (result.interrupted) process.exitCode = 130
      else if (result.summary.runs.some((run) => run.serverLost)) process.exitCode = SERVER_LOST_EXIT_CODE
      return result.summary
    } finally {
      await simulator?.stop()
      removeSignalHandlers()
    }
  }
}
