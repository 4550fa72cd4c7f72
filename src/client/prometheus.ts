import type { Dispatcher } from 'undici'
import { requestBounded } from './bounded-request.js'

/**
 * Samples of a Prometheus text exposition, by metric name (label sets of one name added up;
 * `_bucket` lines skipped), plus `name:reason` for vllm:request_success_total's finished_reason.
 */
export type MetricSamples = Map<string, number>

export function parsePrometheusText(text: string): MetricSamples {
  const samples: MetricSamples = new Map()
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#') || raw.trim() === '') continue
    const match = line.exec(raw)
    if (!match) continue
    const name = match[1] as string
    if (name.endsWith('_bucket')) continue
    const value = Number(match[3])
    if (!Number.isFinite(value)) continue
    samples.set(name, (samples.get(name) ?? 0) + value)
    const reason = /finished_reason="([^"]*)"/.exec(match[2] ?? '')
    if (reason) samples.set(`${name}:${reason[1]}`, (samples.get(`${name}:${reason[1]}`) ?? 0) + value)
  }
  return samples
}

/**
 * GET /metrics at the server root (beside /v1), or undefined when the endpoint serves none, or
 * not within 5 s, or more than `maxBytes` of it.
 */
export async function scrapeMetrics(
  dispatcher: Dispatcher,
  origin: string,
  basePath: string,
  headers: Record<string, string>,
  maxBytes: number,
): Promise<MetricSamples | undefined> {
  try {
    const response = await requestBounded(dispatcher, { origin, path: `${basePath}/metrics`, method: 'GET', headers }, { deadlineMs: 5000, maxBytes })
    const text = response.text
    if (response.statusCode !== 200 || !/^# (HELP|TYPE) /m.test(text)) return undefined
    return parsePrometheusText(text)
  } catch {
    return undefined
  }
}

/** Difference of two scrapes for one name (a counter's or a histogram's _sum/_count). */
export function delta(before: MetricSamples, after: MetricSamples, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0)
}
