import type { ProgressReporter, StepProgress } from '../../app/progress.js'

/** A one-line progress display on a terminal; silent when stderr is not a TTY (CI, pipes, --json). */
export class ProgressLine implements ProgressReporter {
  private readonly enabled: boolean
  private lastLength = 0

  constructor(enabled: boolean) {
    this.enabled = enabled && Boolean(process.stderr.isTTY) && !process.env.CI
  }

  update(label: string, progress: StepProgress, total?: number, durationMs?: number): void {
    if (!this.enabled) return
    const fraction = total !== undefined ? progress.completed / total : durationMs !== undefined ? Math.min(1, progress.elapsedMs / durationMs) : undefined
    const width = 24
    const bar = fraction !== undefined ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ` : ''
    const text =
      `${bar}${label}: ${progress.completed}${total !== undefined ? `/${total}` : ''} done, ` +
      `${progress.inFlight} in flight, ${(progress.elapsedMs / 1000).toFixed(1)} s`
    process.stderr.write(`\r${text.padEnd(this.lastLength)}`)
    this.lastLength = text.length
  }

  clear(): void {
    if (!this.enabled || this.lastLength === 0) return
    process.stderr.write(`\r${' '.repeat(this.lastLength)}\r`)
    this.lastLength = 0
  }
}
