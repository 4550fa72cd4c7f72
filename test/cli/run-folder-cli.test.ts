import { execa } from 'execa'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCompare } from '../../src/app/compare.js'
import { runBench } from '../../src/app/bench.js'
import { runScenario } from '../../src/app/run-scenario.js'
import { StopSignal } from '../../src/load/runner.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { runArtefactsIn as runArtefacts } from '../../src/io/output/files.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'

/** Issue #15, findings 1 (a reused --out mixes runs), 4 (a full disk) and 8 (names that leave the folder). */
let sim: RunningSimServer
const work = mkdtempSync(join(tmpdir(), 'geopat-run-folder-cli-'))

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 2, itlMs: 1, model: 'sim-model' })
})

afterAll(async () => {
  await sim.close()
  rmSync(work, { recursive: true, force: true })
})

const bench = (out: string, ...more: string[]): Promise<Awaited<ReturnType<typeof runCli>>> =>
  runCli(['bench', '--url', sim.url, '--concurrency', '4', '--requests', '20', '--output-tokens', '3', '--out', out, '--no-progress', ...more])
/** A run made in this process (faster than the CLI's start-up): 20 requests into `out`. */
const benchHere = async (out: string): Promise<void> => {
  const scenario = scenarioSchema.parse({ endpoints: [{ url: sim.url }], load: { concurrency: 4, requests: 20 }, input: { outputTokens: 3 } })
  await runBench({ scenario, source: 'test', outDir: out, log: () => undefined })
}
const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n')

describe('a run folder belongs to one run (#15.1)', () => {
  it('refuses an --out that holds an earlier run, and --overwrite starts it anew', async () => {
    const out = join(work, 'reused')
    await benchHere(out)
    writeFileSync(join(out, 'my-notes.txt'), 'mine')

    const again = await bench(out)
    expect(expectOneLineError(again)).toMatch(/--out .*reused: already holds a run \(records\.jsonl and 2 more\); give a new folder, or --overwrite/)
    expect(lines(join(out, 'records.jsonl'))).toHaveLength(20)

    const replaced = await bench(out, '--overwrite', '--json')
    expect(replaced.exitCode, replaced.stderr).toBe(0)
    const summary = benchSummarySchema.parse(JSON.parse(replaced.stdout))
    expect(summary.runs[0]?.requests.sent).toBe(20)
    expect(lines(join(out, 'records.jsonl'))).toHaveLength(20)
    expect(readFileSync(join(out, 'my-notes.txt'), 'utf8')).toBe('mine')
    expect(existsSync(join(out, '.geopat.lock'))).toBe(false)
  })
})

describe('compare and run refuse a folder holding an earlier run (#15.1)', () => {
  it('a second compare into the same folder is refused instead of doubling its records', async () => {
    const out = join(work, 'compare')
    const scenario = scenarioSchema.parse({
      endpoints: [{ url: sim.url, label: 'a' }],
      load: { requests: 1 },
      input: { outputTokens: 3 },
      compare: { aa: true, rounds: 1, requestsPerBlock: 2, warmupRequests: 0 },
    })
    const options = { scenario, source: 'test', outDir: out, log: () => undefined }
    await runCompare(options)
    const before = lines(join(out, 'records.jsonl'))
    await expect(runCompare(options)).rejects.toThrow(/already holds a run \(compare-summary\.csv and 2 more\)/)
    expect(lines(join(out, 'records.jsonl'))).toEqual(before)
  })

  it('a second `geopat run` into the same run folder is refused at the run folder', async () => {
    const out = join(work, 'run')
    const scenarioFile = join(work, 'run.yaml')
    const scenario = scenarioSchema.parse({ name: 'twice', endpoints: [{ url: sim.url }], load: { requests: 3 }, input: { outputTokens: 3 } })
    const options = { scenario, source: scenarioFile, outDir: out, log: () => undefined, stop: new StopSignal() }
    await runScenario(options)
    expect(runArtefacts(out)).toEqual(['bench/records.jsonl', 'bench/summary.csv', 'bench/summary.json', 'report.html'])
    await expect(runScenario(options)).rejects.toThrow(/already holds a run \(bench\/records\.jsonl and 3 more\)/)
    await runScenario({ ...options, overwrite: true })
    expect(lines(join(out, 'bench', 'records.jsonl'))).toHaveLength(3)
  })
})

describe('a full disk (#15.4)', () => {
  it.skipIf(!existsSync('/bin/bash'))('stops with one line, keeps whole lines and writes the summary of what is on disk', async () => {
    // A file size limit (ulimit -f, in KiB) fails the records' writes as a full disk does (EFBIG
    // instead of ENOSPC, the same path), with no mount: summary.json stays well under it.
    const out = join(work, 'full')
    const result = await execa(
      '/bin/bash',
      ['-c', `ulimit -f 32 && exec node bin/run.js bench --url ${sim.url} --concurrency 4 --requests 400 --output-tokens 3 --out ${out} --no-progress`],
      {
        cwd: REPO_ROOT,
        reject: false,
        env: { CI: '1', GEOPAT_DEBUG: '' },
        timeout: 60_000,
        stdin: 'ignore',
      },
    )
    const line = expectOneLineError({ exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) })
    expect(line).toMatch(/^Error: file too large \(EFBIG\) writing .*records\.jsonl: stopped after \d+ records$/)
    const kept = Number(/stopped after (\d+) records/.exec(line)?.[1])
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(400)
    const text = readFileSync(join(out, 'records.jsonl'), 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toHaveLength(kept)
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    expect(summary.runs[0]?.requests.sent).toBe(kept)
    expect(summary.runs[0]?.warnings.join(' ')).toContain('stopped after')
    // A full disk stops the run, but nobody interrupted it: the summary does not say so.
    expect(summary.runs[0]?.interrupted).toBe(false)
    expect(result.stdout).not.toMatch(/waiting up to/)
  })

  it('geopat report skips a torn last line of records.jsonl and says so', async () => {
    const out = join(work, 'torn')
    await benchHere(out)
    appendFileSync(join(out, 'records.jsonl'), '{"id":"cut-off-by-a-full-di')
    const result = await runCli(['report', '--from', out])
    expect(result.exitCode, result.stderr).toBe(0)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    expect(html).toMatch(/records\.jsonl:21: torn last line skipped/)
  })
})

describe('output paths never leave the chosen folder (#15.8)', () => {
  it('geopat run with a scenario named "../../../../escaped" writes only under ./reports', async () => {
    const root = join(work, 'traversal')
    const cwd = join(root, 'cwd')
    mkdirSync(cwd, { recursive: true })
    const scenario = join(cwd, 'hostile.yaml')
    writeFileSync(
      scenario,
      `name: "../../../../escaped"\nendpoints:\n  - url: ${sim.url}\n    label: "../../label"\nload:\n  requests: 4\ninput:\n  outputTokens: 3\n`,
    )
    const result = await execa('node', [join(REPO_ROOT, 'bin', 'run.js'), 'run', scenario, '--no-progress'], {
      cwd,
      reject: false,
      env: { CI: '1' },
      timeout: 60_000,
      stdin: 'ignore',
    })
    expect(result.exitCode, String(result.stderr)).toBe(0)
    expect(readdirSync(root)).toEqual(['cwd'])
    expect(readdirSync(cwd).sort()).toEqual(['hostile.yaml', 'reports'])
    const runs = readdirSync(join(cwd, 'reports'))
    expect(runs).toEqual([expect.stringMatching(/^\d{8}-\d{6}-escaped$/)])
    expect(readdirSync(join(cwd, 'reports', runs[0] as string)).sort()).toEqual(['bench', 'report.html'])
  })
})
