import { execa } from 'execa'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunSummary } from '../../src/io/schema/summary.js'
import { REPO_ROOT, runCli } from '../helpers/cli.js'
import { simulatedEndpointsPerTest } from '../helpers/sim-endpoints.js'
import { encodeText } from '../../src/input/tokenizer.js'

/**
 * Simulated endpoints on 127.0.0.1 and `geopat sim` as a user starts it: what they serve, count,
 * print and exit with, never how long it took (the `integration` project). The claims on timing
 * (network RTT, cc tolls, cold start) are sim-endpoints.http.test.ts's, on a quiet real clock.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-sim-endpoints-'))
const SXM = 'h100-sxm-llama-3.1-8b-bf16'
const TINY_KV = join(REPO_ROOT, 'test', 'fixtures', 'tiny-kv-profile.yaml')

const start = simulatedEndpointsPerTest()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function metricLines(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' '))
}

function metricValue(text: string, name: string, labelFragment = ''): number {
  const line = metricLines(text, name).find((l) => l.includes(labelFragment))
  if (line === undefined) throw new Error(`metric ${name} ${labelFragment} not found in:\n${text}`)
  return Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('the engine model behind HTTP: preemption in /metrics', () => {
  it('a ~9k-token KV cache and 16 requests of 1000 + 400 tokens: requests wait and get preempted', async () => {
    const endpoint = await start('tiny', { profile: TINY_KV })
    const model = 'meta-llama/Llama-3.1-8B-Instruct'
    // A prompt of its own per request: the profile caches prefixes, and shared prompts would share their KV blocks.
    const promptOf = (r: number): number[] => Array.from({ length: 1000 }, (_, i) => 500 + r * 1000 + i)
    let peakWaiting = 0
    let peakKvUsage = 0
    let polling = true
    const poller = (async () => {
      while (polling) {
        const text = await (await fetch(`${endpoint.url}/metrics`)).text()
        peakWaiting = Math.max(peakWaiting, metricValue(text, 'vllm:num_requests_waiting'))
        peakKvUsage = Math.max(peakKvUsage, metricValue(text, 'vllm:kv_cache_usage_perc'))
        await sleep(50)
      }
    })()
    const answers = await Promise.all(
      Array.from({ length: 16 }, async (_, r) => {
        const response = await fetch(`${endpoint.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, prompt: promptOf(r), max_tokens: 400 }),
        })
        expect(response.status).toBe(200)
        return (await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }
      }),
    )
    polling = false
    await poller
    for (const answer of answers) expect(answer.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 400 })

    const text = await (await fetch(`${endpoint.url}/metrics`)).text()
    expect(metricValue(text, 'vllm:num_preemptions_total')).toBeGreaterThan(0)
    const cacheInfo = metricLines(text, 'vllm:cache_config_info')[0] ?? ''
    const blocks = Number(/num_gpu_blocks="(\d+)"/.exec(cacheInfo)?.[1])
    const blockSize = Number(/block_size="(\d+)"/.exec(cacheInfo)?.[1])
    expect(blockSize).toBe(16)
    // ~9k tokens of KV cache.
    expect(blocks * blockSize).toBeGreaterThan(5_000)
    expect(blocks * blockSize).toBeLessThan(15_000)
    expect(metricValue(text, 'vllm:request_success_total', 'finished_reason="length"')).toBe(16)
    expect(metricValue(text, 'vllm:generation_tokens_total')).toBe(16 * 400)
    expect(metricValue(text, 'vllm:num_requests_running')).toBe(0)
    expect(metricValue(text, 'vllm:num_requests_waiting')).toBe(0)
    // Seen while it ran: a queue, and a nearly full cache.
    expect(peakWaiting).toBeGreaterThan(0)
    expect(peakKvUsage).toBeGreaterThan(0.8)
  }, 40_000)
})

describe('faults for the first N requests only', () => {
  it('rate500 1 with firstRequests 3: requests 1–3 get 500, later ones succeed', async () => {
    const endpoint = await start('flaky', { ttftMs: 2, itlMs: 1, faults: { rate500: 1, firstRequests: 3 } })
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`${endpoint.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: `request ${i}` }], max_tokens: 3, stream: i % 2 === 0 }),
      })
      statuses.push(response.status)
      if (response.status === 500) {
        const body = (await response.json()) as { error: { message: string } }
        expect(body.error.message).toMatch(/simulated/)
      } else {
        await response.arrayBuffer()
      }
    }
    expect(statuses).toEqual([500, 500, 500, 200, 200, 200, 200])
    expect(endpoint.stats()).toMatchObject({ requests: 7, completed: 4 })
    expect(endpoint.stats().faults['500']).toBe(3)
  })
})

describe('geopat sim --config: one process, several ports', () => {
  it('serves each endpoint on its own port with its own model, and stops on SIGTERM with exit 0', async () => {
    const configPath = join(work, 'two-endpoints.yaml')
    writeFileSync(
      configPath,
      [
        'endpoints:',
        '  alpha:',
        '    model: alpha-model',
        '    ttftMs: 5',
        '    itlMs: 1',
        '    port: 0',
        '  beta:',
        `    profile: ${SXM}`,
        '    network: { rttMs: 2 }',
        '    port: 0',
        '',
      ].join('\n'),
    )
    const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'sim', '--config', configPath], {
      cwd: REPO_ROOT,
      reject: false,
      stdin: 'ignore',
      env: { CI: '1', GEOPAT_DEBUG: '' },
      timeout: 30_000,
    })
    try {
      const urls: Record<string, string> = {}
      let output = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the simulator did not start: ${output}`)), 20_000)
        child.stdout?.on('data', (data: Buffer) => {
          output += data.toString()
          for (const match of output.matchAll(/listening on (http:\/\/\S+) \(([^:]+):/g)) urls[match[2] as string] = match[1] as string
          if (urls.alpha && urls.beta) {
            clearTimeout(timer)
            resolve()
          }
        })
        child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
        void child.then((result) => {
          clearTimeout(timer)
          reject(new Error(`the simulator exited early (${result.exitCode}): ${output}`))
        })
      })
      const alpha = urls.alpha as string
      const beta = urls.beta as string
      expect(new URL(alpha).port).not.toBe(new URL(beta).port)
      expect(output).toContain('meta-llama/Llama-3.1-8B-Instruct')
      const models = async (url: string) => ((await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)
      expect(await models(alpha)).toEqual(['alpha-model'])
      expect(await models(beta)).toEqual(['meta-llama/Llama-3.1-8B-Instruct'])
      // Both generate, each with its own model name.
      for (const [url, model] of [
        [alpha, 'alpha-model'],
        [beta, 'meta-llama/Llama-3.1-8B-Instruct'],
      ] as const) {
        const response = await fetch(`${url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, prompt: 'hi', max_tokens: 3 }),
        })
        expect(response.status).toBe(200)
        expect(((await response.json()) as { model: string }).model).toBe(model)
      }
    } finally {
      child.kill('SIGTERM')
    }
    const result = await child
    expect(result.exitCode).toBe(0)
    expect(result.signal).toBeUndefined()
  })
})

describe('geopat sim --virtual', () => {
  it('prints a JSON summary of 100 requests at 5 req/s on a ShareGPT-like workload', async () => {
    const result = await runCli(['sim', '--virtual', '--profile', SXM, '--rate', '5', '--requests', '100', '--workload', 'sharegpt-like', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const output = JSON.parse(result.stdout) as { virtual: RunSummary; speedup: number; preemptions: number }
    expect(output.virtual.requests.succeeded).toBe(100)
    expect(output.virtual.metrics.ttft?.mean).toBeGreaterThan(0)
    expect(output.virtual.throughput.outputTokensPerS).toBeGreaterThan(0)
    expect(output.speedup).toBeGreaterThan(1)
    expect(output.preemptions).toBeGreaterThanOrEqual(0)
  })
})

describe('prefix caching behind HTTP: /metrics counts what vLLM counts', () => {
  const model = 'meta-llama/Llama-3.1-8B-Instruct'
  const ids = (seed: number, count: number): number[] => Array.from({ length: count }, (_, i) => seed * 10_000 + i)
  // Two shared "documents", each asked about three times with questions of their own, sent one after the other.
  const documents = [ids(1, 800), ids(2, 450)]
  const prompts = Array.from({ length: 6 }, (_, i) => [...(documents[i % 2] as number[]), ...ids(10 + i, 30 + 7 * i)])

  async function sendAll(url: string): Promise<string> {
    for (const prompt of prompts) {
      const response = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt, max_tokens: 2 }),
      })
      expect(response.status).toBe(200)
      await response.json()
    }
    return (await fetch(`${url}/metrics`)).text()
  }

  it('token-id prompts with shared documents: hits are the reuse rounded down to 16-token blocks', async () => {
    const text = await sendAll((await start('cached', { profile: SXM, prefixCaching: 'on' })).url)
    // By hand: the first prompt of each document finds nothing; the later ones its whole blocks.
    const expectedHits = 2 * (Math.floor(800 / 16) * 16) + 2 * (Math.floor(450 / 16) * 16)
    const total = prompts.reduce((sum, p) => sum + p.length, 0)
    expect(metricValue(text, 'vllm:prefix_cache_queries_total')).toBe(total)
    expect(metricValue(text, 'vllm:prefix_cache_hits_total')).toBe(expectedHits)
  })

  it('caching off (the shipped vLLM 0.6 profile as it is): no hits', async () => {
    const text = await sendAll((await start('uncached', { profile: SXM })).url)
    expect(metricValue(text, 'vllm:prefix_cache_hits_total')).toBe(0)
  })

  it('chat: a long system message shared by two conversations is a hit for the second', async () => {
    const endpoint = await start('chat-cached', { profile: SXM, prefixCaching: 'on' })
    const system = 'You answer questions about the harbour timetable. '.repeat(40)
    for (const question of ['When does the first ferry leave?', 'Is there a night boat on Sundays?']) {
      const response = await fetch(`${endpoint.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          max_tokens: 2,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: question },
          ],
        }),
      })
      expect(response.status).toBe(200)
      await response.json()
    }
    const text = await (await fetch(`${endpoint.url}/metrics`)).text()
    const systemTokens = encodeText(system).length
    // The second request hits at least the system message's whole blocks (its template header adds a few tokens in front).
    expect(metricValue(text, 'vllm:prefix_cache_hits_total')).toBeGreaterThanOrEqual(Math.floor(systemTokens / 16) * 16 - 16)
    expect(metricValue(text, 'vllm:prefix_cache_hits_total')).toBeLessThanOrEqual(systemTokens + 16)
  })
})

describe('reasoning and tool-call streams in vLLM shapes', () => {
  const model = 'geopat-sim'

  /** The data payloads of a streamed chat answer. */
  async function streamChat(url: string, body: Record<string, unknown>): Promise<Array<Record<string, any>>> {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
    })
    expect(response.status).toBe(200)
    const text = await response.text()
    const payloads = text
      .split('\n\n')
      .map((event) => event.replace(/^data: /, ''))
      .filter((data) => data !== '' && data !== '[DONE]')
    return payloads.map((data) => JSON.parse(data) as Record<string, any>)
  }

  it('a reasoning model: the first share of the answer on delta.reasoning, then content; reasoning_effort sets its own share', async () => {
    const endpoint = await start('reasoner', { ttftMs: 1, itlMs: 0, reasoning: { share: 0.25 } })
    const chunks = (await streamChat(endpoint.url, { max_tokens: 40 })).filter((c) => c.choices.length > 0 && c.choices[0].delta.role === undefined)
    expect(chunks).toHaveLength(40)
    const channels = chunks.map((c) => Object.keys(c.choices[0].delta)[0])
    expect(channels).toEqual([...Array(10).fill('reasoning'), ...Array(30).fill('content')])
    const high = (await streamChat(endpoint.url, { max_tokens: 40, reasoning_effort: 'high' })).filter((c) => c.choices[0]?.delta.reasoning !== undefined)
    expect(high).toHaveLength(30)
    const off = await streamChat(endpoint.url, { max_tokens: 40, chat_template_kwargs: { enable_thinking: false } })
    expect(off.filter((c) => c.choices[0]?.delta.reasoning !== undefined)).toHaveLength(0)
  })

  it('earlier vLLM: delta.reasoning_content', async () => {
    const endpoint = await start('reasoner-old', { ttftMs: 1, itlMs: 0, reasoning: { share: 0.5, field: 'reasoning_content' } })
    const chunks = await streamChat(endpoint.url, { max_tokens: 8 })
    expect(chunks.filter((c) => c.choices[0]?.delta.reasoning_content !== undefined)).toHaveLength(4)
  })

  it('tools with tool_choice required: one call, id and name first, then arguments that join into JSON; finish_reason tool_calls', async () => {
    const endpoint = await start('tools', { ttftMs: 1, itlMs: 0 })
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }]
    const chunks = await streamChat(endpoint.url, { max_tokens: 12, tools, tool_choice: 'required' })
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    expect(calls).toHaveLength(12)
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } })
    expect(calls[0].id).toMatch(/^chatcmpl-tool-/)
    const args = JSON.parse(calls.map((call: { function: { arguments: string } }) => call.function.arguments).join('')) as { query: string }
    expect(args.query.trim().split(' ')).toHaveLength(9)
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls')
    // Not streamed: the same answer in one message.
    const buffered = await fetch(`${endpoint.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 12, tools, tool_choice: 'required', reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }] }),
    })
    const answer = (await buffered.json()) as { choices: Array<{ finish_reason: string; message: Record<string, any> }>; usage: { completion_tokens: number } }
    const message = answer.choices[0]?.message as Record<string, any>
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls')
    expect(answer.usage.completion_tokens).toBe(12)
    // low effort: 3 of 12 tokens reasoning, one for the call's name, 8 argument pieces (the first opens, the last closes).
    expect((message.reasoning as string).trim().split(' ')).toHaveLength(3)
    expect(message.content).toBeNull()
    expect(message.tool_calls[0].function.name).toBe('get_weather')
    expect((JSON.parse(message.tool_calls[0].function.arguments) as { query: string }).query.trim().split(' ')).toHaveLength(6)
    // Without tool_choice (auto) the simulator answers in content.
    const auto = await streamChat(endpoint.url, { max_tokens: 5, tools })
    expect(auto.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])).toHaveLength(0)
  })
})
