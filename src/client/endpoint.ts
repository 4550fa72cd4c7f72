import { Client, type buildConnector } from 'undici'
import { StreamPool } from './stream-pool.js'
import type { EndpointConfig } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { readNamedFile } from '../io/schema/load-file.js'
import { redactAndCut, redactText, secretList } from '../util/redact.js'

/** An endpoint ready to receive requests: its base URL, secrets resolved, TLS material loaded. */
export interface ResolvedEndpoint {
  label: string
  origin: string
  /** Path prefix before /v1 (empty for most servers, e.g. "/openai" behind a gateway). */
  basePath: string
  api: 'chat' | 'completions'
  headers: Record<string, string>
  /** Kept apart from headers so that nothing that prints headers can print the key. */
  apiKey: string | undefined
  tls: { rejectUnauthorized: boolean; ca?: Buffer; cert?: Buffer; key?: Buffer }
  config: EndpointConfig
}

export function resolveEndpoint(config: EndpointConfig, source: string): ResolvedEndpoint {
  // Simulated endpoints get their URL when geopat starts them (src/load/sim-target.ts).
  if (config.url === undefined) throw new Error(`${source}: the simulated endpoint was not started`)
  const url = new URL(config.url)
  const basePath = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')
  let apiKey: string | undefined
  if (config.apiKeyEnv) {
    apiKey = process.env[config.apiKeyEnv]
    if (apiKey === undefined || apiKey === '') {
      throw new UserError(`${source}: apiKeyEnv: environment variable ${config.apiKeyEnv} is not set`)
    }
  }
  const readMaterial = (field: string, path: string | undefined): Buffer | undefined => (path ? readNamedFile(source, field, path) : undefined)
  if (Boolean(config.certFile) !== Boolean(config.keyFile)) {
    throw new UserError(`${source}: certFile/keyFile: a client certificate needs both --cert and --key`)
  }
  const tls: ResolvedEndpoint['tls'] = { rejectUnauthorized: !config.insecure }
  const ca = readMaterial('caFile', config.caFile)
  const cert = readMaterial('certFile', config.certFile)
  const key = readMaterial('keyFile', config.keyFile)
  if (ca) tls.ca = ca
  if (cert) tls.cert = cert
  if (key) tls.key = key
  for (const name of Object.keys(config.headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UserError(`${source}: headers.${name}: not a valid HTTP header name`)
    }
  }
  return {
    label: config.label ?? `${url.host}${basePath}`,
    origin: url.origin,
    basePath,
    api: config.api,
    headers: { ...config.headers },
    apiKey,
    tls,
    config,
  }
}

/** Request headers for this endpoint (the Authorization header is added here and nowhere else). */
export function requestHeaders(endpoint: ResolvedEndpoint, extra?: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    ...endpoint.headers,
    ...extra,
  }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  return headers
}

/** How to connect to the endpoint: connect timeout, TLS verification and material, no Nagle. */
function connectOptions(endpoint: ResolvedEndpoint, connectTimeoutMs: number): buildConnector.BuildOptions {
  return {
    timeout: connectTimeoutMs,
    rejectUnauthorized: endpoint.tls.rejectUnauthorized,
    ...(endpoint.tls.ca ? { ca: endpoint.tls.ca } : {}),
    ...(endpoint.tls.cert ? { cert: endpoint.tls.cert } : {}),
    ...(endpoint.tls.key ? { key: endpoint.tls.key } : {}),
    noDelay: true,
  }
}

/**
 * Keep-alive connections for the streamed requests of one endpoint (see StreamPool). geopat's own
 * deadlines replace undici's header/body timeouts, which would otherwise cut long generations.
 */
export function createStreamPool(endpoint: ResolvedEndpoint, options: { connectTimeoutMs: number }): StreamPool {
  return new StreamPool(endpoint.origin, {
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    connect: connectOptions(endpoint, options.connectTimeoutMs),
  })
}

/** A plain connection for one-off requests (GET /v1/models before a run). */
export function createControlClient(endpoint: ResolvedEndpoint, options: { connectTimeoutMs: number }): Client {
  return new Client(endpoint.origin, { connect: connectOptions(endpoint, options.connectTimeoutMs) })
}

/** The secrets of an endpoint: its API key and every header value the user gave (see src/util/redact.ts). */
function endpointSecrets(endpoint: Pick<ResolvedEndpoint, 'apiKey' | 'headers'>): string[] {
  return secretList([endpoint.apiKey, ...Object.values(endpoint.headers)])
}

/**
 * Hides every secret of the endpoint and every key-shaped token in a text from a server or an
 * error (e.g. an echoed header), then cuts it to `max` characters when given: redaction comes
 * first, so a secret straddling the cut cannot leave a prefix behind.
 */
export function redactSecrets(text: string, endpoint: Pick<ResolvedEndpoint, 'apiKey' | 'headers'>, max?: number): string {
  const secrets = endpointSecrets(endpoint)
  return max === undefined ? redactText(text, secrets) : redactAndCut(text, secrets, max)
}

/** An endpoint checked and ready: its connection pool and the model it serves. */
export interface PreparedEndpoint {
  endpoint: ResolvedEndpoint
  pool: StreamPool
  model: string
}
