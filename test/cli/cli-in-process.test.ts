import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliResult, runCli } from '../helpers/cli.js'

/**
 * The integration project runs the CLI in-process (test/helpers/cli-in-process.ts); these cases hold
 * that path to the binary's: the same exit code, stdout and stderr (Node's warnings included, the
 * process id aside) for oclif's own exits (help, --version, a command that is not there), a flag
 * oclif refuses, a file geopat refuses, and a JSON result.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-cli-in-process-'))
const badScenario = join(work, 'bad.yaml')
writeFileSync(badScenario, 'endpoints:\n  - label: a\n    url: http://127.0.0.1:9\nload: { concurency: 2 }\n')

const CASES: string[][] = [
  ['no-such-command'],
  ['--version'],
  ['tco', '--help'],
  ['version', '--json'],
  ['bench', '--url', 'http://127.0.0.1:9', '--concurency', '3'],
  ['bench', '--scenario', badScenario],
  ['catalog', 'show', 'no-such-row'],
]

const withoutPid = (result: CliResult): CliResult => ({ ...result, stderr: result.stderr.replace(/^\(node:\d+\)/gm, '(node:PID)') })

describe('the CLI run in-process gives what the binary gives', () => {
  it.each(CASES)('geopat %s', async (...args) => {
    const inProcess = await runCli(args)
    const binary = await runCli(args, { process: true })
    expect(withoutPid(inProcess)).toEqual(withoutPid(binary))
  })

  it('leaves no listener on stdout behind: a dozen calls in one worker print what the binary prints, no MaxListenersExceededWarning', async () => {
    // oclif's flush adds a 'drain' listener to stdout and leaves it when the write needs no drain: one
    // per call, which a process of its own drops when it ends; the eleventh in one worker made Node warn.
    const before = process.stdout.listenerCount('drain')
    const binary = await runCli(['--version'], { process: true })
    for (let call = 0; call < 12; call++) expect(await runCli(['--version'])).toEqual(binary)
    expect(process.stdout.listenerCount('drain')).toBe(before)
  })
})
