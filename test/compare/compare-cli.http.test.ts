import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareSummarySchema } from '../../src/io/schema/compare.js'
import { runCli } from '../helpers/cli.js'
import { useFastAndSlowServers } from '../helpers/compare-servers.js'
import { SIMULATOR_LATENESS_LIMIT_MS } from '../helpers/real-clock.js'

const servers = useFastAndSlowServers({ keepTime: true })
const work = servers.work

// The table's form and the one-line errors of `geopat compare` claim no duration: they are in
// test/cli/compare-cli.test.ts, in the `integration` project.
describe('geopat compare from the command line', () => {
  it('compares two URLs given as flags and prints the zod-valid summary with --json', async (context) => {
    const out = join(work, 'flags')
    const result = await runCli([
      'compare',
      '--url-a',
      servers.fast.url,
      '--label-a',
      'fast',
      '--url-b',
      servers.slow.url,
      '--label-b',
      'slow',
      '--rounds',
      '2',
      '--requests-per-block',
      '6',
      '--input-tokens',
      '32',
      '--output-tokens',
      '12',
      '--out',
      out,
      '--json',
    ])
    expect(result.exitCode).toBe(0)
    const summary = compareSummarySchema.parse(JSON.parse(result.stdout))
    const point = summary.operatingPoints[0]
    const contrast = point?.contrasts[0]
    expect(contrast?.arm).toBe('slow')
    expect(JSON.parse(readFileSync(join(out, 'compare-summary.json'), 'utf8'))).toEqual(summary)
    expect(readFileSync(join(out, 'compare-summary.csv'), 'utf8').split('\n')[0]).toContain('ratio_low')
    // 20 vs 35 ms TTFT and 4 vs 6 ms ITL read as such while the client reads on time (its
    // self-check) and the servers write on time (their lateness, from their /metrics).
    const bound = (point?.clientVerdicts ?? []).filter((v) => v.verdict !== 'ok').map((v) => `client-bound: ${v.reasons.join('; ')}`)
    const late = (point?.reconciliation ?? [])
      .filter((r) => (r.simulatorEmitLatenessMs ?? 0) > SIMULATOR_LATENESS_LIMIT_MS)
      .map((r) => `${r.arm} wrote ${r.simulatorEmitLatenessMs?.toFixed(3)} ms late on average`)
    if (bound.length + late.length > 0) context.skip(`real clock not kept: ${[...bound, ...late].join('; ')}`)
    expect(contrast?.metrics.ttft.mean.verdict).toBe('slower')
    expect(contrast?.metrics.itl.mean.ratio?.estimate).toBeGreaterThan(1.3)
  })
})
