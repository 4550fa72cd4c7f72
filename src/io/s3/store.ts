import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand, HeadBucketCommand, type S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { UserError } from '../../util/errors.js'
import { pathInside } from '../output/files.js'
import { type S3ClientOptions, describeS3Error, openS3Client, withS3Errors } from './client.js'
import { type S3Location, s3Url } from './url.js'

/** An object below a prefix. */
export interface S3Object {
  key: string
  /** The key below the prefix, '/'-separated: `shard-0/records.jsonl`. */
  relative: string
  size: number
}

/** Content types of the files a run folder holds (any other: application/octet-stream). */
const CONTENT_TYPES: Record<string, string> = {
  '.jsonl': 'application/x-ndjson',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.html': 'text/html; charset=utf-8',
  '.dot': 'text/vnd.graphviz',
  '.pem': 'application/x-pem-file',
  '.jwt': 'application/jwt',
}

function contentType(file: string): string {
  const dot = file.lastIndexOf('.')
  return (dot >= 0 ? CONTENT_TYPES[file.slice(dot)] : undefined) ?? 'application/octet-stream'
}

/**
 * The files of a folder to upload, relative and '/'-separated, sorted: regular files at any depth,
 * without hidden ones (the run lock .geopat.lock, temporary files) and without symbolic links
 * (which could point anywhere on the machine, a credentials file included).
 */
export function filesToUpload(dir: string): string[] {
  const found: string[] = []
  const scan = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      if (entry.isFile()) found.push(`${prefix}${entry.name}`)
      else if (entry.isDirectory()) scan(join(folder, entry.name), `${prefix}${entry.name}/`)
    }
  }
  scan(dir, '')
  return found.sort()
}

/**
 * Results in S3-compatible storage: a folder uploaded under a prefix (lib-storage's Upload: one PUT
 * for a small file, a multipart upload in 8 MiB parts for a large records.jsonl), the objects below
 * a prefix listed, and downloaded into a local folder. Every failure is a UserError of one line
 * naming the bucket and key and the SDK's error name.
 */
export class S3ResultsStore {
  private constructor(private readonly client: S3Client) {}

  static async open(options: S3ClientOptions): Promise<S3ResultsStore> {
    return new S3ResultsStore(await openS3Client(options))
  }

  close(): void {
    this.client.destroy()
  }

  /**
   * Before a long run: fails when the bucket does not exist, the store cannot be reached or no
   * credentials are found. A 403 passes: a write-only policy may refuse HeadBucket and still take PutObject.
   */
  async checkBucket(location: S3Location): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: location.bucket }))
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) return
      const missing = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      throw new UserError(missing ? `${s3Url(location.bucket)}: NoSuchBucket (HTTP 404)` : describeS3Error(error, s3Url(location.bucket)), 1)
    }
  }

  /** Uploads every file of `dir` (filesToUpload) under the location's prefix; returns the keys. */
  async uploadFolder(dir: string, location: S3Location, onFile?: (key: string) => void): Promise<string[]> {
    const files = filesToUpload(dir)
    if (files.length === 0) throw new UserError(`${dir}: no files to upload`)
    const keys: string[] = []
    for (const file of files) {
      const key = `${location.prefix}${file}`
      await withS3Errors(s3Url(location.bucket, key), async () => {
        const body = createReadStream(join(dir, ...file.split('/')))
        try {
          // leavePartsOnError false: a failed multipart upload is aborted, leaving no parts to pay for.
          const upload = new Upload({
            client: this.client,
            params: { Bucket: location.bucket, Key: key, Body: body, ContentType: contentType(file) },
            partSize: 8 * 1024 * 1024,
            queueSize: 4,
            leavePartsOnError: false,
          })
          await upload.done()
        } finally {
          body.destroy()
        }
      })
      keys.push(key)
      onFile?.(key)
    }
    return keys
  }

  /** Every object below the location's prefix (folder markers, keys ending in '/', left out). */
  async list(location: S3Location): Promise<S3Object[]> {
    return withS3Errors(s3Url(location.bucket, location.prefix), async () => {
      const objects: S3Object[] = []
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: location.bucket, Prefix: location.prefix })) {
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined || item.Key.endsWith('/') || !item.Key.startsWith(location.prefix)) continue
          objects.push({ key: item.Key, relative: item.Key.slice(location.prefix.length), size: item.Size ?? 0 })
        }
      }
      return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    })
  }

  /**
   * Downloads `objects` (from `list`) into `intoDir` at their relative paths; a key that would land
   * outside it ('..', an absolute path) is refused. Each file is written whole (a temporary file,
   * then renamed). Returns the local paths.
   */
  async download(location: S3Location, objects: readonly S3Object[], intoDir: string): Promise<string[]> {
    const paths: string[] = []
    for (const object of objects) {
      const where = s3Url(location.bucket, object.key)
      const segments = object.relative.split('/')
      if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes(sep)))
        throw new UserError(`${where}: the key would leave the download folder ${intoDir}`, 1)
      const path = pathInside(intoDir, ...segments)
      mkdirSync(dirname(path), { recursive: true })
      const temporary = `${path}.${process.pid}.part`
      await withS3Errors(where, async () => {
        try {
          const response = await this.client.send(new GetObjectCommand({ Bucket: location.bucket, Key: object.key }))
          if (response.Body === undefined) throw new UserError(`${where}: the store sent no body`, 1)
          await pipeline(response.Body as Readable, createWriteStream(temporary))
          renameSync(temporary, path)
        } finally {
          rmSync(temporary, { force: true })
        }
      })
      paths.push(path)
    }
    return paths
  }
}
