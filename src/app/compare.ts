import { type PreparedEndpoint, startEndpoints } from '../load/endpoints-setup.js'
import { StopSignal } from '../load/runner.js'
import type { RunFolder } from '../io/output/files.js'
import { claimRunFolderFor } from './run-folder.js'
import { type CompareConfig, compareConfigSchema } from '../io/schema/compare.js'
import type { Scenario } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { type Arm, type CompareRunOptions, type CompareRunResult, CompareSession, promptsForRound } from './compare-session.js'

/**
 * `geopat compare`: every arm gets the same prompts with a fixed output length, in interleaved
 * blocks (ABBA or seeded random order per round), after its own warm-up, at each operating point
 * apart. Then per arm and per contrast: bootstrap intervals, verdicts against the A/A floor, the
 * overhead split, server /metrics reconciliation and the peers' metric names.
 */
export async function runCompare(options: CompareRunOptions): Promise<CompareRunResult> {
  // A trace's arrivals and lengths are bench's to replay; compare sends its own interleaved blocks and would quietly drop them.
  if (options.scenario.load.trace)
    throw new UserError(`${options.scenario.load.trace.file}: load.trace is replayed by geopat bench; geopat compare sends its own blocks`)
  // Tool calls change each answer's length and shape; compare's arms must do the same work, which it fixes by exact output lengths.
  if (options.scenario.input.tools)
    throw new UserError(`${options.source}: input.tools: requests that ask for tools are sent by geopat bench; geopat compare sends plain prompts`)
  const { runId, folder } = claimRunFolderFor('compare', options)
  try {
    return await compareInFolder(options, runId, folder)
  } finally {
    folder.release()
  }
}

/** The arms: every endpoint, and the A/A copy of the first one second when compare.aa is on. */
function armsOf(prepared: readonly PreparedEndpoint[], config: CompareConfig): Arm[] {
  const arms: Arm[] = prepared.map((p) => ({ label: p.endpoint.label, prepared: p, endpoint: p.endpoint }))
  const first = arms[0] as Arm
  if (config.aa) {
    const label = `${first.label} (A/A)`
    arms.splice(1, 0, { label, prepared: first.prepared, endpoint: { ...first.endpoint, label } })
  }
  return arms
}

async function compareInFolder(options: CompareRunOptions, runId: string, folder: RunFolder): Promise<CompareRunResult> {
  const config = options.scenario.compare ?? compareConfigSchema.parse({})
  // A fair comparison needs the same work on every arm: exact output lengths (vLLM ignore_eos).
  const input: Scenario = { ...options.scenario, input: { ...options.scenario.input, fixedOutput: true } }
  const stop = options.stop ?? new StopSignal()
  await promptsForRound(input, 0, config.requestsPerBlock)
  const started = await startEndpoints(input, options.source, options.log, stop)
  const arms = armsOf(started.prepared, config)
  if (arms.length < 2) {
    await started.close()
    throw new UserError(`${options.source}: endpoints: compare needs two endpoints, or one with compare.aa: true`)
  }
  const session = new CompareSession({ options, config, input, scenario: started.scenario, arms, prepared: started.prepared, stop, runId, folder })
  try {
    await session.measure()
  } finally {
    await session.close()
    await started.close()
  }
  return session.finish()
}
