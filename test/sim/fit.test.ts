import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type SimProfile, loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { type FitResult, WELL_DETERMINED, fitProfile } from '../../src/sim/fit/fit.js'
import { formatFitResult } from '../../src/cli/render/sim-fit.js'
import { type MeasuredSweep, readMeasuredSweep } from '../../src/sim/fit/operating-points.js'
import { readParameter, withParameters } from '../../src/sim/fit/parameters.js'
import { samplingNoise } from '../../src/sim/fit/sampling-noise.js'
import { isBatchOfOne, pointError, simulatePointRequests } from '../../src/sim/fit/simulate-point.js'
import type { NetworkPath } from '../../src/sim/network.js'
import { UserError } from '../../src/util/errors.js'
import { writeVirtualSweep } from '../helpers/virtual-sweep.js'

/**
 * `geopat sim fit` in virtual time: sweeps measured (as bench would) from a truth profile whose
 * timing parameters are a built-in profile's moved by 20–50%, written as a bench run folder with
 * bench's writers; the fit starts from the built-in profile and never sees the truth.
 *
 * The recovery runs on the H100 SXM 8B profile (vllm-0.6, 10 scheduler steps): the fit fits its
 * bandwidth efficiency, step overhead, prefill MFU, front-end delay and the scheduler's per-step
 * cost (the multi-step group's head gap separates it from the step overhead), and holds the rest
 * (heldByEngine, and perSequenceUs below what the sweep's batches resolve); the truth moves the
 * fitted ones only, as a parameter held at the base cannot come back from anywhere else.
 */
const BASE = 'h100-sxm-llama-3.1-8b-bf16'
const PERTURBATION: Record<string, number> = {
  'timing.bandwidthEfficiency': 0.75,
  'timing.stepOverheadMs': 1.4,
  'timing.prefillMfu': 0.7,
  'timing.frontendMs': 1.5,
  'timing.schedulerPerStepMs': 1.3,
}
/** The CC arms' test: the H200 profile (vllm-0.5) with its fitted CC tolls. */
const CC_BASE = 'h200-llama-3.1-8b-bf16'
const work = mkdtempSync(join(tmpdir(), 'geopat-fit-'))
/**
 * Each fit is CPU-bound simulation: the file takes ~37 s on a near-quiet machine and took 167 s at
 * load 12–20, where the CC-arms fit (62 s) failed on the config's 60 s timeout. No duration is claimed.
 */
const FIT_TIMEOUT_MS = 240_000

function truthOf(base: SimProfile, stepJitterMs: number): SimProfile {
  const moved = Object.entries(PERTURBATION).map(([path, factor]) => [path, (readParameter(base, path) as number) * factor] as [string, number])
  return withParameters(base, new Map([...moved, ['timing.stepJitterMs', stepJitterMs]]))
}

/** A sweep of varied lengths (so that fixed and per-token costs separate) up to a loaded step. */
async function measure(
  truth: SimProfile,
  name: string,
  seed: number,
  options: { network?: NetworkPath; arms?: Array<{ label: string; confidential: boolean }>; sweepSteps?: number; requests?: number } = {},
): Promise<MeasuredSweep> {
  const dir = join(work, name)
  const { network, arms } = options
  await writeVirtualSweep({
    ...(arms ? { arms } : {}),
    profile: truth,
    dir,
    inputTokens: { dist: 'uniform', min: 32, max: 2048 },
    outputTokens: { dist: 'uniform', min: 32, max: 256 },
    requests: options.requests ?? 120,
    sweepSteps: options.sweepSteps ?? 3,
    sweepMaxConcurrency: 64,
    seed,
    ...(network ? { network } : {}),
  })
  return readMeasuredSweep(dir, { maxRequestsPerPoint: 400, ...(arms ? { endpoint: arms[0]?.label as string, ccEndpoint: arms[1]?.label as string } : {}) })
}

const fitFrom = (base: SimProfile, sweep: MeasuredSweep, leaveOneOutIterations = 15): Promise<FitResult> =>
  fitProfile({ base, baseName: BASE, sweep, maxIterations: 15, leaveOneOutIterations, now: new Date('2026-12-06T08:00:00Z') })

/**
 * The fitted profile's error on every point of a sweep it was not fitted on, worst by regime, and
 * each point's error with its chance variation (the fit's noise: how much a second measurement of
 * the step would differ by chance, 95%, from its requests paired with their simulation).
 */
async function trueErrors(
  profile: SimProfile,
  sweep: MeasuredSweep,
): Promise<{ lowLoad: number; underLoad: number; all: number[]; points: Array<{ label: string; error: number; noise: number }> }> {
  const errors = await Promise.all(
    sweep.points.map(async (point) => {
      const { figures, perRequest } = await simulatePointRequests(profile, point)
      const noise = samplingNoise(point.measuredPerRequest, perRequest, point.load.mode === 'closed' && !isBatchOfOne(point))
      return { label: point.label, regime: point.regime, error: pointError(figures, point.measured), noise }
    }),
  )
  const worst = (regime: string): number => Math.max(0, ...errors.filter((e) => e.regime === regime).map((e) => e.error))
  return { lowLoad: worst('lowLoad'), underLoad: worst('underLoad'), all: errors.map((e) => e.error), points: errors }
}

describe('geopat sim fit on a sweep measured from a perturbed profile', { timeout: FIT_TIMEOUT_MS }, () => {
  it('recovers every parameter it fits within 10% and predicts held-out points within 5% beyond their chance variation', async () => {
    const base = loadProfile(BASE)
    const truth = truthOf(base, 0)
    const sweep = await measure(truth, 'noiseless', 7)
    expect(sweep.points.map((p) => p.label)).toContain('synchronous')
    expect(sweep.points.some((p) => p.regime === 'underLoad')).toBe(true)

    const result = await fitFrom(base, sweep)
    const fittedPaths = result.fitted.map((p) => p.path)
    // What it fits: the perturbed parameters, each a member of no pair the client cannot split.
    expect([...fittedPaths].sort()).toEqual(Object.keys(PERTURBATION).sort())
    for (const parameter of result.fitted) {
      const truthValue = readParameter(truth, parameter.path) as number
      expect(Math.abs(parameter.fitted / truthValue - 1), `${parameter.path}: fitted ${parameter.fitted}, truth ${truthValue}`).toBeLessThan(0.1)
    }
    // What it holds, and why: the scheduler's per-sequence cost pairs with the GPU's, which the
    // sweep's batches are too small to resolve; the front end's per-request CPU with its delay.
    const reason = (path: string): string => result.fixed.find((p) => p.path === path)?.reason ?? ''
    expect(reason('timing.schedulerPerSequenceUs')).toMatch(/10-step group/)
    expect(reason('timing.perSequenceUs')).toMatch(/largest decode batch \(B ≈ \d+/)
    expect(reason('frontend.perRequestMs')).toMatch(/timing\.frontendMs/)
    for (const fixed of result.fixed) expect(fixed.reason.length).toBeGreaterThan(10)

    // Held out: a second sweep (other lengths, arrivals and rates) that the fit never saw, and each
    // point predicted by a fit without it. Within 5% beyond the chance variation of the steps
    // involved: with 10-step groups a request's TTFT depends on where it lands in the running group
    // (up to a group's ~100 ms), so a 120-request step at ~3 req/s varies by chance by up to ~15%
    // (a fit within 4% of the truth moves such a step's mean TTFT by 6%), while the synchronous
    // and maximum-throughput steps vary by < 0.1% and are held to 5% in effect. A point left out is
    // predicted by a refit on the other steps, which carries their chance variation: without the
    // synchronous step, the TTFT intercept that pins timing.frontendMs comes from the loaded steps'
    // TTFTs (2–4% of 120–160 ms). (A flat 5% held only on the earlier seeded streams' sample.)
    const heldOut = await trueErrors(result.profile, await measure(truth, 'noiseless-held-out', 11))
    for (const point of heldOut.points) expect(point.error, `unseen ${point.label} (noise ${point.noise})`).toBeLessThan(0.05 + point.noise)
    for (const [i, point] of result.leaveOneOut.entries()) {
      const othersNoise = Math.max(...result.points.flatMap((p, j) => (j === i ? [] : [p.noise])))
      expect(point.error, `leave-one-out ${point.label}`).toBeLessThan(0.05 + othersNoise)
    }
    // And the validation error it reports (leave-one-out + noise, checked below) covers the unseen sweep's.
    expect(result.profile.calibration?.error.lowLoad as number).toBeGreaterThanOrEqual(heldOut.lowLoad)
    expect(result.profile.calibration?.error.underLoad as number).toBeGreaterThanOrEqual(heldOut.underLoad)

    // The written profile: valid, fitted values in place, provenance complete.
    const profile = simProfileSchema.parse(result.profile)
    // Written to 4 significant digits.
    for (const parameter of result.fitted) expect(Math.abs((readParameter(profile, parameter.path) as number) / parameter.fitted - 1)).toBeLessThan(1e-3)
    expect(profile.calibration?.method).toBe('fitted')
    expect(profile.calibration?.fittedOn).toEqual(sweep.points.map((p) => p.label))
    expect(profile.calibration?.fittedFrom?.fittedParameters).toEqual(fittedPaths)
    expect(profile.calibration?.fittedFrom?.fixedParameters).toEqual(result.fixed.map((p) => p.path))
    expect(profile.calibration?.error.heldOutPoints).toBe(sweep.points.length)
    // The reported band per regime: the largest leave-one-out error plus that point's noise, recomputed here.
    for (const regime of ['lowLoad', 'underLoad'] as const) {
      const band = Math.max(...result.points.flatMap((p, i) => (p.regime === regime ? [(result.leaveOneOut[i]?.error as number) + p.noise] : [])))
      expect(profile.calibration?.error[regime] as number).toBeCloseTo(band, 2)
    }
    for (const path of fittedPaths) expect(profile.sources.some((s) => s.claim.startsWith(`${path} = `))).toBe(true)

    // What the command prints: every point, every parameter, the validation error.
    const printed = formatFitResult(result, 'my-endpoint.yaml')
    for (const point of sweep.points) expect(printed).toContain(point.label)
    for (const parameter of [...result.fitted, ...result.fixed]) expect(printed).toContain(parameter.path)
    expect(printed).toMatch(/validation error .*leave-one-out.* low load ±\d/)
    // CPU-bound in virtual time: 35 s on an idle machine, 50 s on the shared 2 cores, 142 s with a whole suite running beside it.
  }, 240_000)

  it('with step and network jitter, the reported validation error covers the error on points it never saw', async () => {
    const base = loadProfile(BASE)
    const truth = truthOf(base, 0.3)
    const network: NetworkPath = { rttMs: 0, jitterMs: 1, tlsHandshakeRoundTrips: 0 }
    // Fewer leave-one-out iterations (time): a refit stopped early errs more as a rule, so the
    // reported error is, if anything, larger.
    const result = await fitFrom(base, await measure(truth, 'noisy', 7, { network, requests: 80 }), 8)
    const reported = result.profile.calibration?.error
    // The true error: the fitted profile against a second sweep of the same (noisy) deployment.
    const heldOut = await trueErrors(result.profile, await measure(truth, 'noisy-held-out', 13, { network, requests: 80 }))
    expect(reported?.lowLoad).not.toBeNull()
    expect(reported?.underLoad).not.toBeNull()
    expect(reported?.lowLoad as number).toBeGreaterThanOrEqual(heldOut.lowLoad)
    expect(reported?.underLoad as number).toBeGreaterThanOrEqual(heldOut.underLoad)
  })

  it('with a CC-on and a CC-off arm of the same deployment, fits the CC tolls', async () => {
    const base = loadProfile(CC_BASE)
    const confidential = base.confidential
    if (!confidential) throw new Error(`${CC_BASE} has CC settings`)
    // The timing as the base (a profile fitted on the plain arm before); the tolls moved 30–40%
    // (only the tolls are fitted here).
    const tolls = ['confidential.firstTokenTollMs', 'confidential.stepTollMs', 'confidential.perSequenceTollUs']
    const truth = withParameters(
      base,
      new Map([
        ['timing.stepJitterMs', 0],
        ['confidential.firstTokenTollMs', confidential.firstTokenTollMs * 1.4],
        ['confidential.stepTollMs', confidential.stepTollMs * 1.3],
        ['confidential.perSequenceTollUs', confidential.perSequenceTollUs * 0.7],
      ]),
    )
    const arms = [
      { label: 'plain', confidential: false },
      { label: 'cvm', confidential: true },
    ]
    const sweep = await measure(truth, 'two-arms', 7, { arms, sweepSteps: 2, requests: 80 })
    expect(sweep.points.filter((p) => p.confidential).length).toBeGreaterThanOrEqual(2)
    expect(sweep.points.filter((p) => !p.confidential).length).toBeGreaterThanOrEqual(2)
    expect(new Set(sweep.points.map((p) => p.label)).size).toBe(sweep.points.length)
    const result = await fitProfile({ base, baseName: CC_BASE, sweep, parameters: tolls, maxIterations: 12, leaveOneOutIterations: 6, now: new Date() })
    // The tolls are candidates now: each is fitted, or kept for a reason of this sweep, never "needs both arms".
    for (const path of tolls) {
      const fixed = result.fixed.find((p) => p.path === path)
      if (fixed) expect(fixed.reason).not.toMatch(/CC-on and a CC-off arm/)
      else expect(result.fitted.map((p) => p.path)).toContain(path)
    }
    // The first-token toll is the TTFT gap between the arms at low load: always in reach.
    expect(result.fitted.map((p) => p.path)).toContain('confidential.firstTokenTollMs')
    for (const parameter of result.fitted.filter((p) => p.uncertainty <= WELL_DETERMINED || p.path === 'confidential.firstTokenTollMs')) {
      const truthValue = readParameter(truth, parameter.path) as number
      expect(Math.abs(parameter.fitted / truthValue - 1), `${parameter.path}: fitted ${parameter.fitted}, truth ${truthValue}`).toBeLessThan(0.1)
    }
    // The CC-on arm is noisy even here (the profile's CVM network jitter and per-sequence step
    // noise): at low load the fit still matches it, and what it cannot match under load (and the one
    // loaded CC-on point held out: an extrapolation) shows in the reported error.
    for (const point of result.points.filter((p) => p.regime === 'lowLoad')) expect(point.error, `fit ${point.label}`).toBeLessThan(0.05)
    const worstUnderLoad = Math.max(...result.leaveOneOut.filter((p) => p.regime === 'underLoad').map((p) => p.error))
    expect(result.profile.calibration?.error.underLoad as number).toBeGreaterThanOrEqual(worstUnderLoad * 0.999)
    expect(result.profile.description).toContain('CC-on arm cvm')
  })

  it('refuses a parameter or an endpoint it does not know, in one line naming the option by its key (the cli names the flag)', async () => {
    const base = loadProfile(BASE)
    const sweep = await measure(base, 'unknown-parameter', 3, { requests: 20 })
    const attempt = fitProfile({ base, baseName: BASE, sweep, parameters: ['timing.warpSpeed'], maxIterations: 1, leaveOneOutIterations: 1, now: new Date() })
    await expect(attempt).rejects.toBeInstanceOf(UserError)
    await expect(attempt).rejects.toThrow(/^parameters: unknown parameter "timing.warpSpeed"; fittable: timing\./)
    await expect(readMeasuredSweep(join(work, 'unknown-parameter'), { ccEndpoint: 'cvm', maxRequestsPerPoint: 10 })).rejects.toThrow(
      /^ccEndpoint cvm: not in .*summary.json \(endpoints: sim\)$/,
    )
    await expect(readMeasuredSweep(join(work, 'unknown-parameter'), { endpoint: 'sim', ccEndpoint: 'sim', maxRequestsPerPoint: 10 })).rejects.toThrow(
      /^ccEndpoint sim: the same endpoint as endpoint/,
    )
  })
})
