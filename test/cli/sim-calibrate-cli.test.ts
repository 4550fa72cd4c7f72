import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'

/**
 * `geopat sim calibrate --check` end to end on a small set of its own and a profile file of its
 * own: the JSON shape, each point's role from the profile's calibration block, the exit code when a
 * held-out point is out of tolerance, and --write keeping the profile file's comments and layout.
 * Published values are set from a first run's simulated ones times known factors, so the expected
 * ratios and errors follow from those factors, not from the simulator.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-sim-calibrate-'))
const setDir = join(work, 'set')
const profileFile = join(work, 'calib-test.yaml')

const PROFILE_HEAD = '# A test profile: the H100 SXM 8B profile under another name, with a calibration block.\n'
const CALIBRATION_BLOCK = `calibration:
  # Tuned on one point, checked on two.
  method: published
  date: 2026-01-01
  fittedOn: [t-fit]
  heldOut: [t-held-low, t-held-under, t-held-over]
  error: { lowLoad: null, underLoad: null, fitted: null, heldOutPoints: 0, lowLoadPoints: 0, underLoadPoints: 0, overload: null }
`

function writeSet(values: Record<string, number>): void {
  const point = (id: string, load: unknown, metric: string, unit: string, regime: string) => ({
    id,
    profile: 'calib-test',
    confidential: false,
    setup: 'small',
    load,
    metric,
    value: values[id] ?? 1,
    unit,
    regime,
    where: 'test',
    readFrom: 'table',
  })
  const file = {
    source: { title: 'test set', publisher: 'geopat tests', url: 'https://example.org/test', published: '2026-01', accessed: '2026-12-06' },
    setups: {
      small: {
        engine: 'vLLM 0.6.0',
        settings: 'defaults',
        hardware: '1× H100 SXM',
        model: 'Llama-3.1-8B',
        workload: {
          dataset: 'fixed lengths',
          prompts: 40,
          publishedMeanInputTokens: 100,
          publishedMeanOutputTokens: 40,
          inputTokens: 100,
          outputTokens: 40,
          note: 'fixed lengths',
        },
      },
    },
    points: [
      point('t-fit', { kind: 'rate', ratePerS: 4 }, 'vllm-serving-mean-tpot', 'ms', 'under-load'),
      point('t-held-low', { kind: 'rate', ratePerS: 1 }, 'vllm-serving-mean-ttft', 'ms', 'low-load'),
      point('t-held-under', { kind: 'max-throughput' }, 'vllm-serving-request-throughput', 'req/s', 'under-load'),
      point('t-held-over', { kind: 'rate', ratePerS: 40 }, 'vllm-serving-mean-ttft', 'ms', 'overload'),
      point('t-free', { kind: 'offline' }, 'vllm-offline-request-throughput', 'req/s', 'under-load'),
    ],
  }
  writeFileSync(join(setDir, 'test-set.yaml'), YAML.stringify(file))
}

interface CheckJson {
  ok: boolean
  failures: string[]
  points: Array<{
    id: string
    role: string
    published: number
    simulated: number
    ratio: number
    error: number
    withinTolerance: boolean | null
    tolerance: number | null
  }>
  profiles: Array<{
    profile: string
    status: string
    fitted: { points: number; worstError: number }
    heldOut: { points: number; lowLoad: number; underLoad: number; overload: number }
  }>
}

const check = (extra: string[] = []) =>
  runCli(['sim', 'calibrate', '--check', '--profile', profileFile, '--set', setDir, '--json', ...extra], { timeoutMs: 60_000 })
let simulated: Record<string, number>
const sim = (id: string): number => {
  const value = simulated[id]
  if (value === undefined) throw new Error(`the first run gave no value for ${id}`)
  return value
}

beforeAll(async () => {
  mkdirSync(setDir)
  const sxm = readFileSync(join(REPO_ROOT, 'data', 'sim-profiles', 'h100-sxm-llama-3.1-8b-bf16.yaml'), 'utf8')
    .replace(/^name: .*$/m, 'name: calib-test')
    .replace(/^calibration:\n(?:[ \t].*\n?)*/m, '')
  writeFileSync(profileFile, `${PROFILE_HEAD}${sxm}${CALIBRATION_BLOCK}`)
  writeSet({})
  const first = await check()
  const json = JSON.parse(first.stdout) as CheckJson
  simulated = Object.fromEntries(json.points.map((p) => [p.id, p.simulated]))
}, 90_000)

describe('geopat sim calibrate --check', () => {
  it('exits 1 with one line naming the held-out point out of tolerance', async () => {
    // Ratios simulated / published: 1.05 (fitted, within 10%), 1.1 (held out, within 15%), 1.3 (held out, out).
    writeSet({
      't-fit': sim('t-fit') / 1.05,
      't-held-low': sim('t-held-low') / 1.1,
      't-held-under': sim('t-held-under') / 1.3,
      't-held-over': sim('t-held-over'),
      't-free': sim('t-free') * 3,
    })
    const result = await check()
    expect(result.exitCode).toBe(1)
    const line = expectOneLineError(result)
    expect(line).toMatch(/^Error: 1 point\(s\) out of tolerance: t-held-under \(held-out, ratio 1\.300\)$/)
    const json = JSON.parse(result.stdout) as CheckJson
    expect(json.ok).toBe(false)
    expect(json.failures).toEqual(['t-held-under'])
    const byId = Object.fromEntries(json.points.map((p) => [p.id, p]))
    expect(byId['t-fit']).toMatchObject({ role: 'fitted', tolerance: 0.1, withinTolerance: true })
    expect(byId['t-fit']?.ratio).toBeCloseTo(1.05, 9)
    expect(byId['t-held-low']).toMatchObject({ role: 'held-out', tolerance: 0.15, withinTolerance: true })
    expect(byId['t-held-under']).toMatchObject({ role: 'held-out', withinTolerance: false })
    // An unassigned point is shown and not judged, however far off (ratio 1/3).
    expect(byId['t-free']).toMatchObject({ role: 'unassigned', tolerance: null, withinTolerance: null })
    expect(byId['t-free']?.ratio).toBeCloseTo(1 / 3, 9)
    expect(json.profiles.find((p) => p.profile === 'calib-test')?.status).toBe('out-of-tolerance')
  }, 60_000)

  it('passes, and --write stores the date and the errors by regime, keeping the file as it was around them', async () => {
    writeSet({
      't-fit': sim('t-fit') / 0.92,
      't-held-low': sim('t-held-low') / 1.12,
      't-held-under': sim('t-held-under') / 0.9,
      't-held-over': sim('t-held-over') / 0.86,
    })
    const before = readFileSync(profileFile, 'utf8')
    const result = await check(['--write'])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as CheckJson
    expect(json.ok).toBe(true)
    const verdict = json.profiles.find((p) => p.profile === 'calib-test')
    expect(verdict?.status).toBe('validated')
    expect(verdict?.fitted.points).toBe(1)
    expect(verdict?.fitted.worstError).toBeCloseTo(0.08, 9)
    expect(verdict?.heldOut.points).toBe(3)
    expect(verdict?.heldOut.lowLoad).toBeCloseTo(0.12, 9)
    // A latency beyond saturation is judged, and kept apart from the under-load error a sizing carries.
    expect(verdict?.heldOut.underLoad).toBeCloseTo(0.1, 9)
    expect(verdict?.heldOut.overload).toBeCloseTo(0.14, 9)

    const after = readFileSync(profileFile, 'utf8')
    const calibration = (YAML.parse(after) as { calibration: Record<string, unknown> }).calibration
    expect(calibration).toEqual({
      method: 'published',
      date: new Date().toISOString().slice(0, 10),
      fittedOn: ['t-fit'],
      heldOut: ['t-held-low', 't-held-under', 't-held-over'],
      error: { lowLoad: 0.12, underLoad: 0.1, fitted: 0.08, heldOutPoints: 3, lowLoadPoints: 1, underLoadPoints: 1, overload: 0.14 },
    })
    // Only the values changed: every other byte of the file (comments, flow style, spacing) is as it was.
    expect(after).toBe(
      before
        .replace('date: 2026-01-01', `date: ${new Date().toISOString().slice(0, 10)}`)
        .replace(
          'error: { lowLoad: null, underLoad: null, fitted: null, heldOutPoints: 0, lowLoadPoints: 0, underLoadPoints: 0, overload: null }',
          'error: { lowLoad: 0.12, underLoad: 0.1, fitted: 0.08, heldOutPoints: 3, lowLoadPoints: 1, underLoadPoints: 1, overload: 0.14 }',
        ),
    )
  }, 60_000)

  it('leaves `geopat sim` itself a command: sim calibrate is a subcommand beside it', async () => {
    const result = await runCli(['sim', '--virtual', '--profile', 'h100-sxm-llama-3.1-8b-bf16', '--rate', '2', '--requests', '5', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect((JSON.parse(result.stdout) as { virtual: { requests: { succeeded: number } } }).virtual.requests.succeeded).toBe(5)
  }, 60_000)

  it('refuses bad input with one line', async () => {
    expect(expectOneLineError(await runCli(['sim', 'calibrate']))).toBe(
      'Error: sim calibrate: give --check (compare with the published points), optionally with --write',
    )
    expect(expectOneLineError(await runCli(['sim', 'calibrate', '--check', '--set', join(work, 'none')]))).toMatch(
      /--set .*none: cannot read the folder \(ENOENT\)$/,
    )
    expect(expectOneLineError(await runCli(['sim', 'calibrate', '--check', '--profile', 'no-such-profile']))).toMatch(
      /--profile: unknown profile "no-such-profile"/,
    )
  }, 60_000)
})
