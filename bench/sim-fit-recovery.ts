/**
 * `geopat sim fit` over the real HTTP path (the issue's fit acceptance, seen as a user runs it, the
 * virtual-time tests in test/sim/fit.test.ts hold the same claims without a clock):
 *  1. a profile with timing parameters unknown to the fit (the H100 SXM 8B profile, the five
 *     parameters the fit fits for its engine moved by 25–50%, the ones it holds at the base's
 *     values left there) is served by `geopat sim --profile truth.yaml` in its own process;
 *  2. `geopat bench --profile sweep` measures it twice over HTTP, with different seeds: one sweep to
 *     fit on, one never shown to the fit;
 *  3. the fit starts from the unperturbed profile; the table gives each parameter's truth, fitted
 *     value and the fit's own "determined to ±X%", the leave-one-out error, and the error on the
 *     unseen sweep's points (with, for scale, the truth profile's own error there: what the HTTP
 *     path and the machine add).
 *
 * With --noise the truth also has step noise (stepJitterMs 0.3 ms, 6× the base's) and the simulator
 * network jitter (--network-jitter-ms 1), which the fit does not know: the question there is
 * whether the reported validation error covers the error on the unseen sweep.
 *
 *   npm run build && node dist/bench/sim-fit-recovery.js [--duration 40] [--noise] [--write]
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { loadProfile } from '../src/io/schema/sim-profile.js'
import { fitProfile } from '../src/sim/fit/fit.js'
import { readMeasuredSweep } from '../src/sim/fit/operating-points.js'
import { readParameter, withParameters } from '../src/sim/fit/parameters.js'
import { pointError, simulatePoint } from '../src/sim/fit/simulate-point.js'
import { startProfileSim } from './lib/sim-process.js'
import { runGeopatBench } from './lib/sim-runs.js'
import { machineInfo, machineLine } from './lib/machine.js'
import { fmt, log, markdownTable, showAndWriteResults } from './lib/results.js'
import { argument, parsePositive } from './lib/script-options.js'

const BASE = 'h100-sxm-llama-3.1-8b-bf16'
/** The truth: each parameter × its factor (unknown to the fit, which starts from the base). */
const PERTURBATION: ReadonlyArray<[string, number]> = [
  ['timing.bandwidthEfficiency', 0.75],
  ['timing.stepOverheadMs', 1.4],
  ['timing.prefillMfu', 0.7],
  ['timing.frontendMs', 1.5],
  ['timing.schedulerPerStepMs', 1.3],
]
/** --noise: the truth's step noise (ms, standard deviation) and the simulator's network jitter (ms, uniform ±). */
const NOISE = { stepJitterMs: 0.3, networkJitterMs: 1 }
const MAX_REQUESTS_PER_POINT = 400
/** Rates between synchronous and maximum throughput: 5 steps in all per sweep. */
const SWEEP_STEPS = 3
const ITERATIONS = 20

async function main(): Promise<void> {
  const durationS = parsePositive(argument('duration', '20'), '--duration')
  const write = process.argv.includes('--write')
  const noise = process.argv.includes('--noise')
  const machine = await machineInfo()
  const base = loadProfile(BASE)
  const truth = withParameters(
    base,
    new Map([
      ...PERTURBATION.map(([path, factor]): [string, number] => [path, (readParameter(base, path) as number) * factor]),
      ...(noise ? [['timing.stepJitterMs', NOISE.stepJitterMs] as [string, number]] : []),
    ]),
  )
  const work = mkdtempSync(join(tmpdir(), 'geopat-fit-recovery-'))
  const truthFile = join(work, 'truth.yaml')
  writeFileSync(truthFile, YAML.stringify({ ...truth, name: 'perturbed-h100-sxm', calibration: undefined }))

  const sweepArgs = (seed: number) => [
    '--profile',
    'sweep',
    '--sweep-steps',
    String(SWEEP_STEPS),
    '--duration',
    String(durationS),
    '--input-tokens',
    'uniform:32-2048',
    '--output-tokens',
    'uniform:32-256',
    '--seed',
    String(seed),
    '--scrape-metrics',
    '--no-progress',
  ]
  const sim = await startProfileSim(truthFile, 30_000, noise ? ['--network-jitter-ms', String(NOISE.networkJitterMs)] : [])
  const fitDir = join(work, 'fit-sweep')
  const unseenDir = join(work, 'unseen-sweep')
  try {
    log(`sweep to fit on (${durationS} s per step) against ${sim.url}`)
    await runGeopatBench(sim.url, sweepArgs(1), { outDir: fitDir })
    log('sweep never shown to the fit')
    await runGeopatBench(sim.url, sweepArgs(2), { outDir: unseenDir })
  } finally {
    await sim.stop()
  }

  const sweep = await readMeasuredSweep(fitDir, { maxRequestsPerPoint: MAX_REQUESTS_PER_POINT, includeClientBound: true })
  const started = Date.now()
  const result = await fitProfile({ base, baseName: BASE, sweep, maxIterations: ITERATIONS, leaveOneOutIterations: ITERATIONS, now: new Date() })
  const fitSeconds = (Date.now() - started) / 1000
  const unseen = await readMeasuredSweep(unseenDir, { maxRequestsPerPoint: MAX_REQUESTS_PER_POINT, includeClientBound: true })
  const unseenRows: Array<{ label: string; regime: string; fittedError: number; truthError: number }> = []
  for (const point of unseen.points) {
    const fitted = await simulatePoint(result.profile, point)
    const truthFigures = await simulatePoint(truth, point)
    unseenRows.push({
      label: point.label,
      regime: point.regime,
      fittedError: pointError(fitted, point.measured),
      truthError: pointError(truthFigures, point.measured),
    })
  }
  const clientBound = (notes: readonly string[]): number => notes.filter((n) => n.includes("the client's self-check says")).length
  const reported = result.profile.calibration?.error
  const trueByRegime = (regime: string): number | null => {
    const errors = unseenRows.filter((r) => r.regime === regime).map((r) => r.fittedError)
    return errors.length > 0 ? Math.max(...errors) : null
  }
  const covers = (bound: number | null | undefined, actual: number | null): string =>
    bound === null || bound === undefined || actual === null ? '–' : bound >= actual ? 'yes' : 'no'

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
  const heldTiming = result.fixed.filter(
    (p) => !PERTURBATION.some(([path]) => path === p.path) && (p.path.startsWith('timing.') || p.path.startsWith('frontend.')),
  )
  const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`)
  const markdown = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine(machine)}: \`node dist/bench/sim-fit-recovery.js --duration ${durationS}${noise ? ' --noise' : ''}\`. The truth is ${BASE} with ${PERTURBATION.map(([p, f]) => `${p} ×${f}`).join(', ')}${noise ? `, step noise stepJitterMs ${NOISE.stepJitterMs} ms (base ${base.timing.stepJitterMs})` : ''}, served by \`geopat sim --profile truth.yaml${noise ? ` --network-jitter-ms ${NOISE.networkJitterMs}` : ''}\`; two \`geopat bench --profile sweep\` runs over HTTP (seeds 1 and 2, uniform 32–2,048 prompt and 32–256 output tokens); the fit starts from the unperturbed profile (${ITERATIONS} iterations, ≤ ${MAX_REQUESTS_PER_POINT} requests per point; ${fitSeconds.toFixed(0)} s).`,
    '',
    markdownTable(
      ['parameter', 'base', 'truth', 'fitted', 'fitted vs truth', 'fit says determined to'],
      [
        ...parameterRows.map((r) => [
          r.path,
          fmt(r.base, 3),
          fmt(r.truth, 3),
          r.fitted === null ? `fixed (${r.fixedBecause ?? ''})` : fmt(r.fitted, 3),
          r.errorVsTruth === null ? '–' : pct(r.errorVsTruth),
          r.determined === null ? '–' : `±${pct(r.determined)}`,
        ]),
        ...otherFitted.map((p) => [
          p.path,
          fmt(p.base, 3),
          `${fmt(p.base, 3)} (not perturbed)`,
          fmt(p.fitted, 3),
          pct(p.fitted / p.base - 1),
          `±${pct(p.uncertainty)}`,
        ]),
        ...heldTiming.map((p) => [
          p.path,
          p.value === null ? '–' : fmt(p.value, 3),
          `${p.value === null ? '–' : fmt(p.value, 3)} (not perturbed)`,
          `held at the base: ${p.reason}`,
          '–',
          '–',
        ]),
      ],
    ),
    '',
    markdownTable(
      ['point', 'regime', 'fit error', 'leave-one-out error', 'noise (a second measurement, 95%)'],
      result.points.map((p) => [p.label, p.regime, pct(p.error), pct(result.leaveOneOut.find((l) => l.label === p.label)?.error ?? null), `±${pct(p.noise)}`]),
    ),
    '',
    `Client self-check: ${clientBound(sweep.notes)} of ${sweep.points.length} steps of the fitted sweep and ${clientBound(unseen.notes)} of ${unseen.points.length} of the unseen one were called client-bound (the machine was shared; load average at start in the line above); they are kept (the fit replays the intended send times), so their figures carry the load machine's lateness. /metrics: ${sweep.points.filter((p) => p.measured.meanRunning !== null).length} of ${sweep.points.length} fitted steps had \`vllm:num_requests_running\` scrapes (\`geopat bench --scrape-metrics\`).`,
    '',
    `Reported validation error (written to the profile's calibration block: per regime, the largest leave-one-out error plus that point's noise): low load ±${pct(reported?.lowLoad ?? null)}, under load ±${pct(reported?.underLoad ?? null)}. True error (the fitted profile's largest error on the unseen sweep): low load ${pct(trueByRegime('lowLoad'))}, under load ${pct(trueByRegime('underLoad'))}; covered: low load ${covers(reported?.lowLoad, trueByRegime('lowLoad'))}, under load ${covers(reported?.underLoad, trueByRegime('underLoad'))}.`,
    '',
    'The sweep never shown to the fit (largest error over mean TTFT, mean TPOT and output tok/s; the truth profile simulated on the same requests, for the floor the HTTP path and the machine set):',
    '',
    markdownTable(
      ['point', 'regime', 'fitted profile', 'truth profile'],
      unseenRows.map((r) => [r.label, r.regime, pct(r.fittedError), pct(r.truthError)]),
    ),
  ].join('\n')
  showAndWriteResults(
    noise ? 'sim-fit-recovery-noise' : 'sim-fit-recovery',
    markdown,
    {
      noise: noise ? NOISE : null,
      machine,
      durationS,
      perturbation: PERTURBATION,
      parameters: parameterRows,
      fitted: result.fitted,
      fixed: result.fixed,
      points: result.points,
      leaveOneOut: result.leaveOneOut,
      unseen: unseenRows,
      calibration: result.profile.calibration,
    },
    { json: false, write },
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
