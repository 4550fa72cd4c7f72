import type { RequestRecord } from '../io/schema/record.js'

/**
 * The measurement window of a run. Requests sent before `warmup` seconds or after `sendEnd − cooldown`
 * stay in records.jsonl but leave the statistics (`counts`). Throughput counts what arrived inside
 * [startMs, endMs] (`inside`), where start = warm-up end (or the first send) and end = cool-down start
 * (or, with no cool-down, the last completion: vLLM's convention, drain tail included).
 */
export interface MeasurementWindow {
  startMs: number
  endMs: number
  durationS: number
  /** The rule in words, as summary.json's window.rule says it. */
  rule: string
  /** Sent before the warm-up ended. */
  inWarmup(record: RequestRecord): boolean
  /** Sent after the cool-down started (and not in the warm-up). */
  inCooldown(record: RequestRecord): boolean
  /** The record's request counts in the statistics (sent after the warm-up, before the cool-down). */
  counts(record: RequestRecord): boolean
  /** The moment `t` (ms from the run's start) lies inside the throughput window. */
  inside(t: number): boolean
}

interface WindowSettings {
  warmupS: number
  cooldownS: number
  /** When sending stopped (ms from run start): the duration bound, or the last send. */
  sendEndMs: number
}

type RecordStream = () => Iterable<RequestRecord> | AsyncIterable<RequestRecord>

/** One pass over the records for the window's bounds that depend on the data (first send, last completion). */
export async function measurementWindow(readRecords: RecordStream, settings: WindowSettings): Promise<MeasurementWindow> {
  const warmupMs = settings.warmupS * 1000
  const cooldownMs = settings.cooldownS * 1000
  const cooldownStartMs = cooldownMs > 0 ? settings.sendEndMs - cooldownMs : Number.POSITIVE_INFINITY
  const inWarmup = (record: RequestRecord): boolean => record.sendMs < warmupMs
  const inCooldown = (record: RequestRecord): boolean => !inWarmup(record) && record.sendMs >= cooldownStartMs
  const counts = (record: RequestRecord): boolean => record.sendMs >= warmupMs && record.sendMs < cooldownStartMs
  let firstSendMs = Number.POSITIVE_INFINITY
  let lastCompletionMs = Number.NEGATIVE_INFINITY
  for await (const record of readRecords()) {
    if (record.sendMs < firstSendMs) firstSendMs = record.sendMs
    if (record.ok && counts(record)) {
      const completion = record.sendMs + (record.endToEndLatencyMs ?? 0)
      if (completion > lastCompletionMs) lastCompletionMs = completion
    }
  }
  const startMs = warmupMs > 0 ? warmupMs : Number.isFinite(firstSendMs) ? firstSendMs : 0
  const endMs = cooldownMs > 0 ? cooldownStartMs : Number.isFinite(lastCompletionMs) ? lastCompletionMs : startMs
  const windowMs = Math.max(0, endMs - startMs)
  const rule =
    warmupMs > 0 || cooldownMs > 0
      ? `requests sent in [${fmt(startMs)} ms, ${cooldownMs > 0 ? fmt(cooldownStartMs) : 'end'}) ` +
        `count; throughput = what arrived in [${fmt(startMs)}, ${fmt(endMs)}] ms`
      : `all requests count; throughput over first send → last completion (${fmt(startMs)} → ${fmt(endMs)} ms)`
  return { startMs, endMs, durationS: windowMs / 1000, rule, inWarmup, inCooldown, counts, inside: (t) => t >= startMs && t <= endMs }
}

function fmt(ms: number): string {
  return ms.toFixed(0)
}
