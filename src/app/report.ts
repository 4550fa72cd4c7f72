import { type ReportOptions, type ReportResult, writeReport } from '../report/build.js'

export type { ReportOptions, ReportResult } from '../report/build.js'

/** `geopat report`: one self-contained report.html over the run folders (or files) given. */
export async function runReport(request: ReportOptions): Promise<ReportResult> {
  return writeReport(request)
}
