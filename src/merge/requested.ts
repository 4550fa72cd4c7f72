import type { RunSummary } from '../io/schema/summary.js'

type Requested = RunSummary['requested']

/** What one shard's summary says was asked of it (its share of the run), by shard index. */
export interface ShardRequested {
  index: number
  requested: Requested
}

/** The shares a shard's summary states: each shard's part of the whole, which add up to the whole's. */
const SHARED_OUT = ['concurrency', 'maxConcurrency', 'requests'] as const

/**
 * The load the whole run asked for, from its shards' summaries, each of which states its own
 * share (`geopat bench --shard`: 1/N of the rate, its share of the users, of the concurrency cap
 * and of the request cap). The rate is exact from any one shard (N × its share); users, cap and
 * requests are the sum over every shard. A shard that wrote no summary has its share taken from
 * the nearest shard that did (shares differ by at most one, the first shards taking the extra),
 * and `estimatedFor` names it.
 */
export function wholeRequested(shares: readonly ShardRequested[], count: number): { requested: Requested; estimatedFor: number[] } {
  const known = [...shares].sort((a, b) => a.index - b.index)
  const first = known[0]
  if (!first) throw new Error('wholeRequested: no shard summarized the step')
  const estimatedFor: number[] = []
  const shareOf = (index: number): Requested => {
    const own = known.find((share) => share.index === index)
    if (own) return own.requested
    estimatedFor.push(index)
    // Shares never grow with the index: the next summarized shard above bounds this one from below, the one below from above.
    return (known.find((share) => share.index > index) ?? known[known.length - 1] ?? first).requested
  }
  const all = Array.from({ length: count }, (_, index) => shareOf(index))
  const sum = (key: (typeof SHARED_OUT)[number]): number | null => {
    const values = all.map((requested) => requested[key])
    return values.some((value) => value === null) ? null : values.reduce((total: number, value) => total + (value as number), 0)
  }
  return {
    requested: {
      ...first.requested,
      ratePerS: first.requested.ratePerS === null ? null : first.requested.ratePerS * count,
      concurrency: sum('concurrency'),
      maxConcurrency: sum('maxConcurrency'),
      requests: sum('requests'),
    },
    estimatedFor,
  }
}
