import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readTrace } from '../../src/input/trace/read-trace.js'
import { planTraceReplay } from '../../src/input/trace/replay-plan.js'
import { loadSchema } from '../../src/io/schema/scenario.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { traceStep, virtualReplay } from '../../src/load/trace-replay.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { REPO_ROOT } from '../helpers/cli.js'

/** The Mooncake sample replayed against the calibrated engine model in virtual time: no real clock, so the schedule is kept exactly. */
describe('a trace replayed in the simulator’s virtual time', () => {
  it('sends every row at its scaled time with its lengths', async () => {
    const path = join(REPO_ROOT, 'data', 'traces', 'mooncake-synthetic.jsonl')
    const trace = await readTrace(path)
    const plan = planTraceReplay({ file: path, ...trace }, { speedup: 2 })
    const load = loadSchema.parse({ trace: { file: path, speedup: 2 } })
    const { records, summary } = await runVirtual({
      profile: loadProfile('h100-sxm-llama-3.1-8b-bf16'),
      confidential: false,
      load: traceStep(load, plan),
      replay: virtualReplay(plan),
      inputTokens: 1,
      outputTokens: 1,
      seed: 1,
      keepRecords: true,
    })
    const byId = [...records].sort((a, b) => a.id - b.id)
    expect(byId).toHaveLength(trace.rows.length)
    const origin = trace.rows[0]?.timeMs ?? 0
    for (const [i, record] of byId.entries()) {
      const row = trace.rows[i]
      expect(record.intendedSendMs).toBeCloseTo(((row?.timeMs ?? 0) - origin) / 2, 9)
      expect(record.sendMs).toBeCloseTo(record.intendedSendMs, 9)
      expect(record.requestedInputTokens).toBe(row?.inputTokens)
      expect(record.requestedOutputTokens).toBe(Math.max(1, row?.outputTokens ?? 0))
    }
    expect(summary.requested.trace).toMatchObject({ format: 'mooncake', rows: trace.rows.length, speedup: 2 })
  })
})
