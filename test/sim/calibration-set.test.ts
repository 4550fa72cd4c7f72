import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { createLengthSampler } from '../../src/input/distributions.js'
import { calibrationFileSchema } from '../../src/io/schema/calibration-set.js'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { servingMetric } from '../../src/sim/calibration/metrics.js'
import { runCalibrationPoint } from '../../src/sim/calibration/run-point.js'
import { runCalibrationCheck } from '../../src/sim/calibration/check.js'
import { loadCalibrationSet } from '../../src/sim/calibration/set.js'
import { listProfiles, loadProfile } from '../../src/io/schema/sim-profile.js'
import { UserError } from '../../src/util/errors.js'
import { seededRandom } from '../../src/util/rng.js'

/**
 * The calibration set (data/calibration/*.yaml): the shipped files validate, bad files give one
 * line naming the file, the field and the rule, and each published metric is computed from records
 * by its publisher's definition (checked against sums worked out by hand below).
 */

describe('the shipped calibration set', () => {
  const set = loadCalibrationSet()

  it('validates, with unique ids, each point naming a shipped profile that can run it', () => {
    expect(set.length).toBeGreaterThan(0)
    expect(new Set(set.map((s) => s.point.id)).size).toBe(set.length)
    const profiles = listProfiles()
    for (const { point } of set) {
      expect(profiles, point.id).toContain(point.profile)
      if (point.confidential) expect(loadProfile(point.profile).confidential, point.id).toBeDefined()
    }
  })

  it('covers every published point of the reference (calibration-points.md), CC off and on', () => {
    const value = (id: string): number | undefined => set.find((s) => s.point.id === id)?.point.value
    // The reference's figures (shared/reference/calibration-points.md), as published: tables exactly, charts ±3%.
    expect(value('p1-nvl-8b-qps1-decode-rate-cc-off')).toBeCloseTo(132.4, 1)
    expect(value('p1-nvl-8b-qps1-decode-rate-cc-on')).toBeCloseTo(123.3, 1)
    expect(value('p1-nvl-8b-qps1-ttft-cc-off')).toBe(24.2)
    expect(value('p1-nvl-8b-qps1-ttft-cc-on')).toBe(28.8)
    expect(value('p1-nvl-8b-offline-throughput-cc-off')).toBeCloseTo(18.82, 2)
    expect(value('p1-nvl-8b-offline-throughput-cc-on')).toBeCloseTo(18.21, 2)
    expect(value('p2-h200-8b-qps1-itl-cc-off')).toBeCloseTo(7.87, 2)
    expect(value('p2-h200-8b-qps1-itl-cc-on')).toBeCloseTo(8.6, 2)
    expect(value('p2-h200-8b-qps1-ttft-cc-off')).toBeCloseTo(30.7, 1)
    expect(value('p2-h200-8b-qps1-ttft-cc-on')).toBeCloseTo(38.3, 1)
    expect(value('p2-h200-8b-offline-throughput-cc-off')).toBeCloseTo(31.86, 2)
    expect(value('p2-h200-8b-offline-throughput-cc-on')).toBeCloseTo(29.46, 2)
    expect([2, 8, 32].map((q) => value(`v-sxm-8b-qps${q}-tpot`))).toEqual([8.6, 9.5, 13.9])
    expect([2, 8, 32].map((q) => value(`v-sxm-70b-qps${q}-tpot`))).toEqual([22.2, 28.8, 57.6])
    // The reference gives output tok/s at QPS ∞ (≈ 6,620 and ≈ 3,097): the charts' req/s × 179 output tokens.
    expect((value('v-sxm-8b-sharegpt-max-throughput') as number) * 179).toBeCloseTo(6620, -2)
    expect((value('v-sxm-70b-sharegpt-max-throughput') as number) * 179).toBeCloseTo(3097, -2)
    expect(value('v-sxm-8b-decode-heavy-max-throughput')).toBe(31)
    expect(value('v-sxm-8b-prefill-heavy-max-throughput')).toBe(59)
    expect(value('v-sxm-70b-decode-heavy-max-throughput')).toBe(15.4)
    expect(value('v-sxm-70b-prefill-heavy-max-throughput')).toBe(25.2)
  })

  /** Mean of 100,000 draws of a length spec (the stand-ins are heavy-tailed: fewer draws wander by percents). */
  const meanLength = (spec: Parameters<typeof createLengthSampler>[0]): number => {
    const draw = createLengthSampler(spec, seededRandom(7))
    let sum = 0
    for (let i = 0; i < 100_000; i++) sum += draw()
    return sum / 100_000
  }
  const setups = [...new Map(set.map((s) => [`${s.file}#${s.point.setup}`, s])).values()]

  it('draws lengths whose means match the published means (the ShareGPT stand-ins)', () => {
    for (const { point, setup } of setups) {
      const { workload } = setup
      for (const [spec, published] of [
        [workload.inputTokens, workload.publishedMeanInputTokens],
        [workload.outputTokens, workload.publishedMeanOutputTokens],
      ] as const) {
        if (published === null) continue
        const mean = meanLength(spec)
        expect(Math.abs(mean / published - 1), `${point.setup}: mean length ${mean} vs published ${published}`).toBeLessThan(0.02)
      }
    }
  })

  it('states the ShareGPT split of the Phala setups as ≈ 215 / 198, summing to the published 413.5 tokens per request', () => {
    const phala = setups.filter((s) => s.point.id.startsWith('p'))
    expect(phala.length).toBeGreaterThan(0)
    for (const { point, setup } of phala) {
      const input = meanLength(setup.workload.inputTokens)
      const output = meanLength(setup.workload.outputTokens)
      // throughput_llama8B.json: 413,539 tokens over 1,000 requests.
      expect(Math.abs((input + output) / 413.539 - 1), point.setup).toBeLessThan(0.02)
      expect(Math.abs(input / 215 - 1), point.setup).toBeLessThan(0.02)
      expect(Math.abs(output / 198 - 1), point.setup).toBeLessThan(0.02)
    }
  })
})

describe('a bad calibration file', () => {
  const good = YAML.parse(readFileSync(join(import.meta.dirname, '..', '..', 'data', 'calibration', 'phala-h100-nvl.yaml'), 'utf8')) as {
    points: Array<Record<string, unknown>>
  }
  const folderWith = (files: Record<string, unknown>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'geopat-calibration-set-'))
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), typeof data === 'string' ? data : YAML.stringify(data))
    return dir
  }
  const errorOf = (dir: string): string => {
    try {
      loadCalibrationSet(dir)
    } catch (error) {
      expect(error).toBeInstanceOf(UserError)
      const message = (error as Error).message
      expect(message.split('\n')).toHaveLength(1)
      return message
    }
    throw new Error('expected the set to be refused')
  }
  const withPoint = (index: number, change: Record<string, unknown>): unknown => ({
    ...good,
    points: good.points.map((p, i) => (i === index ? { ...p, ...change } : p)),
  })

  it('names the file, the field and the rule', () => {
    const dir = folderWith({ 'a.yaml': withPoint(2, { unit: 'req/s' }) })
    expect(errorOf(dir)).toBe(`${join(dir, 'a.yaml')}: points.2.unit: must be ms for metric phala-mean-ttft`)
    expect(errorOf(folderWith({ 'b.yaml': withPoint(0, { setup: 'nowhere' }) }))).toMatch(
      /b\.yaml: points\.0\.setup: must name one of setups \(sharegpt-nvl\)$/,
    )
    expect(errorOf(folderWith({ 'c.yaml': withPoint(1, { metric: 'p99-vibes' }) }))).toMatch(/c\.yaml: points\.1\.metric: /)
    expect(errorOf(folderWith({ 'd.yaml': withPoint(0, { load: { kind: 'offline' } }) }))).toMatch(
      /d\.yaml: points\.0\.metric: must be vllm-offline-request-throughput for an offline load/,
    )
    expect(errorOf(folderWith({ 'e.yaml': withPoint(0, { value: -1 }) }))).toMatch(/e\.yaml: points\.0\.value: /)
    expect(errorOf(folderWith({ 'f.yaml': 'source: [unclosed' }))).toMatch(/f\.yaml:\d+:\d+: invalid YAML/)
    // Beyond saturation is a regime of latencies at an open-loop rate, never of a throughput.
    expect(errorOf(folderWith({ 'g.yaml': withPoint(4, { regime: 'overload' }) }))).toMatch(
      /g\.yaml: points\.4\.regime: overload is for a latency \(ms\) at an open-loop rate/,
    )
  })

  it('refuses an id used twice, within a file or across files', () => {
    expect(errorOf(folderWith({ 'a.yaml': withPoint(1, { id: good.points[0]?.id }) }))).toMatch(
      /a\.yaml: points\.1\.id: duplicate point id "p1-nvl-8b-qps1-decode-rate-cc-off"/,
    )
    const dir = folderWith({ 'a.yaml': good, 'b.yaml': good })
    expect(errorOf(dir)).toBe(
      `${join(dir, 'b.yaml')}: points.0.id: "p1-nvl-8b-qps1-decode-rate-cc-off" is already a point of ${join(dir, 'a.yaml')} (ids are unique across the set)`,
    )
  })

  it('refuses an empty or missing folder', () => {
    expect(errorOf(folderWith({}))).toMatch(/^set .*: no calibration files/)
    expect(errorOf('/nonexistent/calibration')).toBe('set /nonexistent/calibration: cannot read the folder (ENOENT)')
  })

  it('is one schema: the shipped files parse with it directly', () => {
    for (const name of ['phala-h100-nvl.yaml', 'phala-h200.yaml', 'vllm-v0.6-blog.yaml']) {
      const data = YAML.parse(readFileSync(join(import.meta.dirname, '..', '..', 'data', 'calibration', name), 'utf8'))
      expect(calibrationFileSchema.safeParse(data).success, name).toBe(true)
    }
  })
})

/** A successful streamed record: sent at `sendMs`, one token at each arrival (ms after sending). */
function streamed(id: number, sendMs: number, arrivals: number[], inputTokens: number, ok = true): RequestRecord {
  const first = arrivals[0] ?? null
  const last = arrivals[arrivals.length - 1] ?? null
  return {
    id,
    endpoint: 'e',
    step: 0,
    api: 'completions',
    model: 'm',
    intendedSendMs: sendMs,
    sendMs,
    dispatchWaitMs: 0,
    newConnection: false,
    responseHeadersMs: first,
    firstByteMs: first,
    chunks: arrivals.map((t) => [t, 1]),
    tokenEvents: arrivals.length,
    timeToFirstTokenMs: first,
    timeToFirstContentMs: first,
    endToEndLatencyMs: last,
    requestedInputTokens: inputTokens,
    requestedOutputTokens: arrivals.length,
    inputTokens,
    inputTokensSource: 'server',
    outputTokens: arrivals.length,
    outputTokensSource: 'server',
    perChunkUsage: false,
    finishReason: 'length',
    sawDone: true,
    ok,
    httpStatus: ok ? 200 : 500,
    errorClass: ok ? null : 'http-5xx',
    errorMessage: null,
    retries: 0,
    retryWaitMs: 0,
  }
}

describe("each metric by its publisher's definition", () => {
  // A: sent at 0, tokens at 10, 20, 30, 40 ms after sending (4 tokens, 10 prompt tokens).
  // B: sent at 100, tokens at 15, 35, 55 (3 tokens). C: sent at 50, tokens at 5, 7 (2 tokens:
  // Phala's stats.py drops it, output ≤ 2). D: failed, no token.
  const records = [streamed(0, 0, [10, 20, 30, 40], 10), streamed(1, 100, [15, 35, 55], 20), streamed(2, 50, [5, 7], 3), streamed(3, 60, [], 8, false)]

  it('vLLM benchmark_serving: mean TTFT, mean TPOT, pooled mean ITL', () => {
    expect(servingMetric('vllm-serving-mean-ttft', records)).toBeCloseTo((10 + 15 + 5) / 3, 10)
    // TPOT per request (e2e − TTFT) / (output − 1): A 30/3 = 10, B 40/2 = 20, C 2/1 = 2.
    expect(servingMetric('vllm-serving-mean-tpot', records)).toBeCloseTo((10 + 20 + 2) / 3, 10)
    // ITL: every gap, pooled over requests: 10, 10, 10, 20, 20, 2.
    expect(servingMetric('vllm-serving-mean-itl', records)).toBeCloseTo(72 / 6, 10)
  })

  it('vLLM benchmark_serving: throughput over the benchmark duration (start of sending → last completion)', () => {
    // Last completion: B, sent at 100, done 55 ms later; 3 completed requests, 9 output tokens.
    expect(servingMetric('vllm-serving-request-throughput', records)).toBeCloseTo(3 / 0.155, 10)
    expect(servingMetric('vllm-serving-output-throughput', records)).toBeCloseTo(9 / 0.155, 10)
  })

  it("Phala's TPS and TTFT (src/stats.py): output tokens / decode time, rows with output ≤ 2 dropped", () => {
    // A: 4 tokens / 0.030 s; B: 3 tokens / 0.040 s; C dropped.
    expect(servingMetric('phala-mean-decode-rate', records)).toBeCloseTo((4 / 0.03 + 3 / 0.04) / 2, 8)
    expect(servingMetric('phala-mean-ttft', records)).toBeCloseTo((10 + 15) / 2, 10)
  })

  it('gives no value when no request qualifies', () => {
    expect(servingMetric('phala-mean-decode-rate', [records[2] as RequestRecord])).toBeNull()
    expect(servingMetric('vllm-serving-mean-tpot', [records[3] as RequestRecord])).toBeNull()
  })
})

describe('the simulated prompts of each setup', () => {
  it("average the published mean lengths (the setup's seed picks a sample that does)", async () => {
    const set = loadCalibrationSet()
    const bySetup = new Map<string, (typeof set)[number]>()
    // One point per setup, the cheapest to run: offline, then QPS ∞, then a rate.
    const cost = (s: (typeof set)[number]): number => (s.point.load.kind === 'offline' ? 0 : s.point.load.kind === 'max-throughput' ? 1 : 2)
    for (const s of set) {
      const key = `${s.file}#${s.point.setup}`
      const seen = bySetup.get(key)
      if (!seen || cost(s) < cost(seen)) bySetup.set(key, s)
    }
    for (const { point, setup } of bySetup.values()) {
      const result = await runCalibrationPoint(point, setup, loadProfile(point.profile))
      // Phala publishes no split of its 413.5 tokens per request: the reference's 215 / 198 stand in.
      const input = setup.workload.publishedMeanInputTokens ?? 215
      const output = setup.workload.publishedMeanOutputTokens ?? 198
      expect(Math.abs(result.meanInputTokens / input - 1), `${point.setup} input ${result.meanInputTokens}`).toBeLessThan(0.01)
      expect(Math.abs(result.meanOutputTokens / output - 1), `${point.setup} output ${result.meanOutputTokens}`).toBeLessThan(0.01)
    }
  })
})

describe('a judged point that cannot run', () => {
  it('fails the check instead of passing unseen', async () => {
    const point = loadCalibrationSet().filter((s) => s.point.id === 'p1-nvl-8b-qps1-ttft-cc-on')
    const { confidential: _cc, ...withoutCc } = loadProfile('h100-nvl-llama-3.1-8b-bf16')
    const profile = {
      ...withoutCc,
      calibration: {
        method: 'published' as const,
        date: '2026-12-06',
        fittedOn: [],
        heldOut: ['p1-nvl-8b-qps1-ttft-cc-on'],
        error: { lowLoad: null, underLoad: null, fitted: null, heldOutPoints: 0 },
      },
    }
    const check = await runCalibrationCheck(point, [profile])
    expect(check.points).toEqual([])
    expect(check.skipped).toEqual([
      {
        id: 'p1-nvl-8b-qps1-ttft-cc-on',
        profile: 'h100-nvl-llama-3.1-8b-bf16',
        role: 'held-out',
        reason: 'profile h100-nvl-llama-3.1-8b-bf16 has no confidential settings',
      },
    ])
    expect(check.failures).toEqual(['p1-nvl-8b-qps1-ttft-cc-on'])
  })
})
