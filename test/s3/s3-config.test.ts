import { describe, expect, it } from 'vitest'
import { describeS3Error, s3ClientConfig } from '../../src/io/s3/client.js'
import { checkS3Endpoint, parseS3Url } from '../../src/io/s3/url.js'
import { runFoldersIn } from '../../src/app/fetch-shards.js'
import { userErrorMessage as userErrorOf } from '../helpers/rejection.js'

describe('s3://bucket/prefix', () => {
  it('names a bucket and a folder-like prefix', () => {
    expect(parseS3Url('s3://geopat-results/runs/r1')).toEqual({ bucket: 'geopat-results', prefix: 'runs/r1/' })
    expect(parseS3Url('s3://geopat-results/runs/r1/')).toEqual({ bucket: 'geopat-results', prefix: 'runs/r1/' })
    expect(parseS3Url('s3://geopat-results')).toEqual({ bucket: 'geopat-results', prefix: '' })
    expect(parseS3Url('s3://geopat-results/')).toEqual({ bucket: 'geopat-results', prefix: '' })
    expect(parseS3Url('s3://my.bucket-2/a b/shard-0')).toEqual({ bucket: 'my.bucket-2', prefix: 'a b/shard-0/' })
  })

  it.each([
    ['https://bucket/x', 'not an s3://bucket/prefix URL'],
    ['s3:/bucket/x', 'not an s3://bucket/prefix URL'],
    ['s3://', 'is not a bucket name'],
    ['s3://ab/x', 'is not a bucket name'],
    ['s3://Bucket/x', 'is not a bucket name'],
    ['s3://bucket_name/x', 'is not a bucket name'],
    ['s3://-bucket/x', 'is not a bucket name'],
    ['s3://bucket..name/x', 'is not a bucket name'],
    [`s3://${'a'.repeat(64)}/x`, 'is not a bucket name'],
    ['s3://bucket/a//b', "empty, '.' or '..' segment"],
    ['s3://bucket/a/../b', "empty, '.' or '..' segment"],
    ['s3://bucket/./b', "empty, '.' or '..' segment"],
    ['s3://bucket/a?versionId=1', 'no ?query'],
    ['s3://bucket/a#frag', 'no ?query'],
    ['s3://bucket/a\\b', 'backslash'],
    ['s3://bucket/a\u001b[31m', 'control character'],
  ])('refuses %j in one line', (text, rule) => {
    const message = userErrorOf(() => parseS3Url(text))
    expect(message).toContain(rule)
    expect(message.split('\n')).toHaveLength(1)
  })

  it('refuses credentials in the URL without repeating them', () => {
    const message = userErrorOf(() => parseS3Url('s3://AKIAEXAMPLEKEY:very-secret-value@bucket/x'))
    expect(message).toContain('carries no credentials')
    expect(message).not.toContain('very-secret-value')
    expect(message).not.toContain('AKIAEXAMPLEKEY')
  })
})

describe('--s3-endpoint', () => {
  it('takes an http or https URL', () => {
    expect(checkS3Endpoint('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000')
    expect(checkS3Endpoint('https://rgw.example.eu')).toBe('https://rgw.example.eu')
  })

  it('refuses other schemes, non-URLs and credentials (never repeated)', () => {
    expect(userErrorOf(() => checkS3Endpoint('ftp://host'))).toContain('http:// or https://')
    expect(userErrorOf(() => checkS3Endpoint('minio:9000'))).toContain('http:// or https://')
    expect(userErrorOf(() => checkS3Endpoint('not a url'))).toContain('is not a URL')
    const message = userErrorOf(() => checkS3Endpoint('https://user:pa55word-secret@minio.local'))
    expect(message).toContain('carries no credentials')
    expect(message).not.toContain('pa55word-secret')
  })
})

describe("the S3 client's configuration", () => {
  it('uses path-style addressing when an endpoint is given (flag or environment), virtual-hosted on AWS, as asked otherwise', () => {
    expect(s3ClientConfig({}, {}).forcePathStyle).toBe(false)
    expect(s3ClientConfig({ endpoint: 'http://127.0.0.1:9000' }, {}).forcePathStyle).toBe(true)
    expect(s3ClientConfig({}, { AWS_ENDPOINT_URL_S3: 'http://minio:9000' }).forcePathStyle).toBe(true)
    expect(s3ClientConfig({}, { AWS_ENDPOINT_URL: 'http://ceph:7480' }).forcePathStyle).toBe(true)
    expect(s3ClientConfig({}, { AWS_ENDPOINT_URL: '' }).forcePathStyle).toBe(false)
    expect(s3ClientConfig({ endpoint: 'http://127.0.0.1:9000', pathStyle: false }, {}).forcePathStyle).toBe(false)
    expect(s3ClientConfig({ pathStyle: true }, {}).forcePathStyle).toBe(true)
  })

  it('passes the endpoint flag on; leaves an endpoint from the environment to the SDK', () => {
    expect(s3ClientConfig({ endpoint: 'http://127.0.0.1:9000' }, {}).endpoint).toBe('http://127.0.0.1:9000')
    expect(s3ClientConfig({}, { AWS_ENDPOINT_URL_S3: 'http://minio:9000' }).endpoint).toBeUndefined()
  })

  it('asks for checksums only when required, unless the environment says otherwise; carries no credentials of its own', () => {
    const config = s3ClientConfig({}, {})
    expect(config.requestChecksumCalculation).toBe('WHEN_REQUIRED')
    expect(config.responseChecksumValidation).toBe('WHEN_REQUIRED')
    expect(config.credentials).toBeUndefined()
    const fromEnv = s3ClientConfig({}, { AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_SUPPORTED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_SUPPORTED' })
    expect(fromEnv.requestChecksumCalculation).toBeUndefined()
    expect(fromEnv.responseChecksumValidation).toBeUndefined()
  })
})

describe('S3 errors in one line', () => {
  it("names where, the SDK's error name and the HTTP status", () => {
    const error = Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })
    expect(describeS3Error(error, 's3://results/runs/summary.json')).toBe(
      's3://results/runs/summary.json: NoSuchBucket (HTTP 404): The specified bucket does not exist',
    )
  })

  it("names a socket's error code and says what to check", () => {
    const error = Object.assign(new AggregateError([], 'connect failed\n    at internalConnect'), { code: 'ECONNREFUSED' })
    const line = describeS3Error(error, 's3://results/')
    expect(line).toMatch(/^s3:\/\/results\/: ECONNREFUSED: nothing listens at the endpoint/)
    expect(line.split('\n')).toHaveLength(1)
  })

  it('never shows credentials from the environment', () => {
    const secret = 'wJalrXUtnFEMI-test-secret-value'
    const previous = process.env.AWS_SECRET_ACCESS_KEY
    process.env.AWS_SECRET_ACCESS_KEY = secret
    try {
      const error = Object.assign(new Error(`signature for ${secret} does not match`), { name: 'SignatureDoesNotMatch' })
      const line = describeS3Error(error, 's3://results/x')
      expect(line).toContain('SignatureDoesNotMatch')
      expect(line).not.toContain(secret)
    } finally {
      if (previous === undefined) delete process.env.AWS_SECRET_ACCESS_KEY
      else process.env.AWS_SECRET_ACCESS_KEY = previous
    }
  })
})

describe('run folders below a prefix', () => {
  const object = (relative: string) => ({ key: `p/${relative}`, relative, size: 1 })

  it('are the folders holding shard.json or records.jsonl, in natural order', () => {
    const objects = [
      'shard-10/records.jsonl',
      'shard-2/shard.json',
      'shard-2/records.jsonl',
      'shard-0/attestation/a.pem',
      'shard-0/shard.json',
      'notes/readme.txt',
    ]
    expect(runFoldersIn(objects.map(object))).toEqual(['shard-0', 'shard-2', 'shard-10'])
  })

  it('is the prefix itself when it holds a run', () => {
    expect(runFoldersIn(['records.jsonl', 'summary.json'].map(object))).toEqual([''])
  })
})
