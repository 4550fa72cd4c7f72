import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readRecords } from '../../src/io/output/records-reader.js'

const folder = mkdtempSync(join(tmpdir(), 'geopat-reader-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

async function read(content: string): Promise<{ ids: number[]; warnings: string[] }> {
  const path = join(folder, `r${Math.random().toString(36).slice(2)}.jsonl`)
  writeFileSync(path, content)
  const warnings: string[] = []
  const ids: number[] = []
  for await (const record of readRecords(path, { onWarning: (w) => warnings.push(w) })) ids.push((record as unknown as { id: number }).id)
  return { ids, warnings }
}

describe('records reader and a torn last line (#15.4)', () => {
  it('skips a torn last line (no newline, not JSON) and says so', async () => {
    const { ids, warnings } = await read('{"id":0}\n{"id":1}\n{"id":2,"ttf')
    expect(ids).toEqual([0, 1])
    expect(warnings).toEqual([expect.stringMatching(/:3: torn last line skipped \(12 bytes, no newline, not valid JSON/)])
  })

  it('keeps a whole last line that only lacks its newline', async () => {
    expect(await read('{"id":0}\n{"id":1}')).toEqual({ ids: [0, 1], warnings: [] })
  })

  it('still refuses a bad line in the middle', async () => {
    await expect(read('{"id":0}\n{"id":1,"tt\n{"id":2}\n')).rejects.toThrow(/:2: not valid JSON/)
  })

  it('still refuses a bad last line that ends with a newline (not a cut-off write)', async () => {
    await expect(read('{"id":0}\n{"id":1,"tt\n')).rejects.toThrow(/:2: not valid JSON/)
  })
})
