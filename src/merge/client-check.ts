import { type RequestRecord, connectedInSend } from '../io/schema/record.js'
import type { RunSummary } from '../io/schema/summary.js'
import { describeValues, emptyDistribution } from '../metrics/distribution.js'

type ClientCheck = RunSummary['client']

/** One shard's own self-check of a step, as its summary.json has it. */
export interface ShardClientCheck {
  index: number
  host: string
  check: ClientCheck
}

/**
 * The merged run's client self-check. What derives from records is pooled from the union, as
 * the load engine computes it per process (src/load/runner.ts, client-check.ts): an open loop's
 * send lateness (write − due, requests that did not connect in their send; only without a concurrency cap,
 * whose waits the records do not hold) and a closed loop's dispatch waits and their share. What
 * does not (event-loop delay and utilization) is the worst shard's, never an average; CPU cores and
 * worker threads are the sum over shards. Each shard's own check stays in the summary's `shards`.
 * The verdict: client-bound when any shard was, each reason naming its shard.
 */
export function mergeClientChecks(
  checks: readonly ShardClientCheck[],
  records: readonly RequestRecord[],
  load: { mode: 'closed' | 'open'; maxConcurrency: number | null },
): { client: ClientCheck; notes: string[] } {
  const notes: string[] = []
  const withoutSetUp = records.filter((record) => !connectedInSend(record))
  let sendLatenessMs = emptyDistribution()
  if (load.mode === 'open' && load.maxConcurrency === null) sendLatenessMs = describeValues(withoutSetUp.map((record) => record.sendMs - record.intendedSendMs))
  else if (load.mode === 'open')
    notes.push("send lateness not pooled (a concurrency cap's waits are not in the records): each shard's is in shards[].runs[].client")
  const waits = load.mode === 'closed' ? withoutSetUp.map((record) => record.dispatchWaitMs) : []
  const busyMs = load.mode === 'closed' ? withoutSetUp.reduce((sum, record) => sum + record.dispatchWaitMs + (record.endToEndLatencyMs ?? 0), 0) : 0
  const worst = (figure: (check: ClientCheck) => number): number => Math.max(0, ...checks.map((c) => figure(c.check)))
  const total = (figure: (check: ClientCheck) => number): number => checks.reduce((sum, c) => sum + figure(c.check), 0)
  if (checks.length === 0) notes.push('no shard wrote its client self-check: the client was not judged')
  const figures = {
    eventLoopDelayMeanMs: worst((c) => c.eventLoopDelayMeanMs),
    eventLoopDelayP99Ms: worst((c) => c.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: worst((c) => c.eventLoopDelayMaxMs),
    eventLoopUtilization: worst((c) => c.eventLoopUtilization),
    sendLatenessMs,
    dispatchWaitMs: describeValues(waits),
    dispatchWaitShare: busyMs > 0 ? waits.reduce((sum, wait) => sum + wait, 0) / busyMs : 0,
    cpuCores: total((c) => c.cpuCores),
    workers: Math.max(
      1,
      total((c) => c.workers),
    ),
  }
  return { client: { ...figures, ...mergedVerdict(checks) }, notes }
}

function mergedVerdict(checks: readonly ShardClientCheck[]): Pick<ClientCheck, 'verdict' | 'reasons' | 'advice'> {
  const name = (c: ShardClientCheck): string => `shard ${c.index} (${c.host})`
  const bound = checks.filter((c) => c.check.verdict === 'client-bound')
  if (bound.length > 0) {
    const advised = bound.find((c) => c.check.advice !== undefined)
    return {
      verdict: 'client-bound',
      reasons: bound.flatMap((c) => c.check.reasons.map((reason) => `${name(c)}: ${reason}`)),
      ...(advised ? { advice: `${name(advised)}: ${advised.check.advice}` } : {}),
    }
  }
  const lost = checks.filter((c) => c.check.verdict === 'server-lost')
  if (lost.length > 0) return { verdict: 'server-lost', reasons: lost.flatMap((c) => c.check.reasons.map((reason) => `${name(c)}: ${reason}`)) }
  return { verdict: 'ok', reasons: [] }
}
