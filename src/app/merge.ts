import { join, resolve } from 'node:path'
import { writeSummaryFiles } from '../io/output/files.js'
import type { BenchSummary } from '../io/schema/summary.js'
import { mergeShards } from '../merge/merge-shards.js'
import { RECORDS_FILE, readShardFolder, resolveShardFolders } from '../merge/shard-folders.js'
import { checkShardSet } from '../merge/shard-rules.js'
import { summaryToCsv } from '../metrics/summary-csv.js'
import { UserError } from '../util/errors.js'
import { claimRunFolderFor } from './run-folder.js'

export interface MergeRequest {
  /**
   * Local folders: shard run folders, or folders holding them. Shards elsewhere (object storage)
   * are fetched into local folders before this use case runs.
   */
  folders: string[]
  /** --out (default reports/<run-id>). */
  outDir?: string
  /** Merge what arrived when a shard is missing or did not finish; the summary says so. */
  allowMissing?: boolean
  overwrite?: boolean
  runId?: string
  log: (line: string) => void
}

export interface MergeResult {
  summary: BenchSummary
  outDir: string
}

/**
 * `geopat merge`: checks that the shard folders given make up one run (same run key, scenario and
 * shard count, each index once, all there and finished unless allowMissing), then writes one run
 * folder: the records on one time origin and summary.json/csv recomputed from their union.
 */
export async function runMerge(request: MergeRequest): Promise<MergeResult> {
  const shards = resolveShardFolders(request.folders).map((folder) => readShardFolder(folder))
  const set = checkShardSet(shards, request.allowMissing ?? false)
  if (request.outDir !== undefined) {
    const out = resolve(request.outDir)
    const clash = set.shards.find((shard) => resolve(shard.folder) === out)
    if (clash) throw new UserError(`--out ${request.outDir}: is shard ${clash.info.index}'s folder: merge into a folder of its own`)
  }
  const { runId, folder } = claimRunFolderFor('merge', { scenario: {}, ...optional(request), log: request.log })
  try {
    const summary = await mergeShards({ set, recordsPath: join(folder.dir, RECORDS_FILE), runId })
    writeSummaryFiles(folder.dir, { 'summary.json': `${JSON.stringify(summary, null, 2)}\n`, 'summary.csv': summaryToCsv(summary) }, undefined)
    return { summary, outDir: folder.dir }
  } finally {
    folder.release()
  }
}

function optional(request: MergeRequest): { outDir?: string; overwrite?: boolean; runId?: string } {
  return {
    ...(request.outDir !== undefined ? { outDir: request.outDir } : {}),
    ...(request.overwrite !== undefined ? { overwrite: request.overwrite } : {}),
    ...(request.runId !== undefined ? { runId: request.runId } : {}),
  }
}
