import { readRecords } from '../io/output/records-reader.js'
import type { ReportInputs } from './inputs.js'

const UNTRUSTED = 'the files were edited, mixed with another run or cut short, so its figures cannot be trusted'

/** One bench run whose summary counts differ from the records on disk. */
export interface CountMismatch {
  summaryFile: string
  recordsFile: string
  endpoint: string
  stepLabel: string
  /** The counts that differ: `sent` always checked, `succeeded` and `failed` too. */
  counts: Array<{ name: 'sent' | 'succeeded' | 'failed'; summary: number; records: number }>
  message: string
}

/**
 * Checks every bench summary's request counts against its records.jsonl: per run (endpoint ×
 * step), the records with that endpoint and step against the summary's sent, succeeded and failed
 * counts. A summary is computed from its records, so any difference means the files were edited,
 * mixed with another run's, or cut short: each one becomes a warning naming the run and both
 * counts. (A warning, not a refusal: the report still shows what each file says, with its
 * SHA-256 in the appendix, and the warning stands at the top of the report and on stderr.)
 */
export async function reconcileCounts(inputs: ReportInputs): Promise<CountMismatch[]> {
  const mismatches: CountMismatch[] = []
  for (const bench of inputs.bench) {
    const source = inputs.records.find((records) => records.owner?.kind === 'bench' && records.owner.summary === bench.data)
    if (!source) continue
    const counted = new Map<string, { sent: number; succeeded: number; failed: number }>()
    for await (const record of readRecords(source.file.absolutePath)) {
      const key = runKey(record.endpoint, record.step)
      const count = counted.get(key) ?? { sent: 0, succeeded: 0, failed: 0 }
      count.sent++
      if (record.ok) count.succeeded++
      else count.failed++
      counted.set(key, count)
    }
    for (const run of bench.data.runs) {
      const onDisk = counted.get(runKey(run.endpoint.label, run.step)) ?? { sent: 0, succeeded: 0, failed: 0 }
      const counts = (['sent', 'succeeded', 'failed'] as const)
        .map((name) => ({ name, summary: run.requests[name], records: onDisk[name] }))
        .filter((count) => count.summary !== count.records)
      if (counts.length === 0) continue
      const detail = counts.map((count) => `${count.name} ${count.summary} in the summary, ${count.records} in the records`).join('; ')
      mismatches.push({
        summaryFile: bench.file.path,
        recordsFile: source.file.path,
        endpoint: run.endpoint.label,
        stepLabel: run.stepLabel,
        counts,
        message: `${bench.file.path}: run ${run.endpoint.label} · ${run.stepLabel}: counts do not match ${source.file.path} (${detail}); ${UNTRUSTED}`,
      })
    }
  }
  return mismatches
}

function runKey(endpoint: string, step: number): string {
  return `${step}\u0000${endpoint}`
}
