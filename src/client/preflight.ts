import type { Dispatcher } from 'undici'
import { UserError } from '../util/errors.js'
import { type ResolvedEndpoint, redactSecrets } from './endpoint.js'
import { describeErrorBody } from './openai.js'
import { firstHeaderValue } from '../util/http-header.js'

export interface ModelDiscovery {
  model: string
  available: string[] | null
  note: string | undefined
}

/**
 * Asks GET /v1/models before a run: it proves the endpoint is reachable and OpenAI-compatible, and
 * picks the model (the first one listed when none was given), so mistakes fail in one line before
 * any output is written.
 */
export async function discoverModel(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  requestedModel: string | undefined,
  timeoutMs: number,
): Promise<ModelDiscovery> {
  try {
    return await askForModels(endpoint, dispatcher, requestedModel, timeoutMs)
  } catch (error) {
    // A server may echo request headers in its error page: never let the key through.
    if (error instanceof UserError) throw new UserError(redactSecrets(error.message, endpoint), error.exitCode)
    throw error
  }
}

async function askForModels(
  endpoint: ResolvedEndpoint,
  dispatcher: Dispatcher,
  requestedModel: string | undefined,
  timeoutMs: number,
): Promise<ModelDiscovery> {
  const url = `${endpoint.origin}${endpoint.basePath}/v1/models`
  const headers: Record<string, string> = { accept: 'application/json', ...endpoint.headers }
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  let statusCode: number
  let contentType: string | undefined
  let text: string
  try {
    const response = await dispatcher.request({
      origin: endpoint.origin,
      path: `${endpoint.basePath}/v1/models`,
      method: 'GET',
      headers,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    statusCode = response.statusCode
    contentType = firstHeaderValue(response.headers['content-type'])
    text = await response.body.text()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code
    const message = redactSecrets((error as Error).message, endpoint)
    throw new UserError(`${endpoint.label}: cannot reach ${endpoint.origin} (${[code, message].filter(Boolean).join(': ')})`)
  }
  const isJson = (contentType ?? '').includes('json') || text.trim().startsWith('{')
  if (statusCode === 401 || statusCode === 403) {
    throw new UserError(`${endpoint.label}: GET ${url} answered ${statusCode} (${describeErrorBody(contentType, text)}): check --api-key-env and --header`)
  }
  if (statusCode !== 200 || !isJson) {
    if (!isJson) {
      throw new UserError(
        `${endpoint.label}: GET ${url} answered ${statusCode} ${contentType ?? 'without a content type'} (${describeErrorBody(contentType, text)}): not an OpenAI-compatible server`,
      )
    }
    if (requestedModel) {
      return { model: requestedModel, available: null, note: `GET /v1/models answered ${statusCode}; using --model ${requestedModel} unchecked` }
    }
    throw new UserError(`${endpoint.label}: GET ${url} answered ${statusCode} (${describeErrorBody(contentType, text)}); give --model`)
  }
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
