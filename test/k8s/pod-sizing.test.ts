import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { EVENTS_PER_CORE_SECOND, EVENTS_PER_EVENT_LOOP_OK, podResources, shardLoad, shardsNeeded } from '../../src/k8s/pod-sizing.js'
import { REPO_ROOT } from '../helpers/cli.js'

/**
 * The pod sizing rule of `geopat k8s render` against its source: the figures it rests on are read
 * here from bench/RESULTS.md's tables (not from the code), and the rule's results are recomputed by
 * hand from the scenario.
 */

const RESULTS = readFileSync(join(REPO_ROOT, 'bench', 'RESULTS.md'), 'utf8')

/** The rows of the first markdown table after `marker`, as header → cell. */
function tableAfter(marker: string): Array<Record<string, string>> {
  const lines = RESULTS.slice(RESULTS.indexOf(marker)).split('\n')
  const start = lines.findIndex((line) => line.startsWith('| '))
  const cells = (line: string): string[] =>
    line
      .slice(2, -2)
      .split(' | ')
      .map((cell) => cell.replace(/\*/g, '').trim())
  const headers = cells(lines[start] as string)
  const rows: Array<Record<string, string>> = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('| ')) break
    rows.push(Object.fromEntries(cells(line).map((cell, i) => [headers[i] as string, cell])))
  }
  return rows
}

const scenario = (load: Record<string, unknown>, outputTokens: unknown = 128) =>
  scenarioSchema.parse({ endpoints: [{ url: 'http://127.0.0.1:1/v1' }], load: { duration: 60, ...load }, input: { outputTokens } })

describe('the figures the rule rests on, as bench/RESULTS.md measured them', () => {
  const held = tableAfter('### Concurrent streams held').map((row) => {
    const [itl, events] = /^(\d+) \((\d+)\)$/.exec(row['ITL ms (events/s)'] as string)?.slice(1) ?? []
    return { events: Number(events), itl: Number(itl), workers: Number(row.workers), cpu: Number(row['client CPU (cores)']), verdict: row.verdict }
  })

  it('one event loop is sized to the most events/s it timed with its verdict "ok"', () => {
    const okOneLoop = held.filter((row) => row.workers === 1 && row.verdict === 'ok')
    expect(okOneLoop.length).toBeGreaterThan(0)
    expect(Math.max(...okOneLoop.map((row) => row.events))).toBe(EVENTS_PER_EVENT_LOOP_OK)
    // Above it, one loop was never "ok".
    expect(held.filter((row) => row.workers === 1 && row.events > EVENTS_PER_EVENT_LOOP_OK).every((row) => row.verdict !== 'ok')).toBe(true)
  })

  it('events per core-second is at most what the client used at that rate or above, in both tables', () => {
    const atCapacity = held.filter((row) => row.workers === 1 && row.events >= EVENTS_PER_EVENT_LOOP_OK)
    const podRows = tableAfter('<!-- pod-capacity:start -->').map((row) => ({
      events: Number(row['token events/s (measured)']),
      cpu: Number(row['client CPU (cores)']),
    }))
    const rows = [...atCapacity, ...podRows.filter((row) => row.events >= 0.99 * EVENTS_PER_EVENT_LOOP_OK)]
    expect(rows.length).toBeGreaterThan(2)
    for (const row of rows) expect(EVENTS_PER_CORE_SECOND).toBeLessThanOrEqual(row.events / row.cpu)
  })

  it('each pod-capacity row fits in the memory and within half the CPU the rule gives that load', () => {
    const rows = tableAfter('<!-- pod-capacity:start -->')
    expect(rows.length).toBeGreaterThan(1)
    for (const row of rows) {
      const streams = Number(row.streams)
      const events = Number(row['token events/s (measured)'])
      const resources = podResources({ streams, eventsPerSecond: events, eventLoops: Number(row.workers), basis: '' })
      expect(resources.memoryMiB).toBeGreaterThanOrEqual(Number(row['peak RSS (MiB)']))
      expect(resources.cpuCores).toBeGreaterThanOrEqual(2 * Number(row['client CPU (cores)']))
    }
  })
})

describe('one shard’s load and its pod, recomputed by hand', () => {
  it('a closed loop: users split over the shards, 1000 / ITL events per stream', () => {
    const load = shardLoad(scenario({ concurrency: 3000 }), 4, 10)
    expect(load.streams).toBe(750)
    expect(load.eventsPerSecond).toBe(75_000)
    // 2 × 75,000 / 28,000 = 5.36 → 6 cores; more than its one event loop.
    expect(podResources(load).cpuCores).toBe(6)
    // 1.5 × (180 MiB + 750 × 110 KiB) = 1.5 × (180 + 80.57) = 390.9 → 391 MiB.
    expect(podResources(load).memoryMiB).toBe(391)
    // 750 streams × 100 events/s × 4 shards = 300,000 events/s ÷ 10,000 a loop = 30 shards.
    expect(shardsNeeded(load, 4)).toBe(30)
  })

  it('a closed loop that does not divide evenly gives each shard the larger share', () => {
    expect(shardLoad(scenario({ concurrency: 10 }), 4, 100).streams).toBe(3)
  })

  it('a closed loop on several workers gets a core per event loop', () => {
    const load = shardLoad(scenario({ concurrency: 400, workers: 4 }), 2, 100)
    // 200 streams × 10 events/s = 2,000 events/s: 2 × 2,000 / 28,000 < 1, but 4 loops need 4 cores.
    expect(load.eventsPerSecond).toBe(2_000)
    expect(podResources(load).cpuCores).toBe(4)
  })

  it('an open loop: the rate split over the shards × the mean output length, streams by Little’s law', () => {
    const load = shardLoad(scenario({ rate: 100 }, { dist: 'uniform', min: 100, max: 300 }), 4, 10)
    // 25 requests/s × 200 tokens = 5,000 events/s; 25/s × (200 tokens × 10 ms) = 50 in flight.
    expect(load.eventsPerSecond).toBe(5_000)
    expect(load.streams).toBe(50)
    expect(podResources(load).cpuCores).toBe(1)
  })

  it('an open loop capped by maxConcurrency reads no more than its streams can bring', () => {
    const load = shardLoad(scenario({ rate: 100, maxConcurrency: 40 }, 200), 4, 10)
    // 10 streams a shard × 100 events/s = 1,000 events/s, below the 5,000 the rate asks.
    expect(load.streams).toBe(10)
    expect(load.eventsPerSecond).toBe(1_000)
  })

  it('a sweep is sized to its heaviest step, sweepMaxConcurrency', () => {
    const load = shardLoad(scenario({ profile: 'sweep', sweepMaxConcurrency: 256 }), 2, 20)
    expect(load.streams).toBe(128)
    expect(load.eventsPerSecond).toBe(128 * 50)
  })
})
