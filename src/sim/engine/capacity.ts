import type { SimProfile } from '../../io/schema/sim-profile.js'

/** Derived capacities of a profile: what the KV cache holds and what a step costs. */
export interface EngineCapacity {
  kvCacheTokens: number
  kvBlocks: number
  weightReadMs: number
  /** Bytes of KV cache per token at the cache's precision (fp8 halves the model's BF16 figure). */
  kvBytesPerToken: number
  /** Memory bandwidth a step reads at, over the replica's GPUs (bytes per ms, η and the CC factor applied). */
  bandwidthBytesPerMs: number
  /** Prefill compute rate over the replica's GPUs (FLOPs per ms, at the prefill MFU). */
  prefillFlopsPerMs: number
  /** t0 of every step, and c_seq per sequence in it (ms), the CC tolls included. */
  stepBaseMs: number
  perSequenceMs: number
}

/** KV bytes per token as the cache stores it: `--kv-cache-dtype fp8` keeps one byte per element instead of two. */
export function kvBytesPerToken(profile: SimProfile): number {
  return profile.engine.kvCacheDtype === 'fp8' ? profile.model.kvBytesPerToken / 2 : profile.model.kvBytesPerToken
}

/** Multiplies the CPU-side costs (scheduler, front end): the confidential VM's toll, 1 outside one. */
export function cpuTollFactor(profile: SimProfile, confidential: boolean): number {
  return confidential ? (profile.confidential?.cpuTollFactor ?? 1) : 1
}

/**
 * CPU time of one scheduling of `sequences` running sequences (ms): vLLM's scheduler, input
 * preparation and output processing, which the engine generation serializes with the GPU
 * (vllm-0.5), pays once per multi-step group (vllm-0.6) or overlaps with it (vllm-v1).
 */
export function schedulerMs(profile: SimProfile, confidential: boolean, sequences: number): number {
  const { timing } = profile
  return (timing.schedulerPerStepMs + (sequences * timing.schedulerPerSequenceUs) / 1000) * cpuTollFactor(profile, confidential)
}

/** A step's wall time from its GPU time and the CPU time of its scheduling, by engine generation. */
export function stepWallMs(profile: SimProfile, gpuMs: number, cpuMs: number): number {
  return profile.engine.version === 'vllm-v1' ? Math.max(gpuMs, cpuMs) : gpuMs + cpuMs
}

/** The model's load time at start (cold start), ms: longer in a confidential VM. */
export function coldStartMs(profile: SimProfile, confidential: boolean): number {
  return profile.timing.coldStartS * 1000 * ((confidential ? profile.confidential?.coldStartFactor : undefined) ?? 1)
}

export function engineCapacity(profile: SimProfile, confidential: boolean): EngineCapacity {
  const { gpu, model, engine, timing } = profile
  const cc = confidential ? profile.confidential : undefined
  const tp = model.tensorParallel
  const gib = 1024 ** 3
  // vLLM: gpu_memory_utilization × memory − weights − activation reserve, over all GPUs of the replica.
  const freeBytes = (gpu.memoryGiB * engine.gpuMemoryUtilization - engine.activationReserveGiB) * gib * tp - model.weightsGB * 1e9
  const kvBytes = kvBytesPerToken(profile)
  const kvBlocks = Math.max(0, Math.floor((freeBytes * (cc?.kvCapacityFactor ?? 1)) / kvBytes / engine.blockSize))
  const bandwidth = gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * (cc?.bandwidthFactor ?? 1)
  return {
    kvCacheTokens: kvBlocks * engine.blockSize,
    kvBlocks,
    weightReadMs: ((model.weightsGB * 1e9) / tp / bandwidth) * 1000,
    kvBytesPerToken: kvBytes,
    bandwidthBytesPerMs: (gpu.bandwidthTBps * 1e12 * timing.bandwidthEfficiency * (cc?.bandwidthFactor ?? 1) * tp) / 1000,
    prefillFlopsPerMs: (gpu.denseTflops * 1e12 * timing.prefillMfu * tp) / 1000,
    stepBaseMs: timing.stepOverheadMs + (cc?.stepTollMs ?? 0),
    perSequenceMs: (timing.perSequenceUs + (cc?.perSequenceTollUs ?? 0)) / 1000,
  }
}
