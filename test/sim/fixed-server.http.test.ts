import { request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { findFixedSimOptionProblem, startFixedSimServer, type FixedSimOptions, type RunningSimServer } from '../../src/sim/fixed-server.js'
import { readSse } from '../helpers/sse.js'

const servers: RunningSimServer[] = []

async function startServer(options: Partial<FixedSimOptions> = {}): Promise<RunningSimServer> {
  const server = await startFixedSimServer({ port: 0, ttftMs: 20, itlMs: 2, ...options })
  servers.push(server)
  return server
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

function post(server: RunningSimServer, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  })
}

/** Response bodies are checked field by field, so they are read untyped. */
const jsonOf = (response: Response): Promise<any> => response.json()

function metricValue(text: string, name: string, labelFragment = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && l.includes(labelFragment))
  if (line === undefined) throw new Error(`metric ${name} ${labelFragment} not found`)
  return Number(line.slice(line.lastIndexOf(' ') + 1))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const CHAT = { model: 'geopat-sim', messages: [{ role: 'user', content: 'Say something, please.' }] }

describe('fixed simulator: routes', () => {
  it('lists its one model, answers /health, and 404s unknown routes with an OpenAI error', async () => {
    const server = await startServer({ model: 'sim-8b' })
    const models = await jsonOf(await fetch(`${server.url}/v1/models`))
    expect(models.object).toBe('list')
    expect(models.data).toHaveLength(1)
    expect(models.data[0]).toMatchObject({ id: 'sim-8b', object: 'model' })

    expect((await fetch(`${server.url}/health`)).status).toBe(200)

    const missing = await fetch(`${server.url}/v2/nothing`)
    expect(missing.status).toBe(404)
    expect((await jsonOf(missing)).error).toMatchObject({ code: 404, type: expect.any(String), message: expect.any(String) })
  })

  it('refuses bad JSON (400), an unknown model (404) and min_tokens > max_tokens (400)', async () => {
    const server = await startServer()
    const badJson = await post(server, '/v1/chat/completions', '{"messages": [')
    expect(badJson.status).toBe(400)
    expect((await jsonOf(badJson)).error.code).toBe(400)

    const wrongModel = await post(server, '/v1/chat/completions', { ...CHAT, model: 'gpt-4o' })
    expect(wrongModel.status).toBe(404)
    expect((await jsonOf(wrongModel)).error.message).toContain('gpt-4o')

    const minOverMax = await post(server, '/v1/completions', { prompt: 'hi', max_tokens: 4, min_tokens: 8 })
    expect(minOverMax.status).toBe(400)
    expect((await jsonOf(minOverMax)).error.type).toBe('BadRequestError')

    expect(server.stats()).toMatchObject({ requests: 3, rejected: 3, completed: 0 })
  })
})

describe('fixed simulator: streaming', () => {
  it('streams chat like vLLM: role chunk, N content chunks, finish_reason, usage chunk, [DONE]', async () => {
    const server = await startServer()
    const response = await post(server, '/v1/chat/completions', {
      ...CHAT,
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const { events, brokenWith } = await readSse(response)
    expect(brokenWith).toBeUndefined()
    expect(events).toHaveLength(1 + 5 + 1 + 1)

    const [role, ...rest] = events
    expect(role!.json.choices[0].delta).toEqual({ role: 'assistant', content: '' })
    expect(role!.json.id).toMatch(/^chatcmpl-/)
    expect(role!.json.object).toBe('chat.completion.chunk')
    expect(role!.json.model).toBe('geopat-sim')
    expect(typeof role!.json.created).toBe('number')

    const tokens = rest.slice(0, 5)
    for (const [index, event] of tokens.entries()) {
      expect(event.json.id).toBe(role!.json.id)
      expect(event.json.choices[0].delta.content).toMatch(/^\S+ $/)
      expect(event.json.choices[0].finish_reason).toBe(index === 4 ? 'length' : null)
    }
    const usage = rest[5]!.json
    expect(usage.choices).toEqual([])
    const promptTokens = usage.usage.prompt_tokens
    expect(promptTokens).toBeGreaterThan(0)
    expect(usage.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 5, total_tokens: promptTokens + 5 })
    expect(rest[6]!.data).toBe('[DONE]')

    const stats = server.stats()
    expect(stats).toMatchObject({ requests: 1, completed: 1, running: 0, generationTokens: 5, promptTokens })
    expect(stats.emittedEvents).toBe(5)
  })

  it('streams completions text, and max_completion_tokens wins over max_tokens for chat', async () => {
    const server = await startServer()
    const { events } = await readSse(await post(server, '/v1/completions', { prompt: 'Once upon', max_tokens: 3, stream: true }))
    expect(events.map((e) => e.data).at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => e.json)
    expect(chunks).toHaveLength(3)
    expect(chunks[0].id).toMatch(/^cmpl-/)
    expect(chunks[0].object).toBe('text_completion')
    expect(chunks.map((c) => c.choices[0].text).join('')).toMatch(/^(\S+ ){3}$/)
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, 'length'])
    expect(chunks.every((c) => c.usage === undefined)).toBe(true)

    const chat = await readSse(await post(server, '/v1/chat/completions', { ...CHAT, max_tokens: 9, max_completion_tokens: 2, stream: true }))
    expect(chat.events.filter((e) => e.json?.choices?.[0]?.delta?.content)).toHaveLength(2)
  })

  it('puts cumulative usage on every chunk with continuous_usage_stats', async () => {
    const server = await startServer()
    const { events } = await readSse(
      await post(server, '/v1/chat/completions', {
        ...CHAT,
        max_tokens: 4,
        stream: true,
        stream_options: { include_usage: true, continuous_usage_stats: true },
      }),
    )
    const chunks = events.filter((e) => e.json !== undefined).map((e) => e.json)
    expect(chunks.map((c) => c.usage.completion_tokens)).toEqual([0, 1, 2, 3, 4, 4])
    for (const chunk of chunks) expect(chunk.usage.total_tokens).toBe(chunk.usage.prompt_tokens + chunk.usage.completion_tokens)
  })

  it('uses the default output length when the request sets none', async () => {
    const server = await startServer({ defaultOutputTokens: 7, itlMs: 0 })
    const { events } = await readSse(await post(server, '/v1/completions', { prompt: 'x', stream: true }))
    expect(events.filter((e) => e.json)).toHaveLength(7)
  })

  it('keeps TTFT and the token pace at least as long as configured', async () => {
    const server = await startServer({ ttftMs: 150, itlMs: 20 })
    const sentAt = performance.now()
    const { events } = await readSse(await post(server, '/v1/chat/completions', { ...CHAT, max_tokens: 6, stream: true }))
    const contentEvents = events.filter((e) => e.json?.choices?.[0]?.delta?.content)
    const firstTokenMs = contentEvents[0]!.atMs - sentAt
    // Generous margins: the server schedules from receipt, so the client sees at least the TTFT.
    expect(firstTokenMs).toBeGreaterThanOrEqual(148)
    expect(firstTokenMs).toBeLessThan(1500)
    // Lower bounds only: this client shares the server's event loop, so its reads can run late and
    // bunch up (the gap between two arrivals says little), but nothing can arrive early.
    const lastTokenMs = contentEvents.at(-1)!.atMs - sentAt
    expect(lastTokenMs).toBeGreaterThanOrEqual(150 + 5 * 20 - 2)
  })

  it('stops the events of a client that disconnects mid-stream, without errors', async () => {
    const server = await startServer({ ttftMs: 5, itlMs: 10 })
    const controller = new AbortController()
    const response = await post(server, '/v1/completions', { prompt: 'x', max_tokens: 1000, stream: true }, {}, controller.signal)
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    controller.abort()
    await sleep(100)
    const stats = server.stats()
    expect(stats).toMatchObject({ running: 0, aborted: 1, completed: 0 })
    expect(stats.generationTokens).toBeLessThan(50)
    const tokensAfterAbort = stats.generationTokens
    await sleep(50)
    expect(server.stats().generationTokens).toBe(tokensAfterAbort)
  })

  it('with coalesce = 4, delivers four SSE events per network read', async () => {
    const server = await startServer({ coalesce: 4, ttftMs: 10, itlMs: 15 })
    const eventsPerRead = await new Promise<number[]>((resolve, reject) => {
      const counts: number[] = []
      const req = httpRequest(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => counts.push((chunk.match(/"choices":\[\{/g) ?? []).length))
        res.on('end', () => resolve(counts))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(JSON.stringify({ prompt: 'x', max_tokens: 16, stream: true }))
    })
    // Reads with no token (the chunked terminator, say) are not writes of ours.
    expect(eventsPerRead.filter((count) => count > 0)).toEqual([4, 4, 4, 4])
    expect(server.stats().emittedEvents).toBe(4)
  })

  it('carries 300 concurrent streams to the end', async () => {
    const server = await startServer({ ttftMs: 30, itlMs: 5, jitterMs: 1 })
    const results = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const { events, brokenWith } = await readSse(await post(server, '/v1/completions', { prompt: 'x', max_tokens: 20, stream: true }))
        return { tokens: events.filter((e) => e.json).length, done: events.at(-1)?.data === '[DONE]', brokenWith }
      }),
    )
    expect(results.every((r) => r.tokens === 20 && r.done && r.brokenWith === undefined)).toBe(true)
    const stats = server.stats()
    expect(stats).toMatchObject({ requests: 300, completed: 300, running: 0, generationTokens: 6000, emittedEvents: 6000 })
    expect(stats.emitLatenessMaxMs).toBeGreaterThanOrEqual(0)
  })
})

describe('fixed simulator: non-streaming', () => {
  it('answers once after ttft + (n-1)·itl with the text and usage', async () => {
    const server = await startServer({ ttftMs: 50, itlMs: 10 })
    const sentAt = performance.now()
    const response = await post(server, '/v1/chat/completions', { ...CHAT, max_tokens: 6 })
    const body = await jsonOf(response)
    const elapsedMs = performance.now() - sentAt
    expect(response.status).toBe(200)
    expect(elapsedMs).toBeGreaterThanOrEqual(50 + 5 * 10 - 2)
    expect(body).toMatchObject({ object: 'chat.completion', model: 'geopat-sim' })
    expect(body.id).toMatch(/^chatcmpl-/)
    expect(body.choices[0].message.role).toBe('assistant')
    expect(body.choices[0].message.content).toMatch(/^(\S+ ){6}$/)
    expect(body.choices[0].finish_reason).toBe('length')
    expect(body.usage.completion_tokens).toBe(6)
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 6)

    const completion = await jsonOf(await post(server, '/v1/completions', { prompt: [1, 2, 3], max_tokens: 2 }))
    expect(completion.object).toBe('text_completion')
    expect(completion.choices[0].text).toMatch(/^(\S+ ){2}$/)
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })
  })
})

describe('fixed simulator: faults', () => {
  it('429 with Retry-After, 500 and an HTML 404, on demand', async () => {
    const server = await startServer({ faults: { retryAfterS: 7 } })
    const limited = await post(server, '/v1/chat/completions', CHAT, { 'x-geopat-fault': '429' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect((await jsonOf(limited)).error.code).toBe(429)

    const failed = await post(server, '/v1/chat/completions', CHAT, { 'x-geopat-fault': '500' })
    expect(failed.status).toBe(500)
    expect((await jsonOf(failed)).error.code).toBe(500)

    const html = await post(server, '/v1/chat/completions', CHAT, { 'x-geopat-fault': 'html404' })
    expect(html.status).toBe(404)
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('<html>')

    const unknown = await post(server, '/v1/chat/completions', CHAT, { 'x-geopat-fault': 'meteor' })
    expect(unknown.status).toBe(400)

    expect(server.stats().faults).toMatchObject({ '429': 1, '500': 1, html404: 1 })
  })

  it('hang: never answers until the client gives up', async () => {
    const server = await startServer()
    const controller = new AbortController()
    const pending = post(server, '/v1/chat/completions', { ...CHAT, stream: true }, { 'x-geopat-fault': 'hang' }, controller.signal)
    const outcome = await Promise.race([pending.then(() => 'answered'), sleep(200).then(() => 'still waiting')])
    expect(outcome).toBe('still waiting')
    controller.abort()
    await expect(pending).rejects.toThrow()
    await sleep(50)
    expect(server.stats()).toMatchObject({ faults: { hang: 1 }, aborted: 1, running: 0 })
  })

  it('cut: about half the tokens, then the connection drops without [DONE]', async () => {
    const server = await startServer()
    const response = await post(server, '/v1/completions', { prompt: 'x', max_tokens: 10, stream: true }, { 'x-geopat-fault': 'cut' })
    const { events, brokenWith } = await readSse(response)
    expect(brokenWith).toBeDefined()
    expect(events.filter((e) => e.json)).toHaveLength(5)
    expect(events.some((e) => e.data === '[DONE]')).toBe(false)
    expect(server.stats()).toMatchObject({ faults: { cut: 1 }, aborted: 1, completed: 0, generationTokens: 5 })
  })

  it('error-midstream: a few tokens, an error event, then [DONE]', async () => {
    const server = await startServer()
    const response = await post(server, '/v1/chat/completions', { ...CHAT, max_tokens: 10, stream: true }, { 'x-geopat-fault': 'error-midstream' })
    const { events, brokenWith } = await readSse(response)
    expect(brokenWith).toBeUndefined()
    expect(events.at(-1)!.data).toBe('[DONE]')
    const error = events.at(-2)!.json.error
    expect(error).toMatchObject({ type: 'internal_error', code: 500, message: expect.any(String) })
    const tokens = events.filter((e) => e.json?.choices?.[0]?.delta?.content)
    expect(tokens.length).toBeGreaterThan(0)
    expect(tokens.length).toBeLessThan(10)
    expect(events.some((e) => e.json?.choices?.[0]?.finish_reason)).toBe(false)
  })

  it('draws faults at random by rate, reproducibly for a seed', async () => {
    async function statuses(seed: number): Promise<number[]> {
      const server = await startServer({ seed, faults: { rate429: 0.3, rate500: 0.2 }, ttftMs: 0, itlMs: 0 })
      const result: number[] = []
      for (let i = 0; i < 40; i++) {
        const response = await post(server, '/v1/completions', { prompt: 'x', max_tokens: 1 })
        await response.arrayBuffer()
        result.push(response.status)
      }
      const { faults, completed } = server.stats()
      expect(faults['429'] + faults['500'] + completed).toBe(40)
      return result
    }
    const first = await statuses(42)
    expect(first).toContain(200)
    expect(first).toContain(429)
    expect(first).toContain(500)
    expect(await statuses(42)).toEqual(first)
  })
})

describe('fixed simulator: /metrics', () => {
  it('exposes vLLM-named counters and histograms whose counts follow the requests', async () => {
    const server = await startServer({ model: 'sim-model' })
    const before = await (await fetch(`${server.url}/metrics`)).text()
    expect(metricValue(before, 'vllm:prompt_tokens_total')).toBe(0)

    for (const stream of [true, false, true]) {
      const response = await post(server, '/v1/completions', { model: 'sim-model', prompt: 'hello world', max_tokens: 4, stream })
      await response.text()
    }
    const metricsResponse = await fetch(`${server.url}/metrics`)
    expect(metricsResponse.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    const text = await metricsResponse.text()
    const stats = server.stats()
    expect(stats.completed).toBe(3)

    expect(text).toContain('vllm:num_requests_running{model_name="sim-model",engine="0"} 0.0')
    expect(metricValue(text, 'vllm:num_requests_waiting')).toBe(0)
    expect(metricValue(text, 'vllm:kv_cache_usage_perc')).toBe(0)
    expect(metricValue(text, 'vllm:prompt_tokens_total')).toBe(stats.promptTokens)
    expect(metricValue(text, 'vllm:generation_tokens_total')).toBe(12)
    expect(metricValue(text, 'vllm:request_success_total', 'finished_reason="length"')).toBe(3)
    expect(metricValue(text, 'vllm:e2e_request_latency_seconds_count')).toBe(stats.completed)
    expect(metricValue(text, 'vllm:time_to_first_token_seconds_count')).toBe(3)
    expect(metricValue(text, 'vllm:inter_token_latency_seconds_count')).toBe(9)
    expect(metricValue(text, 'vllm:time_to_first_token_seconds_bucket', 'le="+Inf"')).toBe(3)
    // vLLM's bucket boundaries: TTFT has 22 finite ones from 1 ms, ITL 19 from 10 ms.
    expect(text.match(/vllm:time_to_first_token_seconds_bucket\{/g)).toHaveLength(23)
    expect(text.match(/vllm:inter_token_latency_seconds_bucket\{/g)).toHaveLength(20)
    expect(text).toContain('vllm:time_to_first_token_seconds_bucket{model_name="sim-model",engine="0",le="0.001"}')
    expect(text).toContain('vllm:e2e_request_latency_seconds_bucket{model_name="sim-model",engine="0",le="0.3"}')
    expect(metricValue(text, 'geopat_sim_emit_lateness_seconds_count')).toBe(stats.emittedEvents)
    expect(metricValue(text, 'geopat_sim_emit_lateness_seconds_sum')).toBeGreaterThanOrEqual(0)
  })
})

describe('fixed simulator: options', () => {
  it('names the broken option and its rule', () => {
    expect(findFixedSimOptionProblem({ ttftMs: 1, itlMs: -1 })).toBe('itlMs must be >= 0')
    expect(findFixedSimOptionProblem({ ttftMs: 1, itlMs: 1, coalesce: 0 }, (name) => `--${name}`)).toBe('--coalesce must be an integer >= 1')
    expect(findFixedSimOptionProblem({ ttftMs: Number.NaN, itlMs: 1 })).toBe('ttftMs must be a number')
    expect(findFixedSimOptionProblem({ ttftMs: 1, itlMs: 1, faults: { rate429: 0.6, rateCut: 0.6 } })).toContain('must add up to at most 1')
    expect(findFixedSimOptionProblem({ ttftMs: 1, itlMs: 1, jitterMs: 0.5, port: 0 })).toBeUndefined()
  })

  it('closes with streams, keep-alive connections and hung requests still open', async () => {
    const server = await startFixedSimServer({ port: 0, ttftMs: 5, itlMs: 50 })
    const stream = post(server, '/v1/completions', { prompt: 'x', max_tokens: 1000, stream: true })
    // Settled into a value at once: the rejection comes while the test awaits something else.
    const hungOutcome = post(server, '/v1/completions', { prompt: 'x' }, { 'x-geopat-fault': 'hang' }).then(
      () => 'answered',
      () => 'failed',
    )
    const streamResponse = await stream
    await sleep(30)
    await server.close()
    await expect(readSse(streamResponse).then((r) => r.brokenWith)).resolves.toBeDefined()
    expect(await hungOutcome).toBe('failed')
    expect(server.stats().running).toBe(0)
  })
})
