import { existsSync, statSync } from 'node:fs'
import type { S3ClientOptions } from '../io/s3/client.js'
import { S3ResultsStore } from '../io/s3/store.js'
import { type S3Location, parseS3Url, s3Url } from '../io/s3/url.js'
import { UserError } from '../util/errors.js'

/** Where a run folder goes (--upload / `geopat push`) and how to reach the store. */
export interface PushRequest {
  /** s3://bucket/prefix: the folder's files land at prefix/<file>. */
  to: string
  s3: S3ClientOptions
  /** One line per file uploaded, and the last line; silent with --json. */
  log: (line: string) => void
}

/**
 * Uploads a run folder's files (records.jsonl, summary.json/csv, shard.json, metrics.jsonl, report,
 * attestation evidence, step folders: every regular, non-hidden file) under an s3:// prefix.
 * A failure is a UserError of one line naming the bucket, the key and the SDK's error name; the
 * local folder is never changed.
 */
export async function pushRunFolder(dir: string, request: PushRequest): Promise<{ location: S3Location; keys: string[] }> {
  const location = parseS3Url(request.to)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder`)
  const store = await S3ResultsStore.open(request.s3)
  try {
    const keys = await store.uploadFolder(dir, location)
    request.log(`uploaded: ${keys.length} file${keys.length === 1 ? '' : 's'} of ${dir} to ${s3Url(location.bucket, location.prefix)}`)
    return { location, keys }
  } finally {
    store.close()
  }
}

/**
 * Before a run that uploads its results: the bucket exists, the store answers and credentials are
 * found (a 403 passes: a write-only policy may refuse this check). A long run never ends on a typo.
 */
export async function checkUploadTarget(to: string, s3: S3ClientOptions): Promise<void> {
  const location = parseS3Url(to)
  const store = await S3ResultsStore.open(s3)
  try {
    await store.checkBucket(location)
  } finally {
    store.close()
  }
}

/**
 * `geopat bench --upload`: after the run, whatever it measured (finished, interrupted, server
 * lost), its folder goes up. Returns the failure as one line (the caller exits non-zero after
 * its own messages); the local folder stays either way.
 */
export async function uploadAfterRun(outDir: string, request: PushRequest): Promise<string | undefined> {
  try {
    await pushRunFolder(outDir, request)
    return undefined
  } catch (error) {
    if (error instanceof UserError) return `upload failed, the results stay in ${outDir}: ${error.message}`
    throw error
  }
}
