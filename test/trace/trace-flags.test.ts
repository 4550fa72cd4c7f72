import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BENCH_FLAGS } from '../../src/cli/flags/bench.js'
import { benchScenarioFromFlags } from '../../src/cli/flags/bench-scenario.js'
import { traceWindow } from '../../src/cli/flags/parsers.js'
import { readFlags } from '../../src/cli/flags/table.js'

const scenarioOf = (raw: Record<string, unknown>) => benchScenarioFromFlags(readFlags(BENCH_FLAGS, { url: 'http://127.0.0.1:9', ...raw })).scenario

describe('bench --trace flags', () => {
  it('set load.trace: file, format, speedup, window and limit; no request bound is added', () => {
    const { load } = scenarioOf({ trace: 't.csv', 'trace-format': 'burstgpt', speedup: '2.5', 'trace-window': '60:120', 'trace-limit': '50' })
    expect(load.trace).toEqual({ file: 't.csv', format: 'burstgpt', speedup: 2.5, window: { startS: 60, endS: 120 }, limit: 50 })
    expect(load.requests).toBeUndefined()
    expect(scenarioOf({ trace: 't.csv' }).load.trace).toEqual({ file: 't.csv', speedup: 1 })
  })

  it('--trace-window takes either side open', () => {
    expect(traceWindow('60:')).toEqual({ startS: 60 })
    expect(traceWindow(':120')).toEqual({ endS: 120 })
    expect(traceWindow(' 1.5 : 3 ')).toEqual({ startS: 1.5, endS: 3 })
    expect(() => traceWindow('60-120')).toThrow(/must look like START:END/)
    expect(() => traceWindow('a:1')).toThrow(/"a" is not a number/)
  })

  it('refuses in one line naming the flag: a window that ends first, a speedup of 0, a trace flag without --trace', () => {
    expect(() => scenarioOf({ trace: 't.csv', 'trace-window': '30:10' })).toThrow(/^--trace-window: the window must end after it starts/)
    expect(() => scenarioOf({ trace: 't.csv', speedup: '0' })).toThrow(/^--speedup: /)
    expect(() => scenarioOf({ speedup: '2' })).toThrow(/^--trace: /)
  })

  it("--trace replaces a scenario file's rate, and --rate a file's trace", () => {
    const dir = mkdtempSync(join(tmpdir(), 'geopat-trace-flags-'))
    const rated = join(dir, 'rated.yaml')
    writeFileSync(rated, 'endpoints: [{ url: "http://127.0.0.1:9" }]\nload: { rate: 5, requests: 10 }\n')
    const traced = benchScenarioFromFlags(readFlags(BENCH_FLAGS, { scenario: rated, trace: 't.jsonl' })).scenario.load
    expect({ rate: traced.rate, file: traced.trace?.file }).toEqual({ rate: undefined, file: 't.jsonl' })
    const withTrace = join(dir, 'traced.yaml')
    writeFileSync(withTrace, 'endpoints: [{ url: "http://127.0.0.1:9" }]\nload: { trace: { file: t.jsonl } }\n')
    const byRate = benchScenarioFromFlags(readFlags(BENCH_FLAGS, { scenario: withTrace, rate: '3' })).scenario.load
    expect({ rate: byRate.rate, trace: byRate.trace, requests: byRate.requests }).toEqual({ rate: 3, trace: undefined, requests: 100 })
  })
})
