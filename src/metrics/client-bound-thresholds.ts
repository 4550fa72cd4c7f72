/**
 * Thresholds of the client-bound verdict. A chunk that arrives while the event loop is busy is
 * timestamped late by up to the loop's delay, so a mean loop delay over 1 ms means latencies can be
 * off by that much; late sends mean the offered load was not the one asked for.
 */
export const CLIENT_BOUND_THRESHOLDS = {
  eventLoopDelayMeanMs: 1,
  eventLoopDelayP99Ms: 20,
  sendLatenessMeanMs: 1,
  sendLatenessP99Ms: 10,
  /** Closed loop: share of each request's time spent queued in the client before being written. */
  dispatchWaitShare: 0.01,
  /**
   * Mean lateness of the read probe (evenly spaced, or weighted by the reads around it). Set low on
   * purpose: against the per-request truth of bench/ (the simulator's request log), TTFT errors
   * ran 2–6× the probe's figure at 1,000–3,000 streams, because first tokens arrive in bursts.
   */
  readLatenessMeanMs: 0.25,
  /**
   * ...but only once the loop is busy this share of the time: bursts queue behind a busy loop. An
   * idle client's reads are late only by the machine's scheduling (another busy process), which
   * any client meets; at or above readLatenessAnyLoadMs it is flagged whatever the load.
   */
  readLatenessBusyUtilization: 0.15,
  readLatenessAnyLoadMs: 1,
} as const
