import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import LongestFirstSequencer from './test/helpers/longest-first-sequencer.js'

/**
 * Three projects. `unit` and `integration` run together, three files at a time on this 2-core
 * machine (integration files wait on sockets and child processes much of the time: at two files the
 * CPU was busy ~55% of the run, at three the phase took 155 s instead of ~207 s); `unit` files share
 * worker threads (not isolated: each thread loads the modules once, not once per file; these files
 * mock no module and restore any fake clock they set), `integration` files worker processes (not
 * isolated either), in one queue ordered longest file first (test/helpers/longest-first-sequencer.ts);
 * `real-clock` runs after them, one file at a time in one worker process (sequence.groupOrder), so
 * that no other test file disturbs its clocks.
 *
 * 1. `unit` — every test file not named below: modules called in-process, the simulator in virtual
 *    time, nothing listening and no CLI started.
 * 2. `integration` — files that start the built CLI (or another child process) or serve on
 *    127.0.0.1 (port 0, a temporary folder of their own), and assert what is written, printed and
 *    exited, never how long it took: every file under test/cli/, and those listed in INTEGRATION.
 *    runCli runs the built CLI in the test's process here (GEOPAT_TEST_CLI=in-process; see
 *    test/helpers/cli-in-process.ts: 40% less CPU for the project); GEOPAT_TEST_CLI=process in the
 *    environment makes every call start bin/run.js, as `real-clock` always does.
 * 3. `real-clock` — files that measure latencies, rates or timers against real servers or real
 *    timers on this machine: every file under test/client/ and test/load/ and any `*.http.test.ts`,
 *    except those listed in NO_TIMING_CLAIM (which the two projects above take).
 *    A new test that times real HTTP or real timers goes there (name it `*.http.test.ts` outside
 *    those two folders). Even there, statistical claims are held to margins the design guarantees
 *    (e.g. widened by the simulator's self-reported write lateness); claims that need tight
 *    intervals are checked in the simulator's virtual time (src/sim/virtual.ts) in `unit`.
 *
 * Nothing in `unit` or `integration` may assert on a real-clock duration, so a busy machine only
 * makes them slower, never wrong.
 */
const REAL_CLOCK_FOLDERS = ['test/client/', 'test/load/']
const isHttpNamed = (file: string): boolean => file.endsWith('.http.test.ts')

/** Files under the real-clock folders or named `*.http.test.ts` that claim no real-clock duration. */
const NO_TIMING_CLAIM: Record<string, 'unit' | 'integration'> = {
  // Pure, in-process: a parser, seeded arrival schedules, the client self-check's verdicts, the stop signal, the sweep's next rate.
  'test/client/sse.test.ts': 'unit',
  'test/load/arrivals.test.ts': 'unit',
  'test/load/client-advice.test.ts': 'unit',
  'test/load/connections-ahead.test.ts': 'unit',
  'test/load/stop-signal.test.ts': 'unit',
  'test/load/sweep-planner.test.ts': 'unit',
  // A server on 127.0.0.1: buffer caps (sizes), TLS verification and what the summary records, the /metrics lines written,
  // every request of a run against injected faults accounted for in one error class (counts, never a duration).
  'test/client/limits.test.ts': 'integration',
  'test/client/tls.test.ts': 'integration',
  // StreamPool's spare connections: what the server saw (connections, requests, closes) and the records' flags, never a duration.
  'test/client/connect-reserve.test.ts': 'integration',
  'test/load/fault-accounting.test.ts': 'integration',
  'test/load/metrics-capture.test.ts': 'integration',
  // The CLI against local servers: files, exit codes, schema and secrets, never a duration (sim-fit-cli
  // takes the client-bound steps too, for that reason; accuracy is test/sim/fit.test.ts's, in virtual time).
  'test/cli/bench-cli.http.test.ts': 'integration',
  'test/cli/catalog-refresh-e2e.http.test.ts': 'integration',
  'test/cli/sim-fit-cli.http.test.ts': 'integration',
  // Reasoning and tool-call streams from the quirk server and the simulator: token and delta counts, never a duration.
  'test/client/reasoning-tools.test.ts': 'integration',
}

/** Outside test/cli/: files that start the CLI or a server (assertions on outputs, never on durations). */
const INTEGRATION = [
  'test/attest/around-run.test.ts',
  'test/compare/compare-sweep.test.ts',
  'test/k8s/render-cli.test.ts',
  'test/merge/merge-cli.test.ts',
  'test/merge/shards-e2e.test.ts',
  'test/output/records-writer.test.ts',
  'test/output/run-folder.test.ts',
  'test/plan/estate.test.ts',
  'test/plan/plan.test.ts',
  'test/pricing/refresh/aws.test.ts',
  'test/pricing/refresh/azure.test.ts',
  'test/pricing/refresh/ecb.test.ts',
  'test/pricing/refresh/gcp.test.ts',
  'test/pricing/refresh/save-responses.test.ts',
  'test/report/quickstart.test.ts',
  'test/report/report.test.ts',
  'test/s3/merge-from.test.ts',
  'test/s3/s3-server.test.ts',
  'test/s3/s3-store.test.ts',
  'test/s3/upload-cli.test.ts',
  'test/shard/clock-servers.test.ts',
  'test/shard/shard-cli.test.ts',
  'test/sim/openai-sdk.test.ts',
  'test/sim/sim-bad-input.test.ts',
  'test/sim/sim-endpoints.test.ts',
  'test/sizing/fleet-economics.test.ts',
  'test/sizing/model-error.test.ts',
  'test/sizing/size-sessions.test.ts',
  'test/sizing/sizing.test.ts',
  'test/tco/cli.test.ts',
  'test/tco/compliance-focus.test.ts',
  'test/tco/from-sizing.test.ts',
  'test/tco/mechanics.test.ts',
  'test/tco/uncertainty.test.ts',
  'test/tco/valuation-credits.test.ts',
  'test/trace/trace-cli.test.ts',
  'test/trace/trace-prefix-cache.test.ts',
  'test/session/session-cli.test.ts',
]

type Project = 'unit' | 'integration' | 'real-clock'

function projectOf(file: string): Project {
  const listed = NO_TIMING_CLAIM[file]
  if (listed) return listed
  if (REAL_CLOCK_FOLDERS.some((folder) => file.startsWith(folder)) || isHttpNamed(file)) return 'real-clock'
  if (file.startsWith('test/cli/') || INTEGRATION.includes(file)) return 'integration'
  return 'unit'
}

const TEST_FILES = (readdirSync(fileURLToPath(new URL('./test', import.meta.url)), { recursive: true }) as string[])
  .map((path) => `test/${path.split('\\').join('/')}`)
  .filter((file) => file.endsWith('.test.ts'))
const filesOf = (project: Project): string[] => TEST_FILES.filter((file) => projectOf(file) === project)

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
}

export default defineConfig({
  test: {
    // Longest file first across `unit` and `integration` (vitest's own order runs one project after the other).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      // Pure, in-process files in worker threads (lighter than processes: ~6% less CPU here), not isolated
      // (the modules load once per thread: 22% less CPU for the project, 115 -> 89 s at load 20).
      { test: { ...shared, name: 'unit', include: filesOf('unit'), pool: 'threads', isolate: false, maxWorkers: 3, sequence: { groupOrder: 1 } } },
      {
        test: {
          ...shared,
          name: 'integration',
          include: filesOf('integration'),
          // Not isolated either: a worker process runs its files one after another with the modules (and the
          // in-process CLI) loaded once (108 against 152 s of CPU for the project; imports 45 -> 10 s). These
          // files mock nothing, fake no clock and close what they start; the price-source tests remove the
          // proxy variables (no request may leave 127.0.0.1), which then stay removed for the worker's later files.
          isolate: false,
          // The built CLI in-process (test/helpers/cli.ts), unless GEOPAT_TEST_CLI=process asks for the binary.
          env: { GEOPAT_TEST_CLI: process.env.GEOPAT_TEST_CLI ?? 'in-process' },
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      // One worker process runs every real-clock file in turn (not isolated: no process start and module load per
      // file, ~1–1.5 s each). These files close what they start, fake no clock and mock nothing.
      {
        test: {
          ...shared,
          name: 'real-clock',
          include: filesOf('real-clock'),
          fileParallelism: false,
          isolate: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
