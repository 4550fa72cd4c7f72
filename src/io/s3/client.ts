import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { UserError } from '../../util/errors.js'
import { redactText, secretList } from '../../util/redact.js'
import { checkS3Endpoint } from './url.js'

/**
 * An S3 client configured the way the AWS SDK and S3-compatible stores (MinIO, Ceph RGW) expect.
 *
 * - Credentials: the SDK's default chain only (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
 *   AWS_PROFILE and the shared files, web identity (IRSA) and EKS pod identity, ECS, EC2 metadata).
 *   geopat has no flag that carries a secret.
 * - Endpoint: --s3-endpoint, else the SDK's own AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (or a profile's
 *   endpoint_url), else AWS.
 * - Region: the SDK's (AWS_REGION or the profile), else us-east-1, which MinIO and Ceph accept by default.
 * - Path-style addressing (`endpoint/bucket/key`): on by default when an endpoint is given, as MinIO
 *   and Ceph want; --no-s3-path-style turns it off for a store that serves `bucket.endpoint`.
 * - TLS verification is the SDK's (on); a private CA goes in NODE_EXTRA_CA_CERTS.
 */
export interface S3ClientOptions {
  /** --s3-endpoint: the store's URL, e.g. http://minio.storage:9000 or https://rgw.example.eu. */
  endpoint?: string | undefined
  /** --s3-path-style / --no-s3-path-style; absent: on when an endpoint is given (flag or environment). */
  pathStyle?: boolean | undefined
}

/** Where the SDK itself reads an endpoint from the environment. */
const ENDPOINT_ENV = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const

/** The client's configuration (without the region, which `openS3Client` resolves). */
export function s3ClientConfig(options: S3ClientOptions, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpointGiven = options.endpoint !== undefined || ENDPOINT_ENV.some((name) => (env[name] ?? '') !== '')
  return {
    ...(options.endpoint !== undefined ? { endpoint: checkS3Endpoint(options.endpoint) } : {}),
    forcePathStyle: options.pathStyle ?? endpointGiven,
    // A bucket in another AWS region than the one signed for is followed rather than refused.
    followRegionRedirects: true,
    // SDK v3 since 3.729 adds a CRC32 checksum to every upload and, for a streamed body, sends it as
    // an aws-chunked body with a trailer. Many S3-compatible servers (older MinIO and Ceph RGW,
    // s3rver) reject that or store the chunk framing as the object; WHEN_REQUIRED sends checksums
    // only where the API requires one (the multipart uploads' integrity still rests on each part's
    // signed request). AWS_REQUEST_CHECKSUM_CALCULATION / AWS_RESPONSE_CHECKSUM_VALIDATION, when set,
    // are left to the SDK.
    ...(env.AWS_REQUEST_CHECKSUM_CALCULATION ? {} : { requestChecksumCalculation: 'WHEN_REQUIRED' }),
    ...(env.AWS_RESPONSE_CHECKSUM_VALIDATION ? {} : { responseChecksumValidation: 'WHEN_REQUIRED' }),
    // A store that does not answer fails within seconds rather than hanging a finished run.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  }
}

/**
 * A client for `options`: the SDK's region when it has one, else us-east-1 (MinIO's and Ceph's
 * default; on AWS a bucket elsewhere is followed by followRegionRedirects).
 */
export async function openS3Client(options: S3ClientOptions): Promise<S3Client> {
  // The SDK warns on stderr about Node 20 (its releases after January 2027 need Node 22); geopat
  // supports Node 20, and a warning would break its one-line error contract.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const config = s3ClientConfig(options)
  const client = new S3Client(config)
  try {
    await client.config.region()
    return client
  } catch {
    client.destroy()
    return new S3Client({ ...config, region: 'us-east-1' })
  }
}

/** Names an SDK error has for the user: S3's code (NoSuchBucket, AccessDenied, …), a socket's (ECONNREFUSED), or the SDK's own. */
function errorName(error: Error & { code?: unknown; Code?: unknown }): string {
  if (typeof error.Code === 'string') return error.Code
  if (error.name && error.name !== 'Error' && error.name !== 'AggregateError') return error.name
  if (typeof error.code === 'string') return error.code
  return error.name || 'Error'
}

/** Advice for errors whose cause is the configuration rather than the store. */
const ADVICE: Record<string, string> = {
  CredentialsProviderError:
    'no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or give the pod an identity (IRSA, EKS pod identity)',
  ECONNREFUSED: 'nothing listens at the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)',
  ENOTFOUND: 'the endpoint host does not resolve (--s3-endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)',
  TimeoutError: 'the store did not answer in time',
}

/**
 * An SDK error as one line: where (s3://bucket/key), the error's name, the HTTP status and the
 * first line of its message. Credentials in the environment never appear in it.
 */
export function describeS3Error(error: unknown, where: string): string {
  if (error instanceof UserError) return error.message
  const failure: Error & { $metadata?: { httpStatusCode?: number } } = error instanceof Error ? error : new Error(String(error))
  const name = errorName(failure)
  const status = failure.$metadata?.httpStatusCode
  const firstLine = (failure.message ?? '').split('\n')[0]?.trim().slice(0, 300) ?? ''
  const detail = ADVICE[name] ?? (firstLine !== '' && firstLine !== name ? firstLine : '')
  const secrets = secretList([process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN, process.env.AWS_ACCESS_KEY_ID])
  return redactText(`${where}: ${name}${status ? ` (HTTP ${status})` : ''}${detail ? `: ${detail}` : ''}`, secrets)
}

/** `work` with a failure turned into a UserError of one line naming `where` (exit code 1: the run itself is kept). */
export async function withS3Errors<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw new UserError(describeS3Error(error, where), 1)
  }
}
