import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const folder = mkdtempSync(join(tmpdir(), 'geopat-writer-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('JSON-lines writer', () => {
  it('keeps the lines of the last turn when the process exits before the turn ends (a second Ctrl-C)', () => {
    const path = join(folder, 'records.jsonl')
    const writerModule = resolve('dist/src/output/records-writer.js')
    // Built by `npm test` before vitest runs, as the CLI tests use it.
    const script = `
      const { JsonLinesWriter } = await import(${JSON.stringify(writerModule)})
      const writer = new JsonLinesWriter(${JSON.stringify(path)}, 'w')
      writer.write({ id: 0 })
      writer.writeSerialized('{"id":1}\\n{"id":2}', 2)
      process.exit(130)
    `
    let status = 0
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' })
    } catch (error) {
      status = (error as { status: number }).status
    }
    expect(status).toBe(130)
    const ids = readFileSync(path, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { id: number }).id)
    expect(ids).toEqual([0, 1, 2])
  })
})
