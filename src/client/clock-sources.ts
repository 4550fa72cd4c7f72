/**
 * The clocks a shard measures itself against before its load: the endpoint's HTTP Date header
 * (through the endpoint's own connection settings: TLS, CA, client certificate, key) and the time
 * source the shards share (--time-source: `ntp://host[:port]` or an `http(s)://` URL's Date).
 */
import { Client, type Dispatcher } from 'undici'
import type { ClockOffset } from '../io/schema/shard.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { firstHeaderValue } from '../util/http-header.js'
import { requestBounded } from './bounded-request.js'
import { type ClockReading, type DateProbeOptions, hostNowUnixMs, measureSecondClock, parseHttpDate } from './clock-offset.js'
import { type ResolvedEndpoint, createControlClient } from './endpoint.js'
import { NTP_DEFAULT_PORT, measureSntpOffset } from './sntp.js'

/** What --time-source names: an SNTP server or an HTTP(S) URL whose Date header is read. */
export type TimeSource = { kind: 'ntp'; host: string; port: number; label: string } | { kind: 'http'; url: URL; label: string }

/** `text` with any user-info of a URL (`//user:password@`) hidden: an error line never repeats a credential. */
const withoutUserInfo = (text: string): string => text.replace(/\/\/[^/?#\s]*@/, '//…@')

/** Reads --time-source; one line naming the rule when it is neither form (never repeating a user:password given in it). */
export function parseTimeSource(text: string): TimeSource {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UserError(`"${withoutUserInfo(text)}" is not a URL: give ntp://host[:port] or an http(s):// URL`)
  }
  if (url.protocol === 'ntp:') {
    if (url.hostname === '') throw new UserError(`"${withoutUserInfo(text)}": ntp:// needs a host`)
    const port = url.port === '' ? NTP_DEFAULT_PORT : Number(url.port)
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    return { kind: 'ntp', host, port, label: `ntp://${url.host}` }
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    // No user-info or query in outputs: either could hold a secret.
    return { kind: 'http', url, label: `${url.origin}${url.pathname}` }
  }
  throw new UserError(`"${withoutUserInfo(text)}": scheme ${url.protocol} is neither ntp: nor http(s):`)
}

/**
 * How late a server's Date may still name the second before: servers cache the string (Node
 * renews it by a timer at each tick, nginx once per event-loop turn), so it can lag the tick by
 * a timer's or a turn's lateness. Allowed for on the late side of every Date reading.
 */
export const DATE_CACHE_LAG_MS = 10

export interface ClockProbeBounds {
  /** Each request ends within this, ms. */
  deadlineMs: number
  maxBytes: number
  signal?: AbortSignal
}

/** One GET through `dispatcher`, timed on this host's clock, its Date header read. */
async function readDate(dispatcher: Dispatcher, request: Omit<Dispatcher.RequestOptions, 'signal'>, bounds: ClockProbeBounds): Promise<ClockReading> {
  const sentAtUnixMs = hostNowUnixMs()
  const response = await requestBounded(dispatcher, request, bounds)
  const receivedAtUnixMs = hostNowUnixMs()
  const date = parseHttpDate(firstHeaderValue(response.headers.date))
  if (date === undefined) throw new Error('the answer has no readable Date header')
  return { sentAtUnixMs, receivedAtUnixMs, otherUnixMs: date, resolutionMs: 1000 + DATE_CACHE_LAG_MS }
}

/**
 * The offset against the endpoint's Date header, asking GET /v1/models (the request its check
 * made); undefined, with the reason, when it gives none.
 */
export async function measureEndpointDate(
  endpoint: ResolvedEndpoint,
  connectTimeoutMs: number,
  bounds: ClockProbeBounds,
  probeOptions: DateProbeOptions = {},
): Promise<{ offset: ClockOffset } | { reason: string }> {
  const control = createControlClient(endpoint, { connectTimeoutMs })
  const headers: Record<string, string> = { accept: 'application/json', ...endpoint.headers }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  const request = { origin: endpoint.origin, path: `${endpoint.basePath}/v1/models`, method: 'GET' as const, headers }
  try {
    return { offset: await measureSecondClock(() => readDate(control, request, bounds), 'endpoint-date', probeOptions) }
  } catch (error) {
    return { reason: (error as Error).message }
  } finally {
    await control.destroy().catch(() => undefined)
  }
}

/** The offset against the shared time source; rejects with one line naming it when it cannot be read. */
export async function measureTimeSource(source: TimeSource, bounds: ClockProbeBounds, probeOptions: DateProbeOptions = {}): Promise<ClockOffset> {
  try {
    if (source.kind === 'ntp') return await measureSntpOffset(source.host, source.port, source.label, { timeoutMs: Math.min(bounds.deadlineMs, 2000) })
    const client = new Client(source.url.origin, { connect: { timeout: bounds.deadlineMs } })
    const request = { origin: source.url.origin, path: `${source.url.pathname}${source.url.search}`, method: 'HEAD' as const }
    try {
      return await measureSecondClock(() => readDate(client, request, bounds), source.label, probeOptions)
    } finally {
      await client.destroy().catch(() => undefined)
    }
  } catch (error) {
    if (bounds.signal?.aborted) throw new OptionMessageError(`{timeSource} ${source.label}: interrupted while reading its clock`, 130)
    throw new OptionMessageError(`{timeSource} ${source.label}: cannot read its clock (${(error as Error).message})`)
  }
}
