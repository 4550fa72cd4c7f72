import { BENCH_FLAGS, type BenchFlagValues } from '../flags/bench.js'
import { benchScenarioFromFlags, shardRequestFromFlags } from '../flags/bench-scenario.js'
import { s3Options } from '../flags/s3.js'
import { oclifFlags, readFlags } from '../flags/table.js'
import { ProgressLine } from '../render/progress-line.js'
import type { BenchSummary } from '../../io/schema/summary.js'
import { SERVER_LOST_EXIT_CODE } from '../../load/server-watch.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'

export default class Bench extends GeopatCommand {
  static override summary = 'Benchmark an OpenAI-compatible streaming endpoint for latency and throughput'
  static override description =
    'Sends streamed chat or completion requests (closed loop at a concurrency, open loop at a rate, or a sweep), records ' +
    'every request to records.jsonl as it finishes, and writes summary.json and summary.csv: TTFT, ITL, TPOT, E2E, ' +
    `throughput and goodput, with a check that the client itself was not the bottleneck.

Ctrl-C stops sending, waits --grace seconds for the streams in flight, writes the summary of what was measured and exits ` +
    `130. A server that goes away (--max-connect-errors in a row, or --stall-timeout) stops the endpoint's run the same ` +
    'way; the summary says since when (serverLost) and the exit code is 3.\n\n' +
    'Sharded (--shard I/N, or --shards N in a Kubernetes Indexed Job): each process sends its slice of one run (the ids ≡ I mod N), ' +
    'starting together at --start-at, and writes shard.json (host, clock offsets, status); geopat merge joins the shards.\n\n' +
    'Trace replay (--trace FILE: Mooncake JSONL, Azure LLM inference CSV, BurstGPT CSV, geopat JSONL): each row sent at its time ' +
    '(--speedup, --trace-window, --trace-limit) with a prompt of its lengths whose shared hash-id blocks share text.'

  static override examples = [
    '<%= config.bin %> bench --sim --concurrency 16 --requests 200',
    '<%= config.bin %> bench --url http://127.0.0.1:8000 --concurrency 8 --requests 200',
    '<%= config.bin %> bench --url https://llm.example.eu/v1 --api-key-env EU_KEY --rate 5 --duration 60 --slo ttft=500,tpot=50',
    '<%= config.bin %> bench --scenario scenarios/bench-two-endpoints.yaml --json',
    '<%= config.bin %> bench --sim --api completions --trace data/traces/mooncake-synthetic.jsonl --speedup 50',
    '<%= config.bin %> bench --url http://gateway:8000 --rate 400 --duration 300 --shard 2/4 --start-at 2026-12-06T18:30:00Z --time-source ntp://pool.ntp.org',
  ]

  static override flags = oclifFlags(BENCH_FLAGS)

  async run(): Promise<BenchSummary> {
    const values = readFlags(BENCH_FLAGS, (await this.parse(Bench)).flags)
    // A bad shard flag fails before a simulator is started.
    shardRequestFromFlags(values, process.env)
    // --upload: the bucket and credentials are checked before the run, not after it.
    if (values.upload) await (await import('../../app/push.js')).checkUploadTarget(values.upload, s3Options(values))
    if (!values.sim) return this.bench(values)
    if (values.url || values.scenario) throw new UserError('--sim starts its own endpoint: give it without --url or --scenario')
    const { withFixedSimulator } = await import('../../app/bench.js')
    const timing = { ttftMs: values['sim-ttft-ms'], itlMs: values['sim-itl-ms'] }
    return withFixedSimulator(timing, (url) => this.bench({ ...values, url, label: values.label ?? 'simulator' }))
  }

  private async bench(values: BenchFlagValues): Promise<BenchSummary> {
    const { scenario, source } = benchScenarioFromFlags(values)
    const shard = shardRequestFromFlags(values, process.env)
    const [{ runBench }, { withStopOnSignals }] = await Promise.all([import('../../app/bench.js'), import('../../app/stop.js')])
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const progress = new ProgressLine(values.progress && !json)
    const { benchViews } = await import('../render/summary-formats.js')
    const { withFlagNames } = await import('../flags/option-errors.js')
    const result = await withFlagNames(BENCH_FLAGS, () =>
      withStopOnSignals((stop) =>
        runBench({
          scenario,
          source,
          log,
          ...benchViews(log),
          progress,
          stop,
          overwrite: values.overwrite ?? false,
          scrapeMetrics: values['scrape-metrics'] ?? false,
          ...(shard ? { shard } : {}),
        }),
      ),
    )
    log(`records: ${result.outDir}/records.jsonl · summary: ${result.outDir}/summary.json`)
    const upload = values.upload ? { to: values.upload, s3: s3Options(values), log } : undefined
    const uploadFailure = upload ? await (await import('../../app/push.js')).uploadAfterRun(result.outDir, upload) : undefined
    if (result.writeFailure) throw new UserError(result.writeFailure, 1)
    if (uploadFailure) throw new UserError(uploadFailure, 1)
    if (result.interrupted) process.exitCode = 130
    else if (result.summary.runs.some((run) => run.serverLost)) process.exitCode = SERVER_LOST_EXIT_CODE
    return result.summary
  }
}
