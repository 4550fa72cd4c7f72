import { describe, expect, it } from 'vitest'
import { METRICS } from '../../src/metrics/definitions.js'
import { StreamingDistribution } from '../../src/metrics/distribution.js'
import { type RunFacts, summarizeRun } from '../../src/metrics/summarize.js'
import type { LoadStep } from '../../src/load/runner.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { COMPLETED_RECORD_END, type RequestRecord } from '../../src/io/schema/record.js'
import { toRecord } from '../../src/sim/virtual-record.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * The pooled metrics (per-token and per-chunk gaps) of a summary are each metric's own `pooled`
 * values over the measured records, however the records mix: one-token chunks (virtual time, where
 * the pooled metrics give the same gaps and the summary adds them once for both), coalesced chunks
 * (two tokens a read) and one-token chunks whose usage says more tokens than chunks (the per-token
 * gaps then spread). Recomputed here by feeding each metric's `pooled` into a histogram of its own.
 */
const random = seededRandom(23)
const arrivals = (count: number): number[] => {
  const times: number[] = []
  for (let i = 0, t = 50 + random.next() * 100; i < count; i++, t += random.next() * 30) times.push(t)
  return times
}
const unit = (id: number): RequestRecord => toRecord({ id, sendMs: id * 10, arrivals: arrivals(5 + id), promptTokens: 100, outputTokens: 5 + id }, 'e', 'm', 0)
function coalesced(id: number): RequestRecord {
  const chunks = arrivals(6).map((t): [number, number] => [t, 2])
  const last = (chunks[chunks.length - 1] as [number, number])[0]
  return {
    ...unit(id),
    chunks,
    tokenEvents: 12,
    responseHeadersMs: chunks[0]?.[0] ?? null,
    firstByteMs: chunks[0]?.[0] ?? null,
    timeToFirstTokenMs: chunks[0]?.[0] ?? null,
    timeToFirstContentMs: chunks[0]?.[0] ?? null,
    endToEndLatencyMs: last,
    outputTokens: 12,
    ...COMPLETED_RECORD_END,
  }
}
/** One-token chunks, but the server's usage counts twice the tokens that arrived as events. */
const undercounted = (id: number): RequestRecord => {
  const record = unit(id)
  return Object.assign(record, { outputTokens: record.outputTokens * 2 })
}

/** A run's facts (everything but its records) as a small virtual run reports them. */
async function someFacts(): Promise<RunFacts> {
  const load: LoadStep = { step: 0, label: 'one', mode: 'closed', concurrency: 1, maxRequests: 2, arrival: 'poisson', burstiness: 1, seed: 1 }
  const { summary } = await runVirtual({
    profile: loadProfile('h100-sxm-llama-3.1-8b-bf16'),
    confidential: false,
    load,
    inputTokens: 50,
    outputTokens: 5,
    seed: 1,
  })
  const { endpoint, step, stepLabel, requested, achieved, client } = summary
  return { endpoint, step, stepLabel, requested, achieved, client, interrupted: false, sendEndMs: 0, slo: {}, warnings: [] }
}

describe('pooled metrics over records of every kind', () => {
  const mixes: Record<string, RequestRecord[]> = {
    'one-token chunks only': [0, 1, 2, 3].map(unit),
    'one-token chunks, then coalesced ones': [unit(0), unit(1), coalesced(2), unit(3), coalesced(4)],
    'coalesced first': [coalesced(0), unit(1), unit(2)],
    'one-token chunks with a record whose usage counts more tokens': [unit(0), unit(1), undercounted(2), unit(3)],
  }
  for (const [name, records] of Object.entries(mixes)) {
    it(name, async () => {
      const summary = await summarizeRun(() => records, await someFacts())
      for (const metric of METRICS.filter((m) => m.pooled)) {
        const alone = new StreamingDistribution()
        for (const record of records) metric.pooled?.(record, (value, times) => alone.add(value, times))
        expect(summary.metrics[metric.id], metric.id).toStrictEqual(alone.describe())
      }
      // The per-token and per-chunk gaps do differ where tokens were coalesced or spread.
      const differ = records.some((r) => r.outputTokens !== r.chunks.length)
      expect(summary.metrics.interTokenLatency?.count === summary.metrics.interChunkLatency?.count).toBe(!differ)
    })
  }
})
