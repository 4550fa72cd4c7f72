import { describe, expect, it } from 'vitest'
import { chunkView } from '../../src/metrics/chunks.js'
import { summarizeRun } from '../../src/metrics/summarize.js'
import { type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'

describe('virtual-time records keep chunks as arrival times only', () => {
  it('read the same through chunkView as their JSON form, and summarize identically', async () => {
    const { records, summary } = await runVirtual({
      profile: loadProfile('h100-sxm-llama-3.1-8b-bf16'),
      confidential: false,
      load: { step: 0, label: 'x', mode: 'open', ratePerS: 10, durationMs: 20_000, arrival: 'poisson', burstiness: 1, seed: 4 },
      inputTokens: 256,
      outputTokens: { dist: 'uniform', min: 1, max: 64 },
      seed: 4,
      slo: { ttftMs: 200, tpotMs: 15 },
      keepRecords: true,
      warmupS: 2,
      cooldownS: 2,
    })
    expect(records.length).toBeGreaterThan(100)
    // What records.jsonl would hold: plain tuples, valid against the record schema.
    const plain: RequestRecord[] = records.map((r) => requestRecordSchema.parse(JSON.parse(JSON.stringify(r))))
    for (const [index, record] of records.entries()) {
      const virtual = chunkView(record)
      const stored = chunkView(plain[index] as RequestRecord)
      expect(virtual.count).toBe(stored.count)
      expect(virtual.totalTokens).toBe(stored.totalTokens)
      for (let i = 0; i < virtual.count; i++) {
        expect(virtual.timeMs(i)).toBe(stored.timeMs(i))
        expect(virtual.tokens(i)).toBe(stored.tokens(i))
      }
    }
    const recomputed = await summarizeRun(() => plain, {
      endpoint: summary.endpoint,
      step: summary.step,
      stepLabel: summary.stepLabel,
      requested: summary.requested,
      achieved: summary.achieved,
      client: summary.client,
      interrupted: false,
      sendEndMs: 20_000,
      slo: { ttftMs: 200, tpotMs: 15 },
      warnings: summary.warnings,
    })
    expect(recomputed.metrics).toEqual(summary.metrics)
    expect(recomputed.goodput).toEqual(summary.goodput)
    expect(recomputed.tokens).toEqual(summary.tokens)
  })
})
