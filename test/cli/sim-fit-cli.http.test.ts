import { execa } from 'execa'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { readParameter, withParameters } from '../../src/sim/fit/parameters.js'
import { sizingResultSchema } from '../../src/io/schema/sizing.js'
import { serverMetricsLineSchema } from '../../src/io/schema/server-metrics.js'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'

/**
 * `geopat sim fit` as a user runs it: a short real `geopat bench` sweep over HTTP against a
 * `geopat sim` serving a perturbed profile file, then the fit, then `geopat size` on the profile it
 * wrote. Only behaviour is asserted (files, exit codes, schema): accuracy on a real clock is the
 * virtual-time tests' business (test/sim/fit.test.ts).
 */
const BASE = 'h200-llama-3.1-8b-bf16'
const work = mkdtempSync(join(tmpdir(), 'geopat-fit-cli-'))
let sim: ReturnType<typeof execa> | undefined
let url = ''

beforeAll(async () => {
  const base = loadProfile(BASE)
  const truth = withParameters(
    base,
    new Map([
      ['timing.bandwidthEfficiency', (readParameter(base, 'timing.bandwidthEfficiency') as number) * 0.8],
      ['timing.stepOverheadMs', (readParameter(base, 'timing.stepOverheadMs') as number) * 1.4],
    ]),
  )
  const truthFile = join(work, 'truth.yaml')
  writeFileSync(truthFile, YAML.stringify({ ...truth, name: 'perturbed-h200' }))
  const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'sim', '--profile', truthFile, '--port', '0'], {
    cwd: REPO_ROOT,
    reject: false,
    stdin: 'ignore',
    env: { CI: '1', GEOPAT_DEBUG: '' },
    timeout: 120_000,
  })
  sim = child
  let output = ''
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulator did not start: ${output}`)), 30_000)
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    })
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
    void child.then((result) => {
      clearTimeout(timer)
      reject(new Error(`the simulator exited early (${result.exitCode}): ${output}`))
    })
  })
})

afterAll(async () => {
  sim?.kill('SIGTERM')
  await sim
})

describe('geopat sim fit from the command line', () => {
  it('fits a real bench sweep, writes a valid profile, and geopat size sizes from it', async () => {
    const run = join(work, 'sweep')
    const bench = await runCli(
      [
        'bench',
        '--url',
        url,
        '--profile',
        'sweep',
        '--requests',
        '12',
        '--sweep-steps',
        '2',
        '--sweep-max-concurrency',
        '8',
        '--input-tokens',
        'uniform:32-1024',
        '--output-tokens',
        'uniform:8-24',
        '--scrape-metrics',
        '--no-progress',
        '--out',
        run,
      ],
      { timeoutMs: 120_000 },
    )
    expect(bench.exitCode, bench.stderr).toBe(0)
    // --scrape-metrics: the simulator's /metrics, one schema-valid line per scrape, during every step.
    const scrapes = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => serverMetricsLineSchema.parse(JSON.parse(line)))
    expect(scrapes.length).toBeGreaterThan(0)
    for (const scrape of scrapes) expect(scrape.samples['vllm:num_requests_running']).toBeGreaterThanOrEqual(0)

    const out = join(work, 'my-endpoint.yaml')
    // --include-client-bound: on a loaded machine the self-check may call steps client-bound, and
    // this test is about the command's path (files, exit codes, schema), not about accuracy.
    const fit = await runCli(['sim', 'fit', '--from', run, '--profile', BASE, '--out', out, '--iterations', '6', '--include-client-bound', '--json'], {
      timeoutMs: 120_000,
    })
    expect(fit.exitCode, fit.stderr).toBe(0)
    const printed = JSON.parse(fit.stdout) as {
      profileFile: string
      points: Array<{ measured: { meanRunning: number | null } }>
      leaveOneOut: unknown[]
      fitted: Array<{ path: string }>
      notes: string[]
    }
    // The fit reads the scrapes: the server's running requests beside the simulation's.
    expect(printed.notes.join('\n')).toContain('metrics.jsonl')
    expect(printed.points.some((p) => p.measured.meanRunning !== null)).toBe(true)
    expect(printed.profileFile).toBe(out)
    expect(printed.points.length).toBeGreaterThanOrEqual(2)
    expect(printed.leaveOneOut.length).toBe(printed.points.length)

    const profile = simProfileSchema.parse(YAML.parse(readFileSync(out, 'utf8')))
    expect(profile.calibration?.method).toBe('fitted')
    expect(profile.calibration?.fittedFrom?.runFolder).toBe(run)
    expect(profile.calibration?.fittedFrom?.baseProfile).toBe(BASE)
    expect(profile.calibration?.heldOut.length).toBe(printed.points.length)
    expect(profile.calibration?.fittedFrom?.fittedParameters).toEqual(printed.fitted.map((p) => p.path))

    // A second fit does not overwrite the first unless asked.
    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', run, '--profile', BASE, '--out', out]))).toMatch(/--out .*file exists/)

    const sizing = join(work, 'size')
    const size = await runCli(
      [
        'size',
        '--profile',
        out,
        '--input-tokens',
        '512',
        '--output-tokens',
        '64',
        '--slo',
        'ttft=500,tpot=50',
        '--peak-rps',
        '10',
        '--searches',
        '2',
        '--sim-duration',
        '20',
        '--out',
        sizing,
      ],
      { timeoutMs: 120_000 },
    )
    expect(size.exitCode, size.stderr).toBe(0)
    expect(existsSync(join(sizing, 'sizing.json'))).toBe(true)
    const sized = sizingResultSchema.parse(JSON.parse(readFileSync(join(sizing, 'sizing.json'), 'utf8')))
    // Sizing carries the fit's own validation error, and says where it comes from.
    const modelError = sized.endpoints[0]?.modelError
    expect(modelError?.basis).toBe('fitted')
    expect(modelError?.from).toBe(run)
    expect(modelError?.fraction).toBe(profile.calibration?.error.underLoad ?? profile.calibration?.error.lowLoad)
  })
})
