import type { SimProfile } from '../../io/schema/sim-profile.js'
import { runVirtual } from '../virtual.js'
import type { OperatingPoint } from './operating-points.js'
import { type PerRequestTiming, type PointFigures, figuresOf, perRequestTiming } from './point-figures.js'

/**
 * The weight of each figure in the least squares, on its relative error (simulated / measured − 1).
 * The means bench prints count fully; the shorter / longer halves repeat part of the same requests
 * and count half: they are there to separate fixed costs from per-token costs (the intercept and
 * the slope against length), not to count the requests twice.
 */
const FIGURE_WEIGHTS: Readonly<Partial<Record<keyof PointFigures, number>>> = {
  ttftMs: 1,
  tpotMs: 1,
  outputTokensPerS: 1,
  ttftShortMs: 0.5,
  ttftLongMs: 0.5,
  tpotShortMs: 0.5,
  tpotLongMs: 0.5,
  itlMedianMs: 1,
  meanRunning: 1,
}
const FIGURES = Object.keys(FIGURE_WEIGHTS) as Array<keyof PointFigures>
/**
 * Figures compared at a batch of one only (the synchronous step), where they mean what they say:
 * TTFT's intercept against prompt length is then the fixed path to the first token (front end,
 * scheduling, a step's fixed cost: timing.frontendMs beside the step's costs that the token gaps
 * pin down), its slope the prefill compute. Under load, queueing blurs both.
 */
const BATCH_OF_ONE_WEIGHTS: Readonly<Partial<Record<keyof PointFigures, number>>> = {
  ttftInterceptMs: 1,
  ttftSlopeMsPerToken: 1,
}
const BATCH_OF_ONE_FIGURES = Object.keys(BATCH_OF_ONE_WEIGHTS) as Array<keyof PointFigures>
/**
 * At batch 1 (a closed loop of one user, the sweep's synchronous step) the difference between the
 * longer and the shorter half is the per-token cost alone, with every fixed cost cancelled: TTFT's
 * spread is prefill compute (prefillMfu), TPOT's is the KV read (bandwidthEfficiency), which
 * separates them from the fixed costs (frontendMs, stepOverheadMs) that the means mix them with.
 */
const SPREAD_WEIGHT = 1
const SPREADS: Array<[keyof PointFigures, keyof PointFigures]> = [
  ['ttftShortMs', 'ttftLongMs'],
  ['tpotShortMs', 'tpotLongMs'],
  // TPOT beyond the median token gap: the scheduling at the head of each multi-step group (vllm-0.6),
  // schedulerPerStepMs / N per token, which the means alone mix with the step's fixed cost.
  ['itlMedianMs', 'tpotMs'],
]
/** Residuals per point: one per figure, one per spread, one per batch-of-one figure. */
export const RESIDUALS_PER_POINT = FIGURES.length + SPREADS.length + BATCH_OF_ONE_FIGURES.length
/** The figures a point's error is judged on (the per-point table and the leave-one-out error). */
const HEADLINE_FIGURES: ReadonlyArray<keyof PointFigures> = ['ttftMs', 'tpotMs', 'outputTokensPerS']

/**
 * One operating point in virtual time: the same load, the measured requests' lengths (and, open
 * loop, their send times), the same warm-up window. Seeds are fixed per point, so every candidate
 * profile meets the same random numbers (common random numbers): the objective is a deterministic
 * function of the parameters, as the numeric Jacobian needs.
 */
export async function simulatePoint(profile: SimProfile, point: OperatingPoint): Promise<PointFigures> {
  return (await simulatePointRequests(profile, point)).figures
}

/** simulatePoint, with each request's TTFT and TPOT in send order (for the sampling noise). */
export async function simulatePointRequests(profile: SimProfile, point: OperatingPoint): Promise<{ figures: PointFigures; perRequest: PerRequestTiming[] }> {
  const result = await runVirtual({
    profile,
    confidential: point.confidential,
    load: point.load,
    inputTokens: 1,
    outputTokens: 1,
    seed: 1009 + point.step,
    noiseSeed: 2003 + point.step,
    keepRecords: true,
    warmupS: point.warmupS,
    cooldownS: point.cooldownS,
    replay: { lengths: point.lengths, ...(point.sendTimesMs ? { sendTimesMs: point.sendTimesMs } : {}) },
    ...(point.scrapeAtMs ? { runningAtMs: point.scrapeAtMs } : {}),
  })
  const figures = figuresOf(result.summary, result.records, point.medianInputTokens, point.medianContextTokens)
  if (result.runningAt.length > 0) figures.meanRunning = result.runningAt.reduce((sum, r) => sum + r, 0) / result.runningAt.length
  return { figures, perRequest: perRequestTiming(result.records) }
}

/** simulated / measured − 1, or null where either side has no value. */
export function relativeError(simulated: number | null, measured: number | null): number | null {
  if (simulated === null || measured === null || !(measured > 0)) return null
  return simulated / measured - 1
}

/** The weighted residuals of one point (a fixed number per point: 0 where a figure is missing on the measured side). */
export function pointResiduals(simulated: PointFigures, measured: PointFigures, batchOfOne: boolean): number[] {
  const residuals = FIGURES.map((figure) => {
    if (measured[figure] === null || !((measured[figure] as number) > 0)) return 0
    // A figure the simulation lost (no request finished) is as wrong as can be counted.
    const error = relativeError(simulated[figure], measured[figure]) ?? 1
    return (FIGURE_WEIGHTS[figure] as number) * error
  })
  for (const [short, long] of SPREADS) {
    const measuredSpread = measured[short] !== null && measured[long] !== null ? (measured[long] as number) - (measured[short] as number) : null
    const simulatedSpread = simulated[short] !== null && simulated[long] !== null ? (simulated[long] as number) - (simulated[short] as number) : null
    residuals.push(batchOfOne && measuredSpread !== null && measuredSpread > 0 ? SPREAD_WEIGHT * (relativeError(simulatedSpread, measuredSpread) ?? 1) : 0)
  }
  for (const figure of BATCH_OF_ONE_FIGURES) {
    const measuredValue = measured[figure]
    residuals.push(
      batchOfOne && measuredValue !== null && measuredValue > 0
        ? (BATCH_OF_ONE_WEIGHTS[figure] as number) * (relativeError(simulated[figure], measuredValue) ?? 1)
        : 0,
    )
  }
  return residuals
}

/** A closed loop of one user: every request runs alone in the engine. */
export function isBatchOfOne(point: OperatingPoint): boolean {
  return point.load.mode === 'closed' && (point.load.concurrency ?? 1) === 1
}

/** The largest |relative error| over the headline figures. */
export function pointError(simulated: PointFigures, measured: PointFigures): number {
  return Math.max(...HEADLINE_FIGURES.map((figure) => Math.abs(relativeError(simulated[figure], measured[figure]) ?? 0)))
}
