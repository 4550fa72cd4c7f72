import type { ReportOptions, ReportResult } from '../../app/report.js'
import { withFlagTable } from '../flag-table-command.js'
import { texts } from '../flags/parsers.js'
import { applyFlags, defineFlags, type FlagValues, repeated, string } from '../flags/table.js'

/** `geopat report`'s flags: each sets an option of the report (ReportOptions). */
const REPORT_FLAGS = defineFlags({
  from: repeated(texts, { required: true, description: 'run folder (or a geopat output file); repeatable', path: 'from' }),
  out: string({ description: 'report file (….html) or folder for report.html (default: the first --from folder)', path: 'out' }),
  title: string({ description: 'title of the report', path: 'title' }),
})

export default class Report extends withFlagTable(REPORT_FLAGS) {
  static override summary = 'Render one self-contained HTML report from bench, compare, size, tco and plan outputs'
  static override description =
    'Reads every geopat output in the run folders given (summary.json, records.jsonl, compare-summary.json, ' +
    'sizing.json, tco.json, plan.json; in each folder and the folders directly inside it), checks each against its ' +
    'schema, and writes one report.html: an executive summary, the endpoints compared (latency CDFs, ' +
    'throughput–latency curves with the knee, the confidential-computing overhead split), capacity and cost, the ' +
    `migration plan, the methodology (metric definitions with the peer tools' names, sources and dates of every ` +
    'figure) and an appendix listing every file read with its SHA-256. Inline CSS and SVG only: no script, nothing ' +
    'loaded from a network, prints on A4.'

  static override examples = [
    '<%= config.bin %> report --from reports/20261124-101500-bench',
    '<%= config.bin %> report --from reports/bench-run --from reports/size-run --out reports/decision.html --title "EU move: evidence"',
  ]

  protected async execute(values: FlagValues<typeof REPORT_FLAGS>): Promise<ReportResult> {
    const { runReport } = await import('../../app/report.js')
    const { bytes } = await import('../../report/format.js')
    const { withFlagNames } = await import('../flags/option-errors.js')
    const result = await withFlagNames(REPORT_FLAGS, () => runReport(applyFlags(REPORT_FLAGS, values, {}) as unknown as ReportOptions))
    for (const warning of result.warnings) this.logToStderr(`warning: ${warning}`)
    if (!this.jsonEnabled()) {
      this.log(`report: ${result.file} (${bytes(result.bytes)}; ${result.sections.join(', ')})`)
    }
    return result
  }
}
