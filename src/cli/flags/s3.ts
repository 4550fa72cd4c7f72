import type { S3ClientOptions } from '../../io/s3/client.js'
import { checkS3Endpoint, parseS3Url } from '../../io/s3/url.js'
import { boolean, defineFlags, value } from './table.js'

/** An s3://bucket/prefix URL, checked when the flags are read (a bad one fails before any run). */
export const s3UrlText = (text: string): string => {
  parseS3Url(text)
  return text
}

/**
 * How to reach an S3-compatible store: rows shared by every command that uploads or downloads
 * results (bench --upload, push, merge --from). Credentials are never a flag: the AWS SDK's
 * default chain finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA or pod identity).
 */
export const S3_FLAGS = {
  's3-endpoint': value(checkS3Endpoint, {
    description:
      'S3-compatible store URL (MinIO, Ceph RGW), e.g. http://minio:9000 (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, ' +
      'else AWS); region from AWS_REGION, else us-east-1',
  }),
  's3-path-style': boolean({
    description: 'path-style addressing (endpoint/bucket/key), as MinIO and Ceph want (default: on when an endpoint is given)',
    allowNo: true,
  }),
} as const

/** The S3 client options of the S3_FLAGS rows. */
export function s3Options(values: { 's3-endpoint'?: string | undefined; 's3-path-style'?: boolean | undefined }): S3ClientOptions {
  return { endpoint: values['s3-endpoint'], pathStyle: values['s3-path-style'] }
}

/** `geopat push`'s flags: how to reach the store. */
export const PUSH_FLAGS = defineFlags({ ...S3_FLAGS })

/**
 * `geopat merge --from s3://bucket/prefix`'s rows, for merge's flag table to spread: the shard
 * folders below the prefix are downloaded (src/app/fetch-shards.ts) and merged like local ones.
 */
export const MERGE_FROM_S3_FLAGS = {
  from: value(s3UrlText, {
    description: 'read the shard folders below s3://bucket/prefix (shard-0/, shard-1/, …: each folder holding shard.json or records.jsonl)',
  }),
  ...S3_FLAGS,
} as const
