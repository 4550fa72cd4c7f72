import type { CatalogValidation } from '../../../pricing/catalog.js'
import { STALE_AFTER_DAYS } from '../../../pricing/fx.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'
import * as parse from '../../flags/parsers.js'
import { boolean, defineFlags, oclifFlags, readFlags, string, value } from '../../flags/table.js'

/** `geopat catalog validate`'s flags (the files are its arguments). */
const VALIDATE_FLAGS = defineFlags({
  builtin: boolean({ allowNo: true, default: true, description: 'check your files against the built-in ones for clashing ids (--no-builtin: alone)' }),
  'max-age-days': value(parse.integer, { description: 'warn about prices older than this many days', default: String(STALE_AFTER_DAYS) }),
  'as-of': string({ description: 'date the ages are counted to, YYYY-MM-DD (default today)' }),
})

export default class CatalogValidate extends GeopatCommand {
  static override summary = 'Validate catalog and FX files (yours, or the built-in ones)'
  static override description =
    'Checks each file against the catalog or FX schema (told apart by content: an FX file has rates:), and that ' +
    'row ids are unique across your files and the built-in ones. Prints row counts; stale prices and currencies ' +
    'with no FX path to USD are warnings on stderr and do not fail. An invalid file exits 2 with one line naming ' +
    'the file, the field path and the rule.'

  static override examples = ['<%= config.bin %> catalog validate', '<%= config.bin %> catalog validate my-quotes.yaml my-rates.yaml --as-of 2026-11-01']

  // Any number of files.
  static override strict = false

  static override flags = oclifFlags(VALIDATE_FLAGS)

  async run(): Promise<CatalogValidation> {
    const { argv, flags } = await this.parse(CatalogValidate)
    const values = readFlags(VALIDATE_FLAGS, flags)
    if (values['max-age-days'] < 1) throw new UserError('--max-age-days: must be an integer >= 1')
    const files = argv.map(String)
    const unknownFlag = files.find((file) => file.startsWith('-'))
    if (unknownFlag !== undefined) throw new UserError(`Nonexistent flag: ${unknownFlag}`)
    const { parseAsOf } = await import('../../../pricing/catalog.js')
    const { formatValidation, warningLines } = await import('../../render/catalog.js')
    const { validateCatalog } = await import('../../../app/catalog.js')
    const result = validateCatalog({ files, builtIn: values.builtin, asOf: parseAsOf(values['as-of'], '--as-of'), maxAgeDays: values['max-age-days'] })
    if (!this.jsonEnabled()) {
      this.log(formatValidation(result))
      for (const line of warningLines(result)) this.logToStderr(line)
    }
    return result
  }
}
