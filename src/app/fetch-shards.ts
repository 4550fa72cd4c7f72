import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { S3ClientOptions } from '../io/s3/client.js'
import { type S3Object, S3ResultsStore } from '../io/s3/store.js'
import { parseS3Url, s3Url } from '../io/s3/url.js'
import { UserError } from '../util/errors.js'

export interface FetchShardsOptions {
  s3: S3ClientOptions
  /** A line when the download is done; silent with --json. */
  log?: (line: string) => void
}

/** Files that make a folder a run folder (a shard's: shard.json beside records.jsonl). */
const RUN_FOLDER_MARKERS = ['shard.json', 'records.jsonl']

/** The folder part of a relative key: `shard-0/records.jsonl` → `shard-0`, `records.jsonl` → ''. */
function folderOf(relative: string): string {
  const slash = relative.lastIndexOf('/')
  return slash < 0 ? '' : relative.slice(0, slash)
}

/** The run folders below a prefix: each folder holding shard.json or records.jsonl, in natural order (shard-2 before shard-10). */
export function runFoldersIn(objects: readonly S3Object[]): string[] {
  const folders = new Set<string>()
  for (const { relative } of objects) {
    const name = relative.slice(relative.lastIndexOf('/') + 1)
    if (RUN_FOLDER_MARKERS.includes(name)) folders.add(folderOf(relative))
  }
  return [...folders].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}

/** Is `relative` in `folder` or below it? */
function isIn(relative: string, folder: string): boolean {
  return folder === '' || relative.startsWith(`${folder}/`)
}

/**
 * `geopat merge --from s3://bucket/prefix`: downloads every shard folder below the prefix
 * (s3://b/p/shard-0/…, s3://b/p/shard-1/…: each folder holding shard.json or records.jsonl, with
 * everything below it) into `intoDir`, at the same relative paths, and returns the local folders in
 * natural order. A prefix that is itself a run folder gives [intoDir]. No run folder below the
 * prefix, a bad URL or a store error: one line.
 */
export async function fetchShardFolders(from: string, intoDir: string, options: FetchShardsOptions): Promise<string[]> {
  const location = parseS3Url(from)
  const store = await S3ResultsStore.open(options.s3)
  try {
    const objects = await store.list(location)
    const folders = runFoldersIn(objects)
    if (folders.length === 0)
      throw new UserError(`${s3Url(location.bucket, location.prefix)}: no run folder below this prefix (none holds shard.json or records.jsonl)`)
    const wanted = objects.filter((object) => folders.some((folder) => isIn(object.relative, folder)))
    mkdirSync(intoDir, { recursive: true })
    await store.download(location, wanted, intoDir)
    options.log?.(`downloaded: ${wanted.length} files of ${folders.length} run folder(s) from ${s3Url(location.bucket, location.prefix)} into ${intoDir}`)
    return folders.map((folder) => (folder === '' ? intoDir : join(intoDir, ...folder.split('/'))))
  } finally {
    store.close()
  }
}
