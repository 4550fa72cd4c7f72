import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import YAML from 'yaml'
import type { CalibrationCheck, ProfileVerdict } from '../../src/sim/calibration/check.js'
import { writeCalibrationBlocks } from '../../src/sim/calibration/write-profiles.js'
import { REPO_ROOT } from '../helpers/cli.js'

/** `sim calibrate --write` on profile files: which blocks it rewrites, with what, and what it leaves alone. */
const work = mkdtempSync(join(tmpdir(), 'geopat-calibration-write-'))
// The shipped profile without its own calibration block (each test appends the block it needs).
const base = readFileSync(join(REPO_ROOT, 'data', 'sim-profiles', 'h100-sxm-llama-3.1-8b-bf16.yaml'), 'utf8').replace(/^calibration:\n(?:[ \t].*\n?)*/m, '')

function profileFile(name: string, calibration: string | null): string {
  const path = join(work, `${name}.yaml`)
  writeFileSync(path, `${base.replace(/^name: .*$/m, `name: ${name}`)}${calibration ?? ''}`)
  return path
}

function verdict(profile: string, fitted: number | null, lowLoad: number | null, underLoad: number | null, heldOutPoints: number): ProfileVerdict {
  return {
    profile,
    status: 'validated',
    method: 'published',
    points: heldOutPoints + 1,
    fitted: { points: 1, ids: ['a'], worstError: fitted },
    heldOut: { points: heldOutPoints, ids: [], lowLoad, underLoad, overload: null, lowLoadPoints: 0, underLoadPoints: heldOutPoints, overloadPoints: 0 },
    unknownIds: [],
    note: '',
  }
}

describe('writeCalibrationBlocks', () => {
  it('writes the figures of a published profile, and a derived profile borrows those of the profile it derives from', () => {
    const published = profileFile(
      'p-published',
      'calibration:\n  method: published\n  date: 2026-01-01\n  fittedOn: [a]\n  heldOut: [b, c]\n' +
        '  error:\n    lowLoad: null\n    underLoad: null\n    fitted: null\n    heldOutPoints: 0\n',
    )
    const derived = profileFile(
      'p-derived',
      "calibration:\n  method: derived\n  derivedFrom: { profile: p-published, reason: 'same GPU' }\n  date: 2026-01-01\n  fittedOn: []\n" +
        '  heldOut: []\n  error: { lowLoad: null, underLoad: null, fitted: null, heldOutPoints: 0 }\n',
    )
    const bare = profileFile('p-bare', null)
    const bareBefore = readFileSync(bare, 'utf8')
    const check: CalibrationCheck = {
      points: [],
      skipped: [],
      failures: [],
      profiles: [
        verdict('p-published', 0.04321, 0.0666, 0.1234, 2),
        { ...verdict('p-derived', null, null, null, 0), status: 'derived', method: 'derived', fitted: { points: 0, ids: [], worstError: null } },
        { ...verdict('p-bare', null, null, null, 0), status: 'not-validated', method: null },
      ],
    }
    const writes = writeCalibrationBlocks(
      check,
      new Map([
        ['p-published', published],
        ['p-derived', derived],
        ['p-bare', bare],
      ]),
      '2026-12-06',
    )
    expect(writes.map((w) => [w.profile, w.written])).toEqual([
      ['p-published', true],
      ['p-derived', true],
      ['p-bare', false],
    ])
    const errorOf = (path: string): unknown => (YAML.parse(readFileSync(path, 'utf8')) as { calibration: { error: unknown; date: string } }).calibration
    // Fractions rounded to 3 decimals; fittedOn / heldOut as the files state them.
    expect(errorOf(published)).toMatchObject({
      date: '2026-12-06',
      fittedOn: ['a'],
      heldOut: ['b', 'c'],
      error: { lowLoad: 0.067, underLoad: 0.123, fitted: 0.043, heldOutPoints: 2 },
    })
    expect(errorOf(derived)).toMatchObject({
      date: '2026-12-06',
      fittedOn: [],
      heldOut: [],
      error: { lowLoad: 0.067, underLoad: 0.123, fitted: 0.043, heldOutPoints: 2 },
    })
    expect(readFileSync(bare, 'utf8')).toBe(bareBefore)
    expect(writes[2]?.detail).toMatch(/no calibration block/)
  })

  it('refuses to write figures when a judged point gave no simulated value', () => {
    const path = profileFile(
      'p-empty',
      'calibration:\n  method: published\n  date: 2026-01-01\n  fittedOn: [a]\n  heldOut: []\n' +
        '  error: { lowLoad: null, underLoad: null, fitted: null, heldOutPoints: 0 }\n',
    )
    const check: CalibrationCheck = { points: [], skipped: [], failures: [], profiles: [verdict('p-empty', Number.POSITIVE_INFINITY, null, null, 0)] }
    expect(() => writeCalibrationBlocks(check, new Map([['p-empty', path]]), '2026-12-06')).toThrow(
      /p-empty: a fitted or held-out point gave no simulated value: nothing written/,
    )
  })
})
