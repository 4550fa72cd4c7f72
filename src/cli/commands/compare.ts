import { COMPARE_FLAGS, compareScenarioFromFlags } from '../flags/compare.js'
import type { FlagValues } from '../flags/table.js'
import { formatCompare } from '../render/compare-table.js'
import { ProgressLine } from '../render/progress-line.js'
import { formatSafety } from '../render/safety.js'
import { SERVER_LOST_EXIT_CODE } from '../../load/server-watch.js'
import type { CompareSummary } from '../../io/schema/compare.js'
import { withFlagTable } from '../flag-table-command.js'
import { UserError } from '../../util/errors.js'

export default class Compare extends withFlagTable(COMPARE_FLAGS) {
  static override summary = 'Compare endpoints with a paired, interleaved design and confidence intervals'
  static override description =
    `Every endpoint ("arm") gets the same prompts with an exact output length, in blocks interleaved per round (ABBA, or ` +
    'a seeded random order), after its own warm-up, at each operating point apart. Reports bootstrap 95% intervals of ' +
    'mean, p50, p90 and p99 of TTFT, ITL, TPOT and E2E per arm, the ratio and difference against the first endpoint ' +
    '(paired by prompt), a verdict against the A/A noise floor (--aa), how many requests a ±5% interval needs, the ' +
    `overhead split into front end (probe), prefill and decode, the server's /metrics reconciled with the ` +
    `client, and the peer tools' names for the same figures.`

  static override examples = [
    '<%= config.bin %> compare --scenario scenarios/cc-overhead.yaml',
    '<%= config.bin %> compare --url-a http://127.0.0.1:8001 --label-a standard --url-b http://127.0.0.1:8002 --label-b confidential --rounds 6 --aa',
  ]

  protected async execute(values: FlagValues<typeof COMPARE_FLAGS>): Promise<CompareSummary> {
    const { scenario, source } = compareScenarioFromFlags(values)
    const [{ runCompare }, { withStopOnSignals }] = await Promise.all([import('../../app/compare.js'), import('../../app/stop.js')])
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const progress = new ProgressLine(values.progress && !json)
    const result = await withStopOnSignals((stop) => runCompare({ scenario, source, log, progress, stop, overwrite: values.overwrite ?? false }))
    log(formatCompare(result.summary))
    if (result.summary.safety) for (const line of formatSafety(result.summary.safety)) log(line)
    log(`records: ${result.outDir}/records.jsonl · summary: ${result.outDir}/compare-summary.json`)
    if (result.writeFailure) throw new UserError(result.writeFailure, 1)
    if (result.interrupted) process.exitCode = 130
    else if (result.summary.serverLost) process.exitCode = SERVER_LOST_EXIT_CODE
    return result.summary
  }
}
