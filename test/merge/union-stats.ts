import { expect } from 'vitest'
import type { RequestRecord } from '../../src/io/schema/record.js'
import type { RunSummary } from '../../src/io/schema/summary.js'

/** numpy's default percentile (linear between closest ranks), written here from its definition. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const position = (p / 100) * (sorted.length - 1)
  const below = Math.floor(position)
  const low = sorted[below] as number
  return low + ((sorted[Math.ceil(position)] as number) - low) * (position - below)
}

/** The summary's TTFT and E2E percentiles (and counts) equal those computed here from the successful records given. */
export function expectPercentilesOf(run: RunSummary | undefined, records: readonly RequestRecord[]): void {
  const ok = records.filter((r) => r.ok)
  const metrics = [
    ['ttft', (r: RequestRecord) => r.timeToFirstTokenMs],
    ['e2e', (r: RequestRecord) => r.endToEndLatencyMs],
  ] as const
  for (const [metric, value] of metrics) {
    const values = ok.map(value).filter((v): v is number => v !== null)
    for (const [key, p] of [
      ['p50', 50],
      ['p90', 90],
      ['p99', 99],
    ] as const)
      expect(run?.metrics[metric]?.[key]).toBeCloseTo(percentile(values, p), 6)
    expect(run?.metrics[metric]?.count).toBe(values.length)
  }
}
