import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GOLDEN_DIR, UPDATING, expectGoldenJson, expectGoldenText, jsonDifferences, masked, stableJson, textDifferences } from './golden.js'

// The comparison the golden tests rely on: a mismatch names the file and the JSON path or line.
describe('golden comparison', () => {
  it('names the JSON path of each difference: changed, absent and added values, array lengths', () => {
    const golden = { a: { b: [1, 2, 3] }, c: 'x', 'odd key': 1 }
    const now = { a: { b: [1, 2.0000000000000004] }, d: true, 'odd key': 2 }
    expect(jsonDifferences(golden, now)).toEqual([
      '$.a.b: 3 items in the golden ≠ 2 now',
      '$.a.b[1]: golden 2 ≠ now 2.0000000000000004',
      '$.c: in the golden "x", absent now',
      '$.d: absent in the golden, now true',
      '$["odd key"]: golden 1 ≠ now 2',
    ])
    expect(jsonDifferences(golden, structuredClone(golden))).toEqual([])
    expect(jsonDifferences({ options: [{ id: 'own-dc', npv: 1 }] }, { options: [{ id: 'own-dc', npv: 2 }] })).toEqual([
      '$.options[0](own-dc).npv: golden 1 ≠ now 2',
    ])
  })

  it('names the line of each text difference', () => {
    expect(textDifferences('h\n1\n2\n', 'h\n1\n3\n')).toEqual(['line 3: golden "2" ≠ now "3"'])
  })

  it('masks the clock, the run id, the tool build and absolute folders, and nothing else', () => {
    const value = {
      createdAt: '2026-12-06T12:00:00.000Z',
      runId: 'r1',
      tool: { name: 'geopat', version: '0.1.0', node: 'v20' },
      profile: { version: '0.6' },
      file: '/tmp/x/plan.json',
      list: ['/tmp/x'],
    }
    expect(masked(value, [['/tmp/x', '<out>']])).toEqual({
      createdAt: '<clock>',
      runId: '<run-id>',
      tool: { name: 'geopat', version: '<version>', node: '<node-version>' },
      profile: { version: '0.6' },
      file: '<out>/plan.json',
      list: ['<out>'],
    })
  })

  it('writes JSON with sorted keys at every depth', () => {
    const sorted = { a: { c: 0, d: [{ y: 2, z: 1 }] }, b: 1 }
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 0 } })).toBe(`${JSON.stringify(sorted, null, 2)}\n`)
  })

  // Under GOLDEN_UPDATE=1 these calls would write the altered value: they run only when comparing.
  it.skipIf(UPDATING)('fails on a changed golden value, naming the file, the path and how to re-record', () => {
    const plan = JSON.parse(readFileSync(join(GOLDEN_DIR, 'eu-exit-files', 'plan.json'), 'utf8'))
    plan.waves[0].gpus += 1
    expect(() => expectGoldenJson('eu-exit-files/plan.json', plan)).toThrow(
      /golden mismatch in test\/fixtures\/golden\/eu-exit-files\/plan\.json \(1 difference\(s\)\):\n {2}\$\.waves\[0\]\.gpus: golden \d+ ≠ now \d+\n.*npm run golden:update/,
    )
    const waves = readFileSync(join(GOLDEN_DIR, 'eu-exit-files', 'waves.csv'), 'utf8')
    const longer = waves.replace(/\n$/, '\nextra\n')
    expect(() => expectGoldenText('eu-exit-files/waves.csv', longer)).toThrow(/eu-exit-files\/waves\.csv .*\n.*lines in the golden/)
    const absent = 'no golden file test/fixtures/golden/no-such/file.json: record it with npm run golden:update'
    expect(() => expectGoldenJson('no-such/file.json', {})).toThrow(absent)
  })
})
