import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../src/io/schema/record.js'
import { readRecords } from '../../src/io/output/records-reader.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { type RunningSimServer, startFixedSimServer } from '../../src/sim/fixed-server.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'

let sim: RunningSimServer
const work = mkdtempSync(join(tmpdir(), 'geopat-bench-tools-'))
const toolsFile = join(work, 'tools.json')
writeFileSync(
  toolsFile,
  JSON.stringify([
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    { type: 'function', function: { name: 'search', description: 'web search' } },
  ]),
)

beforeAll(async () => {
  sim = await startFixedSimServer({ ttftMs: 1, itlMs: 0, model: 'sim-model' })
})

afterAll(async () => {
  await sim.close()
})

const REQUESTS = 60

async function bench(name: string, extra: string[]): Promise<{ records: RequestRecord[]; figures: Record<string, unknown> }> {
  const out = join(work, name)
  const args = ['bench', '--url', sim.url, '--requests', String(REQUESTS), '--concurrency', '4', '--input-tokens', '16', '--output-tokens', '12']
  const result = await runCli([...args, '--tools', toolsFile, ...extra, '--out', out, '--no-progress'], { timeoutMs: 120_000 })
  expect(result.exitCode, result.stderr).toBe(0)
  // The product's reader, each line checked against the records schema.
  const records: RequestRecord[] = []
  for await (const record of readRecords(join(out, 'records.jsonl'), { validate: true })) records.push(record)
  const summary = benchSummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))
  return { records, figures: summary.runs[0]?.figures ?? {} }
}

const idsAsking = (records: RequestRecord[]): number[] =>
  records
    .filter((r) => r.toolsRequested === true)
    .map((r) => r.id)
    .sort((a, b) => a - b)

describe('geopat bench --tools against the simulator', () => {
  it('with tool_choice required and share 0.5: the requests that asked are exactly those that called a tool, and the summary says both shares', async () => {
    const { records, figures } = await bench('required', ['--tool-choice', 'required', '--tool-share', '0.5', '--seed', '5'])
    expect(records).toHaveLength(REQUESTS)
    expect(records.every((r) => r.ok)).toBe(true)
    const asked = records.filter((r) => r.toolsRequested === true)
    expect(asked.length).toBeGreaterThan(0)
    expect(asked.length).toBeLessThan(REQUESTS)
    for (const record of records) {
      expect((record.toolCalls ?? 0) > 0, `request ${record.id}`).toBe(record.toolsRequested === true)
      if (record.toolsRequested) expect(record.finishReason).toBe('tool_calls')
    }
    const askedPct = (asked.length / records.length) * 100
    expect(figures.toolsRequestedPct).toBeCloseTo(askedPct, 9)
    expect(figures.toolCallRequestsPct).toBeCloseTo(askedPct, 9)

    // The same seed asks on the same requests; each shard of the run asks on the whole run's requests of its ids.
    const again = await bench('again', ['--tool-choice', 'required', '--tool-share', '0.5', '--seed', '5'])
    expect(idsAsking(again.records)).toEqual(idsAsking(records))
    const shards = [
      await bench('shard0', ['--tool-choice', 'required', '--tool-share', '0.5', '--seed', '5', '--shard', '0/2']),
      await bench('shard1', ['--tool-choice', 'required', '--tool-share', '0.5', '--seed', '5', '--shard', '1/2']),
    ]
    expect(idsAsking(shards.flatMap((s) => s.records))).toEqual(idsAsking(records))
  })

  it('with tool_choice auto the simulator answers in content: the asked share is there, the tool-call share is not', async () => {
    const { records, figures } = await bench('auto', ['--tool-share', '1'])
    expect(records.every((r) => r.toolsRequested === true && r.toolCalls === undefined)).toBe(true)
    expect(figures.toolsRequestedPct).toBe(100)
    expect(figures).not.toHaveProperty('toolCallRequestsPct')
  })

  it('a named function is forced on every request', async () => {
    const { records } = await bench('named', ['--tool-choice', 'search'])
    expect(records.every((r) => r.toolsRequested === true && r.toolCalls === 1 && r.finishReason === 'tool_calls')).toBe(true)
  })
})

describe('geopat bench refuses bad tools input in one line and writes nothing', () => {
  const bad = (name: string, content: string): string => {
    const path = join(work, name)
    writeFileSync(path, content)
    return path
  }
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a file that is missing', () => ['--tools', join(work, 'nope.json')], /nope\.json: cannot read the file/],
    ['a tool that is not a function', () => ['--tools', bad('not-fn.json', '[{"type":"web_search"}]')], /not-fn\.json: 0\.type: /],
    ['a bad function name', () => ['--tools', bad('bad-name.json', '[{"type":"function","function":{"name":"a b"}}]')], /bad-name\.json: 0\.function\.name: /],
    ['a choice naming no function', () => ['--tools', toolsFile, '--tool-choice', 'lookup'], /--tool-choice "lookup" is neither .* --tools .*tools\.json/],
    ['a share above 1', () => ['--tools', toolsFile, '--tool-share', '1.5'], /--tool-share: .*<=1/],
    ['a choice without tools', () => ['--tool-choice', 'required'], /--tools: required with a tool choice or a tool share/],
    ['the completions API', () => ['--tools', toolsFile, '--api', 'completions'], /--tools: tools are sent to the chat API only/],
    ['multi-turn sessions', () => ['--tools', toolsFile, '--turns', '3', '--sessions', '2'], /--tools: tools go with independent requests/],
  ]
  it.each(cases)('%s', async (_, args, message) => {
    const out = join(work, `bad-${Math.random().toString(36).slice(2)}`)
    const result = await runCli(['bench', '--url', sim.url, ...args(), '--requests', '2', '--out', out])
    expect(expectOneLineError(result)).toMatch(message)
    expect(existsSync(out)).toBe(false)
  })

  it('geopat compare refuses a scenario whose requests ask for tools (its arms must do the same work)', async () => {
    const scenario = join(work, 'compare.yaml')
    const endpoints = [
      { label: 'a', url: sim.url },
      { label: 'b', url: sim.url },
    ]
    writeFileSync(scenario, JSON.stringify({ endpoints, load: { concurrency: 1, requests: 2 }, input: { tools: { file: toolsFile } } }))
    const out = join(work, 'compare-out')
    const line = expectOneLineError(await runCli(['compare', '--scenario', scenario, '--out', out]))
    expect(line).toMatch(/compare\.yaml: input\.tools: requests that ask for tools are sent by geopat bench/)
    expect(existsSync(out)).toBe(false)
  })
})
