import { type Interval, bootstrapContrast, bootstrapStatistic } from '../metrics/bootstrap.js'
import { kneeOf, kneeStepOf } from '../metrics/knee.js'
import { type RunFacts, summarizeRun } from '../metrics/summarize.js'
import type { LoadStep } from '../load/runner.js'
import { createSweepPlanner } from '../load/sweep.js'
import type { RequestRecord } from '../io/schema/record.js'
import type { CompareConfig, CompareSummary } from '../io/schema/compare.js'
import type { Scenario } from '../io/schema/scenario.js'
import type { RunSummary } from '../io/schema/summary.js'

type Saturation = NonNullable<CompareSummary['saturation']>['arms'][number]

/** Output tokens per 1-second bin of a step's window: the samples behind the throughput interval. */
export function tokensPerSecondBins(records: RequestRecord[], window: { startMs: number; endMs: number }): number[] {
  const bins = Math.floor((window.endMs - window.startMs) / 1000)
  if (bins < 2) return []
  const counts = new Array<number>(bins).fill(0)
  for (const record of records) {
    if (!record.ok) continue
    let chunkTokens = 0
    for (const chunk of record.chunks) chunkTokens += chunk[1]
    const scale = chunkTokens > 0 ? record.outputTokens / chunkTokens : 0
    for (const [t, tokens] of record.chunks) {
      const bin = Math.floor((record.sendMs + t - window.startMs) / 1000)
      if (bin >= 0 && bin < bins) counts[bin] = (counts[bin] as number) + tokens * scale
    }
  }
  return counts
}

export interface SweepStepRun {
  step: LoadStep
  records: RequestRecord[]
  facts: Omit<RunFacts, 'slo' | 'warnings'>
}

/**
 * One arm's sweep, reduced: the maximum-throughput step's output tokens per second with an
 * interval (bootstrap of its 1-second bins), and the knee (the highest offered rate the arm kept
 * up with, bracketed by the next rate tried).
 */
export async function summarizeSaturation(
  arm: string,
  runs: SweepStepRun[],
  config: CompareConfig,
  seed: number,
): Promise<{ saturation: Saturation; bins: number[] }> {
  const summaries: RunSummary[] = []
  for (const run of runs) summaries.push(await summarizeRun(() => run.records, { ...run.facts, slo: {}, warnings: [] }))
  const throughputIndex = runs.findIndex((run) => run.step.kind === 'throughput')
  const throughput = summaries[throughputIndex]
  // Steady state only: the second half of the maximum-throughput step (its users ramp up first).
  const bins = throughput
    ? tokensPerSecondBins(runs[throughputIndex]?.records ?? [], {
        startMs: (throughput.window.startMs + throughput.window.endMs) / 2,
        endMs: throughput.window.endMs,
      })
    : []
  return {
    saturation: {
      arm,
      outputTokensPerS: bootstrapStatistic(bins, 'mean', { resamples: config.resamples, confidence: config.confidence, seed }),
      requestsPerS: throughput?.throughput.requestsPerS ?? 0,
      knee: kneeOf(summaries.map((summary, i) => kneeStepOf(summary, runs[i]?.step.kind))),
      steps: summaries.map((s) => ({
        label: s.stepLabel,
        offeredRatePerS: s.requested.ratePerS,
        requestsPerS: s.throughput.requestsPerS,
        outputTokensPerS: s.throughput.outputTokensPerS,
        ttftP50Ms: s.metrics.ttft?.p50 ?? null,
      })),
    },
    bins,
  }
}

/** Arm's saturation throughput against the baseline's, as a ratio with its (unpaired) interval. */
export function saturationRatio(baselineBins: number[], armBins: number[], config: CompareConfig, seed: number): Interval | null {
  return bootstrapContrast(baselineBins, armBins, 'mean', 'ratio', { resamples: config.resamples, confidence: config.confidence, seed })
}

/** The sweep's load settings, from the compare config (seconds per step, rates, max concurrency). */
export function sweepPlanner(scenario: Scenario, saturation: NonNullable<CompareConfig['saturation']>) {
  return createSweepPlanner({
    ...scenario.load,
    profile: 'sweep',
    duration: saturation.durationS,
    requests: undefined,
    sweepSteps: saturation.steps,
    sweepMaxConcurrency: saturation.maxConcurrency,
  })
}
