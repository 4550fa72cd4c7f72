import type { ShardSlice } from '../../load/shard.js'
import { UserError } from '../../util/errors.js'
import { parseZonedIsoTime } from '../../util/zoned-time.js'
import type { Parser } from './parsers.js'

/** The most shards of one run (shard.json's schema allows as many). */
const MAX_SHARDS = 10_000

/** `--shard I/N`: shard I (from 0) of N. */
export const shardSlice: Parser<ShardSlice> = (value) => {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value)
  if (!match) throw new UserError(`"${value}" must look like I/N, e.g. 2/4 (shard I of N, I from 0)`)
  const index = Number(match[1])
  const count = Number(match[2])
  if (count < 1 || count > MAX_SHARDS) throw new UserError(`"${value}": N must be between 1 and ${MAX_SHARDS}`)
  if (index >= count) throw new UserError(`"${value}": I must be less than N (shards count from 0: ${count} shards are 0/${count} … ${count - 1}/${count})`)
  return { index, count }
}

/** `--shards N`. */
export const shardCount: Parser<number> = (value) => {
  const count = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  if (!(count >= 1 && count <= MAX_SHARDS)) throw new UserError(`"${value}" must be a whole number from 1 to ${MAX_SHARDS}`)
  return count
}

/** `--start-at`: an ISO 8601 time with its zone (Z for UTC), to the millisecond → Unix ms. */
export const startAt: Parser<number> = (value) => {
  const parsed = parseZonedIsoTime(value.trim())
  if (!Number.isFinite(parsed)) throw new UserError(`"${value}" must be an ISO 8601 time with its zone, e.g. 2026-12-06T18:30:00Z`)
  return parsed
}

/** `--run-key`: printable, no spaces, at most 200 characters (it names the run in shard.json and file names). */
export const runKey: Parser<string> = (value) => {
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) throw new UserError(`"${value}" must be 1 to 200 printable characters without spaces`)
  return value
}
