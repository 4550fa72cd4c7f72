import { Command, Errors } from '@oclif/core'
import { UserError } from './errors.js'
import { forTerminal } from './terminal-text.js'

/**
 * Base of every geopat command: `--json` support, and one clear line (no stack trace) with a
 * non-zero exit for anything the user can fix. Unexpected errors still print one line, plus a
 * hint to re-run with GEOPAT_DEBUG=1 for the stack.
 */
export abstract class GeopatCommand extends Command {
  static override enableJsonFlag = true

  /** Human output: strings from servers (model ids, error text) cannot drive the terminal. */
  override log(message = '', ...args: unknown[]): void {
    super.log(typeof message === 'string' ? forTerminal(message, { multiline: true }) : message, ...args)
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(typeof message === 'string' ? forTerminal(message, { multiline: true }) : message, ...args)
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exits (help, version, this.exit()) pass through untouched.
    if (err instanceof Errors.ExitError) throw err
    const oclifParseError = err.oclif !== undefined && !(err instanceof UserError)
    const message = forTerminal(oneLine(err.message ?? String(err)))
    const exitCode = err instanceof UserError ? err.exitCode : oclifParseError ? 2 : 1
    if (process.env.GEOPAT_DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
    const prefix = err instanceof UserError || oclifParseError ? 'Error' : 'Internal error'
    const hint = prefix === 'Internal error' && !process.env.GEOPAT_DEBUG ? ' (set GEOPAT_DEBUG=1 for details)' : ''
    process.stderr.write(`${prefix}: ${message}${hint}\n`)
    process.exitCode = exitCode
    // Leave with the code but without oclif printing anything further.
    return this.exit(exitCode)
  }
}

function oneLine(text: string): string {
  // oclif's parse errors span lines ("Expected ... See more help with --help"); keep the first.
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  // A missing required flag reads "The following error occurred:" then "Missing required flag NAME": keep the second.
  const first = (/^The following errors? occurred:?$/.test(lines[0] ?? '') ? lines[1] : lines[0]) ?? 'unknown error'
  return first.replace(/\s+/g, ' ')
}
