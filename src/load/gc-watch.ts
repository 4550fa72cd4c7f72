import { type PerformanceEntry, PerformanceObserver, performance } from 'node:perf_hooks'
import type { RunSummary } from '../io/schema/summary.js'

export type GcPauses = NonNullable<RunSummary['client']['gcPauses']>

/**
 * Watches this thread's garbage-collection pauses (V8 stops JavaScript for each one; a socket read
 * that arrives meanwhile waits until it ends). At thousands of open streams the young-generation
 * collections copy every request's state still alive, and their pauses, several ms every few
 * hundred ms, became the client's main source of late reads before its CPU ran out.
 *
 * `statsFromMs` (performance.now()): pauses that start earlier (the warm-up) are left out.
 * The returned function stops watching and sums the pauses up to now.
 */
export function watchGcPauses(statsFromMs = 0): () => GcPauses {
  // The window starts when watching does, if that is later: the time before it (model discovery,
  // earlier steps) saw no pause counted and must not thin the mean out.
  const fromMs = Math.max(statsFromMs, performance.now())
  const pausesMs: number[] = []
  const take = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries) if (entry.startTime >= fromMs) pausesMs.push(entry.duration)
  }
  const observer = new PerformanceObserver((list) => take(list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  return () => {
    take(observer.takeRecords())
    observer.disconnect()
    return sumGcPauses(pausesMs, performance.now() - fromMs)
  }
}

/**
 * `readDelayMeanMs`: how long a read arriving at a random moment of the `wallMs` window waits for a
 * collection to end, on average: Σ pause² / (2 × window). Comparable with the read probe's lateness.
 */
export function sumGcPauses(pausesMs: readonly number[], wallMs: number): GcPauses {
  let totalMs = 0
  let maxMs = 0
  let squaresMs = 0
  for (const pause of pausesMs) {
    totalMs += pause
    squaresMs += pause * pause
    if (pause > maxMs) maxMs = pause
  }
  return { count: pausesMs.length, totalMs, maxMs, readDelayMeanMs: wallMs > 0 ? squaresMs / (2 * wallMs) : 0 }
}
