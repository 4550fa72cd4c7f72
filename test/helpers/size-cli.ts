import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { type SizingResult, sizingResultSchema } from '../../src/io/schema/sizing.js'
import { type CliResult, runCli } from './cli.js'

/**
 * `geopat size` searching a simulator profile for the request shape the sizing tests share: 512
 * prompt tokens, 128 output tokens, SLO ttft=1000,tpot=20, at `peakRps`; `more` are the test's own flags.
 */
export function sizeOnProfile(profile: string, peakRps: number, more: string[]): Promise<CliResult> {
  return runCli([
    'size',
    '--profile',
    profile,
    '--input-tokens',
    '512',
    '--output-tokens',
    '128',
    '--slo',
    'ttft=1000,tpot=20',
    '--peak-rps',
    String(peakRps),
    ...more,
  ])
}

/** A `geopat size --json` run that succeeded, and the sizing it printed. */
export function printedSizing(result: CliResult): SizingResult {
  expect(result.exitCode).toBe(0)
  return sizingResultSchema.parse(JSON.parse(result.stdout))
}

/** The sizing.json a `geopat size --out DIR` run wrote. */
export function writtenSizing(outDir: string): SizingResult {
  return sizingResultSchema.parse(JSON.parse(readFileSync(join(outDir, 'sizing.json'), 'utf8')))
}

/** `geopat report --from DIR --out FILE`, which must succeed, and the HTML it wrote. */
export async function reportHtml(from: string, file: string): Promise<string> {
  const report = await runCli(['report', '--from', from, '--out', file])
  expect(report.exitCode, report.stderr).toBe(0)
  return readFileSync(file, 'utf8')
}
