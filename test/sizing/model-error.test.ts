import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { applyModelError, modelErrorBasis } from '../../src/sizing/model-error.js'
import { runSizing, type SizeOptions } from '../../src/sizing/run.js'
import { sizeFleet } from '../../src/sizing/policy.js'
import { range } from '../../src/report/format.js'
import type { EndpointSizing } from '../../src/io/schema/sizing.js'
import { type ProfileCalibration, loadProfile, simProfileSchema } from '../../src/io/schema/sim-profile.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { sectionText } from '../helpers/html.js'
import { reportHtml, sizeOnProfile, writtenSizing } from '../helpers/size-cli.js'

/**
 * The model's error travels with its numbers (issue 16, scope 4): a simulated capacity's interval
 * carries the profile's validation error under load, and the GPU range and $/Mtok interval follow.
 * Profiles with a calibration block are written to a temporary folder (the shipped ones may or may
 * not carry one); every widened figure is recomputed here from the unwidened run and e.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-band-'))
const BASE = 'h100-sxm-llama-3.1-8b-bf16'
const UNDER_LOAD = 0.12

const published = (underLoad: number | null, lowLoad: number | null = 0.03): ProfileCalibration => ({
  method: 'published',
  date: '2026-12-06',
  fittedOn: ['fit-a', 'fit-b'],
  heldOut: ['held-c', 'held-d', 'held-e', 'held-f'],
  error: { lowLoad, underLoad, fitted: 0.04, heldOutPoints: 4 },
})

/** A copy of a shipped profile with `calibration` replaced (or removed), written where loadProfile reads paths. */
function profileFile(name: string, calibration: ProfileCalibration | undefined): string {
  const profile = YAML.parse(readFileSync(join(REPO_ROOT, 'data', 'sim-profiles', `${BASE}.yaml`), 'utf8'))
  delete profile.calibration
  if (calibration) profile.calibration = calibration
  const file = join(work, `${name}.yaml`)
  writeFileSync(file, YAML.stringify(simProfileSchema.parse(profile)))
  return file
}

const CALIBRATED = profileFile('calibrated', published(UNDER_LOAD))
const UNVALIDATED = profileFile('unvalidated', undefined)

const POLICY = { targetUtilization: 0.7, failureDomains: 2, sparePerFailureDomain: 1, surgeFraction: 0.25, rolloutMonths: 0 }
const GPUS_PER_NODE = 8
const PEAK = 600
const PRICE = 2.5

function options(profileFilePath: string): SizeOptions {
  return {
    peakRequestsPerS: PEAK,
    sources: [
      { kind: 'simulated', label: 'sim', profile: loadProfile(profileFilePath), confidential: false, inputTokens: 512, outputTokens: 128, gpusPerReplica: 1 },
    ],
    slo: { ttftMs: 1000, tpotMs: 20 },
    attainment: 0.95,
    policy: POLICY,
    prices: [
      {
        catalogRow: 'command line',
        provider: '(given)',
        region: '-',
        sovereignty: '-',
        currency: 'USD',
        pricePerGpuHour: PRICE,
        sale: { soldBy: 'node', gpusPerNode: GPUS_PER_NODE },
      },
    ],
    simulation: { searches: 3, durationS: 20, seed: 4 },
  }
}

// The documented steady fleet, written out here: base = ⌈peak / (capacity × utilization)⌉, grown until
// the replicas left after losing one of the 2 domains (half of them, rounded up) carry the peak at
// full capacity; one GPU per replica (no surge: it is paid during rollouts only).
function gpusNeededAt(capacityPerS: number | null): number | null {
  if (capacityPerS === null) return null
  let replicas = Math.max(1, Math.ceil(PEAK / (capacityPerS * POLICY.targetUtilization) - 1e-9))
  while (replicas - Math.ceil(replicas / 2) < Math.ceil(PEAK / capacityPerS - 1e-9)) replicas++
  return replicas
}
// Bought in whole nodes of 8 (the price given sells nodes here).
function gpusAt(capacityPerS: number | null): number | null {
  const needed = gpusNeededAt(capacityPerS)
  return needed === null ? null : Math.ceil(needed / GPUS_PER_NODE) * GPUS_PER_NODE
}
// InferenceX's $/Mtok on one replica of one GPU.
const perMtokAt = (tokensPerS: number): number => PRICE / ((tokensPerS * 3600) / 1e6)

describe('the model error band of a simulated capacity', () => {
  let banded: EndpointSizing
  let plain: EndpointSizing

  it('widens the searches’ interval by the profile’s under-load error: low ÷ (1 + e), high ÷ (1 − e), recomputed from the unwidened run', async () => {
    // Same seed, same engine: the unvalidated copy gives the unwidened figures of the same searches.
    banded = (await runSizing(options(CALIBRATED))).endpoints[0] as EndpointSizing
    plain = (await runSizing(options(UNVALIDATED))).endpoints[0] as EndpointSizing
    const raw = plain.capacityPerReplica
    const rate = banded.capacityPerReplica.ratePerS
    expect(raw.ratePerS.low).toBeGreaterThan(0)
    expect(rate.estimate).toBeCloseTo(raw.ratePerS.estimate, 9)
    expect(rate.low).toBeCloseTo(raw.ratePerS.low / (1 + UNDER_LOAD), 9)
    expect(rate.high as number).toBeCloseTo((raw.ratePerS.high as number) / (1 - UNDER_LOAD), 9)
    for (const key of ['inputTokensPerS', 'outputTokensPerS'] as const) {
      expect(banded.capacityPerReplica[key].low).toBeCloseTo(raw[key].low / (1 + UNDER_LOAD), 6)
      expect(banded.capacityPerReplica[key].high as number).toBeCloseTo((raw[key].high as number) / (1 - UNDER_LOAD), 6)
    }
    // Both parts stay visible in sizing.json: the fraction, its regime and basis, before and after.
    expect(banded.modelError).toMatchObject({ basis: 'published', regime: 'underLoad', fraction: UNDER_LOAD, points: 4, from: null })
    expect(banded.modelError?.sentence).toBe('simulated (validated to ±12% under load on 4 published points)')
    expect(banded.modelError?.sampling.low).toBeCloseTo(raw.ratePerS.low, 9)
    expect(banded.modelError?.sampling.high as number).toBeCloseTo(raw.ratePerS.high as number, 9)
    expect(banded.modelError?.widened).toEqual({ low: rate.low, high: rate.high })
    expect(rate.method).toMatch(/±12% under-load validation error/)
  }, 60_000)

  it('carries the band into the GPU range, the fleet cost and the $/Mtok interval', () => {
    const raw = plain.capacityPerReplica
    // The most GPUs at the low end of the widened capacity, the fewest at its high end.
    expect(banded.gpus.high).toBe(gpusNeededAt(raw.ratePerS.low / (1 + UNDER_LOAD)))
    expect(banded.gpus.low).toBe(gpusNeededAt((raw.ratePerS.high as number) / (1 - UNDER_LOAD)))
    expect(banded.gpus.total).toBe(gpusNeededAt(raw.ratePerS.estimate))
    expect(banded.costs[0]?.gpusBought).toMatchObject({
      estimate: gpusAt(raw.ratePerS.estimate),
      low: gpusAt((raw.ratePerS.high as number) / (1 - UNDER_LOAD)),
      high: gpusAt(raw.ratePerS.low / (1 + UNDER_LOAD)),
    })
    // Not vacuous: at this peak the band moves the top of the range.
    expect(banded.gpus.high as number).toBeGreaterThan(plain.gpus.high as number)
    expect(banded.gpus.low).toBeLessThanOrEqual(plain.gpus.low)
    const cost = banded.costs[0]
    expect(cost?.fleetPerMonth.high as number).toBeCloseTo((gpusAt(raw.ratePerS.low / (1 + UNDER_LOAD)) as number) * PRICE * 730, 6)
    expect(cost?.fleetPerMonth.low).toBeCloseTo((gpusAt((raw.ratePerS.high as number) / (1 - UNDER_LOAD)) as number) * PRICE * 730, 6)
    const output = cost?.perMtokOneReplicaAtFullLoad.output
    expect(output?.estimate).toBeCloseTo(perMtokAt(raw.outputTokensPerS.estimate), 9)
    expect(output?.high as number).toBeCloseTo(perMtokAt(raw.outputTokensPerS.low / (1 + UNDER_LOAD)), 9)
    expect(output?.low).toBeCloseTo(perMtokAt((raw.outputTokensPerS.high as number) / (1 - UNDER_LOAD)), 9)
    const total = cost?.perMtokOneReplicaAtFullLoad.total
    expect(total?.high as number).toBeCloseTo(perMtokAt((raw.inputTokensPerS.low + raw.outputTokensPerS.low) / (1 + UNDER_LOAD)), 9)
    expect(cost?.notes.join(' ')).toContain('simulated (validated to ±12% under load on 4 published points)')
  })

  it('an unvalidated profile says so and invents no band', () => {
    expect(plain.modelError).toMatchObject({ basis: 'unvalidated', regime: null, fraction: null, points: null })
    expect(plain.modelError?.sentence).toBe('simulated (not validated against measurements)')
    expect(plain.modelError?.widened).toEqual(plain.modelError?.sampling)
    expect(plain.capacityPerReplica.ratePerS.low).toBe(plain.modelError?.sampling.low)
    expect(plain.warnings.join(' ')).toContain('not validated against measurements')
    expect(plain.costs[0]?.notes.join(' ')).toContain('no model error band')
  })
})

describe('which error a profile carries, and how it is said', () => {
  const base = loadProfile(BASE)
  const withCalibration = (calibration: ProfileCalibration | undefined) => {
    const { calibration: _ignored, ...rest } = base
    return simProfileSchema.parse(calibration ? { ...rest, calibration } : rest)
  }
  const capacity = (low: number, estimate: number, high: number) => {
    const e = (f: number) => ({ estimate: estimate * f, low: low * f, high: high * f, method: 'test' })
    return { ratePerS: e(1), inputTokensPerS: e(500), outputTokensPerS: e(120), lowerBoundOnly: false }
  }

  it('falls back to the low-load error only with a label saying so', () => {
    const basis = modelErrorBasis(withCalibration(published(null, 0.05)))
    expect(basis).toMatchObject({ regime: 'lowLoad', fraction: 0.05 })
    expect(basis.sentence).toContain('at low load only')
    expect(basis.warning).toMatch(/no held-out point under load.*low-load error/)
    const { capacity: widened } = applyModelError(capacity(8, 10, 12), withCalibration(published(null, 0.05)))
    expect(widened.ratePerS.low).toBeCloseTo(8 / 1.05, 12)
    expect(widened.ratePerS.high as number).toBeCloseTo(12 / 0.95, 12)
  })

  it('counts the points of the regime it uses, and never carries the error beyond saturation', () => {
    const calibration = published(0.08, 0.02)
    const basis = modelErrorBasis(
      withCalibration({ ...calibration, error: { ...calibration.error, heldOutPoints: 6, lowLoadPoints: 1, underLoadPoints: 3, overload: 0.9 } }),
    )
    expect(basis).toMatchObject({ regime: 'underLoad', fraction: 0.08, points: 3 })
    expect(basis.sentence).toContain('±8% under load on 3 published points')
  })

  it('a calibration with no held-out point gives no band and a warning', () => {
    const profile = withCalibration(published(null, null))
    const { capacity: same, modelError, warnings } = applyModelError(capacity(8, 10, 12), profile)
    expect(modelError.fraction).toBeNull()
    expect(same.ratePerS).toMatchObject({ low: 8, high: 12 })
    expect(warnings.join(' ')).toMatch(/error is unknown/)
  })

  it('says "fitted to <run>" for a sim fit profile and names the profile a derived one borrows from', () => {
    const fitted = modelErrorBasis(
      withCalibration({
        method: 'fitted',
        date: '2026-12-06',
        fittedOn: ['s1', 's2', 's3'],
        heldOut: ['s4', 's5'],
        error: { lowLoad: 0.01, underLoad: 0.04, fitted: 0.02, heldOutPoints: 5 },
        fittedFrom: {
          runFolder: 'reports/20261206-sweep',
          runId: '20261206-sweep',
          baseProfile: BASE,
          fittedParameters: ['timing.stepOverheadMs'],
          fixedParameters: [],
        },
      }),
    )
    expect(fitted).toMatchObject({ basis: 'fitted', fraction: 0.04, from: 'reports/20261206-sweep' })
    expect(fitted.sentence).toMatch(
      /^fitted to reports\/20261206-sweep \(run 20261206-sweep, 2026-12-06; leave-one-out error ±4% under load on 5 measured points\)$/,
    )
    const derived = modelErrorBasis(
      withCalibration({
        ...published(0.09),
        method: 'derived',
        derivedFrom: { profile: 'h100-sxm-llama-3.1-70b-bf16-tp4', reason: 'same model and GPU, FP8 weights' },
      }),
    )
    expect(derived).toMatchObject({ basis: 'derived', fraction: 0.09, from: 'h100-sxm-llama-3.1-70b-bf16-tp4' })
    expect(derived.sentence).toMatch(
      /^derived from h100-sxm-llama-3\.1-70b-bf16-tp4: same model and GPU, FP8 weights \(its validation error ±9% under load on 4 published points\)$/,
    )
  })

  it('an error of 100% or more leaves the capacity unbounded above: one base replica at the cheap end', () => {
    const { capacity: widened } = applyModelError(capacity(8, 10, 12), withCalibration(published(1)))
    expect(widened.ratePerS.low).toBeCloseTo(4, 12)
    expect(widened.ratePerS.high).toBeNull()
    // The fewest replicas: one base replica, and one more so that one survives the loss of either of the 2 domains.
    const fleet = sizeFleet(100, widened.ratePerS, 1, POLICY)
    expect(fleet.replicas.low).toBe(2)
  })
})

describe('the band in the size table and the report', () => {
  it('geopat size prints the band beside the capacity, and the report’s capacity section shows it with the sentence', async () => {
    const out = join(work, 'size')
    const size = await sizeOnProfile(CALIBRATED, PEAK, ['--gpu-hour-price', String(PRICE), '--searches', '2', '--sim-duration', '10', '--out', out])
    expect(size.exitCode, size.stderr).toBe(0)
    const sizing = writtenSizing(out)
    const endpoint = sizing.endpoints[0] as EndpointSizing
    const band = endpoint.modelError
    const two = (v: number | null) => (v === null ? '∞' : v.toFixed(2))
    expect(size.stdout).toContain(
      `model error: simulated (validated to ±12% under load on 4 published points): searches [${two(band?.sampling.low ?? null)}, ${two(band?.sampling.high ?? null)}] req/s, with the band [${two(endpoint.capacityPerReplica.ratePerS.low)}, ${two(endpoint.capacityPerReplica.ratePerS.high)}] req/s`,
    )
    expect(size.stdout).toContain(`(${endpoint.gpus.low}–${endpoint.gpus.high ?? '∞'})`)

    const html = await reportHtml(out, join(work, 'report.html'))
    const text = sectionText(html, 'capacity')
    expect(text).toContain('simulated (validated to ±12% under load on 4 published points): searches')
    expect(text).toContain('with the band')
    expect(text).toContain('low ÷ (1 + e), high ÷ (1 − e)')
    // The report writes counts with thousands separators (src/report/format.ts range()).
    expect(text).toContain(range(endpoint.gpus.low, endpoint.gpus.high))
    expect(text).toMatch(/fleet and \$\/Mtok intervals include the model(&#x27;|'|’)s error/)
  }, 60_000)

  it('an unvalidated profile is said to be so in the table and the report, with no band', async () => {
    const out = join(work, 'size-unvalidated')
    const size = await sizeOnProfile(UNVALIDATED, PEAK, ['--searches', '2', '--sim-duration', '10', '--out', out])
    expect(size.exitCode, size.stderr).toBe(0)
    expect(size.stdout).toContain('model error: simulated (not validated against measurements): no band')
    expect(size.stdout).toMatch(/warning: profile .* is not validated against measurements/)
    const html = await reportHtml(out, join(work, 'report-unvalidated.html'))
    const text = sectionText(html, 'capacity')
    expect(text).toContain('simulated (not validated against measurements): no band')
    expect(text).not.toContain('with the band')
    expect(text).toMatch(/is not validated against measurements \(no calibration block\)/)
  }, 60_000)
})
