import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(REPO_ROOT, 'bin', 'run.js')

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (dist/, built by `npm test` before vitest) as a user would. */
export async function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    cwd: REPO_ROOT,
    reject: false,
    env: { ...options.env, CI: '1', GEOPAT_DEBUG: '' },
    timeout: options.timeoutMs ?? 60_000,
    stdin: 'ignore',
  })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

/** The one-line error contract: non-zero exit, one line on stderr, no stack trace. */
export function expectOneLineError(result: CliResult): string {
  if (result.exitCode === 0) throw new Error(`expected a failure, got exit 0: ${result.stdout}`)
  const lines = result.stderr.split('\n').filter((l) => l.trim().length > 0 && !l.includes('nodedir'))
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${result.stderr}`)
  if (/\n\s+at /.test(result.stderr)) throw new Error(`stack trace on stderr:\n${result.stderr}`)
  return lines[0] as string
}
