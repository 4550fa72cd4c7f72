import { UserError } from '../../util/errors.js'

/**
 * `s3://bucket/prefix`: where results go in S3-compatible storage (AWS S3, MinIO, Ceph RGW, the
 * clouds' object stores). The prefix is a folder: `s3://b/runs/r1` and `s3://b/runs/r1/` both name
 * the keys under `runs/r1/`; `s3://b` names the whole bucket.
 */
export interface S3Location {
  bucket: string
  /** '' (the whole bucket) or segments ending with '/': `runs/r1/`. */
  prefix: string
}

/** S3's bucket naming rules (MinIO's and Ceph's are the same or looser): 3–63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * Parses `s3://bucket/prefix`; a bad text fails with one line saying the rule (it never repeats a
 * text that looks like it carries credentials: `s3://KEY:SECRET@bucket`).
 */
export function parseS3Url(text: string): S3Location {
  if (!text.startsWith('s3://')) throw new UserError(`${JSON.stringify(text)} is not an s3://bucket/prefix URL`)
  const rest = text.slice('s3://'.length)
  if (rest.includes('@'))
    throw new UserError(
      'an s3:// URL carries no credentials (they come from the AWS SDK: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a pod identity)',
    )
  if (/[?#\\]/.test(rest)) throw new UserError(`${JSON.stringify(text)}: an s3:// URL takes no ?query, #fragment or backslash`)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..'))
    throw new UserError(
      `${JSON.stringify(text)}: bucket "${bucket}" is not a bucket name (3-63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit)`,
    )
  const segments = slash < 0 ? [] : rest.slice(slash + 1).split('/')
  if (segments.at(-1) === '') segments.pop()
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    throw new UserError(`${JSON.stringify(text)}: the prefix has an empty, '.' or '..' segment`)
  if (segments.some((segment) => [...segment].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)))
    throw new UserError(`${JSON.stringify(text)}: the prefix has a control character`)
  return { bucket, prefix: segments.map((segment) => `${segment}/`).join('') }
}

/**
 * Checks --s3-endpoint: an http(s) URL without credentials in it. The message never repeats a URL
 * that carries a user or password.
 */
export function checkS3Endpoint(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UserError(`${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:9000 or https://s3.example.eu)`)
  }
  if (url.username !== '' || url.password !== '')
    throw new UserError('the endpoint URL carries no credentials (they come from the AWS SDK: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, …)')
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`${JSON.stringify(text)}: the endpoint is http:// or https://`)
  return text
}

/** `s3://bucket/key` for messages. */
export function s3Url(bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`
}
