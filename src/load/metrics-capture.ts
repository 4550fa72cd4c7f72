import { appendFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { Client } from 'undici'
import { type ResolvedEndpoint, createControlClient } from '../client/endpoint.js'
import { scrapeMetrics } from '../client/prometheus.js'
import type { ServerMetricsLine } from '../io/schema/server-metrics.js'

/** The file beside records.jsonl (one serverMetricsLineSchema line per scrape). */
export const SERVER_METRICS_FILE = 'metrics.jsonl'
/** `geopat bench --scrape-metrics`: one scrape a second. */
const SCRAPE_EVERY_MS = 1000

/**
 * Scrapes an endpoint's Prometheus /metrics during each load step (`geopat bench
 * --scrape-metrics`) and appends the vllm:* samples to metrics.jsonl: the running and waiting
 * requests, the KV cache use, the token counters and the latency histograms' sums and counts, as
 * the server saw them. On a connection of its own (outside the measured requests' pool), each
 * scrape bounded in time and size (scrapeMetrics: 5 s, --max-response-bytes), one at a time. It
 * never fails the run: an endpoint that answers no /metrics at its first scrape is not asked again,
 * and a failed write or scrape only ends the capture, with one note.
 */
export class ServerMetricsCapture {
  private readonly controls = new Map<string, Client>()
  private readonly silent = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  private failed = false
  /** The current step's scrape, for a last one when it stops; and its first and last samples. */
  private scrapeNow: (() => Promise<void>) | undefined
  private firstSamples: Record<string, number> | undefined
  private lastSamples: Record<string, number> | undefined
  readonly notes: string[] = []

  constructor(
    private readonly path: string,
    private readonly options: { connectTimeoutMs: number; maxBytes: number; everyMs?: number },
  ) {}

  /** Starts scraping `endpoint` for `step`; `stepStartedAt` is performance.now() at the step's time origin. */
  start(endpoint: ResolvedEndpoint, step: number, stepStartedAt: number): void {
    this.stopTimer()
    this.firstSamples = undefined
    this.lastSamples = undefined
    if (this.failed || this.silent.has(endpoint.label)) return
    const key = endpoint.origin + endpoint.basePath
    let control = this.controls.get(key)
    if (!control) {
      control = createControlClient(endpoint, { connectTimeoutMs: this.options.connectTimeoutMs })
      this.controls.set(key, control)
    }
    const client = control
    const headers = { accept: 'text/plain', ...endpoint.headers, ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) }
    let scrapes = 0
    const scrape = async (): Promise<void> => {
      const samples = await scrapeMetrics(client, endpoint.origin, endpoint.basePath, headers, this.options.maxBytes)
      if (!samples) {
        if (scrapes === 0) {
          this.silent.add(endpoint.label)
          this.notes.push(`${endpoint.label}: no Prometheus /metrics answered; metrics.jsonl has none of its steps`)
          this.stopTimer()
        }
        return
      }
      scrapes++
      const vllm: Record<string, number> = {}
      for (const [name, value] of samples) if (name.startsWith('vllm:')) vllm[name] = value
      this.firstSamples ??= vllm
      this.lastSamples = vllm
      const line: ServerMetricsLine = { endpoint: endpoint.label, step, atMs: performance.now() - stepStartedAt, samples: vllm }
      try {
        appendFileSync(this.path, `${JSON.stringify(line)}\n`)
      } catch (error) {
        this.failed = true
        this.notes.push(`${this.path}: ${(error as Error).message}; the /metrics capture stopped (the run goes on)`)
        this.stopTimer()
      }
    }
    const tick = (): void => {
      if (this.inFlight) return
      this.inFlight = scrape()
        .catch(() => undefined)
        .finally(() => (this.inFlight = undefined))
    }
    this.scrapeNow = scrape
    tick()
    this.timer = setInterval(tick, this.options.everyMs ?? SCRAPE_EVERY_MS)
  }

  /** Ends the current step's scraping: waits for a scrape in flight, then scrapes once more (the step's last counters). */
  async stop(): Promise<void> {
    const wasScraping = this.timer !== undefined
    this.stopTimer()
    await this.inFlight
    const last = this.scrapeNow
    this.scrapeNow = undefined
    if (wasScraping && last) await last().catch(() => undefined)
  }

  /** How much counter `name` grew over the current (or last stopped) step's scrapes; undefined when not scraped twice. */
  counterGrowth(name: string): number | undefined {
    const first = this.firstSamples?.[name]
    const last = this.lastSamples?.[name]
    return first !== undefined && last !== undefined && this.firstSamples !== this.lastSamples ? last - first : undefined
  }

  async close(): Promise<void> {
    await this.stop()
    await Promise.all([...this.controls.values()].map((c) => c.close().catch(() => undefined)))
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
