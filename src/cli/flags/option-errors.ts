import { OptionMessageError } from '../../app/option-error.js'
import { UserError } from '../../util/errors.js'
import { type FlagTable, flagForIssue } from './table.js'

/**
 * Runs a use case; an OptionMessageError it throws (a message that names options by their key, `{retries}`)
 * comes out as the one-line error the user reads, each option named as the flag of `table` whose
 * path it is (`--retries`); a key no flag sets is named as itself.
 */
export async function withFlagNames<T>(table: FlagTable, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof OptionMessageError)
      throw new UserError(
        error.naming((option) => flagForIssue(table, option.split('.')) ?? option),
        error.exitCode,
      )
    throw error
  }
}
