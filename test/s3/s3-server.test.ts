import { createReadStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3ClientConfig } from '../../src/io/s3/client.js'
import { type LocalS3, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, startS3Server } from '../helpers/s3-server.js'

/**
 * The local S3-compatible server (s3rver on 127.0.0.1) with the SDK this repository installs: a
 * streamed upload, the way lib-storage and `geopat push` send a file, comes back byte for byte with
 * geopat's client configuration, and why that configuration asks for checksums only WHEN_REQUIRED.
 */
let s3: LocalS3
const BUCKET = 'geopat-helper'
const CONTENT = 'line one\nline two\n'

beforeAll(async () => {
  s3 = await startS3Server([BUCKET])
  writeFileSync(join(s3.dir, 'file.txt'), CONTENT)
})

afterAll(async () => {
  await s3.close()
})

function clientWith(config: Record<string, unknown>): S3Client {
  return new S3Client({
    ...config,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
  })
}

/** Puts the file as a stream of known length and reads back what the server stored. */
async function putStreamAndRead(client: S3Client, key: string): Promise<string> {
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(join(s3.dir, 'file.txt')), ContentLength: Buffer.byteLength(CONTENT) }),
  )
  const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return (await stored.Body?.transformToString()) ?? ''
}

describe('the local S3 server', () => {
  it("listens on 127.0.0.1 and stores a streamed upload byte for byte with geopat's client configuration", async () => {
    expect(new URL(s3.endpoint).hostname).toBe('127.0.0.1')
    const client = clientWith({ ...s3ClientConfig({ endpoint: s3.endpoint }, {}) })
    try {
      expect(await putStreamAndRead(client, 'geopat-config')).toBe(CONTENT)
    } finally {
      client.destroy()
    }
  })

  it("stores the aws-chunked framing of the SDK's default CRC32 trailer as the object (why geopat asks WHEN_REQUIRED)", async () => {
    // If this starts to fail, the SDK or s3rver changed: the comment in src/io/s3/client.ts may be out of date.
    const client = clientWith({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_SUPPORTED' })
    try {
      const stored = await putStreamAndRead(client, 'sdk-default')
      expect(stored).not.toBe(CONTENT)
      expect(stored).toContain(CONTENT)
      expect(stored.toLowerCase()).toContain('x-amz-checksum-crc32')
    } finally {
      client.destroy()
    }
  })
})
