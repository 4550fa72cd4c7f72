import type { Interfaces } from '@oclif/core'
import { GeopatCommand } from '../util/base-command.js'
import { UserError } from '../util/errors.js'
import { type FlagTable, type FlagValues, oclifFlags, readFlags } from './flags/table.js'

/** What a command gets besides its flags: its named arguments (`Args`: their names) and, for a command that is not strict, every word given. */
export interface CommandLine<Args extends string = never> {
  readonly args: Readonly<Record<Args, string>>
  readonly argv: readonly string[]
}

/**
 * The base of a command whose flags are one table (./flags/table.ts): the oclif flags come from the
 * table, and run() reads the command line through it, so a command names its table once and
 * implements `execute` with the typed values. `toOclif` turns the table into oclif flags where a
 * command adds flags of its own (catalog refresh's --list-options).
 */
export function withFlagTable<T extends FlagTable>(table: T, toOclif: (table: T) => Interfaces.FlagInput = oclifFlags) {
  abstract class FlagTableCommand extends GeopatCommand {
    static override flags = toOclif(table)

    async run(): Promise<unknown> {
      const { args, argv, flags } = await this.parse()
      const words = argv.map(String)
      // A command that takes any number of words (strict = false) is handed the flags oclif does not know among
      // them: refuse those as oclif refuses them for every other command.
      const unknownFlag = (this.constructor as { strict?: boolean }).strict === false ? words.find((word) => word.startsWith('-')) : undefined
      if (unknownFlag !== undefined) throw new UserError(`Nonexistent flag: ${unknownFlag}`)
      return this.execute(readFlags(table, flags), { args, argv: words })
    }

    /** The command itself: the flags' values, typed by the table; what it returns is the --json output. */
    protected abstract execute(values: FlagValues<T>, line: CommandLine): Promise<unknown>
  }
  return FlagTableCommand
}
