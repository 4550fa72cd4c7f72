import type { Dispatcher } from 'undici'
import { UserError } from '../util/errors.js'
import { type ResolvedEndpoint, redactSecrets } from './endpoint.js'
import { describeErrorBody } from './openai.js'
import { firstHeaderValue } from '../util/http-header.js'
import { BoundedRequestError, requestBounded } from './bounded-request.js'

export interface ModelDiscovery {
  model: string
  available: string[] | null
  note: string | undefined
}

export interface ModelDiscoveryBounds {
  /** The whole check (connection, answer, body) ends within this, ms. */
  deadlineMs: number
  /** Largest /v1/models body read. */
  maxBytes: number
  /** Ctrl-C: abandons the check at once. */
  signal?: AbortSignal
}

/**
 * Asks GET /v1/models before a run: it proves the endpoint is reachable and OpenAI-compatible, and
 * picks the model (the first one listed when none was given), so mistakes fail in one line before
 * any output is written. The check has one overall deadline and a size cap, and stops on Ctrl-C.
 */
export async function discoverModel(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  requestedModel: string | undefined,
  bounds: ModelDiscoveryBounds,
): Promise<ModelDiscovery> {
  try {
    return await askForModels(endpoint, dispatcher, requestedModel, bounds)
  } catch (error) {
    // A server may echo request headers in its error page: never let a secret through.
    if (error instanceof UserError) throw new UserError(redactSecrets(error.message, endpoint), error.exitCode)
    throw error
  }
}

/** GET /v1/models within the bounds: its status, content type and body; one line naming the endpoint when it cannot be asked. */
async function fetchModelList(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  bounds: ModelDiscoveryBounds,
): Promise<{ statusCode: number; contentType: string | undefined; text: string }> {
  const url = `${endpoint.origin}${endpoint.basePath}/v1/models`
  const headers: Record<string, string> = { accept: 'application/json', ...endpoint.headers }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  try {
    const response = await requestBounded(dispatcher, { origin: endpoint.origin, path: `${endpoint.basePath}/v1/models`, method: 'GET', headers }, bounds)
    return { statusCode: response.statusCode, contentType: firstHeaderValue(response.headers['content-type']), text: response.text }
  } catch (error) {
    if (error instanceof BoundedRequestError) {
      if (error.reason === 'interrupted') throw new UserError(`${endpoint.label}: interrupted while waiting for GET ${url}`, 130)
      const flag = error.reason === 'deadline' ? ' (the models check ends within min(2 × --connect-timeout, 30 s, --total-timeout))' : ''
      throw new UserError(`${endpoint.label}: GET ${url}: ${error.message}${flag}`)
    }
    const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code
    const message = redactSecrets((error as Error).message, endpoint)
    throw new UserError(`${endpoint.label}: cannot reach ${endpoint.origin} (${[code, message].filter(Boolean).join(': ')})`)
  }
}

async function askForModels(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  requestedModel: string | undefined,
  bounds: ModelDiscoveryBounds,
): Promise<ModelDiscovery> {
  const url = `${endpoint.origin}${endpoint.basePath}/v1/models`
  const redact = (text: string): string => redactSecrets(text, endpoint)
  const { statusCode, contentType, text } = await fetchModelList(endpoint, dispatcher, bounds)
  const isJson = (contentType ?? '').includes('json') || text.trim().startsWith('{')
  if (statusCode === 401 || statusCode === 403) {
    throw new UserError(
      `${endpoint.label}: GET ${url} answered ${statusCode} (${describeErrorBody(contentType, text, redact)}): check --api-key-env and --header`,
    )
  }
  if (statusCode !== 200 || !isJson) {
    if (!isJson) {
      throw new UserError(
        `${endpoint.label}: GET ${url} answered ${statusCode} ${contentType ?? 'without a content type'} ` +
          `(${describeErrorBody(contentType, text, redact)}): not an OpenAI-compatible server`,
      )
    }
    if (requestedModel) {
      return { model: requestedModel, available: null, note: `GET /v1/models answered ${statusCode}; using --model ${requestedModel} unchecked` }
    }
    throw new UserError(`${endpoint.label}: GET ${url} answered ${statusCode} (${describeErrorBody(contentType, text, redact)}); give --model`)
  }
  return chooseModel(endpoint, url, text, requestedModel)
}

/** The model to use from a /v1/models list: the one asked for (if listed), or the first. */
function chooseModel(endpoint: ResolvedEndpoint, url: string, text: string, requestedModel: string | undefined): ModelDiscovery {
  let ids: string[]
  try {
    const parsed = JSON.parse(text) as { data?: Array<{ id?: unknown }> }
    ids = (parsed.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === 'string')
  } catch {
    throw new UserError(`${endpoint.label}: GET ${url} did not return JSON: not an OpenAI-compatible server`)
  }
  if (requestedModel) {
    if (ids.length > 0 && !ids.includes(requestedModel)) {
      throw new UserError(`${endpoint.label}: unknown model "${requestedModel}"; the server offers: ${ids.slice(0, 10).join(', ')}`)
    }
    return { model: requestedModel, available: ids, note: undefined }
  }
  const first = ids[0]
  if (!first) throw new UserError(`${endpoint.label}: GET ${url} lists no model; give --model`)
  return { model: first, available: ids, note: undefined }
}
