import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'

/** Two fixed-pace servers on 127.0.0.1 for `geopat compare`, `slow` slower on TTFT and ITL, and a work folder. */
export interface CompareServers {
  fast: RunningSimServer
  slow: RunningSimServer
  work: string
}

/**
 * Starts the two servers before the file's tests and closes them after (call at the top of a test file).
 * `keepTime`: the servers wait out their last millisecond to a write with event-loop turns instead of a
 * timer (spinBelowMs 1, as a profiled simulator does): ~0.08 ms mean write lateness instead of ~0.7 ms,
 * which a real-clock file needs to hold means to its tolerance; it costs CPU while streams run.
 */
export function useFastAndSlowServers(options: { keepTime?: boolean } = {}): CompareServers {
  const servers = { work: mkdtempSync(join(tmpdir(), 'geopat-compare-cli-')) } as CompareServers
  const spinBelowMs = options.keepTime ? 1 : 0
  beforeAll(async () => {
    servers.fast = await startFixedSimServer({ ttftMs: 20, itlMs: 4, model: 'm', spinBelowMs })
    servers.slow = await startFixedSimServer({ ttftMs: 35, itlMs: 6, model: 'm', spinBelowMs })
  })
  afterAll(async () => {
    await servers.fast.close()
    await servers.slow.close()
  })
  return servers
}
