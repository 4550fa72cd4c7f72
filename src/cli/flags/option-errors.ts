import { OptionError } from '../../app/option-error.js'
import { UserError } from '../../util/errors.js'

/**
 * Runs a use case; an OptionError it throws (a message that names options by their key, `{retries}`)
 * comes out as the one-line error the user reads, each option named as its flag (`--retries`).
 * `flagOf` maps an option key to its flag's name; a key it lacks is named as itself.
 */
export async function withFlagNames<T>(flagOf: Readonly<Record<string, string>>, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof OptionError) throw new UserError(error.naming((option) => `--${flagOf[option] ?? option}`), error.exitCode)
    throw error
  }
}
