import { Args } from '@oclif/core'
import type { ScenarioRunOptions, ScenarioRunResult } from '../../app/run-scenario.js'
import { type CommandLine, withFlagTable } from '../flag-table-command.js'
import { texts } from '../flags/parsers.js'
import { applyFlags, boolean, defineFlags, type FlagValues, repeated, string } from '../flags/table.js'

/** `geopat run`'s flags: each sets an option of the run (ScenarioRunOptions) but --progress, which the command resolves. */
const RUN_FLAGS = defineFlags({
  out: string({ description: 'run folder (default reports/<run-id>); refused when it holds an earlier run', path: 'outDir' }),
  overwrite: boolean({
    description: "with --out: replace geopat's files there (each step's records, summaries, report) from an earlier run; other files are left alone",
    path: 'overwrite',
  }),
  progress: boolean({ default: true, allowNo: true, description: 'progress line on a terminal' }),
  catalog: repeated(texts, {
    description:
      'your own catalog file(s) (a geopat catalog refresh output, quotes), beside the built-in one: the freshest row of an id prices size, plan and tco',
    path: 'catalogFiles',
  }),
  fx: repeated(texts, { description: 'your own FX file(s), beside the built-in one', path: 'fxFiles' }),
})

export default class Run extends withFlagTable(RUN_FLAGS) {
  static override summary = 'Run every step a scenario names: bench or compare, size, tco, plan, and the report'
  static override description = [
    'Starts the simulated endpoints the scenario names, measures them (compare when the scenario has a compare: ' +
      'section, bench otherwise), then sizes (size:), costs (tco:), plans (plan:) and writes one self-contained ' +
      'report.html over all of it. Each step writes into its own folder of the run folder; the command prints where ' +
      'the report is.',
    'Ctrl-C ends the run in whichever step it is: bench or compare waits the grace period (graceSeconds) for the ' +
      'streams in flight and writes the summary of what was measured, size stops its searches; what earlier steps ' +
      'wrote is kept, no report is written, the steps that did not run are named, and the exit code is 130.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> run scenarios/quickstart.yaml',
    '<%= config.bin %> run scenarios/cc-overhead.yaml --out reports/cc',
    '<%= config.bin %> run scenarios/quickstart.yaml --catalog prices/refreshed.yaml',
  ]

  static override args = { scenario: Args.string({ description: 'scenario YAML file', required: true }) }

  protected async execute(values: FlagValues<typeof RUN_FLAGS>, { args }: CommandLine<'scenario'>): Promise<ScenarioRunResult> {
    const { loadYamlFile } = await import('../../io/schema/load-file.js')
    const { scenarioSchema } = await import('../../io/schema/scenario.js')
    const scenario = loadYamlFile(args.scenario, scenarioSchema)
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const { runScenario } = await import('../../app/run-scenario.js')
    const { formatSizing, workloadSizingLine } = await import('../render/sizing.js')
    const { ProgressLine } = await import('../render/progress-line.js')
    const { benchViews } = await import('../render/summary-formats.js')
    const result = await runScenario({
      ...(applyFlags(RUN_FLAGS, values, {}) as Partial<ScenarioRunOptions>),
      scenario,
      source: args.scenario,
      log,
      benchViews: benchViews(log),
      onSized: (sizing) => log(formatSizing(sizing)),
      onWorkloadSized: (sized) => log(workloadSizingLine(sized)),
      progress: new ProgressLine(values.progress && !json),
    })
    log('')
    for (const step of result.steps) log(`${step.step.padEnd(8)} ${step.seconds.toFixed(1).padStart(6)} s  ${step.headline}`)
    log(result.report ? `report: ${result.report}` : `run folder: ${result.runDir}`)
    if (result.interrupted) process.exitCode = 130
    return result
  }
}
