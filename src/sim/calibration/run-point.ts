import { createLengthSampler } from '../../input/distributions.js'
import type { LoadStep } from '../../load/runner.js'
import type { CalibrationLoad, CalibrationPoint, CalibrationSetup } from '../../io/schema/calibration-set.js'
import { deriveSeed, seededRandom } from '../../util/rng.js'
import { EngineModel } from '../engine/engine.js'
import type { SimProfile } from '../../io/schema/sim-profile.js'
import { runVirtual } from '../virtual.js'
import { servingMetric } from './metrics.js'

export interface PointRunOptions {
  /** Seed of the prompt lengths, the arrivals and the engine noise (default: the setup's, else 1). */
  seed?: number
}

export interface PointResult {
  published: number
  /** null when the run gave no value (no request qualified for the metric). */
  simulated: number | null
  /** simulated / published. */
  ratio: number | null
  /** Simulated seconds the run covered, and the requests it completed. */
  simulatedSeconds: number
  requests: number
  /** Mean prompt and output lengths of the simulated requests (to compare with the published means). */
  meanInputTokens: number
  meanOutputTokens: number
}

/** The load step of a serving benchmark (benchmark_serving) for one point. */
function servingLoad(load: Exclude<CalibrationLoad, { kind: 'offline' }>, prompts: number, seed: number): LoadStep {
  if (load.kind === 'rate') {
    return { step: 0, label: `${load.ratePerS} req/s`, mode: 'open', ratePerS: load.ratePerS, arrival: 'poisson', burstiness: 1, maxRequests: prompts, seed }
  }
  // QPS ∞: every request is sent at time 0, as many users as prompts, each sending once.
  return { step: 0, label: 'QPS ∞', mode: 'closed', concurrency: prompts, maxRequests: prompts, arrival: 'poisson', burstiness: 1, seed }
}

/**
 * benchmark_throughput: every prompt is handed to the engine at time 0 (no HTTP server, no
 * network); the run lasts until the last sequence finishes. Returns requests / elapsed seconds.
 */
function simulateOffline(
  profile: SimProfile,
  confidential: boolean,
  setup: CalibrationSetup,
  seed: number,
): { requestsPerS: number; elapsedS: number; meanInputTokens: number; meanOutputTokens: number } {
  const sampleInput = createLengthSampler(setup.workload.inputTokens, seededRandom(deriveSeed(seed, 1)))
  const sampleOutput = createLengthSampler(setup.workload.outputTokens, seededRandom(deriveSeed(seed, 2)))
  const engine = new EngineModel(profile, confidential, seededRandom(deriveSeed(seed, 11)))
  const prompts = setup.workload.prompts
  let inputTokens = 0
  let outputTokens = 0
  for (let id = 0; id < prompts; id++) {
    const request = { id, promptTokens: sampleInput(), outputTokens: sampleOutput() }
    inputTokens += request.promptTokens
    outputTokens += request.outputTokens
    engine.add(request)
  }
  let nowMs = 0
  while (engine.hasWork()) nowMs = engine.step(nowMs).endMs
  const elapsedS = nowMs / 1000
  return { requestsPerS: elapsedS > 0 ? prompts / elapsedS : 0, elapsedS, meanInputTokens: inputTokens / prompts, meanOutputTokens: outputTokens / prompts }
}

/**
 * Simulates one published point with a profile in virtual time, with the point's setup (lengths,
 * prompt count, load), and computes its metric the way its publisher did.
 */
export async function runCalibrationPoint(
  point: CalibrationPoint,
  setup: CalibrationSetup,
  profile: SimProfile,
  options: PointRunOptions = {},
): Promise<PointResult> {
  const seed = options.seed ?? setup.workload.seed ?? 1
  if (point.confidential && !profile.confidential) throw new RangeError(`profile ${profile.name} has no confidential settings, which point ${point.id} needs`)
  if (point.load.kind === 'offline') {
    const offline = simulateOffline(profile, point.confidential, setup, seed)
    return {
      published: point.value,
      simulated: offline.requestsPerS,
      ratio: offline.requestsPerS / point.value,
      simulatedSeconds: offline.elapsedS,
      requests: setup.workload.prompts,
      meanInputTokens: offline.meanInputTokens,
      meanOutputTokens: offline.meanOutputTokens,
    }
  }
  if (point.metric === 'vllm-offline-request-throughput') throw new RangeError(`point ${point.id}: the offline metric needs an offline load`)
  const { records, summary } = await runVirtual({
    profile,
    confidential: point.confidential,
    load: servingLoad(point.load, setup.workload.prompts, seed),
    inputTokens: setup.workload.inputTokens,
    outputTokens: setup.workload.outputTokens,
    seed,
    keepRecords: true,
    label: point.id,
  })
  const simulated = servingMetric(point.metric, records)
  return {
    published: point.value,
    simulated,
    ratio: simulated === null ? null : simulated / point.value,
    simulatedSeconds: summary.achieved.runDurationS,
    requests: records.length,
    meanInputTokens: records.reduce((sum, r) => sum + (r.requestedInputTokens ?? 0), 0) / Math.max(1, records.length),
    meanOutputTokens: records.reduce((sum, r) => sum + (r.requestedOutputTokens ?? 0), 0) / Math.max(1, records.length),
  }
}
