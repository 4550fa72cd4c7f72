import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { readTrace } from '../../src/input/trace/read-trace.js'
import { planTraceReplay } from '../../src/input/trace/replay-plan.js'
import { ClientMonitor } from '../../src/load/client-check.js'
import { StopSignal } from '../../src/load/runner.js'
import { runOpenLoop } from '../../src/load/send-loops.js'
import { shardStep } from '../../src/load/shard.js'
import { traceStep } from '../../src/load/trace-replay.js'
import { loadSchema } from '../../src/io/schema/scenario.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { join } from 'node:path'

/**
 * The open loop fed a trace's schedule: what the design guarantees, whatever the machine's load —
 * every row sent once, each with its scheduled time as the intended time, none before it is due.
 * (How late sends are is a real-clock figure: bench/trace-replay-lateness.mjs measures it.)
 */
async function replay(sendTimesMs: readonly number[], shard?: { index: number; count: number }) {
  const load = loadSchema.parse({ trace: { file: 'x.jsonl' } })
  const plan = {
    file: 'x.jsonl',
    format: 'geopat' as const,
    fileRows: sendTimesMs.length,
    rows: sendTimesMs.map((t, i) => ({ timeMs: t, inputTokens: 1, outputTokens: 1, prefixBlocks: [], line: i + 1 })),
    sendTimesMs: [...sendTimesMs],
    speedup: 1,
    startS: 0,
    endS: null,
    ratePerS: null,
  }
  const step = shard ? shardStep(traceStep(load, plan), shard) : traceStep(load, plan)
  const startedAt = performance.now()
  const elapsed = (): number => performance.now() - startedAt
  const sends: Array<{ intended: number; due: number; at: number }> = []
  const limit = shard ? Math.ceil((sendTimesMs.length - shard.index) / shard.count) : sendTimesMs.length
  await runOpenLoop(step, {
    sendOne: async (intended, due) => void sends.push({ intended, due, at: elapsed() }),
    canSendMore: () => sends.length < limit,
    withinDuration: () => true,
    elapsed,
    monitor: new ClientMonitor(),
    inFlightNow: () => 0,
    setSlotListener: () => undefined,
    stop: new StopSignal(),
  })
  return sends
}

describe('replaying a trace through the open loop', () => {
  it('sends every row once, intended at exactly its scaled time, never before it', async () => {
    const path = join(REPO_ROOT, 'data', 'traces', 'mooncake-synthetic.jsonl')
    const trace = await readTrace(path)
    // ×2000: the sample's minute of arrivals in ~30 ms of real time.
    const plan = planTraceReplay({ file: path, ...trace }, { speedup: 2000, limit: 120 })
    const sends = await replay(plan.sendTimesMs)
    expect(sends).toHaveLength(120)
    const expected = trace.rows.slice(0, 120).map((row) => (row.timeMs - (trace.rows[0]?.timeMs ?? 0)) / 2000)
    expect(sends.map((send) => send.intended)).toEqual(expected)
    expect(sends.map((send) => send.due)).toEqual(expected)
    for (const send of sends) expect(send.at).toBeGreaterThanOrEqual(send.intended)
  })

  it('a shard sends the rows i ≡ k (mod N) of the whole schedule, at the whole schedule times', async () => {
    const times = Array.from({ length: 11 }, (_, i) => i * 1.5)
    const sends = await replay(times, { index: 2, count: 4 })
    expect(sends.map((send) => send.intended)).toEqual([times[2], times[6], times[10]])
  })
})
