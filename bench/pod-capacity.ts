/**
 * Streams and token events per pod and per core (issue #20, scope 4): what one `geopat bench`
 * process (one Kubernetes pod of `geopat k8s render`) takes, with its CPU and its memory, so that a
 * region's peak can be divided into pods (src/k8s/pod-sizing.ts holds the rule that uses these).
 *
 * For each stream count: a fresh simulator (`geopat sim`, TTFT 100 ms, the row's ITL, one token per
 * write) in its own process, warmed up, and `geopat bench` in another, a closed loop of N streams
 * with 10–50 output tokens, --warmup and --cooldown each the longest request, as the streams-held
 * rows of bench/throughput.ts. Read from geopat's summary: output tokens/s (= token events/s: the
 * simulator writes one token per chunk), the client's CPU in cores, its event loop's busy share, its
 * read-lateness probe and its verdict; and the process's peak resident set (maxRSS, all threads),
 * written at exit by bench/peak-rss-hook.ts.
 *
 *   npm run build && node dist/bench/pod-capacity.js                       # prints the table
 *   node dist/bench/pod-capacity.js --write                                # … and updates bench/RESULTS.md
 *   node dist/bench/pod-capacity.js --streams 1,500,1000,2000 --itl-ms 100 --window 8 --workers 1
 */
import { execa } from 'execa'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { RunSummary } from '../src/io/schema/summary.js'
import { startSim, warmSimulator } from './lib/sim-process.js'
import { machineInfo, machineLine } from './lib/machine.js'
import { fmt, log, markdownTable, pause, writeResultsData, writeResultsSection } from './lib/results.js'
import { parseIntList, parsePositive } from './lib/script-options.js'
import { PACKAGE_ROOT } from '../src/util/version.js'

const OUTPUT_TOKENS = { text: 'uniform:10-50', max: 50 }
const TTFT_MS = 100

interface Row {
  streams: number
  itlMs: number
  workers: number
  eventsPerS: number
  cpuCores: number
  eventsPerCoreS: number
  eventLoopBusy: number
  readLatenessPerReadMs: number | null
  peakRssMiB: number
  verdict: string
  succeeded: number
  sent: number
  loadAverage1mBefore: number
}

async function measure(streams: number, itlMs: number, workers: number, windowS: number): Promise<Row> {
  const longestS = (TTFT_MS + OUTPUT_TOKENS.max * itlMs) / 1000
  const loadAverage1mBefore = loadavg()[0] ?? 0
  const sim = await startSim({ ttftMs: TTFT_MS, itlMs })
  const dir = mkdtempSync(join(tmpdir(), 'geopat-pod-capacity-'))
  try {
    await warmSimulator(sim.url, { requests: 200, concurrency: 50, inputTokens: 16, outputTokens: 4 })
    const rssFile = join(dir, 'peak-rss-kib')
    const args = [
      ...['--import', join(PACKAGE_ROOT, 'dist', 'bench', 'peak-rss-hook.js'), join(PACKAGE_ROOT, 'bin', 'run.js'), 'bench', '--url', sim.url],
      ...['--concurrency', String(streams), '--duration', String(longestS * 2 + windowS), '--input-tokens', '16'],
      ...['--output-tokens', OUTPUT_TOKENS.text, '--fixed-output', '--warmup', String(longestS), '--cooldown', String(longestS)],
      ...['--workers', String(workers), '--json', '--out', join(dir, 'run')],
    ]
    const child = await execa(process.execPath, args, {
      reject: false,
      stdin: 'ignore',
      maxBuffer: 256 * 1024 * 1024,
      env: { GEOPAT_DEBUG: '', GEOPAT_PEAK_RSS_FILE: rssFile },
    })
    if (child.exitCode !== 0) throw new Error(`geopat bench exited ${child.exitCode}: ${String(child.stderr).trim()}`)
    const run = (JSON.parse(String(child.stdout)) as { runs: RunSummary[] }).runs[0]
    if (run === undefined) throw new Error('geopat bench: the summary has no run')
    const eventsPerS = run.throughput.outputTokensPerS
    return {
      streams,
      itlMs,
      workers,
      eventsPerS,
      cpuCores: run.client.cpuCores,
      eventsPerCoreS: eventsPerS / run.client.cpuCores,
      eventLoopBusy: run.client.eventLoopUtilization,
      readLatenessPerReadMs: run.client.readLatenessPerReadMeanMs ?? null,
      peakRssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024,
      verdict: run.client.verdict,
      succeeded: run.requests.succeeded,
      sent: run.requests.sent,
      loadAverage1mBefore,
    }
  } finally {
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function table(rows: Row[]): string {
  const base = rows.find((row) => row.streams === Math.min(...rows.map((r) => r.streams)))
  return markdownTable(
    [
      'streams',
      'ITL ms',
      'workers',
      'ok/sent',
      'token events/s (measured)',
      'client CPU (cores)',
      'events per core-second',
      'event loop busy',
      'read probe per read (ms)',
      'peak RSS (MiB)',
      'RSS per stream above the smallest row (KiB)',
      'verdict',
      'load average before',
    ],
    rows.map((row) => [
      String(row.streams),
      String(row.itlMs),
      String(row.workers),
      `${row.succeeded}/${row.sent}`,
      fmt(row.eventsPerS, 0),
      fmt(row.cpuCores, 2),
      fmt(row.eventsPerCoreS, 0),
      `${fmt(row.eventLoopBusy * 100, 0)}%`,
      fmt(row.readLatenessPerReadMs, 2),
      fmt(row.peakRssMiB, 0),
      base && row !== base ? fmt(((row.peakRssMiB - base.peakRssMiB) * 1024) / (row.streams - base.streams), 1) : '–',
      row.verdict,
      fmt(row.loadAverage1mBefore, 2),
    ]),
  )
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      streams: { type: 'string', default: '1,500,1000,2000' },
      'itl-ms': { type: 'string', default: '100' },
      workers: { type: 'string', default: '1' },
      window: { type: 'string', default: '8' },
      write: { type: 'boolean', default: false },
    },
  })
  const streamsList = parseIntList(values.streams, '--streams')
  const itlMs = parsePositive(values['itl-ms'], '--itl-ms')
  const workers = parseIntList(values.workers, '--workers')
  const windowS = parsePositive(values.window, '--window')
  const machine = await machineInfo()
  const rows: Row[] = []
  for (const w of workers) {
    for (const streams of streamsList) {
      log(`pod capacity: ${streams} streams, ITL ${itlMs} ms, ${w} worker(s) …`)
      const row = await measure(streams, itlMs, w, windowS)
      log(`  ${fmt(row.eventsPerS, 0)} events/s, ${fmt(row.cpuCores, 2)} cores, peak RSS ${fmt(row.peakRssMiB, 0)} MiB, ${row.verdict}`)
      rows.push(row)
      await pause(2000)
    }
  }
  const markdown = [
    `Run: ${machineLine(machine)}.`,
    '',
    `Simulator: TTFT ${TTFT_MS} ms, ITL ${itlMs} ms, one token per write (token events/s = output tokens/s), a fresh instance per row, ` +
      `warmed up. geopat bench: closed loop at N streams, 16 prompt tokens, ${OUTPUT_TOKENS.text} output tokens (--fixed-output), ` +
      `--warmup and --cooldown each the longest request, ${windowS} s of sends between them. CPU: geopat's own figure (process CPU ÷ ` +
      "wall time); peak RSS: the process's maxRSS at exit, all threads. Per stream: (RSS − the smallest row's RSS) ÷ (streams − its streams).",
    '',
    table(rows),
  ].join('\n')
  writeResultsData('pod-capacity', { machine, rows })
  if (values.write) writeResultsSection('pod-capacity', markdown)
  process.stdout.write(`${markdown}\n`)
}

await main()
