import { Flags } from '@oclif/core'
import { runCompare } from '../../app/compare.js'
import { parseLengthFlag } from '../../input/distributions.js'
import { formatSafety } from '../../load/run-safety.js'
import { StopSignal, stopOnSignals } from '../../load/runner.js'
import { formatCompare } from '../../io/output/compare-formats.js'
import type { CompareSummary } from '../../io/schema/compare.js'
import { loadYamlFile, parseWithSchema } from '../../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../../io/schema/scenario.js'
import { GeopatCommand } from '../../util/base-command.js'
import { SERVER_LOST_EXIT_CODE } from '../../load/server-watch.js'
import { UserError } from '../../util/errors.js'

export default class Compare extends GeopatCommand {
  static override summary = 'Compare endpoints with a paired, interleaved design and confidence intervals'
  static override description = `Every endpoint ("arm") gets the same prompts with an exact output length, in blocks interleaved per round (ABBA, or a seeded random order), after its own warm-up, at each operating point apart. Reports bootstrap 95% intervals of mean, p50, p90 and p99 of TTFT, ITL, TPOT and E2E per arm, the ratio and difference against the first endpoint (paired by prompt), a verdict against the A/A noise floor (--aa), how many requests a ±5% interval needs, the overhead split into front end (probe), prefill and decode, the server's /metrics reconciled with the client, and the peer tools' names for the same figures.`

  static override examples = [
    '<%= config.bin %> compare --scenario scenarios/cc-overhead.yaml',
    '<%= config.bin %> compare --url-a http://127.0.0.1:8001 --label-a standard --url-b http://127.0.0.1:8002 --label-b confidential --rounds 6 --aa',
  ]

  static override flags = {
    scenario: Flags.string({ description: 'scenario file with two or more endpoints and a compare: section' }),
    'url-a': Flags.string({ description: 'baseline endpoint URL (instead of --scenario)' }),
    'label-a': Flags.string({ description: 'baseline label', default: 'A' }),
    'url-b': Flags.string({ description: 'endpoint compared with the baseline' }),
    'label-b': Flags.string({ description: 'its label', default: 'B' }),
    'api-key-env': Flags.string({ description: 'environment variable holding the API key of both URLs' }),
    aa: Flags.boolean({ description: 'also measure the baseline against itself (the A/A noise floor)' }),
    design: Flags.string({ options: ['randomized', 'abba'], description: 'order of the arms per round (default randomized)' }),
    rounds: Flags.integer({ description: 'rounds per operating point (default 5)' }),
    'requests-per-block': Flags.integer({ description: 'requests per arm per round (default 20)' }),
    concurrency: Flags.integer({ description: 'one operating point at this concurrency (default: the scenario, or 1)' }),
    probe: Flags.boolean({ description: 'run the front-end probe (autocannon GET /v1/models) on every endpoint' }),
    'input-tokens': Flags.string({ description: 'prompt tokens (N or a distribution, as in bench)' }),
    'output-tokens': Flags.string({ description: 'output tokens (exact on every arm)' }),
    seed: Flags.integer({ description: 'seed of prompts, block order and bootstrap' }),
    out: Flags.string({ description: 'output folder (default reports/<run-id>); refused when it holds an earlier run' }),
    overwrite: Flags.boolean({ description: "with --out: replace geopat's files there (records, summaries, report) from an earlier run; other files are left alone" }),
    progress: Flags.boolean({ default: true, allowNo: true, description: 'progress line on a terminal' }),
  }

  async run(): Promise<CompareSummary> {
    const { flags } = await this.parse(Compare)
    const { scenario, source } = this.buildScenario(flags)
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const stop = new StopSignal()
    const removeSignalHandlers = stopOnSignals(stop)
    try {
      const result = await runCompare({ scenario, source, log, progress: flags.progress && !json, stop, overwrite: flags.overwrite, ...(flags.out ? { outDir: flags.out } : {}) })
      log(formatCompare(result.summary))
      if (result.summary.safety) for (const line of formatSafety(result.summary.safety)) log(line)
      log(`records: ${result.outDir}/records.jsonl · summary: ${result.outDir}/compare-summary.json`)
      if (result.writeFailure) throw new UserError(result.writeFailure, 1)
      if (result.interrupted) process.exitCode = 130
      else if (result.summary.serverLost) process.exitCode = SERVER_LOST_EXIT_CODE
      return result.summary
    } finally {
      removeSignalHandlers()
    }
  }

  private buildScenario(flags: Record<string, unknown>): { scenario: Scenario; source: string } {
    const f = flags as { scenario?: string; 'url-a'?: string; 'url-b'?: string; 'label-a': string; 'label-b': string; 'api-key-env'?: string; aa?: boolean; design?: string; rounds?: number; 'requests-per-block'?: number; concurrency?: number; probe?: boolean; 'input-tokens'?: string; 'output-tokens'?: string; seed?: number }
    let base: Record<string, unknown>
    let source: string
    if (f.scenario) {
      if (f['url-a'] || f['url-b']) throw new UserError('give either --scenario or --url-a/--url-b')
      base = loadYamlFile(f.scenario, scenarioSchema) as unknown as Record<string, unknown>
      source = f.scenario
    } else {
      if (!f['url-a'] || !f['url-b']) throw new UserError('give --scenario, or both --url-a and --url-b')
      const key = f['api-key-env'] ? { apiKeyEnv: f['api-key-env'] } : {}
      base = { endpoints: [{ url: f['url-a'], label: f['label-a'], ...key }, { url: f['url-b'], label: f['label-b'], ...key }], load: { requests: 1 } }
      source = 'flags'
    }
    const compare = { ...((base.compare as Record<string, unknown> | undefined) ?? {}) }
    if (f.aa !== undefined && f.aa) compare.aa = true
    if (f.design) compare.design = f.design
    if (f.rounds !== undefined) compare.rounds = f.rounds
    if (f['requests-per-block'] !== undefined) compare.requestsPerBlock = f['requests-per-block']
    if (f.concurrency !== undefined) compare.operatingPoints = [{ label: `concurrency ${f.concurrency}`, concurrency: f.concurrency }]
    if (f.probe) compare.probe = {}
    const input = { ...((base.input as Record<string, unknown> | undefined) ?? {}) }
    if (f['input-tokens']) input.inputTokens = parseLengthFlag(f['input-tokens'])
    if (f['output-tokens']) input.outputTokens = parseLengthFlag(f['output-tokens'])
    const load = { ...((base.load as Record<string, unknown> | undefined) ?? {}) }
    if (f.seed !== undefined) load.seed = f.seed
    const scenario = parseWithSchema(source, scenarioSchema, { ...base, compare, input, load })
    return { scenario, source }
  }
}
