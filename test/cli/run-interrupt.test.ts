import { execa } from 'execa'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { REPO_ROOT } from '../helpers/cli.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-run-interrupt-'))

/** A short bench, then a size step of minutes (30 searches of an hour of simulated time each). */
const SCENARIO = [
  'name: long-size',
  'endpoints:',
  '  - label: sxm',
  '    sim: { profile: h100-sxm-llama-3.1-8b-bf16 }',
  'load: { concurrency: 2, requests: 4 }',
  'input: { inputTokens: 16, outputTokens: 8 }',
  'slo: { ttftMs: 500, tpotMs: 25 }',
  'size: { peakRequestsPerS: 10, source: simulator, searches: 30, simulatedSeconds: 3600 }',
  '',
].join('\n')

describe('geopat run: Ctrl-C in the size step', () => {
  it('ends the run with exit 130, keeps the bench step, writes no report and names what did not run', async () => {
    const file = join(work, 'long-size.yaml')
    writeFileSync(file, SCENARIO)
    const out = join(work, 'run')
    const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'run', file, '--out', out, '--no-progress'], {
      cwd: REPO_ROOT,
      reject: false,
      stdin: 'ignore',
      env: { CI: '1', GEOPAT_DEBUG: '' },
      // The size step alone would run for many minutes: a run that ignores Ctrl-C ends here
      // (SIGKILL: a second SIGINT or SIGTERM would make it leave with 130).
      timeout: 100_000,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let signalledAt = -1
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString()
      if (signalledAt === -1 && stdout.includes('── size')) {
        signalledAt = stdout.length
        // A moment later, so that the signal most likely lands inside a simulated search.
        setTimeout(() => child.kill('SIGINT'), 1000)
      }
    })
    const result = await child
    expect(signalledAt, `the size step never started: ${result.stderr}`).toBeGreaterThan(0)
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(130)
    // The bench step's outputs are kept.
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'bench', 'summary.json'), 'utf8')))
    expect(summary.runs[0]?.requests.succeeded).toBe(4)
    expect(statSync(join(out, 'bench', 'records.jsonl')).size).toBeGreaterThan(0)
    // Nothing claims a finished size step or a complete run.
    expect(existsSync(join(out, 'size', 'sizing.json'))).toBe(false)
    expect(existsSync(join(out, 'report.html'))).toBe(false)
    const afterSignal = stdout.slice(signalledAt)
    expect(afterSignal).toMatch(/interrupted during size .*not run: report/)
    // The finished bench step does not answer the Ctrl-C as if its streams were still in flight.
    expect(afterSignal).not.toContain('waiting up to')
    expect(afterSignal).toContain(`run folder: ${out}`)
  }, 120_000)
})
