import { Readable } from 'node:stream'
import { EnvHttpProxyAgent, RetryAgent, type Dispatcher, request } from 'undici'
import { redactText, secretList } from '../../util/redact.js'

/**
 * The HTTP(S) client of `geopat catalog refresh`: GET only, through the proxy the environment names
 * (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, read by undici's EnvHttpProxyAgent), with a time limit on
 * connecting, on the response's headers and between body chunks, and retries with exponential
 * backoff that honour a 429's or 503's Retry-After (undici's RetryAgent; not written here).
 * TLS verification stays on: there is no flag to turn it off, a price is not worth an unverified one.
 * Every failure is one line naming the URL (with any secret the caller names taken out).
 */
export interface HttpClientOptions {
  /** Connect, headers and between-chunks limit, each (default 30 s). */
  timeoutMs?: number
  /** Retries after the first try, for 429, 5xx, resets and timeouts (default 4). */
  retries?: number
  /** First backoff (default 500 ms); each next one doubles, up to maxBackoffMs. */
  minBackoffMs?: number
  /** Longest wait between tries, Retry-After included (default 30 s). */
  maxBackoffMs?: number
  /** Header values to send with every request (an API key header); never printed. */
  headers?: Record<string, string>
  /** Values to take out of any error line (API keys). Header values are always taken out. */
  secrets?: string[]
  /** A dispatcher to use instead of the proxy-aware one (tests). */
  dispatcher?: Dispatcher
}

export interface HttpClient {
  /** The body parsed as JSON; a body that is not JSON is an error naming the URL. */
  getJson(url: string, headers?: Record<string, string>): Promise<unknown>
  /** The body as text. */
  getText(url: string, headers?: Record<string, string>): Promise<string>
  /** The body as a stream, for price files too large to hold (AWS's offer files). */
  getStream(url: string, headers?: Record<string, string>): Promise<Readable>
  /** Takes the client's secrets out of a text (for error lines built elsewhere). */
  redact(text: string): string
  close(): Promise<void>
}

/** A failed request: one line, URL included, secrets out. */
class HttpFetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'HttpFetchError'
  }
}

const RETRIED_STATUS = [429, 500, 502, 503, 504]
const RETRIED_ERRORS = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 30_000
  const base = options.dispatcher ?? new EnvHttpProxyAgent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  const dispatcher = new RetryAgent(base, {
    maxRetries: options.retries ?? 4,
    minTimeout: options.minBackoffMs ?? 500,
    maxTimeout: options.maxBackoffMs ?? 30_000,
    timeoutFactor: 2,
    retryAfter: true,
    methods: ['GET'],
    statusCodes: RETRIED_STATUS,
    errorCodes: RETRIED_ERRORS,
  })
  // The proxy the environment names may carry a password (undici sends it as Proxy-Authorization): never in a line.
  const secrets = secretList([...Object.values(options.headers ?? {}), ...(options.secrets ?? []), ...proxyCredentials(process.env)])
  const redact = (text: string): string => redactText(text, secrets)
  /** Redaction for one request: the client's secrets and the values of the headers it sent (an API key header). */
  const redactFor = (headers: Record<string, string>): ((text: string) => string) => {
    if (Object.keys(headers).length === 0) return redact
    const withHeaders = secretList([...secrets, ...Object.values(headers)])
    return (text) => redactText(text, withHeaders)
  }

  async function open(url: string, headers: Record<string, string>, hide: (text: string) => string): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData
    try {
      response = await request(url, { method: 'GET', dispatcher, headers: { 'user-agent': 'geopat-catalog-refresh', ...options.headers, ...headers } })
    } catch (error) {
      const status = (error as { code?: string; statusCode?: number }).code === 'UND_ERR_REQ_RETRY' ? (error as { statusCode?: number }).statusCode : undefined
      const tries = (options.retries ?? 4) + 1
      const what = status !== undefined ? `HTTP ${status}, ${tries} tries` : `${describeNetworkError(error)}, after up to ${tries} tries`
      throw new HttpFetchError(hide(`GET ${url}: ${what}`), hide(url), status)
    }
    if (response.statusCode >= 400) {
      const body = await response.body.text().catch(() => '')
      const detail = body.replace(/\s+/g, ' ').trim().slice(0, 160)
      throw new HttpFetchError(hide(`GET ${url}: HTTP ${response.statusCode}${detail ? ` (${detail})` : ''}`), hide(url), response.statusCode)
    }
    return response
  }

  async function readText(url: string, response: Dispatcher.ResponseData, hide: (text: string) => string): Promise<string> {
    try {
      return await response.body.text()
    } catch (error) {
      throw new HttpFetchError(hide(`GET ${url}: the response broke off: ${describeNetworkError(error)}`), hide(url), response.statusCode)
    }
  }

  return {
    async getJson(url, headers = {}) {
      const hide = redactFor(headers)
      const response = await open(url, headers, hide)
      const text = await readText(url, response, hide)
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new HttpFetchError(hide(`GET ${url}: the response is not JSON (${text.slice(0, 60).replace(/\s+/g, ' ')}…)`), hide(url), response.statusCode)
      }
    },
    async getText(url, headers = {}) {
      const hide = redactFor(headers)
      return readText(url, await open(url, headers, hide), hide)
    },
    async getStream(url, headers = {}) {
      const response = await open(url, headers, redactFor(headers))
      return Readable.from(response.body)
    },
    redact,
    async close() {
      await dispatcher.close()
    },
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: string }).code
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timed out (${code})`
  return `${error.message}${code ? ` (${code})` : ''}${cause}`
}

/** A proxy URL's password (HTTPS_PROXY=http://user:pass@proxy:3128): never printed. */
export function proxyCredentials(env: NodeJS.ProcessEnv): string[] {
  const credentials: string[] = []
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
    const value = env[name]
    if (!value) continue
    try {
      const url = new URL(value)
      if (url.password) credentials.push(url.password, decodeURIComponent(url.password), `${url.username}:${url.password}`)
    } catch {
      // not a URL: undici refuses it and says so
    }
  }
  return credentials
}
