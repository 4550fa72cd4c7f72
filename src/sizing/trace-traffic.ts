/**
 * A trace as the traffic of a capacity search (src/sizing/simulated-capacity.ts): its rows' lengths
 * and hash ids as they are, sent at the trace's own times scaled to the rate tried (the speedup is
 * the searched rate ÷ the trace's own mean rate), the whole trace once per rate. Its hash ids name
 * the engine's blocks as `geopat sim --virtual --trace` names them (traceRowBlockHashes at the
 * profile's block size), so the prefix cache sees the trace's reuse.
 */
import { impliedPrefixReuse } from '../input/trace/prefix-reuse.js'
import type { TraceConfig } from '../io/schema/trace.js'
import { loadTraceReplay, virtualReplay } from '../load/trace-replay.js'
import { traceRowBlockHashes } from '../sim/engine/prefix-cache.js'
import { UserError } from '../util/errors.js'
import { type SimulatedTraffic, momentsOf } from './traffic.js'

export interface TraceTraffic extends SimulatedTraffic {
  /** The trace in words: file, format, rows, its own rate and the reuse its hash ids imply. */
  detail: string
  /** The trace's own mean rate (req/s): the search's speedup is the rate found ÷ this. */
  ownRatePerS: number
  impliedPrefixReuse: number
}

/** Reads the trace (its window and limit; its speedup is what the search moves) as a traffic for `blockSize`-token engine blocks. */
export async function traceTraffic(trace: TraceConfig, blockSize: number): Promise<TraceTraffic> {
  const plan = await loadTraceReplay({ ...trace, speedup: 1 })
  const ownRatePerS = plan.ratePerS
  if (ownRatePerS === null || plan.rows.length < 2) throw new UserError(`${trace.file}: sizing a trace needs at least two rows at different times`)
  const { lengths } = virtualReplay(plan, traceRowBlockHashes(blockSize))
  const reuse = impliedPrefixReuse(plan.rows).rate
  const lastSendMs = plan.sendTimesMs[plan.sendTimesMs.length - 1] as number
  return {
    shape: 'trace',
    arrival: 'request',
    requestsPerArrival: 1,
    moments: momentsOf(lengths),
    send: (_seed, ratePerS) => {
      const speedup = ratePerS / ownRatePerS
      return {
        inputTokens: 1,
        outputTokens: 1,
        replay: { lengths, sendTimesMs: plan.sendTimesMs.map((ms) => ms / speedup) },
        // The whole trace once: sends end with its last row.
        durationS: lastSendMs / speedup / 1000 + 0.001,
      }
    },
    rampS: () => 0,
    wholeRun: true,
    detail:
      `trace ${plan.file} (${plan.format}, ${plan.rows.length} rows, ${ownRatePerS.toFixed(2)} req/s at its own pace; ` +
      `its hash ids imply ${(reuse * 100).toFixed(0)}% prefix reuse)`,
    ownRatePerS,
    impliedPrefixReuse: reuse,
  }
}
