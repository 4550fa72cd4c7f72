/**
 * Simulator fidelity (the simulator issue's benchmark):
 *  (a) at 2,000 concurrent streams, how late the simulator's token writes leave against its own
 *      schedule (geopat_sim_emit_lateness_seconds, scraped before and after the run), with
 *      geopat bench as the client in another process;
 *  (b) how much faster than real time the virtual-time engine runs a 10-minute, 20 requests/s trace
 *      (ShareGPT-like lengths, H100 SXM profile), summary included.
 *
 *   npm run build && node dist/bench/sim-fidelity.js [--streams 2000] [--itl-ms 50] [--duration 20] [--write]
 */
import { performance } from 'node:perf_hooks'
import { loadProfile } from '../src/io/schema/sim-profile.js'
import { runVirtual } from '../src/sim/virtual.js'
import { loadWorkload } from '../src/sim/workload.js'
import { startSim } from './lib/sim-process.js'
import { benchAgainstSim } from './lib/sim-runs.js'
import { machineInfo, machineLine } from './lib/machine.js'
import { fmt, log, markdownTable, showAndWriteResults } from './lib/results.js'
import { argument, parsePositive } from './lib/script-options.js'

async function streamsFidelity(streams: number, itlMs: number, durationS: number) {
  const sim = await startSim({ ttftMs: 100, itlMs, outputTokens: 60 })
  try {
    const { bench, server } = await benchAgainstSim(sim, [
      '--concurrency',
      String(streams),
      '--duration',
      String(durationS),
      '--ramp-up',
      '2',
      '--warmup',
      '3',
      '--input-tokens',
      '16',
      '--output-tokens',
      '60',
      '--fixed-output',
      '--no-progress',
    ])
    return {
      streams,
      itlMs,
      writesPerS: server.writes / bench.processWallS,
      server,
      client: bench.run.client,
      succeeded: bench.run.requests.succeeded,
      sent: bench.run.requests.sent,
    }
  } finally {
    await sim.stop()
  }
}

async function virtualSpeed() {
  const workload = loadWorkload('sharegpt-like')
  const started = performance.now()
  const result = await runVirtual({
    profile: loadProfile('h100-sxm-llama-3.1-8b-bf16'),
    confidential: false,
    load: { step: 0, label: 'trace', mode: 'open', ratePerS: 20, durationMs: 600_000, arrival: 'poisson', burstiness: 1, seed: 1 },
    inputTokens: workload.inputTokens,
    outputTokens: workload.outputTokens,
    seed: 1,
  })
  const wallS = (performance.now() - started) / 1000
  return {
    simulatedS: 600,
    wallS,
    speedupIncludingSummary: 600 / wallS,
    engineOnlySpeedup: result.speedup,
    requests: result.summary.requests.succeeded,
    steps: result.engine.steps,
  }
}

const streams = parsePositive(argument('streams', '2000'), '--streams')
const itlMs = parsePositive(argument('itl-ms', '50'), '--itl-ms')
const durationS = parsePositive(argument('duration', '20'), '--duration')
const machine = await machineInfo()
// Virtual time first, in a process that has not yet held thousands of streams' worth of heap.
log('virtual time: 10 minutes at 20 requests/s')
const virtualRuns = [await virtualSpeed(), await virtualSpeed(), await virtualSpeed()]
log(`streams fidelity: ${streams} streams at ${itlMs} ms ITL for ${durationS} s`)
const fidelity = await streamsFidelity(streams, itlMs, durationS)
const best = virtualRuns.reduce((a, b) => (a.wallS < b.wallS ? a : b))

const markdown = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine(machine)}.`,
  '',
  `(a) ${fidelity.streams} concurrent streams, fixed timing (TTFT 100 ms, ITL ${fidelity.itlMs} ms, 60 tokens each), geopat bench in another process:`,
  '',
  markdownTable(
    ['streams', 'token writes/s', 'server lateness mean (ms)', 'requests ok / sent', 'client verdict'],
    [
      [
        String(fidelity.streams),
        fmt(fidelity.writesPerS, 0),
        fmt(fidelity.server.emitLatenessMeanMs, 3),
        `${fidelity.succeeded} / ${fidelity.sent}`,
        fidelity.client.verdict,
      ],
    ],
  ),
  '',
  `Target: mean lateness ≤ 1 ms → ${(fidelity.server.emitLatenessMeanMs ?? Number.POSITIVE_INFINITY) <= 1 ? 'PASS' : 'FAIL'}. The simulator reports it in \`geopat_sim_emit_lateness_seconds\` and \`geopat sim --json\` stats.`,
  '',
  '(b) Virtual time, 10-minute trace at 20 requests/s (Poisson, ShareGPT-like lengths, H100 SXM profile), records and summary included, best of 3:',
  '',
  markdownTable(
    ['simulated (s)', 'wall (s)', 'speed-up (whole run)', 'speed-up (engine only)', 'requests', 'engine steps'],
    virtualRuns.map((r) => [
      String(r.simulatedS),
      fmt(r.wallS, 3),
      `${fmt(r.speedupIncludingSummary, 0)}×`,
      `${fmt(r.engineOnlySpeedup, 0)}×`,
      String(r.requests),
      String(r.steps),
    ]),
  ),
  '',
  `Target: ≥ 1,000× → ${best.speedupIncludingSummary >= 1000 ? 'PASS' : 'FAIL'} (best ${fmt(best.speedupIncludingSummary, 0)}×).`,
].join('\n')
showAndWriteResults('sim-fidelity', markdown, { machine, fidelity, virtualRuns }, { json: false, write: process.argv.includes('--write') })
