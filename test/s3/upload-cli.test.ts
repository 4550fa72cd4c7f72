import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchShardFolders } from '../../src/app/fetch-shards.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { filesToUpload } from '../../src/io/s3/store.js'
import { simEndpointSchema } from '../../src/io/schema/sim-endpoint.js'
import { type SimulatedEndpoint, startSimulatedEndpoint } from '../../src/sim/simulated-endpoint.js'
import { execa } from 'execa'
import { REPO_ROOT, expectOneLineError, runCli } from '../helpers/cli.js'
import { guardChildEnv, takeRefusedConnections } from '../helpers/loopback-guard.js'
import { waitForLines } from '../helpers/wait.js'
import { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, TEST_SESSION_TOKEN, s3ServerPerFile } from '../helpers/s3-server.js'

/**
 * `geopat bench --upload s3://…` and `geopat push` from the command line against s3rver on
 * 127.0.0.1: the run folder comes back byte for byte; failures are one line; the credentials
 * (dummy ones in the environment, as the SDK's chain reads them) never reach an output; and the
 * loopback guard (live for the file: s3ServerPerFile) records any connection to an address other
 * than 127.0.0.1 (the real AWS endpoint, the metadata service), in this process where runCli runs
 * the CLI and in a CLI child: there is none. The CLI runs in-process except the Ctrl-C test (a real
 * SIGINT needs a process of its own: sent to this worker it would reach the worker, not one call).
 */
const BUCKET = 'geopat-bench'
const server = s3ServerPerFile([BUCKET])
const SECRETS = [TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, TEST_SESSION_TOKEN]

/**
 * One simulator for the file, in this process: `geopat bench --url` against it is what `bench --sim`
 * runs (--sim starts the same default simulator in a child, then benchmarks its URL with the label
 * `simulator`; test/cli/sim-child.test.ts holds that), without a process start for each run.
 */
let simulator: SimulatedEndpoint
const benchSimulator = (): string[] => ['bench', '--url', simulator.url, '--label', 'simulator']

/** A run folder made once (without --upload) for `geopat push`. */
let plainRun: string

beforeAll(async () => {
  simulator = await startSimulatedEndpoint('simulator', simEndpointSchema.parse({ port: 0 }))
  plainRun = join(server().dir, 'plain-run')
  const bench = await runCli([...benchSimulator(), '--requests', '6', '--output-tokens', '2', '--out', plainRun, '--no-progress'], { env: server().env() })
  if (bench.exitCode !== 0) throw new Error(`bench for the push tests failed: ${bench.stderr}`)
})
afterAll(async () => {
  await simulator?.close()
})

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
let folders = 0
const newFolder = (): string => mkdtempSync(join(server().dir, `cli-${folders++}-`))

/** No credential in stdout, stderr or any file of `dirs`. */
function expectNoCredentials(outputs: string[], dirs: string[]): void {
  const texts = [...outputs, ...dirs.flatMap((dir) => filesToUpload(dir).map((file) => readFileSync(join(dir, file), 'utf8')))]
  for (const secret of SECRETS) for (const text of texts) expect(text).not.toContain(secret)
}

/** Downloads the run folder at `url` and checks it holds exactly the files of `dir`, byte for byte. */
async function expectSameFolder(url: string, dir: string): Promise<string[]> {
  const into = newFolder()
  const [local, ...more] = await fetchShardFolders(url, into, { s3: {} })
  expect(more).toEqual([])
  const files = filesToUpload(dir)
  expect(filesToUpload(local as string)).toEqual(files)
  for (const file of files) expect(sha256(join(local as string, file)), file).toBe(sha256(join(dir, file)))
  return files
}

describe('geopat bench --upload', () => {
  it('uploads the run folder after the run; it comes back byte for byte; no credential in any output; nothing but 127.0.0.1 reached', async () => {
    const out = join(newFolder(), 'run')
    const url = `s3://${BUCKET}/runs/sim-20`
    const result = await runCli([...benchSimulator(), '--requests', '20', '--concurrency', '4', '--output-tokens', '4', '--out', out, '--upload', url], {
      env: server().env(),
    })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    expect(summary.runs[0]?.requests.succeeded).toBe(20)
    const files = await expectSameFolder(url, out)
    expect(files).toEqual(expect.arrayContaining(['records.jsonl', 'summary.csv', 'summary.json']))
    expect(result.stdout.split('\n')).toContain(`uploaded: ${files.length} files of ${out} to s3://${BUCKET}/runs/sim-20/`)
    expect(readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20)
    expectNoCredentials([result.stdout, result.stderr], [out])
  })

  it('takes the endpoint from --s3-endpoint (path-style by default) when the environment names none', async () => {
    const out = join(newFolder(), 'run')
    const url = `s3://${BUCKET}/runs/flag-endpoint`
    const result = await runCli(
      [...benchSimulator(), '--requests', '5', '--output-tokens', '2', '--out', out, '--upload', url, '--s3-endpoint', server().endpoint, '--json'],
      { env: server().env({ endpoint: false }) },
    )
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    benchSummarySchema.parse(JSON.parse(result.stdout))
    await expectSameFolder(url, out)
  })

  it('uploads what was measured when the run is interrupted (Ctrl-C: exit 130 kept)', async () => {
    const out = join(newFolder(), 'run')
    const url = `s3://${BUCKET}/runs/interrupted`
    const args = [...benchSimulator(), '--requests', '100000', '--concurrency', '4', '--output-tokens', '4', '--grace', '1', '--out', out, '--upload', url]
    const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args, '--no-progress'], {
      cwd: REPO_ROOT,
      reject: false,
      stdin: 'ignore',
      env: { ...server().env(), ...guardChildEnv(), CI: '1', GEOPAT_DEBUG: '' },
      timeout: 120_000,
      killSignal: 'SIGKILL',
    })
    await waitForLines(join(out, 'records.jsonl'), 5, 60_000)
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode, String(result.stderr)).toBe(130)
    expect(result.stderr).toBe('')
    const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
    expect(summary.runs[0]?.interrupted).toBe(true)
    await expectSameFolder(url, out)
  })

  it('a missing bucket: one line naming it and NoSuchBucket, before anything is run', async () => {
    const out = join(newFolder(), 'run')
    const result = await runCli([...benchSimulator(), '--requests', '5', '--out', out, '--upload', 's3://no-such-bucket/runs/x'], {
      env: server().env(),
    })
    expect(expectOneLineError(result)).toBe('Error: s3://no-such-bucket/: NoSuchBucket (HTTP 404)')
    expect(result.exitCode).toBe(1)
    expect(existsSync(out)).toBe(false)
    expectNoCredentials([result.stdout, result.stderr], [])
  })

  it.each([
    ['in this process', false],
    ['in a CLI child (as the Ctrl-C test and GEOPAT_TEST_CLI=process run it)', true],
  ])('the guard against other addresses is live %s: an endpoint elsewhere is refused and written down', async (_where, inChild) => {
    const result = await runCli([...benchSimulator(), '--requests', '2', '--upload', `s3://${BUCKET}/x`, '--s3-endpoint', 'http://192.0.2.1:9000'], {
      env: server().env({ endpoint: false }),
      process: inChild,
    })
    expect(expectOneLineError(result)).toBe(
      `Error: s3://${BUCKET}/: ECONNREFUSED: nothing listens at the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)`,
    )
    expect(new Set(takeRefusedConnections())).toEqual(new Set(['192.0.2.1']))
  })

  it('a bad URL: one line naming --upload, exit 2', async () => {
    for (const bad of ['http://bucket/x', 's3://Bad_Bucket/x', 's3://AKIAKEY:secret-in-url@bucket/x']) {
      const result = await runCli([...benchSimulator(), '--requests', '5', '--upload', bad], { env: server().env() })
      const line = expectOneLineError(result)
      expect(line).toMatch(/^Error: --upload: /)
      expect(line).not.toContain('secret-in-url')
      expect(result.exitCode).toBe(2)
    }
  })

  it('an upload that fails after the run: one line, exit 1, the local results stay', async () => {
    // An access key the store does not know: the check before the run cannot tell (its 403 may be a
    // write-only policy's), the upload after it is refused.
    const out = join(newFolder(), 'run')
    const env = { ...server().env(), AWS_ACCESS_KEY_ID: 'GEOPATUNKNOWNKEY0000' }
    const result = await runCli([...benchSimulator(), '--requests', '5', '--output-tokens', '2', '--out', out, '--upload', `s3://${BUCKET}/denied`], { env })
    const line = expectOneLineError(result)
    expect(result.exitCode).toBe(1)
    expect(line).toMatch(new RegExp(`^Error: upload failed, the results stay in ${out}: s3://${BUCKET}/denied/[a-z.]+: InvalidAccessKeyId \\(HTTP 403\\)`))
    expect(line).not.toContain('GEOPATUNKNOWNKEY0000')
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).runs[0].requests.succeeded).toBe(5)
    expectNoCredentials([result.stdout, result.stderr], [out])
  })
})

describe('geopat push', () => {
  it('uploads a run folder; a shard layout below one prefix comes back as its shard folders', async () => {
    const out = plainRun
    for (const shard of ['shard-0', 'shard-1']) {
      const result = await runCli(['push', out, `s3://${BUCKET}/pushed/${shard}`], { env: server().env() })
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^uploaded: \\d+ files of ${out} to s3://${BUCKET}/pushed/${shard}/$`))
      expectNoCredentials([result.stdout, result.stderr], [])
    }
    const into = newFolder()
    const local = await fetchShardFolders(`s3://${BUCKET}/pushed`, into, { s3: {} })
    expect(local).toEqual([join(into, 'shard-0'), join(into, 'shard-1')])
    for (const folder of local) for (const file of filesToUpload(out)) expect(sha256(join(folder, file))).toBe(sha256(join(out, file)))
  })

  it('a folder that does not exist, a missing bucket, no credentials: one line each', async () => {
    const missing = await runCli(['push', join(server().dir, 'absent'), `s3://${BUCKET}/x`], { env: server().env() })
    expect(expectOneLineError(missing)).toBe(`Error: ${join(server().dir, 'absent')}: not a folder`)
    const folder = newFolder()
    const noBucket = await runCli(['push', folder, 's3://no-such-bucket/x'], { env: server().env() })
    expect(expectOneLineError(noBucket)).toBe(`Error: ${folder}: no files to upload`)
    const absentBucket = await runCli(['push', plainRun, 's3://no-such-bucket/x'], { env: server().env() })
    expect(expectOneLineError(absentBucket)).toMatch(/^Error: s3:\/\/no-such-bucket\/x\/[a-z.]+: NoSuchBucket \(HTTP 404\)/)
    const noCredentials = await runCli(['push', plainRun, `s3://${BUCKET}/x`], {
      env: { ...server().env(), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '' },
    })
    expect(expectOneLineError(noCredentials)).toMatch(
      /^Error: s3:\/\/geopat-bench\/x\/[a-z.]+: CredentialsProviderError: no credentials: set AWS_ACCESS_KEY_ID/,
    )
  })
})
