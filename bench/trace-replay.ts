/**
 * Trace replay's send times on the real clock: `geopat bench --trace` (a child process, as a user
 * runs it) replays a trace against the fixed-timing simulator (its own child process), and the
 * records give each send's lateness, sendMs − intendedSendMs, where intendedSendMs is the row's
 * scaled time in the trace. Issue #21 asks the mean within 1 ms at the trace's rate. Not part of
 * `npm test`: a lateness on a real clock is a benchmark's figure (test/trace/ asserts only what the
 * design guarantees: every row, at exactly its scheduled intended time, never early).
 *
 *   npm run build && node dist/bench/trace-replay.js [--write] [--json]
 *   node dist/bench/trace-replay.js --trace data/traces/mooncake-synthetic.jsonl --speedup 1,4,10
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RequestRecord } from '../src/io/schema/record.js'
import { startSim } from './lib/sim-process.js'
import { runGeopatBench } from './lib/sim-runs.js'
import { machineInfo, machineLine } from './lib/machine.js'
import { fmt, log, markdownTable, showAndWriteResults } from './lib/results.js'
import { OUTPUT_OPTIONS, outputOptions, parsePositive, parseScriptArgs } from './lib/script-options.js'
import { PACKAGE_ROOT } from '../src/util/version.js'

const flags = parseScriptArgs(process.argv.slice(2), {
  trace: { type: 'string', default: 'data/traces/mooncake-synthetic.jsonl' },
  speedup: { type: 'string', default: '1,4' },
  'ttft-ms': { type: 'string', default: '100' },
  'itl-ms': { type: 'string', default: '10' },
  ...OUTPUT_OPTIONS,
})
const output = outputOptions(flags)
const speedups = flags.speedup.split(',').map((text: string) => parsePositive(text, '--speedup'))

interface Case {
  speedup: number
  requests: number
  /** The replay's mean rate as the summary states it (the trace's, scaled). */
  ratePerS: number | null
  latenessMeanMs: number
  latenessP50Ms: number
  latenessP99Ms: number
  latenessMaxMs: number
  /** The mean over sends on a kept-alive connection (not new, spares left out): no connection set-up in it. */
  warmLatenessMeanMs: number
  warmSends: number
  /** Sends on a spare connection the client opened ahead (record.preconnected): a new connection, its set-up not in the send. */
  preconnectedSends: number
  /** Their mean lateness (null without any). */
  preconnectedLatenessMeanMs: number | null
  /** The client self-check's send lateness (sends that connected inside their send excluded; spares count), and its verdict. */
  selfCheckMeanMs: number | null
  verdict: string
  ok: number
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN

async function measure(url: string, speedup: number): Promise<Case> {
  const outDir = mkdtempSync(join(tmpdir(), 'geopat-trace-bench-'))
  try {
    const result = await runGeopatBench(
      url,
      ['--api', 'completions', '--trace', join(PACKAGE_ROOT, flags.trace), '--speedup', String(speedup), '--no-progress'],
      {
        outDir,
      },
    )
    const records = readFileSync(join(outDir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RequestRecord)
    const lateness = records.map((record) => record.sendMs - record.intendedSendMs).sort((a, b) => a - b)
    const warm = records.filter((record) => !record.newConnection).map((record) => record.sendMs - record.intendedSendMs)
    const spares = records.filter((record) => record.preconnected === true).map((record) => record.sendMs - record.intendedSendMs)
    return {
      speedup,
      requests: records.length,
      ratePerS: result.run.requested.ratePerS,
      latenessMeanMs: lateness.reduce((sum, value) => sum + value, 0) / lateness.length,
      latenessP50Ms: quantile(lateness, 0.5),
      latenessP99Ms: quantile(lateness, 0.99),
      latenessMaxMs: lateness[lateness.length - 1] ?? Number.NaN,
      warmLatenessMeanMs: warm.reduce((sum, value) => sum + value, 0) / warm.length,
      warmSends: warm.length,
      preconnectedSends: spares.length,
      preconnectedLatenessMeanMs: spares.length > 0 ? spares.reduce((sum, value) => sum + value, 0) / spares.length : null,
      selfCheckMeanMs: result.run.client.sendLatenessMs.mean,
      verdict: result.run.client.verdict,
      ok: records.filter((record) => record.ok).length,
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
}

const machine = await machineInfo()
const sim = await startSim({ ttftMs: Number(flags['ttft-ms']), itlMs: Number(flags['itl-ms']) })
const cases: Case[] = []
try {
  for (const speedup of speedups) {
    log(`replaying ${flags.trace} ×${speedup}`)
    cases.push(await measure(sim.url, speedup))
  }
} finally {
  await sim.stop()
}

const markdown = [
  `Measured ${machineLine(machine)}. Trace \`${flags.trace}\` against \`geopat sim\` (TTFT ${flags['ttft-ms']} ms, ITL ${flags['itl-ms']} ms), ` +
    '`--api completions`; lateness = sendMs − intendedSendMs over every record (the time undici wrote the request, against the row’s scaled time).',
  '',
  markdownTable(
    [
      'speedup',
      'rate (req/s)',
      'requests (ok)',
      'lateness mean (ms)',
      'p50 (ms)',
      'p99 (ms)',
      'max (ms)',
      'warm connections: mean (sends)',
      'spare connections: mean (sends)',
      'self-check mean (ms)',
      'verdict',
    ],
    cases.map((c) => [
      `×${c.speedup}`,
      fmt(c.ratePerS, 1),
      `${c.requests} (${c.ok})`,
      fmt(c.latenessMeanMs, 3),
      fmt(c.latenessP50Ms, 3),
      fmt(c.latenessP99Ms, 2),
      fmt(c.latenessMaxMs, 2),
      `${fmt(c.warmLatenessMeanMs, 3)} (${c.warmSends})`,
      `${fmt(c.preconnectedLatenessMeanMs, 3)} (${c.preconnectedSends})`,
      fmt(c.selfCheckMeanMs, 3),
      c.verdict,
    ]),
  ),
].join('\n')
showAndWriteResults('trace-replay', markdown, { machine, trace: flags.trace, cases }, output)
