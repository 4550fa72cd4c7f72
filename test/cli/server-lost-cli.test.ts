import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { compareSummarySchema } from '../../src/io/schema/compare.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { runCli } from '../helpers/cli.js'
import { startFreezingServer } from '../helpers/freezing-server.js'

/**
 * geopat bench, compare and run against a server that goes away mid-run (finding 5 of issue #15):
 * the exit code, the line that says since when, and what each writes or leaves out. The rule
 * counts connect errors, not time; the timers (stall, duration, grace) are
 * test/load/server-lost.test.ts's.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-server-lost-cli-'))
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A server that answers 6 chat requests, then closes: every later connection is refused. */
const startLosingServer = () => startFreezingServer(cleanups, { answered: 6, closeAfter: 6 })

/** `geopat ARGS --out <work>/<folder> --no-progress`: the CLI's result and that folder. */
async function runInto(folder: string, args: string[]) {
  const out = join(work, folder)
  return { out, result: await runCli([...args, '--out', out, '--no-progress']) }
}

describe('geopat bench against a server that goes away', () => {
  it('says since when the server was unreachable, writes it in the summary and exits 3', async () => {
    const server = await startLosingServer()
    const { out, result } = await runInto('cli', ['bench', '--url', server.url, '--concurrency', '2', '--requests', '100000', '--max-connect-errors', '5'])
    expect(result.exitCode).toBe(3)
    expect(result.stdout).toMatch(/server unreachable since \d{4}-\d\d-\d\dT/)
    expect(result.stdout).not.toMatch(/--workers/)
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    const run = summary.runs[0]
    expect(run?.serverLost?.reason).toBe('connect-errors')
    expect(run?.requests.errors.connect).toBeLessThanOrEqual(5 + 2 + 2)
    expect(run?.client.verdict).toBe('server-lost')
  }, 60_000)
})

describe('geopat compare and geopat run against a server that goes away', () => {
  it('compare counts connect errors in a row across its blocks, stops the comparison, names the endpoint and exits 3', async () => {
    // Blocks of 4 requests: no one block holds 20 connect errors, the endpoint's run of them does.
    const server = await startLosingServer()
    const { out, result } = await runInto('compare-cli', [
      'compare',
      '--url-a',
      server.url,
      '--label-a',
      'a',
      '--url-b',
      server.url,
      '--label-b',
      'b',
      '--rounds',
      '40',
      '--requests-per-block',
      '4',
    ])
    expect(result.exitCode, result.stderr).toBe(3)
    const summary = compareSummarySchema.parse(JSON.parse(readFileSync(join(out, 'compare-summary.json'), 'utf8')))
    expect(summary.interrupted).toBe(false)
    expect(summary.serverLost?.[0]).toMatchObject({ reason: 'connect-errors', consecutiveConnectErrors: 20 })
    expect(summary.warnings.join(' ')).toMatch(/server unreachable since/)
    // It stopped at the 20th connect error in a row: far fewer than the 320 requests asked for.
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n')
    expect(records.length).toBeLessThan(6 + 20 + 4 + 4)
  }, 60_000)

  it('run stops after its bench step with exit 3 instead of sizing and costing a run cut short', async () => {
    const server = await startLosingServer()
    const scenarioFile = join(work, 'lost-run.yaml')
    writeFileSync(
      scenarioFile,
      [
        'name: lost',
        `endpoints: [{ url: "${server.url}", label: gone }]`,
        'load: { concurrency: 2, requests: 100000 }',
        'input: { inputTokens: 8, outputTokens: 4 }',
        'serverLost: { connectErrors: 5 }',
        'slo: { ttftMs: 500 }',
        'size: { peakRequestsPerS: 10, source: measured, gpusPerReplica: { gone: 1 } }',
      ].join('\n'),
    )
    const { out, result } = await runInto('lost-run', ['run', scenarioFile])
    expect(result.exitCode, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/server unreachable since .*the run stops after bench/)
    expect(existsSync(join(out, 'bench', 'summary.json'))).toBe(true)
    expect(existsSync(join(out, 'size'))).toBe(false)
    expect(existsSync(join(out, 'report.html'))).toBe(false)
  }, 60_000)
})
