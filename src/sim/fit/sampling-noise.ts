import { tQuantile975 } from '../../sizing/replica-capacity.js'
import type { PerRequestTiming } from './point-figures.js'

/** Consecutive batches of requests whose means give the standard error (at most this many). */
const MAX_BATCHES = 10
/** Requests per batch at least. */
const MIN_BATCH_SIZE = 5

/**
 * How much a second measurement of the same operating point would differ from the first by chance,
 * as a fraction of the figure (95%): the largest over mean TTFT and mean TPOT. Each replayed request
 * is paired with its simulation (same lengths, same send time), so what the prompt and output
 * lengths explain cancels and what is left is timing noise (step noise, network jitter, the
 * client's machine) and the queueing it sets off. Its standard error is taken by batch means over
 * consecutive requests (a queue makes neighbours alike, so single requests are not independent),
 * and two independent measurements differ by √2 of it: t(0.975, k − 1) × √2 × SE over k batches.
 * 0 with fewer than two batches.
 *
 * In a closed loop of several users, TTFT is left out (`closedLoop`): which request waits behind
 * which prompt differs between two runs, so paired requests disagree widely, while the loop holds
 * the mean (users × requests/s = mean latency, Little's law); TPOT still pairs.
 */
export function samplingNoise(measured: readonly PerRequestTiming[], simulated: readonly PerRequestTiming[], closedLoop = false): number {
  const count = Math.min(measured.length, simulated.length)
  const batches = Math.min(MAX_BATCHES, Math.floor(count / MIN_BATCH_SIZE))
  if (batches < 2) return 0
  let worst = 0
  for (const figure of closedLoop ? (['tpotMs'] as const) : (['ttftMs', 'tpotMs'] as const)) {
    const batchMeans: number[] = []
    let simulatedSum = 0
    let simulatedCount = 0
    for (let b = 0; b < batches; b++) {
      let sum = 0
      let n = 0
      for (let i = Math.floor((b * count) / batches); i < Math.floor(((b + 1) * count) / batches); i++) {
        const m = measured[i]?.[figure]
        const s = simulated[i]?.[figure]
        if (m === null || m === undefined || s === null || s === undefined) continue
        sum += m - s
        n++
        simulatedSum += s
        simulatedCount++
      }
      if (n > 0) batchMeans.push(sum / n)
    }
    if (batchMeans.length < 2 || !(simulatedSum > 0)) continue
    const mean = batchMeans.reduce((a, b) => a + b, 0) / batchMeans.length
    const variance = batchMeans.reduce((a, b) => a + (b - mean) ** 2, 0) / (batchMeans.length - 1)
    const standardError = Math.sqrt(variance / batchMeans.length)
    worst = Math.max(worst, (tQuantile975(batchMeans.length - 1) * Math.SQRT2 * standardError) / (simulatedSum / simulatedCount))
  }
  return worst
}
