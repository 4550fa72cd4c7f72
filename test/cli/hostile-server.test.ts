import { execa } from 'execa'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createControlClient, resolveEndpoint } from '../../src/client/endpoint.js'
import { discoverModel } from '../../src/client/preflight.js'
import { endpointSchema } from '../../src/io/schema/scenario.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { allCells } from '../helpers/csv-cells.js'

/**
 * `geopat bench` against servers that misbehave on purpose (#15: leaked keys, a /v1/models check
 * that hangs or fills memory, terminal and CSV injection). Everything runs on 127.0.0.1.
 */

// Neither secret is key-shaped (no `sk-`, sent raw by the server without `Bearer`), so only the
// exact-value redaction can hide them; their first 8 characters appear nowhere else.
const API_KEY = 'q7Zt9wXvK2-api-key-value-not-key-shaped-0042'
const HEADER_SECRET = 'hV3mP8rTy1-header-secret-value-991'
const EVIL_MODEL = '=HYPERLINK("http://evil","x")\u001b]8;;http://x\u0007click\u001b]8;;\u0007\u001b[2J\u009b31m\r'

const work = mkdtempSync(join(tmpdir(), 'geopat-hostile-'))
let server: Server
let url = ''
let modelsRequests = 0
let chatRequests = 0
const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`
const okStream = (res: ServerResponse, model: string): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  res.end(
    sse({ model, choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] }) +
      sse({ model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }) +
      'data: [DONE]\n\n',
  )
}

/** A text where `key` starts 20 characters before `cut`, once `prefix` is put in front of it. */
function straddling(prefix: string, cut: number, key: string): string {
  return `${'p'.repeat(cut - 20 - prefix.length)}${key} and more text after the key`
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
  const headerSecret = String(req.headers['x-api-key'] ?? '')
  const echo = `authorization=${req.headers.authorization} x-api-key=${headerSecret}`
  if (path === '/echo/v1/models') {
    modelsRequests++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'echo-model' }] }))
  } else if (path === '/echo/v1/chat/completions') {
    // Every request fails in another way, each echoing the secrets where geopat used to cut.
    const kind = chatRequests++ % 4
    if (kind === 0) {
      // JSON 500: the record's message "HTTP 500: …" was cut at 500 characters before redaction.
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: `${straddling('HTTP 500: ', 500, token)} ${echo}` } }))
    } else if (kind === 1) {
      // Plain-text 400: describeErrorBody cut the text at 200 characters.
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end(`${straddling('', 200, headerSecret)} ${echo}`)
    } else if (kind === 2) {
      // An error object in the stream: "server error in stream: …" was cut at 300 characters.
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(sse({ error: { message: `${straddling('', 300, token)} ${echo}` } }))
    } else {
      // Event data that is not JSON: cut at 120 characters.
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(`data: ${straddling('', 120, headerSecret)}\n\n`)
    }
  } else if (path === '/deny/v1/models') {
    res.writeHead(401, { 'content-type': 'text/plain' })
    res.end(`${straddling('', 200, token)} ${echo}`)
  } else if (path === '/endless/v1/models') {
    // A body that never ends (bounded here only so that a broken client cannot run the test box dry).
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"object":"list","data":[')
    const chunk = `${'{"id":"m"},'.repeat(6000)}`
    let sent = 0
    const more = (): void => {
      while (!res.destroyed && sent < 600) {
        sent++
        if (!res.write(chunk)) {
          res.once('drain', more)
          return
        }
      }
      if (!res.destroyed) res.end(']}')
    }
    more()
  } else if (path === '/trickle/v1/models') {
    modelsRequests++
    // One byte a second, for at most two minutes.
    res.writeHead(200, { 'content-type': 'application/json' })
    const body = JSON.stringify({ object: 'list', data: [{ id: 'slow-model' }] }).padEnd(120, ' ')
    let index = 0
    const timer = setInterval(() => {
      if (res.destroyed || index >= body.length) {
        clearInterval(timer)
        if (!res.destroyed) res.end()
        return
      }
      res.write(body[index++] as string)
    }, 1000)
    res.on('close', () => clearInterval(timer))
  } else if (path === '/evil/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ object: 'list', data: [{ id: EVIL_MODEL }] }))
  } else if (path === '/evil/v1/chat/completions') {
    okStream(res, EVIL_MODEL)
  } else {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end('{"error":{"message":"no route"}}')
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => route(req, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
}

/** Fails when `text` holds a secret or any 8+ character prefix of one. */
function expectNoSecret(text: string, where: string): void {
  for (const secret of [API_KEY, HEADER_SECRET]) {
    expect(text.includes(secret.slice(0, 8)), `${where} holds (a prefix of) ${secret.slice(0, 8)}…`).toBe(false)
  }
}

/** `geopat bench` against `path` of the hostile server with the key (from GEOPAT_HOSTILE_KEY) and the secret header, and the test's own flags. */
const benchWithSecrets = (path: string, more: string[]) =>
  runCli(['bench', '--url', `${url}${path}`, '--api-key-env', 'GEOPAT_HOSTILE_KEY', '--header', `x-api-key: ${HEADER_SECRET}`, ...more], {
    env: { GEOPAT_HOSTILE_KEY: API_KEY },
  })

describe('secrets from the key and from --header never reach an output (#15.2)', () => {
  it('redacts the key and every header value before messages are cut, in records, summaries, stdout and stderr', async () => {
    const out = join(work, 'echo')
    const result = await benchWithSecrets('/echo', ['--concurrency', '1', '--requests', '8', '--output-tokens', '2', '--out', out])
    expect(result.exitCode).toBe(0)
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
    // Every kind of failure was met, and the messages still say what went wrong.
    for (const errorClass of ['http-5xx', 'http-4xx', 'stream-error', 'protocol']) expect(records).toContain(`"errorClass":"${errorClass}"`)
    expect(records).toContain('[redacted]')
    for (const file of filesUnder(out)) expectNoSecret(readFileSync(file, 'utf8'), file)
    expectNoSecret(result.stdout, 'stdout')
    expectNoSecret(result.stderr, 'stderr')
  }, 60_000)

  it('redacts a /v1/models error page that echoes the headers', async () => {
    const result = await benchWithSecrets('/deny', ['--requests', '1', '--out', join(work, 'deny')])
    const line = expectOneLineError(result)
    expect(line).toContain('answered 401')
    expectNoSecret(result.stdout + result.stderr, 'output')
  }, 60_000)
})

describe('the /v1/models check is bounded in size and time, and stops on Ctrl-C (#15.3)', () => {
  it('gives up on a body that never ends at --max-response-bytes', async () => {
    const endpoint = resolveEndpoint(endpointSchema.parse({ url: `${url}/endless` }), 'test')
    const control = createControlClient(endpoint, { connectTimeoutMs: 5000 })
    try {
      const check = discoverModel(endpoint, control, undefined, { deadlineMs: 60_000, maxBytes: 1024 * 1024 })
      await expect(check).rejects.toThrow(/GET .*\/v1\/models: the answer is larger than 1048576 bytes \(--max-response-bytes\)/)
    } finally {
      await control.destroy()
    }
  }, 60_000)

  it('gives up on a 1 byte/s trickle at the deadline set by --total-timeout', async () => {
    const result = await runCli(['bench', '--url', `${url}/trickle`, '--total-timeout', '1', '--requests', '1', '--out', join(work, 'trickle')], {
      timeoutMs: 45_000,
    })
    const line = expectOneLineError(result)
    expect(line).toMatch(/GET .*\/v1\/models: no complete answer within 1000 ms/)
  }, 60_000)

  it('stops the check on the first Ctrl-C', async () => {
    const before = modelsRequests
    const child = execa('node', [join(REPO_ROOT, 'bin/run.js'), 'bench', '--url', `${url}/trickle`, '--requests', '1', '--out', join(work, 'interrupted')], {
      reject: false,
      env: { CI: '1', GEOPAT_DEBUG: '' },
      stdin: 'ignore',
      timeout: 45_000,
    })
    // Wait (bounded) until the check is under way, then interrupt once.
    for (let i = 0; i < 400 && modelsRequests === before; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(modelsRequests).toBeGreaterThan(before)
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode).toBe(130)
    const line = expectOneLineError({ exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) })
    expect(line).toMatch(/interrupted while waiting for GET .*\/v1\/models/)
  }, 60_000)
})

describe('strings from a server cannot drive the terminal or a spreadsheet (#15.9)', () => {
  it('prints no escape sequence and writes no live formula into summary.csv', async () => {
    const out = join(work, 'evil')
    const result = await runCli(['bench', '--url', `${url}/evil`, '--requests', '2', '--output-tokens', '2', '--out', out])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('HYPERLINK') // the id is shown, defused
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no terminal control character reached the output
    expect(result.stdout + result.stderr).not.toMatch(/[\u001b\u0007\u009b]/)
    const cells = allCells(readFileSync(join(out, 'summary.csv'), 'utf8'))
    expect(cells.some((cell) => cell.includes('HYPERLINK'))).toBe(true)
    for (const cell of cells) expect(cell).not.toMatch(/^[=+@\t\r]/)
    for (const cell of cells) if (cell.startsWith('-')) expect(Number.isFinite(Number(cell))).toBe(true)
  }, 60_000)

  it('defuses server strings in a one-line error too', async () => {
    const result = await runCli(['bench', '--url', `${url}/evil`, '--model', 'other', '--requests', '1', '--out', join(work, 'evil-error')])
    const line = expectOneLineError(result)
    expect(line).toContain('unknown model "other"')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no terminal control character reached the output
    expect(result.stderr).not.toMatch(/[\u001b\u0007\u009b]/)
  }, 60_000)
})
