import type { EngineModel, EngineRequest } from '../../src/sim/engine/engine.js'

/**
 * Adds `request` to the engine at `startMs` and steps the engine until it has no work left: the
 * request's time to first token (ms from when it was added) and when the engine went idle.
 */
export function runUntilIdle(engine: EngineModel, request: EngineRequest, startMs: number): { ttftMs: number; endMs: number } {
  engine.add(request)
  let t = startMs
  let ttftMs: number | undefined
  while (engine.hasWork()) {
    const step = engine.step(t)
    t = step.endMs
    if (ttftMs === undefined && step.tokenRequestIds.includes(request.id)) ttftMs = step.endMs - startMs
  }
  if (ttftMs === undefined) throw new Error(`request ${request.id} produced no token`)
  return { ttftMs, endMs: t }
}
