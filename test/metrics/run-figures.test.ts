import { describe, expect, it } from 'vitest'
import type { ZodObject } from 'zod'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { runSummarySchema } from '../../src/io/schema/summary.js'
import { METRICS } from '../../src/metrics/definitions.js'
import { SUMMARY_GROUPS, csvColumnOf, summaryPathOf } from '../../src/metrics/run-figure.js'
import { RUN_FIGURES } from '../../src/metrics/run-figures.js'
import { runView, walkRunFigures } from '../../src/metrics/run-walk.js'
import { compileSlo } from '../../src/metrics/slo.js'
import { measurementWindow } from '../../src/metrics/window.js'

/** A request sent at `sendMs`: first token at +ttft, then `tokens − 1` one-token chunks 10 ms apart. */
function request(sendMs: number, ttft: number, tokens: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  const chunks: Array<[number, number]> = Array.from({ length: tokens }, (_, i) => [ttft + 10 * i, 1])
  return {
    id: sendMs,
    sendMs,
    ok: true,
    errorClass: null,
    retries: 0,
    chunks,
    tokenEvents: tokens,
    timeToFirstTokenMs: ttft,
    endToEndLatencyMs: ttft + 10 * (tokens - 1) + 1,
    requestedInputTokens: 100,
    inputTokens: 110,
    inputTokensSource: 'server',
    requestedOutputTokens: tokens,
    outputTokens: tokens,
    outputTokensSource: 'server',
    ...extra,
  } as RequestRecord
}

const records: RequestRecord[] = [
  request(0, 50, 5), // warm-up (sent before 100 ms)
  request(100, 50, 5),
  request(150, 300, 3),
  request(200, 50, 8, { retries: 2 }),
  request(250, 0, 0, { ok: false, errorClass: 'http-5xx', chunks: [], timeToFirstTokenMs: null, endToEndLatencyMs: null, outputTokens: 0 }),
  request(300, 60, 2, { inputTokensSource: 'client', inputTokens: 100, outputTokensSource: 'client' }),
]

async function figures(slo = {}) {
  const window = await measurementWindow(() => records, { warmupS: 0.1, cooldownS: 0, sendEndMs: 300 })
  return { window, values: await walkRunFigures(() => records, runView(window, compileSlo(slo)), RUN_FIGURES) }
}

describe('the run-figure registry, walked over a hand-built record set', () => {
  it('computes each figure as its description says (recomputed here from the records)', async () => {
    const { window, values } = await figures({ ttftMs: 100 })
    const measured = records.filter((r) => r.sendMs >= 100)
    const measuredOk = measured.filter((r) => r.ok)
    // The window: warm-up end → the last completion of a measured request.
    const lastCompletion = Math.max(...measuredOk.map((r) => r.sendMs + (r.endToEndLatencyMs as number)))
    expect(window.startMs).toBe(100)
    expect(window.endMs).toBe(lastCompletion)
    const seconds = (lastCompletion - 100) / 1000
    expect(values.get('window.durationS')).toBeCloseTo(seconds, 12)

    expect(values.get('requests.sent')).toBe(6)
    expect(values.get('requests.failed')).toBe(1)
    expect((values.get('requests.errors') as Record<string, number>)['http-5xx']).toBe(1)
    expect(values.get('requests.excludedWarmup')).toBe(1)
    expect(values.get('requests.inWindow')).toBe(5)
    expect(values.get('requests.succeededInWindow')).toBe(4)
    expect(values.get('requests.retries')).toBe(2)

    // Output tokens arriving inside [100, end]: all of the measured requests', none of the warm-up one's
    // (its chunks arrive at 50–90 ms).
    const outputInside = measuredOk.reduce((sum, r) => sum + r.outputTokens, 0)
    expect(values.get('throughput.outputTokensPerS')).toBeCloseTo(outputInside / seconds, 9)
    // Prompt tokens of requests whose first token arrived inside the window.
    const inputInside = measuredOk.reduce((sum, r) => sum + (r.inputTokens as number), 0)
    expect(values.get('throughput.totalTokensPerS')).toBeCloseTo((outputInside + inputInside) / seconds, 9)
    expect(values.get('throughput.requestsPerS')).toBeCloseTo(4 / seconds, 9)

    // Goodput at TTFT ≤ 100 ms: the request with TTFT 300 ms misses, and so does the measured one that failed (3 of 5).
    expect(values.get('goodput.fractionOfRequests')).toBe(3 / measured.length)
    expect(values.get('goodput.requestsPerS')).toBeCloseTo(3 / seconds, 9)

    // Server-counted prompts only: 110 against 100 asked, three times.
    expect(values.get('tokens.inputServerMean')).toBe(110)
    expect(values.get('tokens.inputDiscrepancyPct')).toBeCloseTo(10, 9)
    expect(values.get('tokens.outputMean')).toBe((5 + 3 + 8 + 2) / 4)
    expect(values.get('tokens.outputCountedByClient')).toBe(1)
    expect(values.get('tokens.eventsPerRead')).toBe(1)
    expect(values.get('tokens.coalescingDetected')).toBe(false)
  })

  it('is deterministic: the same records give the same figures', async () => {
    expect((await figures()).values).toEqual((await figures()).values)
  })
})

describe('the registry itself', () => {
  it('has unique ids that clash with no latency metric', () => {
    const ids = [...RUN_FIGURES.map((f) => f.id), ...METRICS.map((m) => m.id)]
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('lists each figure after the figures it depends on', () => {
    RUN_FIGURES.forEach((figure, index) => {
      for (const dependency of figure.dependsOn.figures) {
        const at = RUN_FIGURES.findIndex((f) => f.id === dependency)
        expect(at, `${figure.id} depends on ${dependency}`).toBeGreaterThanOrEqual(0)
        expect(at).toBeLessThan(index)
      }
    })
  })

  it('holds exactly the figures of summary.json’s first groups (the schema and the registry agree)', () => {
    for (const group of SUMMARY_GROUPS) {
      const field = runSummarySchema.shape[group]
      const object = ('unwrap' in field ? field.unwrap() : field) as ZodObject
      const inSchema = Object.keys(object.shape).filter((key) => !(group === 'goodput' && key === 'slo'))
      const inRegistry = RUN_FIGURES.filter((f) => summaryPathOf(f)[0] === group).map((f) => summaryPathOf(f)[1])
      expect(inRegistry, group).toEqual(inSchema)
    }
  })

  it('puts a figure named without a group under figures.<id>, with a snake-case CSV column', () => {
    expect(summaryPathOf({ id: 'outputTokensPerRequest' })).toEqual(['figures', 'outputTokensPerRequest'])
    expect(csvColumnOf({ id: 'outputTokensPerRequest' })).toBe('output_tokens_per_request')
  })

  it('refuses a figure that reads a figure it does not declare', async () => {
    const window = await measurementWindow(() => records, { warmupS: 0, cooldownS: 0, sendEndMs: 0 })
    const sneaky = {
      ...RUN_FIGURES[0],
      id: 'sneaky',
      dependsOn: { record: [], figures: [] },
      value: (_s: unknown, _r: unknown, figure: (id: string) => unknown) => figure('requests.sent'),
    }
    await expect(walkRunFigures(() => records, runView(window, compileSlo({})), [RUN_FIGURES[0], sneaky] as never)).rejects.toThrow(/without declaring it/)
  })
})
