import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { inProcessBusy, runCliInProcess } from './cli-in-process.js'
import { guardChildEnv } from './loopback-guard.js'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(REPO_ROOT, 'bin', 'run.js')

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Runs the built CLI (dist/, built by `npm test` before vitest) as a user would, with `env` over
 * this process's environment. Where vitest.config.ts sets GEOPAT_TEST_CLI=in-process (the
 * integration project) it runs in this process (test/helpers/cli-in-process.ts: the same exit code,
 * stdout and stderr, without ~0.3 s of CPU per start), except when another call is running here
 * (calls that overlap need processes of their own) or `process: true` asks for the binary: tests of
 * signals, stdin or several CLIs at once, and those that hold the error contract to the binary.
 * An env with NODE_OPTIONS (a module loaded at start) gets a process too: only a new process reads it.
 * While the loopback guard is live in this process (test/helpers/loopback-guard.ts: the S3 tests'),
 * the in-process CLI is under it, and `guardChildEnv` puts it into the binary's environment and the
 * in-process call's, so that the processes either starts (bench --sim's simulator) load it too.
 */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = { ...guardChildEnv(), ...options.env, CI: '1', GEOPAT_DEBUG: '' }
  const timeoutMs = options.timeoutMs ?? 60_000
  const needsProcess = options.process || servesSimulator(args) || options.env?.NODE_OPTIONS !== undefined
  const inProcess = process.env.GEOPAT_TEST_CLI === 'in-process' && !needsProcess && !inProcessBusy()
  if (!inProcess) return runCliProcess(args, env, timeoutMs)
  return runCliInProcess(args, env, timeoutMs)
}

export interface CliOptions {
  env?: Record<string, string>
  timeoutMs?: number
  /** Start bin/run.js in a process of its own even where the project runs the CLI in-process. */
  process?: boolean
}

/**
 * `geopat sim` serving (not --virtual, fit or calibrate) watches its parent through the IPC channel
 * when it has one (src/sim/signals.ts): a vitest worker has one, a user's shell does not, so it
 * always gets a process of its own.
 */
const servesSimulator = (args: string[]): boolean => args[0] === 'sim' && !args.includes('--virtual') && args[1] !== 'fit' && args[1] !== 'calibrate'

async function runCliProcess(args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], { cwd: REPO_ROOT, reject: false, env, timeout: timeoutMs, stdin: 'ignore' })
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
