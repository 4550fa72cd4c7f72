import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { claimRunFolder, makeRunId, pathInside, runArtefactsIn, safePathSegment } from '../../src/io/output/files.js'
import { LOCK_FILE } from '../../src/io/output/run-lock.js'

const work = mkdtempSync(join(tmpdir(), 'geopat-run-folder-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const quiet = (): void => undefined
let folders = 0
const freshFolder = (): string => join(work, `f${folders++}`)

describe('safe path segments from names (#15.8)', () => {
  it('leaves a plain name alone', () => {
    expect(safePathSegment('quickstart')).toBe('quickstart')
    expect(safePathSegment('eu-regional-cc.v2')).toBe('eu-regional-cc.v2')
  })

  it('never gives a separator, a parent folder, a hidden name or a control character', () => {
    for (const hostile of [
      '../../../../x',
      '..',
      '.',
      '/etc/passwd',
      'a/../../b',
      'C:\\Windows\\x',
      '..\\..\\x',
      'a\u0000b',
      'line\nbreak\u001b[31m',
      '.hidden',
      ' ',
    ]) {
      const segment = safePathSegment(hostile)
      expect(segment, hostile).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
      expect(segment).not.toContain('..')
      expect(segment).not.toMatch(/[/\\]/)
    }
    expect(safePathSegment('../../../../x')).toBe('x')
    expect(safePathSegment('..')).toBe('run')
    expect(safePathSegment('', 'endpoint')).toBe('endpoint')
  })

  it('bounds the length', () => {
    expect(safePathSegment('a'.repeat(1000)).length).toBeLessThanOrEqual(80)
  })

  it('makes run ids from scenario names that stay one segment', () => {
    const id = makeRunId('../../../../x', new Date('2026-01-02T03:04:05Z'))
    expect(id).toBe('20260102-030405-x')
  })

  it('refuses a path that leaves its folder', () => {
    expect(pathInside('/tmp/base', 'bench', 'records.jsonl')).toBe('/tmp/base/bench/records.jsonl')
    expect(() => pathInside('/tmp/base', '../x')).toThrow(/would leave the folder/)
    expect(() => pathInside('/tmp/base', '/etc/x')).toThrow(/would leave the folder/)
    expect(() => pathInside('/tmp/base', 'a/../..')).toThrow(/would leave the folder/)
  })
})

describe('a run folder belongs to one run (#15.1)', () => {
  it('takes a new or empty folder and removes its lock when released', () => {
    const dir = freshFolder()
    const folder = claimRunFolder({ outDir: dir, runId: 'r1', log: quiet })
    const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))
    expect(lock).toMatchObject({ pid: process.pid, host: hostname(), runId: 'r1' })
    folder.release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
  })

  it('refuses a folder holding an earlier run, with one line saying how to go on', () => {
    const dir = freshFolder()
    mkdirSync(dir)
    writeFileSync(join(dir, 'records.jsonl'), '{}\n')
    expect(() => claimRunFolder({ outDir: dir, runId: 'r2', log: quiet })).toThrow(/already holds a run \(records\.jsonl\); give a new folder, or --overwrite/)
    // A refused claim leaves no lock behind.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
  })

  it("sees an earlier run by its /metrics scrapes or its shard file alone (a new run's scrapes must not append to them)", () => {
    for (const file of ['metrics.jsonl', 'shard.json']) {
      const dir = freshFolder()
      mkdirSync(dir)
      writeFileSync(join(dir, file), '{}\n')
      expect(() => claimRunFolder({ outDir: dir, runId: 'r2', log: quiet })).toThrow(new RegExp(`already holds a run \\(${file.replace('.', '\\.')}\\)`))
    }
  })

  it('sees a `geopat run` folder by its step folders', () => {
    const dir = freshFolder()
    mkdirSync(join(dir, 'bench'), { recursive: true })
    writeFileSync(join(dir, 'bench', 'summary.json'), '{}')
    expect(runArtefactsIn(dir)).toEqual(['bench/summary.json'])
    expect(() => claimRunFolder({ outDir: dir, runId: 'r3', log: quiet })).toThrow(/already holds a run \(bench\/summary\.json\)/)
  })

  it("--overwrite removes geopat's files and nothing else", () => {
    const dir = freshFolder()
    mkdirSync(join(dir, 'bench', 'attestation'), { recursive: true })
    mkdirSync(join(dir, 'size'), { recursive: true })
    for (const file of [
      'report.html',
      'bench/records.jsonl',
      'bench/summary.json',
      'bench/summary.csv',
      'bench/metrics.jsonl',
      'bench/shard.json',
      'bench/attestation/eu-before.vcek.pem',
      'size/sizing.json',
    ])
      writeFileSync(join(dir, file), 'x')
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    writeFileSync(join(dir, 'bench', 'my-analysis.py'), 'mine')
    const folder = claimRunFolder({ outDir: dir, runId: 'r4', overwrite: true, log: quiet })
    folder.release()
    expect(readdirSync(dir).sort()).toEqual(['bench', 'notes.txt'])
    expect(readdirSync(join(dir, 'bench'))).toEqual(['my-analysis.py'])
  })

  it('keeps a second process out while the first holds the folder', () => {
    const dir = freshFolder()
    const first = claimRunFolder({ outDir: dir, runId: 'first', log: quiet })
    expect(() => claimRunFolder({ outDir: dir, runId: 'second', log: quiet })).toThrow(new RegExp(`in use by run first \\(pid ${process.pid} on `))
    first.release()
    claimRunFolder({ outDir: dir, runId: 'third', log: quiet }).release()
  })

  it('takes over the lock of a process that is gone, saying so in one line', () => {
    const dir = freshFolder()
    mkdirSync(dir)
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const deadPid = Number(gone.stdout)
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: hostname(), runId: 'killed', startedAt: '2026-01-01T00:00:00.000Z' }))
    const lines: string[] = []
    const folder = claimRunFolder({ outDir: dir, runId: 'next', log: (line) => lines.push(line) })
    expect(lines).toEqual([expect.stringMatching(new RegExp(`took over the lock of run killed \\(pid ${deadPid} is no longer running\\)`))])
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).runId).toBe('next')
    folder.release()
  })

  it('reads a lock still empty (its owner is writing it) as in use, and an old unreadable one as not a lock', () => {
    const dir = freshFolder()
    mkdirSync(dir)
    writeFileSync(join(dir, LOCK_FILE), '')
    expect(() => claimRunFolder({ outDir: dir, runId: 'racer', log: quiet })).toThrow(/in use by another geopat run that is starting/)
    const old = new Date(Date.now() - 60_000)
    utimesSync(join(dir, LOCK_FILE), old, old)
    expect(() => claimRunFolder({ outDir: dir, runId: 'racer', log: quiet })).toThrow(/is not a geopat lock/)
  })

  it('does not take over a lock from another host', () => {
    const dir = freshFolder()
    mkdirSync(dir)
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: `not-${hostname()}`, runId: 'elsewhere', startedAt: '2026-01-01T00:00:00.000Z' }))
    expect(() => claimRunFolder({ outDir: dir, runId: 'here', log: quiet })).toThrow(/in use by run elsewhere/)
  })
})

describe('a run that writes nothing leaves nothing', () => {
  it('removes the folders its claim created once released empty', () => {
    const top = freshFolder()
    const dir = join(top, 'a', 'b')
    claimRunFolder({ outDir: dir, runId: 'failed-early', log: quiet }).release()
    expect(existsSync(top)).toBe(false)
  })
})
