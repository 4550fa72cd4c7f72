/** How far a load step has come (what the load runner reports about every 100 ms). */
export interface StepProgress {
  sent: number
  completed: number
  inFlight: number
  elapsedMs: number
}

/**
 * Where a use case reports the progress of its load steps; the CLI draws a line on a terminal
 * (src/cli/render/progress-line.ts), `geopat run` passes its own, tests pass nothing.
 */
export interface ProgressReporter {
  /** `label`: what runs (endpoint and step); `total` requests or `durationMs` when known, for a bar. */
  update(label: string, progress: StepProgress, total?: number, durationMs?: number): void
  /** Clears what update drew, before other output. */
  clear(): void
}

/** Reports nothing. */
export const NO_PROGRESS: ProgressReporter = { update: () => undefined, clear: () => undefined }
