import { defineConfig } from 'vitest/config'

/**
 * Two projects, run one after the other (sequence.groupOrder):
 *
 * 1. `unit` — every test file not named below. Files run two at a time (this is a 2-core machine):
 *    modules called in-process, the simulator in virtual time, the CLI spawned for its output and
 *    exit codes. Nothing here may assert on a real-clock duration, so a busy machine only makes it
 *    slower, never wrong.
 * 2. `real-clock` — files that measure latencies or timers against real HTTP servers on this
 *    machine, one file at a time, after the `unit` project, so that no other test file disturbs them:
 *      - every file under test/client/ and test/load/ (the HTTP client and the load generator), and
 *      - any other file named `*.http.test.ts`.
 *    A new test that times real HTTP or real timers goes there (name it `*.http.test.ts` outside
 *    those two folders). Even there, statistical claims are held to margins the design guarantees
 *    (e.g. widened by the simulator's self-reported write lateness); claims that need tight
 *    intervals are checked in the simulator's virtual time (src/sim/virtual.ts) in `unit`.
 */
const REAL_CLOCK = ['test/client/**/*.test.ts', 'test/load/**/*.test.ts', 'test/**/*.http.test.ts']

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: REAL_CLOCK,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: 'real-clock',
          include: REAL_CLOCK,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
