import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { useFastAndSlowServers } from '../helpers/compare-servers.js'

// `geopat compare` from the command line against two fixed-pace servers on 127.0.0.1: what it
// prints and how it refuses bad input, never a duration. Its real-clock claim (the slower server
// reads as slower) is test/compare/compare-cli.http.test.ts's.

const servers = useFastAndSlowServers()
const work = servers.work

describe('geopat compare from the command line', () => {
  it('prints the table with intervals and verdicts', async () => {
    const result = await runCli([
      'compare',
      '--url-a',
      servers.fast.url,
      '--url-b',
      servers.slow.url,
      '--rounds',
      '1',
      '--requests-per-block',
      '4',
      '--output-tokens',
      '8',
      '--out',
      join(work, 'table'),
    ])
    expect(result.exitCode).toBe(0)
    // The table's form: interval and verdict. Which verdict is compare-cli.http.test.ts's claim (a
    // real-clock statistic, held while the clocks are kept) and compare-virtual.test.ts's.
    expect(result.stdout).toMatch(/TTFT mean .*\[.*\].*(slower|faster|indistinguishable)/)
    expect(result.stdout).toContain("the peers' names")
  })

  it.each([
    ['only one URL', ['--url-a', 'http://127.0.0.1:9'], /give --scenario, or both --url-a and --url-b/],
    ['a scenario with a bad compare field', ['--scenario', 'BAD'], /compare\.rounds/],
    ['an unreachable endpoint', ['--url-a', 'http://127.0.0.1:9', '--url-b', 'http://127.0.0.1:9'], /cannot reach/],
  ])('rejects %s with one line', async (_name, args, message) => {
    const file = join(work, 'bad.yaml')
    writeFileSync(file, 'endpoints:\n  - url: http://127.0.0.1:9\nload: { requests: 1 }\ncompare: { rounds: 0 }\n')
    const line = expectOneLineError(await runCli(['compare', ...args.map((a) => (a === 'BAD' ? file : a)), '--out', join(work, 'never')]))
    expect(line).toMatch(message)
  })
})
