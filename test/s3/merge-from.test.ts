import { mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, TEST_SESSION_TOKEN, s3ServerPerFile } from '../helpers/s3-server.js'
import { type ShardPlan, offset, virtualRun, writeShards } from '../merge/shard-fixture.js'

/**
 * `geopat merge --from s3://bucket/prefix`: the shard folders each pod uploaded (`bench --upload
 * s3://…/shard-I`, here `geopat push`) are downloaded below the merged run (shards/) and merged
 * exactly as the same folders merged locally; a prefix without shards is one line; no credential
 * reaches an output and nothing but 127.0.0.1 is reached.
 */
const BUCKET = 'geopat-shards'
const server = s3ServerPerFile([BUCKET])
const SECRETS = [TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, TEST_SESSION_TOKEN]
const plan = (i: number): ShardPlan => ({
  startsAfterMs: 3 * i,
  hostClockErrorMs: 40 * i,
  clock: { shared: offset('ntp://t:123', -40 * i, 0.5), endpointDate: null },
})

let shardFolders: string[]
beforeAll(async () => {
  const source = await virtualRun({ mode: 'open', seed: 33, durationMs: 5_000 })
  shardFolders = writeShards(join(server().dir, 'local'), source, [plan(0), plan(1), plan(2)])
  for (const [index, folder] of shardFolders.entries()) {
    const push = await runCli(['push', folder, `s3://${BUCKET}/region-check/shard-${index}`], { env: server().env() })
    if (push.exitCode !== 0) throw new Error(`push failed: ${push.stderr}`)
  }
})

/** The merged summary without what names the run or where its files lie. */
function comparable(summaryPath: string): unknown {
  const summary = benchSummarySchema.parse(JSON.parse(readFileSync(summaryPath, 'utf8')))
  return {
    runs: summary.runs,
    shards: { ...summary.shards, shards: summary.shards?.shards.map(({ folder: _folder, ...shard }) => shard) },
  }
}

describe('geopat merge --from s3://', () => {
  it('downloads the shard folders below the prefix into <out>/shards and merges them as the local folders merge', async () => {
    const work = mkdtempSync(join(server().dir, 'merge-'))
    const fromS3 = join(work, 'from-s3')
    const local = join(work, 'local-merge')
    const remote = await runCli(['merge', '--from', `s3://${BUCKET}/region-check`, '--out', fromS3], { env: server().env() })
    expect(remote.exitCode, remote.stderr).toBe(0)
    const plain = await runCli(['merge', ...shardFolders, '--out', local], { env: server().env() })
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(comparable(join(fromS3, 'summary.json'))).toEqual(comparable(join(local, 'summary.json')))
    expect(readFileSync(join(fromS3, 'records.jsonl'), 'utf8')).toBe(readFileSync(join(local, 'records.jsonl'), 'utf8'))
    for (const index of [0, 1, 2]) {
      expect(readFileSync(join(fromS3, 'shards', `shard-${index}`, 'records.jsonl'), 'utf8')).toBe(
        readFileSync(join(shardFolders[index] as string, 'records.jsonl'), 'utf8'),
      )
    }
    for (const secret of SECRETS)
      for (const text of [remote.stdout, remote.stderr, readFileSync(join(fromS3, 'summary.json'), 'utf8')]) expect(text).not.toContain(secret)
  })

  it('refuses, in one line, a prefix that holds no shard folder', async () => {
    const out = join(mkdtempSync(join(server().dir, 'empty-')), 'merged')
    const result = await runCli(['merge', '--from', `s3://${BUCKET}/nothing-here`, '--out', out], { env: server().env() })
    expect(expectOneLineError(result)).toMatch(/s3:\/\/geopat-shards\/nothing-here/)
  })
})
