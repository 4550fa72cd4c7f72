import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JsonLinesWriter, type WriteFunction } from '../../src/io/output/records-writer.js'

const folder = mkdtempSync(join(tmpdir(), 'geopat-writer-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('JSON-lines writer', () => {
  it('keeps the lines of the last turn when the process exits before the turn ends (a second Ctrl-C)', () => {
    const path = join(folder, 'records.jsonl')
    const writerModule = resolve('dist/src/io/output/records-writer.js')
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
    const ids = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: number }).id)
    expect(ids).toEqual([0, 1, 2])
  })
})

const enospc = (): never => {
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
}

describe('JSON-lines writer on a full disk (#15.4)', () => {
  it('on /dev/full: no throw, the run is told once, in one line', () => {
    // Linux: every write to /dev/full fails with ENOSPC.
    if (!existsSync('/dev/full')) return
    const failures: string[] = []
    const writer = new JsonLinesWriter<{ id: number }>('/dev/full', 'w', { onFailure: (message) => failures.push(message) })
    writer.write({ id: 0 })
    expect(() => writer.flush()).not.toThrow()
    writer.write({ id: 1 })
    writer.flush()
    writer.close()
    expect(failures).toEqual(['disk full (ENOSPC) writing /dev/full: stopped after 0 records'])
    expect(writer.failure).toBe(failures[0])
  })

  it('a write that stops half way leaves only whole lines on disk', () => {
    const path = join(folder, 'torn.jsonl')
    let calls = 0
    // The second flush writes 10 bytes, then the disk is full.
    const write: WriteFunction = (fd, buffer, offset, length) => {
      calls++
      if (calls === 1) return writeSync(fd, buffer, offset, length)
      if (calls === 2) return writeSync(fd, buffer, offset, Math.min(10, length))
      return enospc()
    }
    const failures: string[] = []
    const writer = new JsonLinesWriter<{ id: number; text: string }>(path, 'w', { write, onFailure: (message) => failures.push(message) })
    writer.write({ id: 0, text: 'kept' })
    writer.write({ id: 1, text: 'kept' })
    writer.flush()
    writer.write({ id: 2, text: 'lost to the full disk' })
    writer.flush()
    writer.write({ id: 3, text: 'never written' })
    writer.close()
    const text = readFileSync(path, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: number }).id),
    ).toEqual([0, 1])
    expect(failures).toEqual([`disk full (ENOSPC) writing ${path}: stopped after 2 records`])
    expect(writer.onDisk).toBe(2)
  })

  it('continues a short write until every byte is written', () => {
    const path = join(folder, 'short.jsonl')
    // At most 7 bytes per call, as writeSync may do on a pipe or a nearly full disk.
    const write: WriteFunction = (fd, buffer, offset, length) => writeSync(fd, buffer, offset, Math.min(7, length))
    const writer = new JsonLinesWriter<{ id: number }>(path, 'w', { write })
    for (let id = 0; id < 5; id++) writer.write({ id })
    writer.close()
    expect(readFileSync(path, 'utf8')).toBe('{"id":0}\n{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n')
    expect(writer.failure).toBeUndefined()
  })

  it('never appends to a file that exists (a run folder belongs to one run, #15.1)', () => {
    const path = join(folder, 'earlier.jsonl')
    writeFileSync(path, '{"id":0}\n')
    expect(() => new JsonLinesWriter(path)).toThrow(/EEXIST/)
  })
})
