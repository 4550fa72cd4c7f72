/**
 * `geopat sim fit` over the real HTTP path (the issue's fit acceptance, seen as a user runs it, the
 * virtual-time tests in test/sim/fit.test.ts hold the same claims without a clock):
 *  1. a profile with timing parameters unknown to the fit (the H100 SXM 8B profile, five parameters
 *     moved by 25–50%) is served by `geopat sim --profile truth.yaml` in its own process;
 *  2. `geopat bench --profile sweep` measures it twice over HTTP, with different seeds: one sweep to
 *     fit on, one never shown to the fit;
 *  3. the fit starts from the unperturbed profile; the table gives each parameter's truth, fitted
 *     value and the fit's own "determined to ±X%", the leave-one-out error, and the error on the
 *     unseen sweep's points (with, for scale, the truth profile's own error there: what the HTTP
 *     path and the machine add).
 *
 *   npm run build && node dist/bench/sim-fit-recovery.js [--duration 20] [--write]
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { loadProfile } from '../src/sim/engine/profile.js'
import { fitProfile } from '../src/sim/fit/fit.js'
import { readMeasuredSweep } from '../src/sim/fit/operating-points.js'
import { readParameter, withParameters } from '../src/sim/fit/parameters.js'
import { pointError, simulatePoint } from '../src/sim/fit/simulate-point.js'
import { fmt, log, machineInfo, machineLine, markdownTable, parsePositive, runGeopatBench, startProfileSim, writeResultsData, writeResultsSection } from './common.js'

const BASE = 'h100-sxm-llama-3.1-8b-bf16'
/** The truth: each parameter × its factor (unknown to the fit, which starts from the base). */
const PERTURBATION: ReadonlyArray<[string, number]> = [
  ['timing.bandwidthEfficiency', 0.75],
  ['timing.stepOverheadMs', 1.4],
  ['timing.prefillMfu', 0.7],
  ['timing.frontendMs', 1.5],
  ['timing.schedulerPerSequenceUs', 1.3],
]
const MAX_REQUESTS_PER_POINT = 400
const ITERATIONS = 20

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

async function main(): Promise<void> {
  const durationS = parsePositive(argument('duration', '20'), '--duration')
  const write = process.argv.includes('--write')
  const machine = await machineInfo()
  const base = loadProfile(BASE)
  const truth = withParameters(base, new Map(PERTURBATION.map(([path, factor]) => [path, (readParameter(base, path) as number) * factor])))
  const work = mkdtempSync(join(tmpdir(), 'geopat-fit-recovery-'))
  const truthFile = join(work, 'truth.yaml')
  writeFileSync(truthFile, YAML.stringify({ ...truth, name: 'perturbed-h100-sxm', calibration: undefined }))

  const sweepArgs = (seed: number) => ['--profile', 'sweep', '--duration', String(durationS), '--input-tokens', 'uniform:32-2048', '--output-tokens', 'uniform:32-256', '--seed', String(seed), '--no-progress']
  const sim = await startProfileSim(truthFile)
  const fitDir = join(work, 'fit-sweep')
  const unseenDir = join(work, 'unseen-sweep')
  try {
    log(`sweep to fit on (${durationS} s per step) against ${sim.url}`)
    await runGeopatBench(sim.url, sweepArgs(1), { outDir: fitDir, keep: true })
    log('sweep never shown to the fit')
    await runGeopatBench(sim.url, sweepArgs(2), { outDir: unseenDir, keep: true })
  } finally {
    await sim.stop()
  }

  const sweep = await readMeasuredSweep(fitDir, { maxRequestsPerPoint: MAX_REQUESTS_PER_POINT })
  const started = Date.now()
  const result = await fitProfile({ base, baseName: BASE, sweep, maxIterations: ITERATIONS, leaveOneOutIterations: ITERATIONS, now: new Date() })
  const fitSeconds = (Date.now() - started) / 1000
  const unseen = await readMeasuredSweep(unseenDir, { maxRequestsPerPoint: MAX_REQUESTS_PER_POINT })
  const unseenRows: Array<{ label: string; regime: string; fittedError: number; truthError: number }> = []
  for (const point of unseen.points) {
    const fitted = await simulatePoint(result.profile, point)
    const truthFigures = await simulatePoint(truth, point)
    unseenRows.push({ label: point.label, regime: point.regime, fittedError: pointError(fitted, point.measured), truthError: pointError(truthFigures, point.measured) })
  }

  const parameterRows = PERTURBATION.map(([path]) => {
    const truthValue = readParameter(truth, path) as number
    const fitted = result.fitted.find((p) => p.path === path)
    const fixed = result.fixed.find((p) => p.path === path)
    return {
      path,
      base: readParameter(base, path) as number,
      truth: truthValue,
      fitted: fitted?.fitted ?? null,
      errorVsTruth: fitted ? fitted.fitted / truthValue - 1 : null,
      determined: fitted?.uncertainty ?? null,
      fixedBecause: fixed?.reason ?? null,
    }
  })
  const otherFitted = result.fitted.filter((p) => !PERTURBATION.some(([path]) => path === p.path))
  const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`)
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine(machine)}: \`node dist/bench/sim-fit-recovery.js --duration ${durationS}\`. The truth is ${BASE} with ${PERTURBATION.map(([p, f]) => `${p} ×${f}`).join(', ')}, served by \`geopat sim --profile truth.yaml\`; two \`geopat bench --profile sweep\` runs over HTTP (seeds 1 and 2, uniform 32–2,048 prompt and 32–256 output tokens); the fit starts from the unperturbed profile (${ITERATIONS} iterations, ≤ ${MAX_REQUESTS_PER_POINT} requests per point; ${fitSeconds.toFixed(0)} s).`,
    '',
    markdownTable(
      ['parameter', 'base', 'truth', 'fitted', 'fitted vs truth', 'fit says determined to'],
      [
        ...parameterRows.map((r) => [r.path, fmt(r.base, 3), fmt(r.truth, 3), r.fitted === null ? `fixed (${r.fixedBecause ?? ''})` : fmt(r.fitted, 3), r.errorVsTruth === null ? '–' : pct(r.errorVsTruth), r.determined === null ? '–' : `±${pct(r.determined)}`]),
        ...otherFitted.map((p) => [p.path, fmt(p.base, 3), `${fmt(p.base, 3)} (not perturbed)`, fmt(p.fitted, 3), pct(p.fitted / p.base - 1), `±${pct(p.uncertainty)}`]),
      ],
    ),
    '',
    markdownTable(
      ['point', 'regime', 'fit error', 'leave-one-out error'],
      result.points.map((p) => [p.label, p.regime, pct(p.error), pct(result.leaveOneOut.find((l) => l.label === p.label)?.error ?? null)]),
    ),
    '',
    `Reported validation error (written to the profile's calibration block): low load ±${pct(result.profile.calibration?.error.lowLoad ?? null)}, under load ±${pct(result.profile.calibration?.error.underLoad ?? null)}.`,
    '',
    'The sweep never shown to the fit (largest error over mean TTFT, mean TPOT and output tok/s; the truth profile simulated on the same requests, for the floor the HTTP path and the machine set):',
    '',
    markdownTable(['point', 'regime', 'fitted profile', 'truth profile'], unseenRows.map((r) => [r.label, r.regime, pct(r.fittedError), pct(r.truthError)])),
  ].join('\n')
  console.log(markdown)
  if (write) {
    writeResultsSection('sim-fit-recovery', markdown)
    writeResultsData('sim-fit-recovery', { machine, durationS, perturbation: PERTURBATION, parameters: parameterRows, fitted: result.fitted, fixed: result.fixed, points: result.points, leaveOneOut: result.leaveOneOut, unseen: unseenRows, calibration: result.profile.calibration })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
