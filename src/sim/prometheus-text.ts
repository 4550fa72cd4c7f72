/**
 * Just enough of the Prometheus text exposition format (version 0.0.4) for the simulator's
 * /metrics: counters, gauges, histograms and count/sum summaries, formatted the way vLLM's
 * Python prometheus_client formats them (floats as "1.0", "+Inf" buckets, `_total` counters).
 */

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Ordered label pairs (order is kept in the output, as prometheus_client does). */
export type Labels = ReadonlyArray<readonly [name: string, value: string]>

/** A histogram with fixed upper bounds, as Prometheus keeps it (plus the implicit +Inf bucket). */
export class BucketHistogram {
  /** Per-bucket (not cumulative) counts; the last slot is the +Inf bucket. */
  private readonly counts: number[]
  sum = 0
  count = 0

  constructor(readonly upperBounds: readonly number[]) {
    this.counts = new Array<number>(upperBounds.length + 1).fill(0)
  }

  observe(value: number): void {
    // First bound >= value (Prometheus buckets are "less than or equal").
    let low = 0
    let high = this.upperBounds.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((this.upperBounds[mid] as number) < value) low = mid + 1
      else high = mid
    }
    this.counts[low] = (this.counts[low] as number) + 1
    this.sum += value
    this.count++
  }

  /** Cumulative counts per upper bound, ending with +Inf. */
  cumulativeBuckets(): Array<{ upperBound: number; cumulativeCount: number }> {
    let running = 0
    const bounds = [...this.upperBounds, Number.POSITIVE_INFINITY]
    return bounds.map((upperBound, index) => {
      running += this.counts[index] as number
      return { upperBound, cumulativeCount: running }
    })
  }
}

/** Formats a number the way prometheus_client does: 3 → "3.0", Infinity → "+Inf". */
function formatPrometheusNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  if (Number.isNaN(value)) return 'NaN'
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`
  return String(value)
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return ''
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`
}

/** Accumulates metric families and renders them as one exposition text. */
export class PrometheusTextWriter {
  private readonly lines: string[] = []

  private header(name: string, help: string, type: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
  }

  private sample(name: string, labels: Labels, value: number): void {
    this.lines.push(`${name}${formatLabels(labels)} ${formatPrometheusNumber(value)}`)
  }

  gauge(name: string, help: string, samples: ReadonlyArray<{ labels: Labels; value: number }>): this {
    this.header(name, help, 'gauge')
    for (const { labels, value } of samples) this.sample(name, labels, value)
    return this
  }

  /** `name` includes the `_total` suffix, as in vLLM's exposition. */
  counter(name: string, help: string, samples: ReadonlyArray<{ labels: Labels; value: number }>): this {
    this.header(name, help, 'counter')
    for (const { labels, value } of samples) this.sample(name, labels, value)
    return this
  }

  histogram(name: string, help: string, labels: Labels, histogram: BucketHistogram): this {
    this.header(name, help, 'histogram')
    for (const { upperBound, cumulativeCount } of histogram.cumulativeBuckets()) {
      this.sample(`${name}_bucket`, [...labels, ['le', formatPrometheusNumber(upperBound)]], cumulativeCount)
    }
    this.sample(`${name}_count`, labels, histogram.count)
    this.sample(`${name}_sum`, labels, histogram.sum)
    return this
  }

  /** A summary without quantiles: only `_count` and `_sum`. */
  summary(name: string, help: string, labels: Labels, count: number, sum: number): this {
    this.header(name, help, 'summary')
    this.sample(`${name}_count`, labels, count)
    this.sample(`${name}_sum`, labels, sum)
    return this
  }

  text(): string {
    return `${this.lines.join('\n')}\n`
  }
}
