import { OptionMessageError } from '../../util/option-error.js'
import { UserError } from '../../util/errors.js'
import { type FlagTable, flagForIssue } from './table.js'

/**
 * Runs a use case; an OptionMessageError it throws (a message that names options by their key, `{retries}`)
 * comes out as the one-line error the user reads, each option named as the flag of `table` whose
 * path it is (`--retries`), else the flag of no path whose name is the key's kebab form (`ccEndpoint`:
 * `--cc-endpoint`); a key no flag names is named as itself.
 */
export async function withFlagNames<T>(table: FlagTable, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof OptionMessageError)
      throw new UserError(
        error.naming((option) => flagForIssue(table, option.split('.')) ?? flagNamed(table, option) ?? option),
        error.exitCode,
      )
    throw error
  }
}

/** The flag of `table` with no scenario path that is named after `option` (`ccEndpoint` → `--cc-endpoint`). */
function flagNamed(table: FlagTable, option: string): string | undefined {
  const name = option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
  return table[name] !== undefined && table[name].path === undefined ? `--${name}` : undefined
}
