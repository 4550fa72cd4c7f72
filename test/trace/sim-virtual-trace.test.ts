import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runVirtualSim } from '../../src/app/sim.js'
import { SIM_FLAGS, simEndpointsFromFlags, virtualOptionsFromFlags } from '../../src/cli/flags/sim.js'
import { readFlags } from '../../src/cli/flags/table.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { traceConfigSchema } from '../../src/io/schema/trace.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { MOONCAKE_SAMPLE, type MooncakeRow, impliedReuse, mooncakeSampleRows } from '../helpers/mooncake.js'

/**
 * `geopat sim --virtual --trace`: the Mooncake sample replayed against the calibrated engine model
 * in virtual time. No real clock: every row is sent exactly at its time ÷ speedup, and the engine's
 * prefix hit rate is held to the reuse the hash ids imply, both recomputed here from the file.
 */
const MOONCAKE = join(REPO_ROOT, MOONCAKE_SAMPLE)
const PROFILE = 'h100-sxm-llama-3.1-8b-bf16'

const rows = mooncakeSampleRows()
/** Share of prompt tokens an unbounded cache would serve (test/helpers/mooncake.ts). */
const impliedShare = (replayed: readonly MooncakeRow[], wholeOnly: boolean): number => {
  const { reused, total } = impliedReuse(replayed, { wholeOnly })
  return reused / total
}

const endpoint = (prefixCaching: 'on' | 'off') => ({ ...simEndpointSchema.parse({ profile: PROFILE, prefixCaching }), profile: PROFILE })

describe('geopat sim --virtual --trace', () => {
  it('sends every row exactly at its time ÷ speedup, with its lengths, and the engine hits the prefix cache within 5% of what the hash ids imply', async () => {
    const result = await runVirtualSim({ endpoint: endpoint('on'), trace: traceConfigSchema.parse({ file: MOONCAKE, speedup: 2 }), keepRecords: true })
    const records = [...result.records].sort((a, b) => a.id - b.id)
    expect(records).toHaveLength(rows.length)
    const origin = rows[0]?.timestamp ?? 0
    for (const [i, record] of records.entries()) {
      const row = rows[i] as MooncakeRow
      expect(record.intendedSendMs).toBeCloseTo((row.timestamp - origin) / 2, 9)
      expect(record.sendMs).toBe(record.intendedSendMs)
      expect(record.inputTokens).toBe(row.input_length)
      expect(record.requestedOutputTokens).toBe(Math.max(1, row.output_length))
    }
    const expected = impliedShare(rows, false)
    expect(expected).toBeGreaterThan(0.2) // the sample has reuse to find
    const { queryTokens, hitTokens } = result.prefixCache
    expect(queryTokens).toBe(rows.reduce((sum, row) => sum + row.input_length, 0))
    expect(result.prefixHitRate).toBeCloseTo(hitTokens / queryTokens, 12)
    expect(Math.abs((result.prefixHitRate ?? 0) - expected)).toBeLessThanOrEqual(0.05 * expected)
    expect(result.impliedPrefixReuse).toBeCloseTo(impliedShare(rows, true), 12)
    expect(result.summary.requested.trace).toMatchObject({ format: 'mooncake', rows: rows.length, speedup: 2 })
  })

  it('with caching off finds nothing; --requests bounds the replay to the first rows', async () => {
    const off = await runVirtualSim({ endpoint: endpoint('off'), trace: traceConfigSchema.parse({ file: MOONCAKE }), requests: 40, keepRecords: true })
    expect(off.prefixHitRate).toBeNull()
    expect(off.prefixCache.hitTokens).toBe(0)
    expect(off.records.map((r) => r.inputTokens).sort()).toEqual(
      rows
        .slice(0, 40)
        .map((row) => row.input_length)
        .sort(),
    )
    expect(off.impliedPrefixReuse).toBeCloseTo(impliedShare(rows.slice(0, 40), true), 12)
  })
})

describe("sim --virtual's trace flags", () => {
  const optionsOf = (raw: Record<string, unknown>) => {
    const values = readFlags(SIM_FLAGS, { profile: PROFILE, virtual: true, ...raw })
    return virtualOptionsFromFlags(simEndpointsFromFlags(values), values)
  }

  it('set the trace to replay (no request bound needed)', () => {
    const options = optionsOf({ trace: 't.csv', 'trace-format': 'azure', speedup: '4', 'trace-window': '10:', 'trace-limit': '7' })
    expect(options.trace).toEqual({ file: 't.csv', format: 'azure', speedup: 4, window: { startS: 10 }, limit: 7 })
    expect(optionsOf({ trace: 't.csv' }).trace).toEqual({ file: 't.csv', speedup: 1 })
  })

  it('refuse in one line naming the flag', () => {
    expect(() => optionsOf({ trace: 't.csv', rate: '3' })).toThrow(/^--rate: a trace sets the arrivals and lengths itself/)
    expect(() => optionsOf({ trace: 't.csv', 'input-tokens': '30' })).toThrow(/^--input-tokens: /)
    expect(() => optionsOf({ trace: 't.csv', speedup: '0' })).toThrow(/^--speedup: /)
    expect(() => optionsOf({ trace: 't.csv', 'trace-window': '30:10' })).toThrow(/^--trace-window: the window must end after it starts/)
    expect(() => optionsOf({ speedup: '2', requests: '3' })).toThrow(/^--speedup needs --trace$/)
  })
})
