import type { CatalogValidation } from '../../../pricing/catalog.js'
import { type CommandLine, withFlagTable } from '../../flag-table-command.js'
import { PRICE_AGE_FLAGS, priceAgeFromFlags } from '../../flags/price-age.js'
import { boolean, defineFlags, type FlagValues } from '../../flags/table.js'

/** `geopat catalog validate`'s flags (the files are its arguments). */
const VALIDATE_FLAGS = defineFlags({
  builtin: boolean({ allowNo: true, default: true, description: 'check your files against the built-in ones for clashing ids (--no-builtin: alone)' }),
  ...PRICE_AGE_FLAGS,
})

export default class CatalogValidate extends withFlagTable(VALIDATE_FLAGS) {
  static override summary = 'Validate catalog and FX files (yours, or the built-in ones)'
  static override description =
    'Checks each file against the catalog or FX schema (told apart by content: an FX file has rates:), and that ' +
    'row ids are unique across your files and the built-in ones. Prints row counts; stale prices and currencies ' +
    'with no FX path to USD are warnings on stderr and do not fail. An invalid file exits 2 with one line naming ' +
    'the file, the field path and the rule.'

  static override examples = ['<%= config.bin %> catalog validate', '<%= config.bin %> catalog validate my-quotes.yaml my-rates.yaml --as-of 2026-11-01']

  // Any number of files.
  static override strict = false

  protected async execute(values: FlagValues<typeof VALIDATE_FLAGS>, { argv }: CommandLine): Promise<CatalogValidation> {
    const priceAge = await priceAgeFromFlags(values)
    const files = [...argv]
    const { formatValidation, warningLines } = await import('../../render/catalog.js')
    const { validateCatalog } = await import('../../../app/catalog.js')
    const result = validateCatalog({ files, builtIn: values.builtin, ...priceAge })
    if (!this.jsonEnabled()) {
      this.log(formatValidation(result))
      for (const line of warningLines(result)) this.logToStderr(line)
    }
    return result
  }
}
