import { describe, expect, it } from 'vitest'
import { type CompareRecord, contrastArms } from '../../src/compare/analyze.js'
import type { LoadStep } from '../../src/load/runner.js'
import { compareConfigSchema } from '../../src/io/schema/compare.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'

// Statistical checks in the simulator's virtual time: the same engine as `geopat sim`, no HTTP.
const NVL = loadProfile('h100-nvl-llama-3.1-8b-bf16')
const lengths = { inputTokens: { dist: 'lognormal' as const, mean: 250, std: 230, min: 4, max: 1024 }, outputTokens: 32 }
const config = compareConfigSchema.parse({ resamples: 2000 })

async function arm(label: string, confidential: boolean, promptSeed: number, noiseSeed: number, requests: number): Promise<CompareRecord[]> {
  // The same prompt lengths for both arms (promptSeed); the engine's step noise differs (noiseSeed).
  const load: LoadStep = { step: 0, label, mode: 'closed', concurrency: 1, maxRequests: requests, arrival: 'poisson', burstiness: 1, seed: promptSeed }
  const profile = { ...NVL, timing: { ...NVL.timing, stepJitterMs: 0.3 } }
  const { records } = await runVirtual({ profile, confidential, load, ...lengths, seed: promptSeed, keepRecords: true, noiseSeed })
  return records.map((record) => ({ arm: label, round: 0, record }))
}

/**
 * The two long runs (4000 requests per arm) that give the population's ratios: the same seeds for
 * the TTFT and the ITL test, so they are run once and shared (time).
 */
let longArms: Promise<[CompareRecord[], CompareRecord[]]> | undefined
const theLongArms = (): Promise<[CompareRecord[], CompareRecord[]]> =>
  (longArms ??= (async () => [await arm('A', false, 999, 1, 4000), await arm('B', true, 999, 2, 4000)] as [CompareRecord[], CompareRecord[]])())

/** The population's mean ratio (CC on / off) of a metric, from one long run of each arm. */
async function trueRatio(metric: 'ttft' | 'itl'): Promise<number> {
  const [a, b] = await theLongArms()
  const mean = (records: CompareRecord[], pick: (r: CompareRecord['record']) => number | null) => {
    const values = records.map((r) => pick(r.record)).filter((v): v is number => v !== null)
    return values.reduce((x, y) => x + y, 0) / values.length
  }
  const pick =
    metric === 'ttft'
      ? (r: CompareRecord['record']) => r.timeToFirstTokenMs
      : (r: CompareRecord['record']) =>
          r.chunks.length > 1 ? ((r.chunks.at(-1) as [number, number])[0] - (r.chunks[0] as [number, number])[0]) / (r.outputTokens - 1) : null
  return mean(b, pick) / mean(a, pick)
}

type Contrast = ReturnType<typeof contrastArms>

/**
 * The 20 seeded A/B repetitions (CC off vs on) and their contrasts. The arms, seeds and contrasts
 * are the same for the TTFT and the ITL test (each contrast holds every metric's interval), so
 * they are computed once and each test reads its metric's intervals (time).
 */
let abReps: Promise<Contrast[]> | undefined
function theAbContrasts(): Promise<Contrast[]> {
  abReps ??= (async () => {
    const contrasts: Contrast[] = []
    for (let rep = 0; rep < 20; rep++) {
      const a = await arm('A', false, 200 + rep, 3 + rep, 60)
      const b = await arm('B', true, 200 + rep, 50 + rep, 60)
      contrasts.push(contrastArms({ label: 'A', records: a }, { label: 'B', records: b }, config, null, rep))
    }
    return contrasts
  })()
  return abReps
}

describe('interval coverage over 20 seeded repetitions', () => {
  it('A/A: the ratio interval covers 1.0 at least 17 times out of 20', async () => {
    let covered = 0
    for (let rep = 0; rep < 20; rep++) {
      // Each repetition draws its own step noise (as the A/B test does): with the same two noise
      // seeds in every repetition, the 20 would compare the same two noise sequences, not 20 samples.
      const a = await arm('A', false, 100 + rep, 1000 + rep, 60)
      const b = await arm('A again', false, 100 + rep, 2000 + rep, 60)
      const ratio = contrastArms({ label: 'A', records: a }, { label: 'A again', records: b }, config, null, rep).metrics.ttft.mean.ratio
      if (ratio && ratio.low <= 1 && 1 <= ratio.high) covered++
    }
    expect(covered).toBeGreaterThanOrEqual(17)
  })

  it.each(['ttft', 'itl'] as const)('A/B (CC off vs on): the %s ratio interval covers the true ratio at least 17 times out of 20', async (metric) => {
    const truth = await trueRatio(metric)
    expect(truth).toBeGreaterThan(1.02)
    const contrasts = await theAbContrasts()
    expect(contrasts).toHaveLength(20)
    let covered = 0
    for (const contrast of contrasts) {
      const ratio = contrast.metrics[metric].mean.ratio
      if (ratio && ratio.low <= truth && truth <= ratio.high) covered++
    }
    expect(covered).toBeGreaterThanOrEqual(17)
  })
})
