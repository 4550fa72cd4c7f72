import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCompare } from '../../src/app/compare.js'
import { compareSummarySchema } from '../../src/io/schema/compare.js'
import { saturationScenario } from '../helpers/compare-scenario.js'
import { expectInterval } from '../helpers/interval.js'

// `geopat compare`'s saturation sweep end to end over real HTTP against simulated endpoints (each
// in a child process): the plumbing only, never a figure or a duration, so it runs in the
// `integration` project beside other files. Its claims on the figures (throughput, the knee by its rule, the CC
// arm saturating at a lower rate) are checked in virtual time in compare-virtual.test.ts.

const work = mkdtempSync(join(tmpdir(), 'geopat-compare-sweep-'))

describe('geopat compare with a saturation sweep, against two simulated endpoints', () => {
  it('runs the saturation sweep per arm: steps, throughput with its interval, the ratio and the knee', async () => {
    // Short steps on fixed-pace servers: the plumbing only. The figures themselves (throughput,
    // the knee by its rule, the CC arm saturating lower) are checked in virtual time in compare-virtual.test.ts.
    const scenario = saturationScenario(
      [
        { label: 'fast', sim: { ttftMs: 20, itlMs: 2 } },
        { label: 'slow', sim: { ttftMs: 30, itlMs: 3 } },
      ],
      { inputTokens: 64, outputTokens: 32 },
      { durationS: 4, steps: 1, maxConcurrency: 16 },
    )
    const { summary } = await runCompare({ scenario, source: 'test', outDir: join(work, 'saturation'), log: () => undefined, progress: false })
    expect(() => compareSummarySchema.parse(summary)).not.toThrow()
    const saturation = summary.saturation
    if (!saturation) throw new Error('no saturation')
    expect(saturation.arms.map((a) => a.arm)).toEqual(['fast', 'slow'])
    for (const arm of saturation.arms) {
      expect(arm.steps.map((s) => s.label).slice(0, 2)).toEqual(['synchronous', 'throughput'])
      expectInterval(arm.outputTokensPerS, `${arm.arm} output tok/s`)
      expect(arm.outputTokensPerS?.estimate).toBeGreaterThan(0)
      expect(arm.requestsPerS).toBeGreaterThan(0)
      expect(arm.knee).toHaveProperty('ratePerS')
    }
    expect(saturation.ratios.map((r) => [r.baseline, r.arm])).toEqual([['fast', 'slow']])
    expectInterval(saturation.ratios[0]?.outputTokensPerS, 'ratio')
  }, 120_000)
})
