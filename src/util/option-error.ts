import { UserError } from './errors.js'

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

const OPTION = /\{([\w.]+)\}/g

/**
 * An OptionError whose message names one or more options, each where it falls
 * in the sentence, by its key in braces: `{fromDir} saved/ and {fromFiles} aws=…: aws is in both`.
 * The use case (or domain code) does not know the command line: the cli names each option as its flag (`--from-dir`,
 * src/cli/flags/option-errors.ts); any other caller reads the key itself (`fromDir`). `option` is
 * the first option named.
 */
export class OptionMessageError extends OptionError {
  readonly template: string

  constructor(template: string, exitCode = 2) {
    const first = /\{([\w.]+)\}/.exec(template)?.[1] ?? ''
    super(first, template.replace(OPTION, '$1'))
    this.name = 'OptionMessageError'
    this.message = template.replace(OPTION, '$1')
    this.template = template
    ;(this as { exitCode: number }).exitCode = exitCode
  }

  /** The message with each option named by `name` (its key → what the reader knows it as). */
  naming(name: (option: string) => string): string {
    return this.template.replace(OPTION, (_, option: string) => name(option))
  }
}

/** Runs `work`; a UserError it throws whose message names an option in braces (`{price} id: …`) becomes an OptionMessageError. */
export function asOptionError<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof UserError && !(error instanceof OptionError) && /\{\w+\}/.test(error.message))
      throw new OptionMessageError(error.message, error.exitCode)
    throw error
  }
}
