import { type Server, createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { type TestPki, makeTestPki } from '../helpers/tls.js'

let pki: TestPki
let server: Server
let mtlsServer: Server
let url: string
let mtlsUrl: string

/** A tiny OpenAI-compatible HTTPS endpoint: /v1/models and a two-token stream. */
function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  req.resume()
  req.on('end', () => {
    if (req.url?.endsWith('/v1/models')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ data: [{ id: 'tls-model' }] }))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
    res.end(`${chunk('a')}${chunk('b')}data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } })}\n\ndata: [DONE]\n\n`)
  })
}

async function listen(s: Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`
}

beforeAll(async () => {
  pki = await makeTestPki()
  server = createServer({ cert: pki.serverCert, key: pki.serverKey }, handler)
  mtlsServer = createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, handler)
  url = await listen(server)
  mtlsUrl = await listen(mtlsServer)
}, 30_000)

afterAll(() => {
  server.close()
  mtlsServer.close()
})

const args = (target: string, ...extra: string[]) => [
  'bench',
  '--url',
  target,
  '--requests',
  '3',
  '--out',
  join(pki.dir, `out-${Math.random()}`),
  '--json',
  ...extra,
]

describe('TLS', () => {
  it('verifies the server certificate by default and refuses an unknown CA', async () => {
    const line = expectOneLineError(await runCli(args(url)))
    expect(line).toMatch(/cannot reach .*(certificate|SELF_SIGNED|UNABLE_TO)/i)
  })

  it('trusts a private CA given with --ca-file', async () => {
    const result = await runCli(args(url, '--ca-file', pki.caFile))
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.stdout).runs[0].requests.succeeded).toBe(3)
  })

  it('skips verification only with --insecure', async () => {
    const result = await runCli(args(url, '--insecure'))
    expect(result.exitCode).toBe(0)
  })

  it('presents a client certificate with --cert and --key (mutual TLS)', async () => {
    const without = await runCli(args(mtlsUrl, '--ca-file', pki.caFile))
    expect(without.exitCode).not.toBe(0)
    const result = await runCli(args(mtlsUrl, '--ca-file', pki.caFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile))
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.stdout).runs[0].requests.succeeded).toBe(3)
  })

  it('records --insecure and every other safety choice (names, never secrets) in the summary, the table and the report (issue 15.10)', async () => {
    const out = join(pki.dir, `out-safety-${Math.random()}`)
    const flags = ['--insecure', '--api-key-env', 'GEOPAT_TLS_TEST_KEY', '--header', 'X-Tenant: tenant-secret-value', '--retries', '2', '--no-progress']
    const env = { GEOPAT_TLS_TEST_KEY: 'key-secret-value' }
    const result = await runCli(['bench', '--url', url, '--requests', '3', '--out', out, ...flags], { env })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^WARNING: TLS verification OFF for 127\.0\.0\.1:\d+ \(--insecure\)/m)
    expect(result.stdout).toMatch(/^safety: 127\.0\.0\.1:\d+: https, TLS verification OFF, API key from \$GEOPAT_TLS_TEST_KEY, headers X-Tenant$/m)
    const summaryText = readFileSync(join(out, 'summary.json'), 'utf8')
    expect(JSON.parse(summaryText).safety).toEqual({
      endpoints: [
        {
          endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
          scheme: 'https',
          tlsVerification: false,
          caFile: null,
          clientCertificate: false,
          apiKeyEnv: 'GEOPAT_TLS_TEST_KEY',
          headerNames: ['X-Tenant'],
        },
      ],
      retries: { max: 2, backoffMs: 500, maxWaitMs: 30_000 },
    })
    expect(summaryText).not.toContain('secret-value')
    const report = await runCli(['report', '--from', out])
    expect(report.exitCode, report.stderr).toBe(0)
    expect(report.stderr).toMatch(/^warning: .*summary\.json: TLS verification OFF for 127\.0\.0\.1:\d+ \(--insecure\)/m)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    expect(html).toMatch(
      new RegExp(
        String.raw`<section class="alerts" role="alert"[^>]*>\s*<h2 id="alerts-title">Read first<\/h2>\s*` +
          String.raw`<ul><li>[^<]*summary\.json: TLS verification OFF for 127\.0\.0\.1:\d+`,
      ),
    )
  })

  it('records the CA file and the client certificate, verification on, without the key file (issue 15.10)', async () => {
    const out = join(pki.dir, `out-mtls-${Math.random()}`)
    const result = await runCli([
      'bench',
      '--url',
      mtlsUrl,
      '--requests',
      '2',
      '--out',
      out,
      '--json',
      '--ca-file',
      pki.caFile,
      '--cert',
      pki.clientCertFile,
      '--key',
      pki.clientKeyFile,
    ])
    expect(result.exitCode, result.stderr).toBe(0)
    const summaryText = readFileSync(join(out, 'summary.json'), 'utf8')
    expect(JSON.parse(summaryText).safety.endpoints[0]).toMatchObject({
      scheme: 'https',
      tlsVerification: true,
      caFile: pki.caFile,
      clientCertificate: true,
      apiKeyEnv: null,
      headerNames: [],
    })
    expect(summaryText).not.toContain(pki.clientKeyFile)
  })

  it('a missing CA file is one clear line', async () => {
    const line = expectOneLineError(await runCli(args(url, '--ca-file', join(pki.dir, 'nope.pem'))))
    expect(line).toMatch(/caFile: cannot read .*nope\.pem \(ENOENT\)/)
  })
})
