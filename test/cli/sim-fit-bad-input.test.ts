import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadProfile } from '../../src/io/schema/sim-profile.js'
import { readMeasuredSweep } from '../../src/sim/fit/operating-points.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'
import { writeVirtualSweep } from '../helpers/virtual-sweep.js'

/** `geopat sim fit` on input it cannot use: one line naming the flag and the rule, a non-zero exit, no file written. */
const BASE = 'h200-llama-3.1-8b-bf16'
const work = mkdtempSync(join(tmpdir(), 'geopat-fit-bad-'))

describe('geopat sim fit on bad input', () => {
  it('refuses bad input in one line with a non-zero exit', async () => {
    // A bench run folder of one step, written with bench's writers (virtual time: fast).
    const base = loadProfile(BASE)
    const sweep = join(work, 'virtual')
    await writeVirtualSweep({ profile: base, dir: sweep, inputTokens: 256, outputTokens: 16, requests: 10, sweepSteps: 1, sweepMaxConcurrency: 4, seed: 1 })
    const oneStep = join(work, 'one-step')
    await writeVirtualSweep({
      profile: base,
      dir: oneStep,
      inputTokens: 256,
      outputTokens: 16,
      requests: 10,
      sweepSteps: 1,
      sweepMaxConcurrency: 1,
      seed: 1,
      onlyFirstStep: true,
    })
    const out = join(work, 'bad.yaml')

    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', join(work, 'nowhere'), '--profile', BASE, '--out', out]))).toMatch(/--from .*nowhere/)
    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', oneStep, '--profile', BASE, '--out', out]))).toMatch(
      /^Error: --from .*one-step: endpoint "[^"]+" has 1 step; a fit needs a sweep of at least 2 steps/,
    )
    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', sweep, '--out', out]))).toMatch(/--profile: required: several shipped profiles serve/)
    // No records beside the summary.
    const noRecords = join(work, 'no-records')
    await writeVirtualSweep({ profile: base, dir: noRecords, inputTokens: 256, outputTokens: 16, requests: 10, sweepSteps: 1, sweepMaxConcurrency: 4, seed: 1 })
    writeFileSync(join(noRecords, 'records.jsonl'), '')
    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', noRecords, '--profile', BASE, '--out', out]))).toMatch(/no successful request/)
    expect(existsSync(out)).toBe(false)
  })

  it("leaves out a step the client's self-check calls client-bound, and refuses a sweep left with fewer than 2", async () => {
    const base = loadProfile(BASE)
    const sweep = join(work, 'client-bound')
    const { runs } = await writeVirtualSweep({
      profile: base,
      dir: sweep,
      inputTokens: 256,
      outputTokens: 16,
      requests: 10,
      sweepSteps: 1,
      sweepMaxConcurrency: 4,
      seed: 1,
    })
    expect(runs.length).toBe(3)
    const summaryFile = join(sweep, 'summary.json')
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { runs: Array<{ stepLabel: string; client: { verdict: string; reasons: string[] } }> }
    const markClientBound = (labels: string[]): void => {
      for (const run of summary.runs)
        if (labels.includes(run.stepLabel)) run.client = { ...run.client, verdict: 'client-bound', reasons: ['event loop delay p99 40 ms'] }
      writeFileSync(summaryFile, JSON.stringify(summary))
    }
    markClientBound(['throughput'])
    const read = await readMeasuredSweep(sweep, { maxRequestsPerPoint: 100 })
    expect(read.points.map((p) => p.label)).toEqual(summary.runs.map((r) => r.stepLabel).filter((label) => label !== 'throughput'))
    expect(read.notes.join('\n')).toMatch(/throughput: left out of the fit: the client's self-check says client-bound \(event loop delay p99 40 ms\)/)
    markClientBound(['throughput', 'synchronous'])
    const out = join(work, 'client-bound.yaml')
    expect(expectOneLineError(await runCli(['sim', 'fit', '--from', sweep, '--profile', BASE, '--out', out]))).toMatch(
      /1 step\(s\) the client measured cleanly .* a fit needs at least 2/,
    )
    expect(existsSync(out)).toBe(false)
  })
})
