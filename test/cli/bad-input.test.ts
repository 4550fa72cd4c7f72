import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { userCatalogRow } from '../helpers/catalog.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { type QuirkServer, startQuirkServer } from '../helpers/quirk-server.js'

let sim: RunningSimServer
let html: QuirkServer
const work = mkdtempSync(join(tmpdir(), 'geopat-bad-input-'))

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 1, itlMs: 1, model: 'sim-model' })
  html = await startQuirkServer({
    '/v1/models': { status: 404, headers: { 'content-type': 'text/html' }, pieces: ['<html><head><title>404 Not Found</title></head></html>'] },
  })
})

afterAll(async () => {
  await sim.close()
  await html.close()
})

/** Each case: the arguments, and a fragment the one error line must contain. */
const cases: Array<[string, () => string[], RegExp]> = [
  ['a malformed URL', () => ['--url', 'not a url'], /--url: must be an http/],
  ['an unreachable host', () => ['--url', 'http://127.0.0.1:9'], /cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED/],
  ['an unknown model', () => ['--url', sim.url, '--model', 'nope'], /unknown model "nope"; the server offers: sim-model/],
  [
    'a server that is not OpenAI-compatible',
    () => ['--url', html.url],
    /answered 404 text\/html \(HTML page "404 Not Found"\): not an OpenAI-compatible server/,
  ],
  ['concurrency 0', () => ['--url', sim.url, '--concurrency', '0'], /--concurrency: .*>=1/],
  ['a negative rate', () => ['--url', sim.url, '--rate', '-2'], /--rate: .*>0/],
  ['concurrency and rate together', () => ['--url', sim.url, '--rate', '2', '--concurrency', '3'], /either concurrency or rate/],
  ['a bad token length', () => ['--url', sim.url, '--input-tokens', 'lots'], /input|length/i],
  ['a bad SLO', () => ['--url', sim.url, '--slo', 'ttft=fast'], /--slo: "ttft=fast"/],
  ['a non-numeric duration', () => ['--url', sim.url, '--duration', 'soon'], /--duration: "soon" is not a number/],
  ['an unknown flag', () => ['--url', sim.url, '--concurency', '3'], /Nonexistent flag: --concurency/],
  ['a missing API key variable', () => ['--url', sim.url, '--api-key-env', 'GEOPAT_NO_SUCH_VAR'], /GEOPAT_NO_SUCH_VAR is not set/],
]

/**
 * Cases run by the binary itself (elsewhere the integration project runs the CLI in-process): one of
 * each way an error reaches the user: a flag oclif refuses, a flag value geopat refuses, an error
 * while running (an endpoint not there), a file geopat refuses (below), a folder it cannot write.
 */
const BY_THE_BINARY = new Set(['a malformed URL', 'an unreachable host', 'an unknown flag'])

describe('geopat bench rejects bad input with one clear line and writes nothing', () => {
  it.each(cases)('%s', async (name, args, message) => {
    const out = join(work, `out-${Math.random().toString(36).slice(2)}`)
    const result = await runCli(['bench', ...args(), '--requests', '2', '--out', out], { process: BY_THE_BINARY.has(name) })
    const line = expectOneLineError(result)
    expect(line).toMatch(message)
    expect(existsSync(out)).toBe(false)
  })

  it('a scenario file with a wrong field names the file and the field', async () => {
    const file = join(work, 'bad.yaml')
    writeFileSync(file, `endpoints:\n  - url: ${sim.url}\nload:\n  concurency: 4\n  requests: 3\n`)
    const line = expectOneLineError(await runCli(['bench', '--scenario', file], { process: true }))
    expect(line).toContain(file)
    expect(line).toMatch(/load.*concurency/)
  })

  it('a scenario file with a wrong type names the path and the rule', async () => {
    const file = join(work, 'bad-type.yaml')
    writeFileSync(file, `endpoints:\n  - url: ${sim.url}\nload:\n  concurrency: many\n  requests: 3\n`)
    const line = expectOneLineError(await runCli(['bench', '--scenario', file]))
    expect(line).toMatch(/load\.concurrency: .*number/)
  })

  it('a scenario file that is not YAML gets the position', async () => {
    const file = join(work, 'broken.yaml')
    writeFileSync(file, 'endpoints: [\n  url: x\n')
    const line = expectOneLineError(await runCli(['bench', '--scenario', file]))
    expect(line).toMatch(/broken\.yaml:\d+:\d+: invalid YAML/)
  })

  it('an output folder that cannot be created', async () => {
    const file = join(work, 'a-file')
    writeFileSync(file, 'x')
    const line = expectOneLineError(await runCli(['bench', '--url', sim.url, '--requests', '2', '--out', join(file, 'out')], { process: true }))
    expect(line).toMatch(/--out .*is a file, not a folder/)
    expect(readdirSync(work)).not.toContain('out')
  })
})

describe('geopat catalog refuses a price that prices nothing (issue 15.10)', () => {
  const catalogFile = (name: string, row: Record<string, unknown>): string => {
    const file = join(work, name)
    writeFileSync(file, YAML.stringify({ rows: [userCatalogRow(row)] }))
    return file
  }

  it('validate: a price of 0 is one line naming the file, the field, the rule and the row', async () => {
    const file = catalogFile('zero-price.yaml', { id: 'free-h100', price: 0 })
    const line = expectOneLineError(await runCli(['catalog', 'validate', file], { process: true }))
    expect(line).toBe(`Error: ${file}: rows.0.price: must be greater than 0 (a free offer is not a price; leave the row out) (row free-h100)`)
  })

  it('validate: a price dated after --as-of is one line naming the row and both dates', async () => {
    const file = catalogFile('future-price.yaml', { id: 'announced-h100', effectiveDate: '2026-12-01' })
    const line = expectOneLineError(await runCli(['catalog', 'validate', file, '--as-of', '2026-11-01']))
    expect(line).toMatch(new RegExp(`^Error: ${file}: rows\\.0\\.effectiveDate: 2026-12-01 is after the as-of date 2026-11-01; .*\\(row announced-h100; `))
  })

  it('list: a price dated after --as-of is left out with a warning naming the row', async () => {
    const file = catalogFile('future-list.yaml', { id: 'announced-a100', effectiveDate: '2026-12-01' })
    const result = await runCli(['catalog', 'list', '--no-builtin', '--catalog', file, '--as-of', '2026-11-01'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).not.toContain('announced-a100')
    expect(result.stderr).toContain('warning: announced-a100: effectiveDate 2026-12-01 is after 2026-11-01: not in force yet')
  })
})
