import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../src/io/schema/record.js'
import type { RunSummary } from '../../src/io/schema/summary.js'
import { compileSlo, meetsRequestObjectives, parseSloExpression, requestObjectiveMax, runObjectivesMissed } from '../../src/metrics/slo.js'
import { userErrorMessage } from '../helpers/rejection.js'

describe('parseSloExpression: the first forms keep their meaning', () => {
  it.each([
    ['ttft=500,tpot=50,e2e=10000', { ttftMs: 500, tpotMs: 50, e2eMs: 10000 }],
    ['TTFT = 500ms , e2el=2500', { ttftMs: 500, e2eMs: 2500 }],
    ['tpot=12.5', { tpotMs: 12.5 }],
    ['ttft=500,ttft=300', { ttftMs: 300 }],
    ['', {}],
  ])('%s', (text, expected) => {
    expect(parseSloExpression(text)).toEqual(expected)
  })

  it('reads METRIC<=MS on TTFT, TPOT and E2E as the same per-request objective as METRIC=MS', () => {
    expect(parseSloExpression('ttft<=500,tpot<=50,e2e<=10000')).toEqual({ ttftMs: 500, tpotMs: 50, e2eMs: 10000 })
  })
})

describe('parseSloExpression: any registered metric and statistic', () => {
  it('keeps other objectives as their expressions', () => {
    expect(parseSloExpression('ttft.p99<=500, tpot=50, itl<=30, interTokenLatency.p99.9<=40, e2e.mean<=9000')).toEqual({
      tpotMs: 50,
      objectives: ['ttft.p99<=500', 'itl<=30', 'interTokenLatency.p99.9<=40', 'e2e.mean<=9000'],
    })
    expect(parseSloExpression('ttfc.P90<=800ms,e2e.p999<=1')).toEqual({ objectives: ['ttfc.p90<=800', 'e2e.p99.9<=1'] })
  })

  it('takes run-level figures with <= or >=', () => {
    expect(parseSloExpression('throughput.requestsPerS>=10,requests.failed<=0')).toEqual({ objectives: ['throughput.requestsPerS>=10', 'requests.failed<=0'] })
  })

  it.each([
    ['foo=5', '--slo: "foo=5": foo is not a metric (ttft, '],
    ['ttft=0', '--slo: "ttft=0": the limit must be a positive number of ms'],
    ['ttft=abc', '--slo: "ttft=abc" must look like METRIC<=MS'],
    ['ttft.p42<=5', '--slo: "ttft.p42<=5": p42 is not a statistic (mean, p50, p90, p95, p99, p99.9)'],
    [
      'interTokenLatency<=5',
      '--slo: "interTokenLatency<=5": interTokenLatency is pooled per token, not per request: name a statistic, e.g. interTokenLatency.p99<=5',
    ],
    ['ttft>=5', '--slo: "ttft>=5": a latency objective is an upper bound: use <='],
    ['throughput.requestsPerS=5', '--slo: "throughput.requestsPerS=5": a run figure takes <= or >= and a plain number (req/s)'],
  ])('refuses %s in one line naming the flag, the objective and the rule', (text, message) => {
    const error = userErrorMessage(() => parseSloExpression(text))
    expect(error.startsWith(message)).toBe(true)
    expect(error).not.toContain('\n')
  })

  it('names the file and field of a scenario objective', () => {
    expect(userErrorMessage(() => compileSlo({ ttftMs: 500, objectives: ['ttft.p99<=500', 'nope<=1'] }, 'scenario.yaml'))).toMatch(
      /^scenario\.yaml: slo\.objectives\[1\]: "nope<=1": nope is not a metric/,
    )
  })
})

function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    ok: true,
    timeToFirstTokenMs: 100,
    endToEndLatencyMs: 1100,
    outputTokens: 11,
    chunks: [],
    outputTokensSource: 'server',
    ...overrides,
  } as RequestRecord
}

describe('per-request objectives (goodput)', () => {
  const slo = compileSlo(parseSloExpression('ttft<=200,tpot<=100'))

  it('need success and every objective met; TPOT = (E2E − TTFT) / (tokens − 1)', () => {
    expect(meetsRequestObjectives(record({}), slo)).toBe(true) // TPOT (1100 − 100) / 10 = 100
    expect(meetsRequestObjectives(record({ endToEndLatencyMs: 1110 }), slo)).toBe(false) // TPOT 101
    expect(meetsRequestObjectives(record({ timeToFirstTokenMs: 201 }), slo)).toBe(false)
    expect(meetsRequestObjectives(record({ ok: false }), slo)).toBe(false)
  })

  it('a one-token answer has no TPOT and cannot breach it; no first token misses TTFT', () => {
    expect(meetsRequestObjectives(record({ outputTokens: 1, endToEndLatencyMs: 99_999 }), slo)).toBe(true)
    expect(meetsRequestObjectives(record({ timeToFirstTokenMs: null }), slo)).toBe(false)
  })

  it('distribution objectives do not judge requests', () => {
    expect(meetsRequestObjectives(record({ timeToFirstTokenMs: 5000 }), compileSlo({ objectives: ['ttft.p99<=500'] }))).toBe(true)
  })

  it('gives the tightest per-request bound on a metric (the sizing first cut reads TPOT)', () => {
    expect(requestObjectiveMax(compileSlo({ tpotMs: 50, objectives: ['tpot<=40'] }), 'tpot')).toBe(40)
    expect(requestObjectiveMax(compileSlo({ objectives: ['tpot.p99<=40'] }), 'tpot')).toBeUndefined()
  })
})

describe('distribution and run objectives (sizing)', () => {
  const run = {
    metrics: { ttft: { p99: 450, mean: 300 } },
    throughput: { requestsPerS: 12 },
    requests: { failed: 1 },
  } as unknown as RunSummary

  it('hold on the run summary, or are named as missed', () => {
    const slo = compileSlo(parseSloExpression('ttft.p99<=500,ttft.mean<=250,throughput.requestsPerS>=10,requests.failed<=0,tpot<=1'))
    expect(runObjectivesMissed(run, slo)).toEqual(['ttft.mean<=250', 'requests.failed<=0'])
  })

  it('a statistic the run lacks does not hold', () => {
    expect(runObjectivesMissed(run, compileSlo({ objectives: ['e2e.p90<=1'] }))).toEqual(['e2e.p90<=1'])
  })
})
