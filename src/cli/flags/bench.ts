import * as parse from './parsers.js'
import * as shard from './shard-parsers.js'
import { parseTimeSource } from '../../client/clock-sources.js'
import { S3_FLAGS, s3UrlText } from './s3.js'
import { type FlagValues, boolean, choice, defineFlags, repeated, string, value } from './table.js'
import { sessionShapeFlags, traceOptionFlags } from './traffic-shape.js'

/**
 * `geopat bench`'s flags: each row its help, the scenario field it sets and its parser. A new flag
 * that sets a scenario field is one more row here (src/cli/bench-scenario.ts applies every row).
 * Defaults are the scenario schema's (src/io/schema/scenario.ts); a "(default N)" in a help text is
 * checked against the schema by test/cli-flags/bench-flags.test.ts.
 */
export const BENCH_FLAGS = defineFlags({
  sim: boolean({ description: 'start the built-in simulator (its own process, free loopback port) and benchmark it' }),
  'sim-ttft-ms': value(parse.number, { description: 'with --sim: time to first token, ms (default 100)' }),
  'sim-itl-ms': value(parse.number, { description: 'with --sim: inter-token latency, ms (default 10)' }),
  scenario: string({ description: 'scenario file (YAML) with one or more endpoints; flags override its fields' }),
  url: string({ description: 'endpoint base URL, e.g. http://127.0.0.1:8000 or https://host/v1', path: 'endpoints.*.url' }),
  label: string({ description: 'name of the endpoint in outputs (default: host)', path: 'endpoints.*.label' }),
  model: string({ description: 'model name (default: the first of GET /v1/models)', path: 'endpoints.*.model' }),
  api: choice(['chat', 'completions'], { description: 'API to call (default chat)', path: 'endpoints.*.api' }),
  'api-key-env': string({ description: 'environment variable holding the API key (sent as a Bearer token)', path: 'endpoints.*.apiKeyEnv' }),
  header: repeated(parse.headers, { description: 'extra request header "Name: value" (repeatable)', path: 'endpoints.*.headers' }),
  insecure: boolean({ description: 'do not verify the server certificate (TLS verification is on otherwise)', path: 'endpoints.*.insecure' }),
  'ca-file': string({ description: 'PEM bundle of CAs to trust (private or sovereign-cloud CAs)', path: 'endpoints.*.caFile' }),
  cert: string({ description: 'client certificate (PEM) for mutual TLS', path: 'endpoints.*.certFile' }),
  key: string({ description: 'client private key (PEM) for mutual TLS', path: 'endpoints.*.keyFile' }),
  profile: choice(['concurrent', 'rate', 'sweep'], { description: 'load profile (default: from --concurrency or --rate)', path: 'load.profile' }),
  concurrency: value(parse.integer, { description: 'closed loop: requests kept in flight', path: 'load.concurrency' }),
  rate: value(parse.number, { description: 'open loop: requests per second', path: 'load.rate' }),
  arrival: choice(['poisson', 'gamma', 'constant'], { description: 'open loop arrival process (default poisson)', path: 'load.arrival' }),
  burstiness: value(parse.number, { description: 'gamma shape for --arrival gamma (1 = Poisson; lower = burstier)', path: 'load.burstiness' }),
  'max-concurrency': value(parse.integer, { description: 'open loop: cap on requests in flight', path: 'load.maxConcurrency' }),
  requests: value(parse.integer, { description: 'number of requests to send (default 100 when no --duration)', path: 'load.requests' }),
  duration: value(parse.number, { description: 'seconds to send for', path: 'load.duration' }),
  'ramp-up': value(parse.number, { description: 'closed loop: seconds over which the concurrent users start one after ' + 'another', path: 'load.rampUp' }),
  workers: value(parse.integer, {
    description:
      'closed loop: worker threads to spread the streams over, each with its own event loop (default 1; about one per core for thousands of streams)',
    path: 'load.workers',
  }),
  warmup: value(parse.number, { description: 'seconds at the start kept in records but left out of the statistics', path: 'load.warmup' }),
  cooldown: value(parse.number, { description: 'seconds at the end kept in records but left out of the statistics', path: 'load.cooldown' }),
  'sweep-steps': value(parse.integer, { description: 'sweep: rates between synchronous and maximum throughput (default ' + '5)', path: 'load.sweepSteps' }),
  'sweep-max-concurrency': value(parse.integer, {
    description: 'sweep: concurrency of the maximum-throughput step (default 256)',
    path: 'load.sweepMaxConcurrency',
  }),
  seed: value(parse.integer, { description: 'seed for prompts and arrivals (default 1)', path: 'load.seed' }),
  'scrape-metrics': boolean({
    description:
      "scrape each endpoint's Prometheus /metrics (vLLM's, or geopat sim's) every second during its steps into " +
      'metrics.jsonl; off by default; an endpoint without /metrics is skipped, never failing the run (geopat sim fit uses it)',
  }),
  'input-tokens': value(parse.lengthSpec, {
    description: 'prompt tokens: N, uniform:MIN-MAX, normal:MEAN,STD or lognormal:MEAN,STD (default 256)',
    path: 'input.inputTokens',
  }),
  'output-tokens': value(parse.lengthSpec, { description: 'output tokens asked for, same forms (default 128)', path: 'input.outputTokens' }),
  prompts: string({ description: 'JSONL file of {"prompt": ...} lines or ShareGPT conversations', path: 'input.promptsFile' }),
  trace: string({
    description:
      'replay a request trace (Mooncake JSONL, Azure LLM inference CSV, BurstGPT CSV or geopat JSONL): each row sent at its time, open loop, ' +
      'with a prompt of its lengths and shared prefix blocks from its hash ids; replaces --rate/--concurrency and the prompt flags',
    path: 'load.trace.file',
  }),
  ...traceOptionFlags('load.trace'),
  speedup: value(parse.number, {
    description: "with --trace: time scaling, 2 sends the trace twice as fast; 1, when absent, is the trace's own pace",
    path: 'load.trace.speedup',
  }),
  'sessions-file': string({
    description:
      'multi-turn sessions from ShareGPT conversations (JSON array or JSONL): each human turn sent in order with the history and the answers ' +
      "received, the file's reply length asked as max_tokens; a session per conversation (all once unless --sessions or --duration)",
    path: 'input.sessions.file',
  }),
  turns: value(parse.lengthSpec, {
    description:
      'synthetic multi-turn sessions of this many turns (N or a distribution, as --input-tokens); each turn --input-tokens new tokens, ' +
      'answers --output-tokens; --rate is then sessions/s and --concurrency sessions in flight (chat API only)',
    path: 'input.sessions.turns',
  }),
  sessions: value(parse.integer, {
    description: 'with --turns or --sessions-file: sessions to start (a shard runs ids ≡ I mod N)',
    path: 'input.sessions.count',
  }),
  ...sessionShapeFlags('input.sessions'),
  'prefix-tokens': value(parse.integer, { description: 'tokens of shared prefix before every synthetic prompt', path: 'input.prefixTokens' }),
  'fixed-output': boolean({ description: "send vLLM's ignore_eos and min_tokens so outputs are exactly the length " + 'asked', path: 'input.fixedOutput' }),
  'continuous-usage': boolean({ description: 'ask vLLM for usage on every chunk (continuous_usage_stats)', path: 'input.continuousUsage' }),
  tools: string({
    description:
      'JSON file of an OpenAI tools array ([{"type": "function", "function": {"name", "description", "parameters"}}]): requests ' +
      'carry it as tools, with --tool-choice (chat API only; not with --turns or --sessions-file)',
    path: 'input.tools.file',
  }),
  'tool-choice': string({
    description: 'with --tools: tool_choice, auto, required, none or the name of one of the functions (default auto)',
    path: 'input.tools.choice',
  }),
  'tool-share': value(parse.number, {
    description: 'with --tools: share (0-1) of the requests that carry the tools, drawn per request from --seed (default 1)',
    path: 'input.tools.share',
  }),
  slo: value(parse.slo, { description: 'goodput objectives, e.g. ttft=500,tpot=50,e2e=10000 (ms)', path: 'slo' }),
  'connect-timeout': value(parse.secondsToMs, { description: 'seconds to connect (default 10)', path: 'timeouts.connectMs' }),
  'ttft-timeout': value(parse.secondsToMs, { description: 'seconds to the first token (default 120)', path: 'timeouts.firstTokenMs' }),
  'idle-timeout': value(parse.secondsToMs, { description: 'seconds allowed between chunks (default 60)', path: 'timeouts.idleMs' }),
  'total-timeout': value(parse.secondsToMs, {
    description: 'seconds for a whole request (default 600); also bounds the GET /v1/models check, which ends within 2 × --connect-timeout and 30 s',
    path: 'timeouts.totalMs',
  }),
  'max-response-bytes': value(parse.integer, {
    description: 'largest body read whole (GET /v1/models, an error body, /metrics); a larger one is an error (default 33554432, 32 MiB)',
    path: 'limits.maxResponseBytes',
  }),
  'max-event-bytes': value(parse.integer, {
    description: 'largest server-sent event or SSE line; a larger one ends that request as a protocol error (default 4194304, 4 MiB)',
    path: 'limits.maxEventBytes',
  }),
  retries: value(parse.integer, { description: 'retries on 429, 5xx and connect errors, honouring Retry-After (default 0)', path: 'retries.max' }),
  grace: value(parse.number, {
    description: 'seconds to wait for streams in flight after Ctrl-C, the end of --duration or the loss of the server (default 5)',
    path: 'graceSeconds',
  }),
  'max-connect-errors': value(parse.integer, {
    description: 'connect errors in a row that mean the server is gone: sending stops, exit code 3 (default 20; 0 = never)',
    path: 'serverLost.connectErrors',
  }),
  'stall-timeout': value(parse.number, {
    description:
      'seconds with requests in flight and no byte from any stream that mean the server is gone (default: 2 × ' +
      '--ttft-timeout and at least 60, so 240; 0 = never)',
    path: 'serverLost.stallSeconds',
  }),
  shard: value(shard.shardSlice, {
    description:
      'run shard I of N of the load (I counts from 0: 0/4 … 3/4): the requests whose id ≡ I (mod N), with 1/N of the users or of the ' +
      "open loop's arrivals, the same prompts and arrival times as one unsharded run; writes shard.json for geopat merge",
  }),
  shards: value(shard.shardCount, {
    description: 'run one of N shards, its index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); otherwise as --shard',
  }),
  'start-at': value(shard.startAt, {
    description:
      'with --shard(s): ISO 8601 time with its zone (e.g. 2026-12-06T18:30:00Z) at which every shard starts its load, on this ' +
      "host's clock corrected by --time-source's offset; a time already past starts at once and shard.json records how late",
  }),
  'time-source': value(parseTimeSource, {
    description: "with --shard(s): a clock the shards share, ntp://host[:port] (SNTP) or an http(s):// URL's Date header; each shard records its offset",
  }),
  'run-key': value(shard.runKey, {
    description: 'with --shard(s): what the shards of one run share, checked by geopat merge (default: from the scenario hash and --start-at)',
  }),
  out: string({ description: 'output folder (default reports/<run-id>); refused when it holds an earlier run', path: 'out' }),
  overwrite: boolean({
    description: "with --out: replace geopat's files there (records, summaries, report) from an " + 'earlier run; other files are left alone',
  }),
  upload: value(s3UrlText, {
    description: 'after the run (finished, interrupted or server lost), upload its folder to s3://bucket/prefix; a failed upload exits 1, the folder stays',
  }),
  ...S3_FLAGS,
  progress: boolean({ description: 'progress line on a terminal', allowNo: true, default: true }),
})

export type BenchFlagValues = FlagValues<typeof BENCH_FLAGS>
