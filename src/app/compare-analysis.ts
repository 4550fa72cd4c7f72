import type { MetricSamples } from '../client/prometheus.js'
import { coalescingOf } from '../metrics/summarize.js'
import { peerMetrics } from '../metrics/peers.js'
import type { CompareConfig, CompareSummary } from '../io/schema/compare.js'
import type { RunSummary } from '../io/schema/summary.js'
import { deriveSeed, seededRandom, shuffleInPlace } from '../util/rng.js'
import { type CompareRecord, aaFloor, contrastArms, reconcile, splitOverhead, summarizeArm } from '../compare/analyze.js'
import type { ProbeResult } from '../compare/probe.js'

type Point = CompareConfig['operatingPoints'][number]

/** The order of the arms in round `round`: ABBA alternates, randomized shuffles with the seed. */
export function blockOrder(arms: readonly string[], design: CompareConfig['design'], round: number, seed: number): string[] {
  const order = [...arms]
  if (design === 'abba') return round % 2 === 0 ? order : order.reverse()
  shuffleInPlace(order, seededRandom(deriveSeed(seed, 1000 + round)))
  return order
}

/** Adds what the server counted between two scrapes to `total`. */
export function accumulate(total: MetricSamples, before: MetricSamples, after: MetricSamples): void {
  for (const [name, value] of after) total.set(name, (total.get(name) ?? 0) + value - (before.get(name) ?? 0))
}

/** What one operating point measured, for its statistics. */
export interface PointMeasurements {
  point: Point
  /** The arms in order, the baseline first (its A/A copy second when there is one). */
  arms: ReadonlyArray<{ label: string; url: string }>
  byArm: Map<string, CompareRecord[]>
  /** Each arm's server /metrics added up over its blocks (none: no reconciliation). */
  serverTotals?: Map<string, MetricSamples>
  /** Whether each arm's server answered /metrics around every block. */
  serverAvailable?: Map<string, boolean>
  /** Each arm's worst client self-check. */
  verdicts?: Map<string, RunSummary['client']>
  probes?: Map<string, ProbeResult>
  /** The order of the arms in each round. */
  orders: string[][]
  config: CompareConfig
  seed: number
}

/**
 * One operating point's statistics from its records: per arm, per contrast (the A/A copy first,
 * whose floor the other verdicts use), the overhead split, the /metrics reconciliation, the peers'
 * names and coalescing. Pure: the tests feed it records made in the simulator's virtual time.
 */
export function analyzePoint(measured: PointMeasurements): CompareSummary['operatingPoints'][number] {
  const { point, arms, byArm, config, seed } = measured
  const serverTotals = measured.serverTotals ?? new Map<string, MetricSamples>()
  const serverAvailable = measured.serverAvailable ?? new Map<string, boolean>()
  const verdicts = measured.verdicts ?? new Map<string, RunSummary['client']>()
  const probes = measured.probes ?? new Map<string, ProbeResult>()
  const records = (label: string): CompareRecord[] => byArm.get(label) ?? []
  const baseline = arms[0] as { label: string; url: string }
  const summaries = arms.map((arm) => summarizeArm(arm.label, arm.url, records(arm.label), config, seed))
  let floor: ReturnType<typeof aaFloor> | null = null
  const contrasts: CompareSummary['operatingPoints'][number]['contrasts'] = []
  for (const arm of arms.slice(1)) {
    const contrast = contrastArms(
      { label: baseline.label, records: records(baseline.label) },
      { label: arm.label, records: records(arm.label) },
      config,
      arm.label.endsWith('(A/A)') ? null : floor,
      seed,
    )
    if (config.aa && arm.label === `${baseline.label} (A/A)`) floor = aaFloor(contrast)
    contrasts.push(contrast)
  }
  const probeOf = (label: string) => probes.get(label)
  return {
    label: point.label,
    load: { concurrency: point.concurrency ?? null, ratePerS: point.rate ?? null },
    blockOrder: measured.orders,
    arms: summaries,
    contrasts,
    aaFloor: floor,
    overhead: contrasts
      .filter((c) => !c.arm.endsWith('(A/A)'))
      .map((c) => {
        const baselineProbe = probeOf(c.baseline)
        const armProbe = probeOf(c.arm)
        return splitOverhead(c, { ...(baselineProbe ? { baseline: baselineProbe } : {}), ...(armProbe ? { arm: armProbe } : {}) }, config.confidence)
      }),
    reconciliation: arms.map((arm) =>
      reconcile(
        arm.label,
        records(arm.label),
        serverAvailable.get(arm.label) ? { before: new Map(), after: serverTotals.get(arm.label) as MetricSamples } : undefined,
      ),
    ),
    peers: arms.flatMap((arm) => peerMetrics(records(arm.label).map((r) => r.record)).map((peer) => ({ arm: arm.label, ...peer }))),
    coalescing: arms.map((arm) => {
      const ok = records(arm.label)
        .map((r) => r.record)
        .filter((r) => r.ok)
      const reads = ok.reduce((sum, r) => sum + r.chunks.length, 0)
      const events = ok.reduce((sum, r) => sum + r.tokenEvents, 0)
      return { arm: arm.label, ...coalescingOf(events, reads) }
    }),
    clientVerdicts: arms.map((arm) => {
      const check = verdicts.get(arm.label)
      return { arm: arm.label, verdict: check?.verdict ?? 'ok', reasons: check?.reasons ?? [] }
    }),
    probe: [...probes.entries()].map(([arm, probe]) => ({ arm, ...probe })),
  }
}
