import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../src/client/endpoint.js'
import { ServerMetricsCapture } from '../../src/load/metrics-capture.js'
import { endpointSchema } from '../../src/io/schema/scenario.js'
import { serverMetricsLineSchema } from '../../src/io/schema/server-metrics.js'
import { linesIn, waitUntil } from '../helpers/wait.js'

/** A server on 127.0.0.1:0 answering /metrics with `body` (or 404 when null). */
async function serve(body: () => string | null): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const text = request.url === '/metrics' ? body() : null
    response.writeHead(text === null ? 404 : 200, { 'content-type': 'text/plain' }).end(text ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

describe('geopat bench --scrape-metrics', () => {
  it('appends one schema-valid line of vllm:* samples per scrape, tagged with the endpoint and step', async () => {
    let running = 0
    const { url, server } = await serve(
      () =>
        '# HELP vllm:num_requests_running x\n# TYPE vllm:num_requests_running gauge\n' +
        `vllm:num_requests_running{model_name="m"} ${running++}\nprocess_cpu_seconds_total 3\n`,
    )
    servers.push(server)
    const path = join(mkdtempSync(join(tmpdir(), 'geopat-scrape-')), 'metrics.jsonl')
    const capture = new ServerMetricsCapture(path, { connectTimeoutMs: 2000, maxBytes: 100_000, everyMs: 20 })
    capture.start(resolveEndpoint(endpointSchema.parse({ url, label: 'sim' }), 'test'), 3, performance.now())
    await waitUntil(() => linesIn(path) >= 3, 10_000, '3 scrapes')
    await capture.close()
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => serverMetricsLineSchema.parse(JSON.parse(line)))
    expect(lines[0]).toMatchObject({ endpoint: 'sim', step: 3, samples: { 'vllm:num_requests_running': 0 } })
    // Only vllm:* samples; successive scrapes in order.
    for (const line of lines) expect(Object.keys(line.samples)).toEqual(['vllm:num_requests_running'])
    expect(lines.map((l) => l.samples['vllm:num_requests_running'])).toEqual(lines.map((_, i) => i))
    expect(capture.notes).toEqual([])
  })

  it('an endpoint without /metrics is asked once, noted, and never fails the run', async () => {
    const { url, server } = await serve(() => null)
    servers.push(server)
    const path = join(mkdtempSync(join(tmpdir(), 'geopat-scrape-')), 'metrics.jsonl')
    const capture = new ServerMetricsCapture(path, { connectTimeoutMs: 2000, maxBytes: 100_000, everyMs: 20 })
    capture.start(resolveEndpoint(endpointSchema.parse({ url, label: 'plain' }), 'test'), 0, performance.now())
    await waitUntil(() => capture.notes.length > 0, 10_000, 'the note')
    await capture.close()
    expect(capture.notes).toEqual(['plain: no Prometheus /metrics answered; metrics.jsonl has none of its steps'])
    expect(existsSync(path)).toBe(false)
  })
})
