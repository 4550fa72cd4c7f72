import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest'
import { installLoopbackGuard, removeLoopbackGuard, takeRefusedConnections } from './loopback-guard.js'

/**
 * A local S3-compatible server for tests: s3rver (a well-kept fake S3 that keeps objects in a
 * folder) on 127.0.0.1, port 0, in a temporary folder of its own, with dummy credentials.
 *
 * s3rver checks that a request is signed by a known access key id (the one registered here) but
 * not the v4 signature itself. It does not understand the aws-chunked bodies with a CRC32 trailer
 * that SDK v3 sends by default for a streamed upload: it stores the chunk framing as the object
 * (test/s3/s3-server.test.ts shows it), which is why src/io/s3/client.ts asks for checksums only
 * WHEN_REQUIRED, as for MinIO and Ceph releases that do the same.
 */

/** Dummy credentials, distinctive so that a test can look for them in every output. */
export const TEST_ACCESS_KEY_ID = 'GEOPATTESTKEY7Q2W9E'
export const TEST_SECRET_ACCESS_KEY = 'geopat-test-secret-3b8f1e6a9c0d'
export const TEST_SESSION_TOKEN = 'geopat-test-session-token-5e7a2c4b'

interface S3rverInstance {
  configureBuckets(): Promise<void>
  callback(): (request: IncomingMessage, response: ServerResponse) => void
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance

// The SDK's warning about Node 20 (on stderr) is noise in a test's output, as in geopat's (src/io/s3/client.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// s3rver has no type declarations: loaded through require with the shape this file uses.
const require = createRequire(import.meta.url)
const S3rver = require('s3rver') as S3rverConstructor
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } }
DUMMY_ACCOUNT.createKeyPair(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)

export interface LocalS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string
  /** The server's temporary folder (its objects under data/; the test may use the rest). */
  dir: string
  /**
   * The environment for the AWS SDK and for a CLI child: the dummy credentials, a region, the
   * endpoint (AWS_ENDPOINT_URL_S3), the metadata service off, and shared config files that do not
   * exist (a developer's ~/.aws never takes part).
   */
  env(options?: { endpoint?: boolean }): Record<string, string>
  /** Every request the server received, as `METHOD /path?query`, in order. */
  requests: string[]
  close(): Promise<void>
}

/** Starts s3rver on 127.0.0.1 (port 0) with `buckets` created; close() stops it and removes its folder. */
export async function startS3Server(buckets: readonly string[] = []): Promise<LocalS3> {
  const dir = mkdtempSync(join(tmpdir(), 'geopat-s3-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  const s3rver = new S3rver({ silent: true, directory: data, vhostBuckets: false, configureBuckets: buckets.map((name) => ({ name, configs: [] })) })
  await s3rver.configureBuckets()
  // s3rver's handler in a server of this file's: it listens on 127.0.0.1 only and logs each request.
  const handle = s3rver.callback()
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    handle(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    dir,
    requests,
    env: ({ endpoint: withEndpoint = true } = {}) => ({
      AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: TEST_SESSION_TOKEN,
      AWS_REGION: 'eu-central-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      // Empty: with AWS_PROFILE set, the SDK skips the credentials in the environment for the profile's.
      AWS_PROFILE: '',
      AWS_ENDPOINT_URL: '',
      // Other sources of the SDK's chain that a CI machine may set: none takes part.
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      AWS_ROLE_ARN: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_AUTHORIZATION_TOKEN: '',
      AWS_ENDPOINT_URL_S3: withEndpoint ? endpoint : '',
    }),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * For a test file: the server started before its tests and stopped after them; its SDK environment
 * (`env()`) set in this process for each test, since the store's code runs here too; and the
 * loopback guard (test/helpers/loopback-guard.ts) live for the whole file, in this process, in the
 * CLI run in-process and in any CLI child: after each test, no connection to an address other than
 * 127.0.0.1 was tried (a test that provokes one takes it with takeRefusedConnections first).
 * Call at the top level; returns the server (valid inside tests and hooks).
 */
export function s3ServerPerFile(buckets: readonly string[]): () => LocalS3 {
  let s3: LocalS3 | undefined
  beforeAll(async () => {
    s3 = await startS3Server(buckets)
    installLoopbackGuard(s3.dir)
  })
  afterAll(async () => {
    removeLoopbackGuard()
    await s3?.close()
  })
  beforeEach(() => {
    for (const [name, value] of Object.entries(s3?.env() ?? {})) vi.stubEnv(name, value)
  })
  afterEach(() => {
    vi.unstubAllEnvs()
    expect(takeRefusedConnections()).toEqual([])
  })
  return () => {
    if (!s3) throw new Error('the S3 server is not started (call s3ServerPerFile at the top level)')
    return s3
  }
}
