import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest'

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
   * exist (a developer's ~/.aws never takes part). With `guard`, NODE_OPTIONS loads a module that
   * refuses and writes down every connection to an address other than 127.0.0.1 (see `takeConnectionsElsewhere`).
   */
  env(options?: { endpoint?: boolean; guard?: boolean }): Record<string, string>
  /** Every request the server received, as `METHOD /path?query`, in order. */
  requests: string[]
  /** Hosts a guarded child tried to reach other than 127.0.0.1 since the last call, one per attempt. */
  takeConnectionsElsewhere(): string[]
  close(): Promise<void>
}

/**
 * Loaded into a CLI child with --import: every socket connect goes through it; a host other than
 * 127.0.0.1, ::1 or localhost (a real AWS endpoint, the metadata service at 169.254.169.254) is
 * written to GEOPAT_TEST_CONNECT_LOG and the socket fails.
 */
const LOOPBACK_GUARD = `
import net from 'node:net'
import { appendFileSync } from 'node:fs'
const loopback = new Set(['127.0.0.1', '::1', 'localhost'])
const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost' }
  // A Unix socket has a path (text); http's agent passes path: null with a host.
  const host = typeof options.path === 'string' ? undefined : String(options.host ?? 'localhost')
  if (host !== undefined && !loopback.has(host)) {
    appendFileSync(process.env.GEOPAT_TEST_CONNECT_LOG, host + '\\n')
    process.nextTick(() => this.destroy(Object.assign(new Error('test guard: no connection to ' + host), { code: 'ECONNREFUSED' })))
    return this
  }
  return connect.apply(this, args)
}
`

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
  const guardFile = join(dir, 'loopback-guard.mjs')
  const connectLog = join(dir, 'connections-elsewhere.log')
  writeFileSync(guardFile, LOOPBACK_GUARD)
  writeFileSync(connectLog, '')
  return {
    endpoint,
    dir,
    requests,
    env: ({ endpoint: withEndpoint = true, guard = false } = {}) => ({
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
      ...(guard ? { NODE_OPTIONS: `--import=${guardFile}`, GEOPAT_TEST_CONNECT_LOG: connectLog } : {}),
    }),
    takeConnectionsElsewhere: () => {
      const hosts = readFileSync(connectLog, 'utf8').split('\n').filter(Boolean)
      writeFileSync(connectLog, '')
      return hosts
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * For a test file: the server started before its tests and stopped after them, and its SDK
 * environment (`env()`) set in this process for each test, since the store's code runs here too.
 * Call at the top level; returns the server (valid inside tests and hooks).
 */
export function s3ServerPerFile(buckets: readonly string[]): () => LocalS3 {
  let s3: LocalS3 | undefined
  beforeAll(async () => {
    s3 = await startS3Server(buckets)
  })
  afterAll(async () => {
    await s3?.close()
  })
  beforeEach(() => {
    for (const [name, value] of Object.entries(s3?.env() ?? {})) vi.stubEnv(name, value)
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })
  return () => {
    if (!s3) throw new Error('the S3 server is not started (call s3ServerPerFile at the top level)')
    return s3
  }
}
