import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { fetchShardFolders } from '../../src/app/fetch-shards.js'
import { checkUploadTarget, pushRunFolder } from '../../src/app/push.js'
import { openS3Client } from '../../src/io/s3/client.js'
import { S3ResultsStore, filesToUpload } from '../../src/io/s3/store.js'
import { UserError } from '../../src/util/errors.js'
import { TEST_SECRET_ACCESS_KEY, TEST_SESSION_TOKEN, s3ServerPerFile } from '../helpers/s3-server.js'

/**
 * The S3 results store against s3rver on 127.0.0.1: a folder uploaded (a large records.jsonl in a
 * multipart upload) and downloaded back byte for byte, shard folders below a prefix, and the
 * one-line errors. Credentials come from the environment only, as in production.
 */
const BUCKET = 'geopat-results'
const server = s3ServerPerFile([BUCKET])
const quiet = (): void => undefined

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
let folders = 0
const newFolder = (): string => mkdtempSync(join(server().dir, `work-${folders++}-`))

/** A run-like folder: `files` (relative path → content) written under a new folder. */
function runFolder(files: Record<string, string | Buffer>): string {
  const dir = newFolder()
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(join(dir, relative, '..'), { recursive: true })
    writeFileSync(join(dir, relative), content)
  }
  return dir
}

/** What a UserError thrown by `work` says (fails otherwise). */
async function oneLineFailure(work: () => Promise<unknown>): Promise<string> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  const message = (error as Error).message
  expect(message.split('\n')).toHaveLength(1)
  expect(message).not.toContain(TEST_SECRET_ACCESS_KEY)
  expect(message).not.toContain(TEST_SESSION_TOKEN)
  return message
}

describe('a run folder uploaded and downloaded', () => {
  it('comes back byte for byte: a 13 MiB records.jsonl (multipart), nested evidence; not hidden files or links', async () => {
    const line = `${JSON.stringify({ id: 'r-000', ttftMs: 12.5, text: 'é€ ✓' })}\n`
    const records = Buffer.from(line.repeat(Math.ceil((13 * 1024 * 1024) / Buffer.byteLength(line))))
    const dir = runFolder({
      'records.jsonl': records,
      'summary.json': '{"schema":"geopat.bench-summary/v1"}\n',
      'summary.csv': 'a,b\n1,2\n',
      'attestation/ep-before.vcek.pem': '-----BEGIN CERTIFICATE-----\n',
      '.geopat.lock': '{"pid":1}',
      '.123-456.tmp': 'partial',
    })
    writeFileSync(join(server().dir, 'outside-secret.txt'), 'not for upload')
    symlinkSync(join(server().dir, 'outside-secret.txt'), join(dir, 'linked.txt'))
    const expected = ['attestation/ep-before.vcek.pem', 'records.jsonl', 'summary.csv', 'summary.json']
    expect(filesToUpload(dir)).toEqual(expected)

    const before = server().requests.length
    const { keys } = await pushRunFolder(dir, { to: `s3://${BUCKET}/runs/r1`, s3: {}, log: quiet })
    expect(keys).toEqual(expected.map((file) => `runs/r1/${file}`))
    // records.jsonl went up in parts (13 MiB > one 8 MiB part); the small files in one PUT each.
    const sent = server().requests.slice(before)
    expect(sent.filter((r) => r.startsWith(`PUT /${BUCKET}/runs/r1/records.jsonl?`) && r.includes('partNumber='))).toHaveLength(2)
    expect(sent.filter((r) => r.startsWith(`POST /${BUCKET}/runs/r1/records.jsonl?uploads`))).toHaveLength(1)
    expect(sent.filter((r) => r.startsWith(`PUT /${BUCKET}/runs/r1/summary.json`))).toEqual([`PUT /${BUCKET}/runs/r1/summary.json?x-id=PutObject`])

    const into = newFolder()
    const [local, ...more] = await fetchShardFolders(`s3://${BUCKET}/runs/r1/`, into, { s3: {} })
    expect(more).toEqual([])
    expect(local).toBe(into)
    for (const file of expected) expect(sha256(join(into, file)), file).toBe(sha256(join(dir, file)))
    expect(filesToUpload(into)).toEqual(expected)
  })

  it('fetches every shard folder below a prefix, in natural order, and nothing else', async () => {
    const shards = [0, 1, 2, 10].map((index) => ({
      index,
      dir: runFolder({
        'shard.json': `{"index":${index}}\n`,
        'records.jsonl': `{"shard":${index}}\n`.repeat(index + 1),
        'summary.json': `{"shard":${index}}\n`,
      }),
    }))
    for (const { index, dir } of shards) await pushRunFolder(dir, { to: `s3://${BUCKET}/exp/run-7/shard-${index}`, s3: {}, log: quiet })
    const other = runFolder({ 'notes.txt': 'not a run folder' })
    await pushRunFolder(other, { to: `s3://${BUCKET}/exp/run-7/notes`, s3: {}, log: quiet })
    // Another run under a sibling prefix that shares the text of this one's prefix.
    await pushRunFolder(shards[0]?.dir as string, { to: `s3://${BUCKET}/exp/run-70/shard-0`, s3: {}, log: quiet })

    const into = newFolder()
    const lines: string[] = []
    const local = await fetchShardFolders(`s3://${BUCKET}/exp/run-7`, into, { s3: {}, log: (l) => lines.push(l) })
    expect(local).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-10'].map((name) => join(into, name)))
    for (const [position, { dir }] of shards.entries()) {
      for (const file of ['shard.json', 'records.jsonl', 'summary.json']) expect(sha256(join(local[position] as string, file))).toBe(sha256(join(dir, file)))
    }
    expect(filesToUpload(into)).toHaveLength(12)
    expect(lines).toEqual([`downloaded: 12 files of 4 run folder(s) from s3://${BUCKET}/exp/run-7/ into ${into}`])
  })
})

describe("the client's region", () => {
  it("is the SDK's (AWS_REGION), else us-east-1", async () => {
    const withRegion = await openS3Client({})
    vi.stubEnv('AWS_REGION', '')
    const without = await openS3Client({})
    try {
      expect(await withRegion.config.region()).toBe(server().env().AWS_REGION)
      expect(await without.config.region()).toBe('us-east-1')
    } finally {
      withRegion.destroy()
      without.destroy()
    }
  })
})

describe('S3 failures in one line', () => {
  it('a missing bucket names the bucket and NoSuchBucket, on upload, download and the check before a run', async () => {
    const dir = runFolder({ 'summary.json': '{}' })
    expect(await oneLineFailure(() => pushRunFolder(dir, { to: 's3://no-such-bucket/r1', s3: {}, log: quiet }))).toMatch(
      /^s3:\/\/no-such-bucket\/r1\/summary\.json: NoSuchBucket/,
    )
    expect(await oneLineFailure(() => fetchShardFolders('s3://no-such-bucket/r1', newFolder(), { s3: {} }))).toMatch(
      /^s3:\/\/no-such-bucket\/r1\/: NoSuchBucket/,
    )
    expect(await oneLineFailure(() => checkUploadTarget('s3://no-such-bucket/r1', {}))).toBe('s3://no-such-bucket/: NoSuchBucket (HTTP 404)')
  })

  it('a prefix without a run folder, a bad URL, a missing local folder', async () => {
    expect(await oneLineFailure(() => fetchShardFolders(`s3://${BUCKET}/nothing-here`, newFolder(), { s3: {} }))).toBe(
      `s3://${BUCKET}/nothing-here/: no run folder below this prefix (none holds shard.json or records.jsonl)`,
    )
    expect(await oneLineFailure(() => fetchShardFolders('s3:/geopat-results/x', newFolder(), { s3: {} }))).toContain('not an s3://bucket/prefix URL')
    expect(await oneLineFailure(() => pushRunFolder(join(server().dir, 'absent'), { to: `s3://${BUCKET}/x`, s3: {}, log: quiet }))).toContain('not a folder')
    expect(await oneLineFailure(() => pushRunFolder(newFolder(), { to: `s3://${BUCKET}/x`, s3: {}, log: quiet }))).toContain('no files to upload')
  })

  it('unknown credentials name the error, never the secret', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'GEOPATUNKNOWNKEY0000')
    const message = await oneLineFailure(() => pushRunFolder(runFolder({ 'summary.json': '{}' }), { to: `s3://${BUCKET}/denied`, s3: {}, log: quiet }))
    expect(message).toMatch(/^s3:\/\/geopat-results\/denied\/summary\.json: InvalidAccessKeyId \(HTTP 403\)/)
    expect(message).not.toContain('GEOPATUNKNOWNKEY0000')
  })

  it('no server at the endpoint', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const message = await oneLineFailure(() => checkUploadTarget(`s3://${BUCKET}/x`, { endpoint: `http://127.0.0.1:${port}` }))
    expect(message).toContain(`s3://${BUCKET}/: ECONNREFUSED`)
  })

  it('refuses a key that would leave the download folder', async () => {
    const store = await S3ResultsStore.open({})
    try {
      const into = newFolder()
      const location = { bucket: BUCKET, prefix: 'p/' }
      const message = await oneLineFailure(() => store.download(location, [{ key: 'p/shard-0/../../escape', relative: 'shard-0/../../escape', size: 1 }], into))
      expect(message).toBe(`s3://${BUCKET}/p/shard-0/../../escape: the key would leave the download folder ${into}`)
    } finally {
      store.close()
    }
  })
})
