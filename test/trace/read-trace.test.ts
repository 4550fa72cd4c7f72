import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { azureTimeMs, readTrace } from '../../src/input/trace/read-trace.js'
import { UserError } from '../../src/util/errors.js'
import { REPO_ROOT } from '../helpers/cli.js'

const SAMPLES = join(REPO_ROOT, 'data', 'traces')
const work = mkdtempSync(join(tmpdir(), 'geopat-trace-'))

function file(name: string, text: string): string {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}

/** The message of the UserError that reading `path` fails with. */
async function failure(path: string, format?: Parameters<typeof readTrace>[1]): Promise<string> {
  const error = await readTrace(path, format).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(UserError)
  const message = (error as Error).message
  expect(message.split('\n')).toHaveLength(1)
  return message
}

const nonBlankLines = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')

describe('the shipped synthetic samples', () => {
  it('mooncake: every line a row, its fields as written, the format told from the first line', async () => {
    const path = join(SAMPLES, 'mooncake-synthetic.jsonl')
    const lines = nonBlankLines(path).map((line) => JSON.parse(line) as { timestamp: number; input_length: number; output_length: number; hash_ids: number[] })
    const { format, rows } = await readTrace(path)
    expect(format).toBe('mooncake')
    expect(rows).toHaveLength(lines.length)
    expect(rows.map((row) => [row.timeMs, row.inputTokens, row.outputTokens, [...row.prefixBlocks]])).toEqual(
      lines.map((line) => [line.timestamp, line.input_length, line.output_length, line.hash_ids]),
    )
    // The sample reuses blocks (that is its point): some hash id is in more than one row.
    const seen = new Map<number, number>()
    for (const line of lines) for (const id of line.hash_ids) seen.set(id, (seen.get(id) ?? 0) + 1)
    expect([...seen.values()].some((count) => count > 1)).toBe(true)
  })

  it('azure: times from the TIMESTAMP column (UTC, sub-millisecond kept), lengths from ContextTokens and GeneratedTokens', async () => {
    const path = join(SAMPLES, 'azure-synthetic.csv')
    const lines = nonBlankLines(path)
      .slice(1)
      .map((line) => line.split(','))
    const { format, rows } = await readTrace(path)
    expect(format).toBe('azure')
    expect(rows).toHaveLength(lines.length)
    const [stamp, context, generated] = lines[0] as [string, string, string]
    // Date.parse reads ISO with ms; the remaining four digits are tenths of microseconds.
    const expectedMs = Date.parse(`${stamp.slice(0, 10)}T${stamp.slice(11, 23)}Z`) + Number(stamp.slice(23)) / 10_000
    expect(rows[0]?.timeMs).toBeCloseTo(expectedMs, 6)
    expect(rows[0]?.inputTokens).toBe(Number(context))
    expect(rows[0]?.outputTokens).toBe(Number(generated))
    expect(rows[0]?.line).toBe(2)
  })

  it('burstgpt: seconds × 1000, Request and Response tokens', async () => {
    const path = join(SAMPLES, 'burstgpt-synthetic.csv')
    const lines = nonBlankLines(path)
      .slice(1)
      .map((line) => line.split(','))
    const { format, rows } = await readTrace(path)
    expect(format).toBe('burstgpt')
    expect(rows.map((row) => [row.timeMs, row.inputTokens, row.outputTokens])).toEqual(
      lines.map((cells) => [Number(cells[0]) * 1000, Number(cells[2]), Number(cells[3])]),
    )
  })

  it('geopat: timestampMs, inputTokens, outputTokens and optional prefixBlocks', async () => {
    const path = join(SAMPLES, 'geopat-synthetic.jsonl')
    const lines = nonBlankLines(path).map(
      (line) => JSON.parse(line) as { timestampMs: number; inputTokens: number; outputTokens: number; prefixBlocks?: number[] },
    )
    const { format, rows } = await readTrace(path)
    expect(format).toBe('geopat')
    expect(rows.map((row) => [row.timeMs, row.inputTokens, row.outputTokens, [...row.prefixBlocks]])).toEqual(
      lines.map((line) => [line.timestampMs, line.inputTokens, line.outputTokens, line.prefixBlocks ?? []]),
    )
  })
})

describe('a bad row is one line naming file:line, the field and the rule', () => {
  it('mooncake: a negative output length on line 3', async () => {
    const path = file(
      'bad.jsonl',
      '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [0]}\n\n{"timestamp": 5, "input_length": 10, "output_length": -1, "hash_ids": [0]}\n',
    )
    const message = await failure(path)
    expect(message).toContain(`${path}:3: output_length:`)
    expect(message).toMatch(/>=\s*0|greater than or equal to 0/)
  })

  it('mooncake: a line that is not JSON', async () => {
    const path = file('notjson.jsonl', '{"timestamp": 0, "input_length": 10, "output_length": 5}\n{"timestamp": 1,\n')
    expect(await failure(path)).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: \\(root\\): invalid JSON`))
  })

  it('geopat: an unknown field (a typo) is refused', async () => {
    const path = file('typo.jsonl', '{"timestampMs": 0, "inputTokens": 10, "outputTokens": 5, "prefixBlock": [1]}\n')
    const message = await failure(path)
    expect(message).toContain(`${path}:1:`)
    expect(message).toContain('prefixBlock')
  })

  it('azure: a time in another form, and a missing column', async () => {
    const badTime = file('azure.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,10,5\n16/11/2023 18:15,10,5\n')
    const message = await failure(badTime)
    expect(message).toContain(`${badTime}:3: TIMESTAMP: must be a time as YYYY-MM-DD HH:MM:SS`)
    const noColumn = file('azure-cols.csv', 'TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.1,10\n')
    expect(await failure(noColumn, 'azure')).toContain(`${noColumn}:1: GeneratedTokens: the azure trace's header must name this column`)
  })

  it('burstgpt: a token count that is not a whole number', async () => {
    const path = file(
      'burst.csv',
      'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n1,ChatGPT,10,5,15,API log\n2,ChatGPT,ten,5,15,API log\n',
    )
    expect(await failure(path)).toContain(`${path}:3: Request tokens: must be a whole number of tokens`)
  })

  it('a CSV row with too many cells names its line', async () => {
    const path = file('cells.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,10,5\n2023-11-16 18:15:47.1,10,5,9\n')
    expect(await failure(path)).toContain(`${path}:3: (row): `)
  })

  it('an unknown format, an empty file and a missing file', async () => {
    expect(await failure(file('what.csv', 'a,b,c\n1,2,3\n'))).toContain('cannot tell the trace format from the first line')
    expect(await failure(file('empty.jsonl', ''), 'geopat')).toContain('the trace has no rows')
    expect(await failure(join(work, 'absent.jsonl'))).toContain('cannot read trace file')
  })
})

describe('azureTimeMs', () => {
  it('reads the 7-digit fraction below the millisecond', () => {
    const base = Date.parse('2024-05-10T00:00:01.000Z')
    expect(azureTimeMs('2024-05-10 00:00:01.2500000')).toBeCloseTo(base + 250, 9)
    expect(azureTimeMs('2024-05-10 00:00:01.0000005')).toBeCloseTo(base + 0.0005, 9)
    expect(azureTimeMs('2024-05-10 00:00:01')).toBe(base)
  })
})
