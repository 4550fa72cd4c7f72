import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadYamlFile } from '../io/schema/load-file.js'
import { SHARD_FILE, type ShardInfo, shardInfoSchema } from '../io/schema/shard.js'
import { type BenchSummary, benchSummarySchema } from '../io/schema/summary.js'
import { UserError } from '../util/errors.js'

export const RECORDS_FILE = 'records.jsonl'
export const SUMMARY_FILE = 'summary.json'

/** One shard's run folder as read: its shard.json, and its summary.json when it finished. */
export interface ShardFolder {
  /** As the user gave it (or the parent folder given joined with the shard folder's name). */
  folder: string
  info: ShardInfo
  /** Null when the shard wrote none (it died, or was stopped before its summary). */
  summary: BenchSummary | null
  recordsPath: string
}

/**
 * The shard folders the paths given name: a folder holding shard.json is a shard folder; a folder
 * without one is a parent whose sub-folders holding shard.json are the shards (a PVC or a download
 * of every shard's folder). A path that is neither is refused with one line.
 */
export function resolveShardFolders(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new UserError('merge: give the shard folders (or one folder holding them)')
  const folders: string[] = []
  for (const path of paths) {
    if (!isDirectory(path))
      throw new UserError(`${path}: ${existsSync(path) ? 'not a folder' : 'no such folder'}: give shard run folders (each holds ${SHARD_FILE})`)
    if (existsSync(join(path, SHARD_FILE))) {
      folders.push(path)
      continue
    }
    const inside = readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && existsSync(join(path, entry.name, SHARD_FILE)))
      .map((entry) => join(path, entry.name))
      .sort()
    if (inside.length === 0) throw new UserError(`${path}: no ${SHARD_FILE} in it nor in the folders directly inside it: not a shard folder`)
    folders.push(...inside)
  }
  const seen = new Map<string, string>()
  for (const folder of folders) {
    const absolute = resolve(folder)
    const earlier = seen.get(absolute)
    if (earlier !== undefined) throw new UserError(`${folder}: given twice (also as ${earlier}): give each shard folder once`)
    seen.set(absolute, folder)
  }
  return folders
}

/** Reads a shard folder's shard.json (required) and summary.json (when present), each checked against its schema. */
export function readShardFolder(folder: string): ShardFolder {
  const info = loadYamlFile(join(folder, SHARD_FILE), shardInfoSchema)
  const recordsPath = join(folder, RECORDS_FILE)
  if (!existsSync(recordsPath)) throw new UserError(`${folder}: no ${RECORDS_FILE}: a shard folder holds its records beside ${SHARD_FILE}`)
  const summaryPath = join(folder, SUMMARY_FILE)
  const summary = existsSync(summaryPath) ? loadYamlFile(summaryPath, benchSummarySchema) : null
  return { folder, info, summary, recordsPath }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
