import { UserError } from '../util/errors.js'

const OPTION = /\{(\w+)\}/g

/**
 * Bad input that a use case can only see once it runs (a file's content against an option, two
 * options that clash): its message names each option by its key in braces, `{slo}`. The use case
 * does not know the command line: the cli names each option as its flag (`--slo`, see
 * src/cli/flags/option-names.ts); any other caller reads the key itself (`slo`).
 */
export class OptionError extends UserError {
  readonly template: string

  constructor(template: string, exitCode = 2) {
    super(template.replace(OPTION, '$1'), exitCode)
    this.name = 'OptionError'
    this.template = template
  }

  /** The message with each option named by `name` (its key → what the reader knows it as). */
  naming(name: (option: string) => string): string {
    return this.template.replace(OPTION, (_, option: string) => name(option))
  }
}

/** Runs `work`; a UserError it throws whose message names an option in braces (`{price} id: …`) becomes an OptionError. */
export function asOptionError<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof UserError && !(error instanceof OptionError) && /\{\w+\}/.test(error.message)) throw new OptionError(error.message, error.exitCode)
    throw error
  }
}
