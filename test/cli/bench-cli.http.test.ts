import { execa } from 'execa'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { REPO_ROOT, runCli } from '../helpers/cli.js'
import { waitForLines } from '../helpers/wait.js'
import { MODELS_ROUTE, type QuirkServer, chatChunk, startQuirkServer } from '../helpers/quirk-server.js'

const SECRET = 'sk-geopat-test-secret-0123456789'
let sim: RunningSimServer
let keyed: QuirkServer
const work = mkdtempSync(join(tmpdir(), 'geopat-cli-'))

const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 5, itlMs: 1, model: 'sim-model' })
  keyed = await startQuirkServer({
    '/v1/models': MODELS_ROUTE,
    '/v1/chat/completions': (req) =>
      // Every third request fails with a body that echoes the Authorization header, as some
      // misconfigured gateways do: the key must still not reach any output.
      Number(req.headers['content-length'] ?? 0) % 3 === 0
        ? {
            status: 500,
            headers: { 'content-type': 'application/json' },
            pieces: [JSON.stringify({ error: { message: `bad upstream; you sent ${req.headers.authorization}` } })],
          }
        : { pieces: [sse(chatChunk({ content: 'hi' })), sse({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }), 'data: [DONE]\n\n'] },
  })
})

afterAll(async () => {
  await sim.close()
  await keyed.close()
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
}

describe('geopat bench from the command line', () => {
  it('--json prints the zod-valid summary and nothing else on stdout', async () => {
    const out = join(work, 'json')
    const result = await runCli(['bench', '--url', sim.url, '--concurrency', '4', '--requests', '20', '--output-tokens', '5', '--out', out, '--json'])
    expect(result.exitCode).toBe(0)
    const summary = benchSummarySchema.parse(JSON.parse(result.stdout))
    expect(summary.runs[0]?.requests.succeeded).toBe(20)
    expect(summary.runs[0]?.endpoint.model).toBe('sim-model')
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary)
    expect(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0]).toContain('ttft_p99_ms')
  })

  it('prints the human table by default', async () => {
    const result = await runCli(['bench', '--url', sim.url, '--requests', '5', '--output-tokens', '3', '--out', join(work, 'table')])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Time to first token')
    expect(result.stdout).toMatch(/client: ok|client: CLIENT-BOUND/)
  })

  it('sends the API key from the environment and never writes it anywhere', async () => {
    const out = join(work, 'secret')
    const result = await runCli(['bench', '--url', keyed.url, '--api-key-env', 'GEOPAT_TEST_KEY', '--concurrency', '2', '--requests', '30', '--out', out], {
      env: { GEOPAT_TEST_KEY: SECRET },
    })
    expect(result.exitCode).toBe(0)
    expect(keyed.requests.some((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true)
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))
    expect(summary.runs[0].requests.errors['http-5xx']).toBeGreaterThan(0)
    const files = filesUnder(out)
    expect(files.length).toBeGreaterThanOrEqual(3)
    for (const file of files) expect(readFileSync(file, 'utf8')).not.toContain(SECRET)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    expect(readFileSync(join(out, 'records.jsonl'), 'utf8')).toContain('[redacted]')
  })

  it('runs every endpoint of a scenario file in turn', async () => {
    const file = join(work, 'two.yaml')
    writeFileSync(
      file,
      [
        'endpoints:',
        `  - { url: "${sim.url}", label: first }`,
        `  - { url: "${sim.url}/v1", label: second, api: completions }`,
        'load: { concurrency: 2, requests: 6 }',
        'input: { inputTokens: 20, outputTokens: 4 }',
      ].join('\n'),
    )
    const out = join(work, 'two')
    const result = await runCli(['bench', '--scenario', file, '--out', out, '--json'])
    expect(result.exitCode).toBe(0)
    const summary = benchSummarySchema.parse(JSON.parse(result.stdout))
    expect(summary.runs.map((r) => [r.endpoint.label, r.endpoint.api, r.requests.succeeded])).toEqual([
      ['first', 'chat', 6],
      ['second', 'completions', 6],
    ])
  })

  it('Ctrl-C stops sending, keeps every record, writes the summary and exits 130', async () => {
    const out = join(work, 'interrupted')
    const child = execa(
      'node',
      [
        join(REPO_ROOT, 'bin/run.js'),
        'bench',
        '--url',
        sim.url,
        '--concurrency',
        '4',
        '--duration',
        '60',
        '--output-tokens',
        '50',
        '--grace',
        '1',
        '--out',
        out,
      ],
      {
        reject: false,
        env: { CI: '1' },
        stdin: 'ignore',
      },
    )
    // Signalled once it has measured something: before its handlers are installed (a loaded machine
    // loads the CLI slowly) a SIGINT would end the process the default way, which is not under test.
    await waitForLines(join(out, 'records.jsonl'), 5)
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode).toBe(130)
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    const run = summary.runs[0]
    expect(run?.interrupted).toBe(true)
    const lines = readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n')
    expect(run?.requests.sent).toBe(lines.length)
    expect(lines.length).toBeGreaterThan(4)
  })
})
