import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Random } from '../util/rng.js'
import { DeadlineScheduler } from './deadline-scheduler.js'
import { FAULT_HEADER, createFaultDrawer, forcedFault, type FaultRates } from './faults.js'
import { BufferedGeneration, StreamingGeneration, type GenerationContext } from './generation.js'
import { HTML_404_PAGE, StreamChunkFormatter, errorBody, modelsListBody, newCompletionId, type ApiError, type GenerationEndpoint } from './openai-format.js'
import { parseGenerationRequest } from './openai-request.js'
import type { ReasoningOption } from './output-plan.js'
import { countTokens } from '../input/tokenizer.js'
import { PROMETHEUS_TEXT_CONTENT_TYPE } from './prometheus-text.js'
import { type FaultKind, SimMetrics, type SimStats } from './sim-metrics.js'
import type { TimingModel } from './timing.js'
import { type NetworkPath, LOOPBACK, oneWayDelayMs, setupLeftMs } from './network.js'
import type { Socket } from 'node:net'
import type { EngineGauges } from './sim-metrics.js'
import type { SimRequestLog } from './request-log.js'
import { firstHeaderValue } from '../util/http-header.js'

const DEFAULT_SIM_HOST = '127.0.0.1'
const DEFAULT_SIM_MODEL = 'geopat-sim'
const DEFAULT_OUTPUT_TOKENS = 64
const DEFAULT_RETRY_AFTER_S = 1

/** Request bodies above this are refused with 413 (prompts of a few MB are already extreme). */
const MAX_BODY_BYTES = 32 * 1024 * 1024

export interface SimServerOptions {
  host?: string
  /** 0 = any free port. */
  port?: number
  model?: string
  /** Tokens per socket write (default 1). */
  coalesce?: number
  /** Output length when a request sets no max_tokens (default 64). */
  defaultOutputTokens?: number
  /** A reasoning model: that share of each chat answer streamed on the reasoning channel first. */
  reasoning?: ReasoningOption
  faults?: FaultRates
  /** Seeded source for random faults (needed when any fault rate is > 0). */
  faultRandom?: Random
  /** Busy-wait for deadlines closer than this (ms) for sub-ms precision, at a CPU cost (default 0). */
  spinBelowMs?: number
  /** Where token times come from: a fixed schedule, or a calibrated engine model's feed. */
  timing: TimingModel
  /** The scheduler token writes use; an engine model must share it (default: a new one). */
  scheduler?: DeadlineScheduler
  /** The simulated network between client and server (default: none beyond loopback). */
  network?: NetworkPath
  /** Seeded source for network jitter (needed when network.jitterMs > 0). */
  networkRandom?: Random
  /** Random faults strike only the first N generation requests (0 = any request). */
  faultFirstRequests?: number
  /** Gauges and counters of the engine model for /metrics. */
  engineGauges?: EngineGauges
  /** One line per generation request, on the machine's clock (see SimRequestLog). */
  requestLog?: SimRequestLog
  /** The endpoint's name in the request log. */
  name?: string
  /** Confidential endpoints: the body of GET /v1/attestation/report for a request's query. */
  attestationReport?: (query: URLSearchParams) => Promise<unknown>
}

export interface RunningSimServer {
  /** Base URL, e.g. http://127.0.0.1:8000 (the OpenAI API is under /v1). */
  url: string
  port: number
  /** Ends every stream and connection and stops listening. */
  close(): Promise<void>
  stats(): SimStats
}

const GENERATION_ROUTES: Readonly<Record<string, GenerationEndpoint>> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completion',
}
const ATTESTATION_ROUTE = '/v1/attestation/report'
const GET_ROUTES = new Set(['/v1/models', '/health', '/metrics'])

function sendJson(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers })
  response.end(body)
}

function sendError(response: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  sendJson(response, error.status, errorBody(error), headers)
}

/** Reads a request body as text, or undefined when it is over the limit. */
function readBody(request: IncomingMessage, onBody: (body: string | undefined) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  request.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size <= MAX_BODY_BYTES) chunks.push(chunk)
  })
  request.on('end', () => onBody(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')))
  // A client that leaves mid-body gets nothing; 'close' on the socket cleans up.
  request.on('error', () => undefined)
}

/** What every route handler of one server shares: its settings, counters and open requests. */
interface FrontEnd {
  options: SimServerOptions
  model: string
  defaultOutputTokens: number
  retryAfterS: number
  timing: TimingModel
  metrics: SimMetrics
  network: NetworkPath
  deliveryDelayMs: () => number
  /**
   * When each socket connected (performance.now()), until its first request: only that request waits
   * for what is left of the connection's handshakes (a socket connected ahead has done them).
   */
  connectedAtMs: WeakMap<Socket, number>
  context: GenerationContext
  /** A random fault for the current generation request, or undefined (see faultFirstRequests). */
  drawFault: () => FaultKind | undefined
  generationRequests: number
  /** Requests held open by the `hang` fault until their client leaves (or the server closes). */
  hanging: Set<ServerResponse>
  serverStartedS: number
}

/** Validates the options and builds the state the handlers share. */
function createFrontEnd(options: SimServerOptions): FrontEnd {
  const model = options.model ?? DEFAULT_SIM_MODEL
  const metrics = new SimMetrics(model)
  metrics.engine = options.engineGauges
  const network = options.network ?? LOOPBACK
  if (network.jitterMs > 0 && options.networkRandom === undefined) throw new RangeError('startSimServer: network jitter needs networkRandom')
  const networkRandom = options.networkRandom
  const context: GenerationContext = {
    scheduler: options.scheduler ?? new DeadlineScheduler({ spinBelowMs: options.spinBelowMs ?? 0 }),
    metrics,
    coalesce: options.coalesce ?? 1,
    active: new Set(),
    ...(options.requestLog ? { requestLog: options.requestLog, endpointName: options.name ?? '' } : {}),
  }
  const anyFaultRate = [options.faults?.rate429, options.faults?.rate500, options.faults?.rateCut, options.faults?.rateHang].some((rate) => (rate ?? 0) > 0)
  if (anyFaultRate && options.faultRandom === undefined) throw new RangeError('startSimServer: fault rates need faultRandom')
  const drawRandomFault = options.faultRandom !== undefined ? createFaultDrawer(options.faults ?? {}, options.faultRandom) : () => undefined
  const faultFirstRequests = options.faultFirstRequests ?? 0
  const front: FrontEnd = {
    options,
    model,
    defaultOutputTokens: options.defaultOutputTokens ?? DEFAULT_OUTPUT_TOKENS,
    retryAfterS: options.faults?.retryAfterS ?? DEFAULT_RETRY_AFTER_S,
    timing: options.timing,
    metrics,
    network,
    deliveryDelayMs: (): number => oneWayDelayMs(network, networkRandom),
    connectedAtMs: new WeakMap<Socket, number>(),
    context,
    drawFault: () => (faultFirstRequests > 0 && front.generationRequests > faultFirstRequests ? undefined : drawRandomFault()),
    generationRequests: 0,
    hanging: new Set<ServerResponse>(),
    serverStartedS: Math.floor(Date.now() / 1000),
  }
  return front
}

/**
 * Answers a front-door fault (a gateway's, or an overloaded server's: they come before any
 * validation). Returns false when `fault` is not one (none, or one that strikes mid-stream).
 */
function answerFrontDoorFault(front: FrontEnd, fault: FaultKind | undefined, response: ServerResponse): boolean {
  const metrics = front.metrics
  switch (fault) {
    case '429':
      metrics.faults['429']++
      sendError(
        response,
        { status: 429, type: 'RateLimitError', message: 'Too many requests (simulated by geopat sim)' },
        { 'retry-after': String(front.retryAfterS) },
      )
      return true
    case '500':
      metrics.faults['500']++
      sendError(response, {
        status: 500,
        type: 'InternalServerError',
        message: 'Internal server error (simulated by geopat sim)',
      })
      return true
    case 'html404': {
      metrics.faults.html404++
      response.writeHead(404, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(HTML_404_PAGE) })
      response.end(HTML_404_PAGE)
      return true
    }
    case 'hang':
      // Accept and never answer: no headers until the client gives up.
      metrics.faults.hang++
      front.hanging.add(response)
      response.on('close', () => {
        if (front.hanging.delete(response)) metrics.aborted++
      })
      return true
    default:
      return false
  }
}

/** One generation request as it arrived: its route, connection and clock readings. */
interface ArrivedGeneration {
  endpoint: GenerationEndpoint
  request: IncomingMessage
  response: ServerResponse
  fault: FaultKind | undefined
  /** What is left of the connection's setup (setupLeftMs): all of it for a request sent on connecting, 0 on a kept-alive or preconnected socket. */
  setupLeftMs: number
  headersAtMs: number
  receivedAtMs: number
}

/** Parses a generation request's body and starts its (streamed or buffered) answer. */
function startGeneration(front: FrontEnd, arrived: ArrivedGeneration, rawBody: string): void {
  const { endpoint, response, fault } = arrived
  const { metrics, model } = front
  const parsed = parseGenerationRequest(endpoint, rawBody, model, front.defaultOutputTokens, front.options.reasoning)
  if (!parsed.ok) {
    metrics.rejected++
    return sendError(response, parsed.error)
  }
  const generationRequest = parsed.request
  if (fault === 'cut') metrics.faults.cut++
  if (fault === 'error-midstream') metrics.faults['error-midstream']++
  metrics.promptTokens += generationRequest.promptTokens

  const schedule = front.timing({
    endpoint,
    model,
    promptTokens: generationRequest.promptTokens,
    promptTokenIds: generationRequest.promptTokenIds,
    outputTokens: generationRequest.outputTokens,
    plainAnswer: generationRequest.output === undefined,
    stream: generationRequest.stream,
    receivedAtMs: arrived.receivedAtMs,
  })
  const id = newCompletionId(endpoint)
  const createdS = Math.floor(Date.now() / 1000)
  const setup = {
    context: front.context,
    response,
    request: generationRequest,
    schedule,
    receivedAtMs: arrived.receivedAtMs,
    requestDelayMs: arrived.setupLeftMs + front.deliveryDelayMs(),
    deliveryDelayMs: front.deliveryDelayMs,
    ending: fault === 'cut' ? ('cut' as const) : fault === 'error-midstream' ? ('error' as const) : ('complete' as const),
    id,
    createdS,
    headersAtMs: arrived.headersAtMs,
    requestId: firstHeaderValue(arrived.request.headers['x-request-id']) ?? null,
  }
  if (generationRequest.stream) {
    const formatter = new StreamChunkFormatter({
      endpoint,
      id,
      createdS,
      model,
      promptTokens: generationRequest.promptTokens,
      continuousUsage: generationRequest.continuousUsage,
      ...(generationRequest.output ? { output: { plan: generationRequest.output, tokens: generationRequest.outputTokens } } : {}),
    })
    new StreamingGeneration(setup, formatter).start()
  } else {
    new BufferedGeneration(setup).start()
  }
}

function handleGeneration(front: FrontEnd, endpoint: GenerationEndpoint, request: IncomingMessage, response: ServerResponse): void {
  const headersAtMs = performance.now()
  const metrics = front.metrics
  metrics.requests++
  front.generationRequests++
  const socket = request.socket
  const connectedAtMs = front.connectedAtMs.get(socket)
  front.connectedAtMs.delete(socket)
  const setupLeft = connectedAtMs === undefined ? 0 : setupLeftMs(front.network, headersAtMs - connectedAtMs)
  const forced = forcedFault(request.headers[FAULT_HEADER])
  readBody(request, (rawBody) => {
    const receivedAtMs = performance.now()
    if (!forced.ok) {
      metrics.rejected++
      return sendError(response, { status: 400, type: 'BadRequestError', message: forced.message })
    }
    if (rawBody === undefined) {
      metrics.rejected++
      return sendError(response, { status: 413, type: 'RequestTooLarge', message: `body over ${MAX_BODY_BYTES} bytes` })
    }
    const fault = forced.fault ?? front.drawFault()
    if (answerFrontDoorFault(front, fault, response)) return
    startGeneration(front, { endpoint, request, response, fault, setupLeftMs: setupLeft, headersAtMs, receivedAtMs }, rawBody)
  })
}

function handleAttestationReport(request: IncomingMessage, response: ServerResponse, attestationReport: (query: URLSearchParams) => Promise<unknown>): void {
  const query = new URL(request.url ?? '/', 'http://simulator').searchParams
  if (!/^[0-9a-fA-F]{2,128}$/.test(query.get('nonce') ?? '')) {
    return sendError(response, { status: 400, type: 'BadRequestError', message: 'nonce: give 1 to 64 bytes as hex digits' })
  }
  attestationReport(query).then(
    (body) => sendJson(response, 200, JSON.stringify(body)),
    (error: unknown) => sendError(response, { status: 500, type: 'InternalServerError', message: `attestation report: ${(error as Error).message}` }),
  )
}

function handle(front: FrontEnd, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?', 1)[0] as string
  const method = request.method ?? 'GET'
  const endpoint = GENERATION_ROUTES[path]
  if (endpoint !== undefined && method === 'POST') return handleGeneration(front, endpoint, request, response)
  if (method === 'GET' && path === '/v1/models') return sendJson(response, 200, modelsListBody(front.model, front.serverStartedS))
  if (method === 'GET' && path === '/health') {
    response.writeHead(200, { 'content-length': 0 })
    response.end()
    return
  }
  const attestationReport = front.options.attestationReport
  if (method === 'GET' && path === ATTESTATION_ROUTE && attestationReport) return handleAttestationReport(request, response, attestationReport)
  if (method === 'GET' && path === '/metrics') {
    const text = front.metrics.prometheusText()
    response.writeHead(200, { 'content-type': PROMETHEUS_TEXT_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
    response.end(text)
    return
  }
  // Drain any body so that the keep-alive connection stays usable after the error.
  request.resume()
  if (endpoint !== undefined || GET_ROUTES.has(path)) {
    return sendError(response, { status: 405, type: 'MethodNotAllowed', message: `Method ${method} not allowed on ${path}` })
  }
  sendError(response, { status: 404, type: 'NotFoundError', message: `Route ${method} ${path} not found` })
}

/**
 * Starts the OpenAI-compatible simulator front end (routes, SSE, faults, /metrics) on top of a
 * pluggable timing model.
 */
export async function startSimServer(options: SimServerOptions): Promise<RunningSimServer> {
  // The tokenizer loads its tables on first use (~100 ms): pay that now, not in a request's TTFT.
  countTokens('warm up the tokenizer')
  const host = options.host ?? DEFAULT_SIM_HOST
  const front = createFrontEnd(options)
  const server = createServer(
    {
      // Long streams and idle keep-alive pools must not be cut by Node's defaults; requestTimeout
      // (time to receive a whole request) is off so that a slow upload is the client's business.
      keepAliveTimeout: 65_000,
      headersTimeout: 66_000,
      requestTimeout: 0,
    },
    (request, response) => handle(front, request, response),
  )
  // Nagle would hold small SSE writes back for the ACK of the previous one: tokens would bunch.
  server.on('connection', (socket) => {
    front.connectedAtMs.set(socket, performance.now())
    socket.setNoDelay(true)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // A deep accept backlog: thousands of clients connect at the same instant in a load test.
    server.listen({ host, port: options.port ?? 0, backlog: 4096 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => front.metrics.snapshot(),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        front.context.scheduler.stop()
        for (const generation of [...front.context.active]) generation.terminate()
        for (const response of [...front.hanging]) response.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
