import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeNtpTimestamp } from '../../src/client/sntp.js'
import { createArrivalSchedule } from '../../src/load/arrivals.js'
import { type RequestRecord, requestRecordSchema } from '../../src/io/schema/record.js'
import { SHARD_FILE, shardInfoSchema } from '../../src/io/schema/shard.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { simulatedEndpointsPerTest } from '../helpers/sim-endpoints.js'

/** `geopat bench --shard` end to end: the CLI against simulators on 127.0.0.1; files and ids checked, never a duration. */
const work = mkdtempSync(join(tmpdir(), 'geopat-shard-cli-'))
const startSimulator = simulatedEndpointsPerTest()
const FAST_SIM = ['--sim', '--sim-ttft-ms', '5', '--sim-itl-ms', '1', '--output-tokens', '8', '--input-tokens', '16', '--no-progress']

const closers: Array<() => void> = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

function readShard(dir: string) {
  return shardInfoSchema.parse(JSON.parse(readFileSync(join(dir, SHARD_FILE), 'utf8')))
}

function readIds(dir: string): RequestRecord[] {
  return readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => requestRecordSchema.parse(JSON.parse(line)))
    .sort((a, b) => a.id - b.id)
}

const idsBelow = (total: number, index: number, count: number): number[] => Array.from({ length: total }, (_, id) => id).filter((id) => id % count === index)

/** An SNTP server on 127.0.0.1 answering with this process's clock. */
async function sntpServer(): Promise<number> {
  const socket = createSocket('udp4')
  socket.on('message', (request, from) => {
    const reply = Buffer.alloc(48)
    reply[0] = (4 << 3) | 4
    reply[1] = 2
    reply.writeInt8(-20, 3)
    request.copy(reply, 24, 40, 48)
    writeNtpTimestamp(reply, 32, Date.now())
    writeNtpTimestamp(reply, 40, Date.now())
    socket.send(reply, from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  closers.push(() => socket.close())
  return (socket.address() as AddressInfo).port
}

describe('geopat bench --shard', () => {
  it('closed loop, shard 1/4: its share of the users, the ids ≡ 1 (mod 4), shard.json with host, run key, start time and clocks', async () => {
    const out = join(work, 'closed-1of4')
    const port = await sntpServer()
    const startAt = '2020-01-01T00:00:00Z'
    const args = ['bench', ...FAST_SIM, '--concurrency', '8', '--requests', '30', '--shard', '1/4', '--out', out]
    const result = await runCli([...args, '--start-at', startAt, '--time-source', `ntp://127.0.0.1:${port}`, '--run-key', 'go-live-7'], {
      env: { HOSTNAME: 'geopat-shard-1-abcde' },
    })
    expect(result.exitCode, result.stderr).toBe(0)
    const shard = readShard(out)
    expect(shard).toMatchObject({ index: 1, count: 4, runKey: 'go-live-7', host: 'geopat-shard-1-abcde', status: 'finished', sent: 8 })
    expect(shard.startAtUnixMs).toBe(Date.UTC(2020, 0, 1))
    // A start-at in the past: started at once, and how late is recorded.
    expect(shard.startLateMs).toBeGreaterThan(0)
    expect(shard.clock.shared?.source).toBe(`ntp://127.0.0.1:${port}`)
    expect(shard.clock.endpointDate?.source).toBe('endpoint-date')
    const records = readIds(out)
    expect(records.map((r) => r.id)).toEqual(idsBelow(30, 1, 4))
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))
    expect(summary.runs[0].requested.concurrency).toBe(2)
    expect(summary.runs[0].achieved.runStartedAtUnixMs).toBe(shard.startedAtUnixMs)
  })

  it('open loop with --shards N and JOB_COMPLETION_INDEX: the ids ≡ index (mod N) at the unsharded schedule’s offsets', async () => {
    const out = join(work, 'open-2of3')
    const result = await runCli(['bench', ...FAST_SIM, '--rate', '100', '--requests', '20', '--seed', '5', '--shards', '3', '--out', out], {
      env: { JOB_COMPLETION_INDEX: '2' },
    })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(readShard(out)).toMatchObject({ index: 2, count: 3, status: 'finished', sent: 6, startAtUnixMs: null })
    const records = readIds(out)
    expect(records.map((r) => r.id)).toEqual(idsBelow(20, 2, 3))
    const schedule = createArrivalSchedule({ process: 'poisson', ratePerSecond: 100, seed: 5, count: 20 })
    const offsets = Array.from({ length: 20 }, () => schedule.nextOffsetMs() as number)
    for (const record of records) expect(record.intendedSendMs).toBeCloseTo(offsets[record.id] as number, 6)
  })

  it('worker threads keep the global ids', async () => {
    const out = join(work, 'workers-0of2')
    const result = await runCli(['bench', ...FAST_SIM, '--concurrency', '4', '--workers', '2', '--requests', '13', '--shard', '0/2', '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(readIds(out).map((r) => r.id)).toEqual(idsBelow(13, 0, 2))
    expect(readShard(out)).toMatchObject({ sent: 7, status: 'finished' })
  })

  it('shards of one scenario share its hash and default run key, and none starts before --start-at; another seed is another scenario', async () => {
    const sim = await startSimulator('sim', { ttftMs: 5, itlMs: 1 })
    // A few seconds ahead, in whole seconds (what the flag reads back exactly).
    const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3000).toISOString()
    const load = ['--concurrency', '4', '--requests', '8', '--output-tokens', '4']
    const common = ['bench', '--url', sim.url, ...load, '--no-progress', '--start-at', startAt]
    const dirs = ['a', 'b', 'c'].map((name) => join(work, `hash-${name}`))
    const runs = await Promise.all([
      runCli([...common, '--shard', '0/2', '--out', dirs[0] as string]),
      runCli([...common, '--shard', '1/2', '--out', dirs[1] as string]),
      runCli([...common, '--seed', '2', '--shard', '1/2', '--out', dirs[2] as string]),
    ])
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0)
    const [a, b, c] = dirs.map(readShard)
    expect(a?.scenarioSha256).toBe(b?.scenarioSha256)
    expect(a?.runKey).toBe(b?.runKey)
    expect(c?.scenarioSha256).not.toBe(a?.scenarioSha256)
    for (const shard of [a, b, c]) {
      // Each shard held its load until --start-at on its own clock (no --time-source: uncorrected).
      expect(shard?.startAtUnixMs).toBe(Date.parse(startAt))
      expect(shard?.startedAtUnixMs).toBeGreaterThanOrEqual(Date.parse(startAt))
      expect(shard?.startLateMs).toBeCloseTo((shard?.startedAtUnixMs ?? 0) - Date.parse(startAt), 6)
    }
  })

  it('bad shard flags are one line each, before anything runs', async () => {
    const cases: Array<{ args: string[]; env?: Record<string, string>; says: RegExp }> = [
      { args: ['--shard', '4/4'], says: /^.*--shard: "4\/4": I must be less than N \(shards count from 0/ },
      { args: ['--shard', 'two'], says: /--shard: "two" must look like I\/N/ },
      { args: ['--shards', '4'], says: /--shards 4: JOB_COMPLETION_INDEX is not set/ },
      { args: ['--shards', '4'], env: { JOB_COMPLETION_INDEX: '4' }, says: /JOB_COMPLETION_INDEX "4" is not a whole number below 4/ },
      { args: ['--shards', '4'], env: { JOB_COMPLETION_INDEX: 'x' }, says: /JOB_COMPLETION_INDEX "x" is not a whole number below 4/ },
      { args: ['--shard', '0/2', '--shards', '2'], says: /give --shard I\/N or --shards N, not both/ },
      { args: ['--start-at', '2030-01-01T00:00:00Z'], says: /--start-at is for a shard of a run/ },
      { args: ['--shard', '0/2', '--start-at', '2030-01-01 10:00'], says: /--start-at: .* must be an ISO 8601 time with its zone/ },
      { args: ['--shard', '0/2', '--time-source', 'ftp://x'], says: /--time-source: .*neither ntp: nor http\(s\):/ },
      { args: ['--shard', '0/4', '--concurrency', '3'], says: /concurrency 3 is fewer users than the 4 shards/ },
      { args: ['--shard', '0/2', '--profile', 'sweep'], says: /a sweep cannot be sharded/ },
    ]
    // One after another: calls that overlap each start the binary (test/helpers/cli.ts); in turn they run in-process.
    for (const { args, env, says } of cases) {
      const result = await runCli(['bench', '--url', 'http://127.0.0.1:9/v1', '--no-progress', ...args], env ? { env } : {})
      expect(expectOneLineError(result)).toMatch(says)
    }
  })
})
