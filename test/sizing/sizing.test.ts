import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import YAML from 'yaml'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { capacityFromSweep, wilsonInterval } from '../../src/sizing/replica-capacity.js'
import { capacityFromSimulator } from '../../src/sizing/simulated-capacity.js'
import { lengthMoments } from '../../src/sizing/traffic.js'
import { sizeFleet } from '../../src/sizing/policy.js'
import { costPerMtok, pricePerMtok } from '../../src/pricing/unit-cost.js'
import type { RunSummary } from '../../src/io/schema/summary.js'
import { impliedCapacity } from '../../src/sim/engine/implied-capacity.js'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { runVirtual } from '../../src/sim/virtual.js'
import { Interrupted } from '../../src/util/interrupt.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { printedSizing, sizeOnProfile } from '../helpers/size-cli.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-size-'))
const PROFILE = loadProfile('h100-sxm-llama-3.1-8b-bf16')
const SHAPE = { inputTokens: 512, outputTokens: 128 }

describe('$/Mtok from goodput', () => {
  it("reproduces the reference's InferenceX examples (1,500 tok/s per GPU)", () => {
    // shared/reference/economics.md: $1.30 → $0.24/Mtok, $2.95 → $0.55, $6.88 → $1.27, $12.29 → $2.28.
    for (const [price, perMtok] of [
      [1.3, 0.24],
      [2.95, 0.55],
      [6.88, 1.27],
      [12.29, 2.28],
    ] as const) {
      expect(pricePerMtok(price, 1500)).toBeCloseTo(perMtok, 2)
    }
  })

  it('splits input, output and total as InferenceX does: each carries the whole cost', () => {
    const split = costPerMtok(2, 4, { inputTokensPerS: 3000, outputTokensPerS: 1000 })
    expect(split.output).toBeCloseTo(pricePerMtok(8, 1000) as number, 9)
    expect(split.input).toBeCloseTo(pricePerMtok(8, 3000) as number, 9)
    expect(split.total).toBeCloseTo(pricePerMtok(8, 4000) as number, 9)
    expect(costPerMtok(2, 1, { inputTokensPerS: 0, outputTokensPerS: 0 }).output).toBeNull()
  })
})

describe('replicas and GPUs', () => {
  it('applies ⌈peak / (capacity × utilization)⌉, spares for a lost domain, and the surge beside the steady fleet (hand-checked)', () => {
    // 100 / (10 × 0.7) = 14.3 → 15; losing one of 2 domains must leave ⌈100 / 10⌉ = 10: 20 (20 − 10) → 5 spare;
    // surge ⌈15 × 0.25⌉ = 4, during rollouts only; 20 × 2 GPUs = 40 steady, 8 surge.
    const fleet = sizeFleet(100, { estimate: 10, low: 8, high: 12.5, method: 'test' }, 2, {
      targetUtilization: 0.7,
      failureDomains: 2,
      sparePerFailureDomain: 1,
      surgeFraction: 0.25,
      rolloutMonths: 0,
    })
    expect(fleet.replicas).toMatchObject({ base: 15, spare: 5, surge: 4, total: 20 })
    expect(fleet.gpus).toMatchObject({ total: 40, surge: 8 })
    // The capacity's high end needs fewer replicas, its low end more.
    expect(fleet.replicas.low).toBeLessThan(fleet.replicas.total)
    expect(fleet.replicas.high as number).toBeGreaterThan(fleet.replicas.total)
    // A capacity interval reaching 0 leaves the top of the range unbounded, not a made-up number.
    expect(
      sizeFleet(100, { estimate: 10, low: 0, high: 12, method: 'test' }, 1, {
        targetUtilization: 0.7,
        failureDomains: 1,
        sparePerFailureDomain: 1,
        surgeFraction: 0,
        rolloutMonths: 0,
      }).replicas.high,
    ).toBeNull()
  })

  it('Wilson intervals stay inside [0, 1] and contain the observed share', () => {
    const [low, high] = wilsonInterval(95, 100)
    expect(low).toBeLessThan(0.95)
    expect(high).toBeGreaterThan(0.95)
    expect(wilsonInterval(0, 10)[0]).toBe(0)
    expect(wilsonInterval(10, 10)[1]).toBe(1)
  })
})

/**
 * The simulator's capacity search for SHAPE on PROFILE (3 seeded searches of 120 simulated seconds).
 * Deterministic for its arguments, so a search that two tests ask for runs once (≈1.5 s of CPU each).
 */
const searches = new Map<string, ReturnType<typeof capacityFromSimulator>>()
function search(slo: { ttftMs?: number; tpotMs?: number }, attainment: number, confidential = false): ReturnType<typeof capacityFromSimulator> {
  const key = JSON.stringify([slo, attainment, confidential])
  let found = searches.get(key)
  if (found === undefined) {
    found = capacityFromSimulator({ profile: PROFILE, confidential, ...SHAPE, slo, attainment, searches: 3, seed: 1, durationS: 120 })
    searches.set(key, found)
  }
  return found
}

describe('capacity per replica in the simulator (virtual time)', () => {
  const moments = lengthMoments(SHAPE.inputTokens, SHAPE.outputTokens, 1)

  it('near saturation (a loose SLO) it lands within 10% of the saturation the profile implies', async () => {
    const implied = impliedCapacity(PROFILE, false, moments, 60)
    const found = await search({ ttftMs: 3000, tpotMs: 60 }, 0.95)
    expect(found.capacity.ratePerS.estimate).toBeGreaterThan(implied.ratePerS * 0.9)
    expect(found.capacity.ratePerS.estimate).toBeLessThan(implied.ratePerS * 1.1)
  }, 60_000)

  it('at a tight TPOT objective the median request meets it within 10% of where the mean-value model puts it, standard and CC', async () => {
    for (const confidential of [false, true]) {
      const implied = impliedCapacity(PROFILE, confidential, moments, 20)
      expect(implied.limitedBy).toBe('tpot')
      const found = await search({ ttftMs: 1000, tpotMs: 20 }, 0.5, confidential)
      expect(Math.abs(found.capacity.ratePerS.estimate / implied.ratePerS - 1)).toBeLessThan(0.1)
    }
  }, 60_000)

  it('asking 95% of requests to meet it costs capacity, and CC costs more', async () => {
    const median = await search({ ttftMs: 1000, tpotMs: 20 }, 0.5)
    const strict = await search({ ttftMs: 1000, tpotMs: 20 }, 0.95)
    const strictCc = await search({ ttftMs: 1000, tpotMs: 20 }, 0.95, true)
    expect(strict.capacity.ratePerS.estimate).toBeLessThan(median.capacity.ratePerS.estimate)
    expect(strictCc.capacity.ratePerS.estimate).toBeLessThan(strict.capacity.ratePerS.estimate)
    // The interval brackets the estimate, and every search evaluated rates on both sides of it.
    const rate = strict.capacity.ratePerS
    expect(rate.low).toBeLessThanOrEqual(rate.estimate)
    expect(rate.high as number).toBeGreaterThanOrEqual(rate.estimate)
    expect(strict.evaluations.some((e) => (e.attainment as number) < 0.95)).toBe(true)
  }, 60_000)
})

describe('capacity per replica from a measured sweep', () => {
  async function sweep(rates: number[]) {
    const runs: RunSummary[] = []
    for (const [step, ratePerS] of rates.entries()) {
      const { summary } = await runVirtual({
        profile: PROFILE,
        confidential: false,
        load: { step, label: `rate ${ratePerS}`, mode: 'open', ratePerS, durationMs: 120_000, arrival: 'poisson', burstiness: 1, seed: 3 },
        ...SHAPE,
        seed: 3,
        slo: { ttftMs: 1000, tpotMs: 20 },
        warmupS: 24,
        cooldownS: 12,
        label: 'sxm',
      })
      runs.push(summary)
    }
    return runs
  }

  it('interpolates where attainment crosses the target, agrees with the simulator search, and sizes from summary.json', async () => {
    const runs = await sweep([10, 20, 24, 27, 30, 34])
    const measured = capacityFromSweep(runs, 0.95)
    expect(measured.capacity.lowerBoundOnly).toBe(false)
    const searched = await search({ ttftMs: 1000, tpotMs: 20 }, 0.95)
    expect(Math.abs(measured.capacity.ratePerS.estimate / searched.capacity.ratePerS.estimate - 1)).toBeLessThan(0.1)
    expect(measured.capacity.ratePerS.low).toBeLessThanOrEqual(measured.capacity.ratePerS.estimate)

    // The same sweep below the breaking point only bounds capacity from below, and says so.
    const below = capacityFromSweep(runs.slice(0, 2), 0.95)
    expect(below.capacity.lowerBoundOnly).toBe(true)
    expect(below.warnings.join(' ')).toMatch(/at least/)

    // Through the CLI, from a bench summary.json holding those runs.
    const summaryFile = join(work, 'summary.json')
    const now = new Date().toISOString()
    writeFileSync(
      summaryFile,
      JSON.stringify({
        schema: 'geopat.bench-summary/v1',
        runId: 'test',
        tool: { name: 'geopat', version: '0', node: process.version },
        startedAt: now,
        finishedAt: now,
        recordsFile: 'records.jsonl',
        tokenizer: 'cl100k_base',
        runs,
      }),
    )
    const result = await runCli([
      'size',
      '--from',
      summaryFile,
      '--peak-rps',
      '100',
      '--gpus-per-replica',
      '1',
      '--gpu-hour-price',
      '2.95',
      '--out',
      join(work, 'from'),
      '--json',
    ])
    const endpoint = printedSizing(result).endpoints[0]
    expect(endpoint?.source).toBe('measured')
    // A measured capacity carries the measurement's interval, no model error.
    expect(endpoint?.modelError).toBeNull()
    expect(endpoint?.capacityPerReplica.ratePerS.estimate).toBeCloseTo(measured.capacity.ratePerS.estimate, 6)
    expect(endpoint?.replicas.total).toBeGreaterThanOrEqual(Math.ceil(100 / (measured.capacity.ratePerS.estimate * 0.7)))
    expect(endpoint?.costs[0]?.perMtokOneReplicaAtFullLoad.output?.estimate).toBeGreaterThan(0)
  }, 120_000)
})

describe('geopat size on the command line', () => {
  it('searches the simulator and prints a zod-valid sizing with --json', async () => {
    const row = 'nebius-h100-eu-north1'
    const result = await sizeOnProfile('h100-sxm-llama-3.1-8b-bf16', 60, [
      '--searches',
      '2',
      '--price',
      row,
      '--currency',
      'EUR',
      '--out',
      join(work, 'sim'),
      '--json',
    ])
    const endpoint = printedSizing(result).endpoints[0]
    expect(endpoint?.firstCut?.limitedBy).toBe('tpot')
    expect(endpoint?.gpus.total).toBeGreaterThan(0)
    // Priced from the catalog, converted to the currency asked for, with the row's age said.
    const cost = endpoint?.costs[0]
    // Nebius rents GPU by GPU: the fleet is the GPUs needed, not rounded to 8-GPU nodes.
    expect(cost).toMatchObject({ catalogRow: row, currency: 'EUR', soldBy: 'gpu', gpusBought: { estimate: endpoint?.gpus.total } })
    expect(cost?.fleetPerMonth.estimate).toBeCloseTo((cost?.pricePerGpuHour as number) * (endpoint?.gpus.total as number) * 730, 6)
    const dated = YAML.parse(readFileSync('data/catalog/eu-gpu-clouds.yaml', 'utf8')).rows.find((r: { id: string }) => r.id === row)
    if ((Date.now() - Date.parse(`${dated.effectiveDate}-01`)) / 86_400_000 > 180) expect(cost?.notes.join(' ')).toMatch(/days old/)
  }, 60_000)

  it.each([
    [['--profile', 'h100-sxm-llama-3.1-8b-bf16', '--peak-rps', '10'], /--slo/],
    [['--peak-rps', '10', '--slo', 'tpot=20'], /--from.*--profile/],
    [['--profile', 'h100-sxm-llama-3.1-8b-bf16', '--peak-rps', '0', '--slo', 'tpot=20'], /--peak-rps/],
    [['--profile', 'h100-sxm-llama-3.1-8b-bf16', '--peak-rps', '10', '--slo', 'tpot=20', '--utilization', '1.5'], /--utilization/],
    [['--from', '/nonexistent/run', '--peak-rps', '10', '--gpus-per-replica', '1'], /nonexistent/],
  ])('bad input %j is one line', async (args, pattern) => {
    const line = expectOneLineError(await runCli(['size', ...args, '--out', join(work, 'bad')]))
    expect(line).toMatch(pattern)
  })
})

describe('Ctrl-C during a simulated search (geopat run stops its size step)', () => {
  it('a long virtual run lets the event loop turn and ends with Interrupted once stopped', async () => {
    const stop = { stopped: false }
    // A timer, as a signal handler is: it runs only if the simulation yields to the event loop.
    setTimeout(() => (stop.stopped = true), 0)
    const load = { step: 0, label: 'long', mode: 'open', ratePerS: 40, durationMs: 600_000, arrival: 'poisson', burstiness: 1, seed: 1 } as const
    await expect(runVirtual({ profile: PROFILE, confidential: false, load, ...SHAPE, seed: 1, stop })).rejects.toBeInstanceOf(Interrupted)
  })

  it('a search already stopped simulates nothing', async () => {
    const search = capacityFromSimulator({
      profile: PROFILE,
      confidential: false,
      ...SHAPE,
      slo: { ttftMs: 1000, tpotMs: 20 },
      attainment: 0.95,
      searches: 1,
      seed: 1,
      durationS: 60,
      stop: { stopped: true },
    })
    await expect(search).rejects.toBeInstanceOf(Interrupted)
  })
})
