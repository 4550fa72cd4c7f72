import { Flags, type Interfaces } from '@oclif/core'
import { type FlagTable, oclifFlags } from './table.js'

/**
 * The oclif flags of a table, where a repeated flag with `options` accepts only those words (oclif
 * lists them in --help and refuses another one, naming them): oclifFlags gives a repeated flag no
 * options (geopat catalog refresh --source needs them).
 */
export function oclifFlagsWithListOptions(table: FlagTable): Interfaces.FlagInput {
  const flags = oclifFlags(table)
  for (const [name, def] of Object.entries(table)) {
    if (def.kind !== 'list' || def.options === undefined) continue
    flags[name] = Flags.string({ description: def.description, multiple: true, options: [...def.options], ...(def.required ? { required: true } : {}) })
  }
  return flags
}
