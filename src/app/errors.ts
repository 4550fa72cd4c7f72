import { UserError } from '../util/errors.js'

/**
 * A use case's refusal of one of its options. The message names the option as the use case knows
 * it; the CLI names the flag (or file field) that gave it, from `option` and `detail`.
 */
export class OptionError<Option extends string = string> extends UserError {
  constructor(
    readonly option: Option,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`)
  }
}
