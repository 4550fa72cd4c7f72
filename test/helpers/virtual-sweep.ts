import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { LengthSpec } from '../../src/io/schema/length-spec.js'
import { createSweepPlanner } from '../../src/load/sweep.js'
import type { LoadStep } from '../../src/load/runner.js'
import { writeSummaryFiles } from '../../src/io/output/files.js'
import { RecordsWriter } from '../../src/io/output/records-writer.js'
import { summaryToCsv } from '../../src/metrics/summary-csv.js'
import { loadSchema } from '../../src/io/schema/scenario.js'
import { type BenchSummary, type RunSummary, benchSummarySchema } from '../../src/io/schema/summary.js'
import type { SimProfile } from '../../src/io/schema/sim-profile.js'
import type { NetworkPath } from '../../src/sim/network.js'
import { runVirtual } from '../../src/sim/virtual.js'

export interface VirtualSweepOptions {
  profile: SimProfile
  dir: string
  inputTokens: LengthSpec
  outputTokens: LengthSpec
  requests: number
  sweepSteps: number
  sweepMaxConcurrency: number
  seed: number
  network?: NetworkPath
  /** The endpoints measured one after the other, as bench does (default one, "sim", CC off). */
  arms?: Array<{ label: string; confidential: boolean }>
  /** Stop after the first (synchronous) step: a run that is not a sweep. */
  onlyFirstStep?: boolean
}

/**
 * What `geopat bench --profile sweep` would measure against `geopat sim` running `profile`, in
 * virtual time: the same sweep planner picks the steps from the previous step's summary, and the
 * records and summary are written with bench's writers, so the fit's reader sees the real format.
 */
export async function writeVirtualSweep(options: VirtualSweepOptions): Promise<{ dir: string; runs: RunSummary[] }> {
  mkdirSync(options.dir, { recursive: true })
  const load = loadSchema.parse({
    profile: 'sweep',
    requests: options.requests,
    sweepSteps: options.sweepSteps,
    sweepMaxConcurrency: options.sweepMaxConcurrency,
    seed: options.seed,
  })
  const writer = new RecordsWriter(join(options.dir, 'records.jsonl'))
  const runs: RunSummary[] = []
  let nextId = 0
  for (const arm of options.arms ?? [{ label: 'sim', confidential: false }]) {
    const planner = createSweepPlanner(load)
    let step: LoadStep | undefined = planner.next(undefined)
    while (step) {
      const result = await runVirtual({
        profile: options.profile,
        confidential: arm.confidential,
        ...(options.network ? { network: options.network } : {}),
        load: step,
        inputTokens: options.inputTokens,
        outputTokens: options.outputTokens,
        seed: options.seed * 100 + step.step + (arm.confidential ? 50 : 0),
        keepRecords: true,
        label: arm.label,
      })
      // Bench numbers records across the whole run.
      for (const record of result.records) writer.write({ ...record, id: nextId + record.id })
      nextId += result.records.length
      const summary: RunSummary = { ...result.summary, stepLabel: step.label }
      runs.push(summary)
      step = options.onlyFirstStep ? undefined : planner.next(summary)
    }
  }
  writer.flush()
  writer.close()
  const summary = benchSummarySchema.parse({
    schema: 'geopat.bench-summary/v1',
    runId: `virtual-sweep-${options.seed}`,
    tool: { name: 'geopat', version: 'test', node: process.version },
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    recordsFile: 'records.jsonl',
    tokenizer: 'test',
    runs,
  } satisfies BenchSummary)
  writeSummaryFiles(options.dir, { 'summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'summary.csv': summaryToCsv(summary) }, undefined)
  return { dir: options.dir, runs }
}
