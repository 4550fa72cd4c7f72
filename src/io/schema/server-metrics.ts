import { z } from 'zod'

/**
 * One line of metrics.jsonl (`geopat bench --scrape-metrics`): one scrape of the endpoint's
 * Prometheus /metrics during a load step, the vllm:* samples only (label sets of a name added up,
 * histogram buckets left out; a histogram's _sum and _count kept).
 */
export const serverMetricsLineSchema = z
  .object({
    endpoint: z.string(),
    step: z.number().int().nonnegative(),
    /** When the scrape's answer arrived, ms on the records' clock (from the start of the run, as records' sendMs). */
    atMs: z.number().finite(),
    samples: z.record(z.string(), z.number().finite()),
  })
  .strict()
export type ServerMetricsLine = z.infer<typeof serverMetricsLineSchema>
