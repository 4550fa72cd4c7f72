import { Args } from '@oclif/core'
import type { CatalogShowRequest, CatalogShowResult } from '../../../app/catalog.js'
import { type CommandLine, withFlagTable } from '../../flag-table-command.js'
import { texts } from '../../flags/parsers.js'
import { applyFlags, boolean, defineFlags, type FlagValues, repeated, string } from '../../flags/table.js'

/** `geopat catalog show`'s flags: each sets a field of the request (CatalogShowRequest) but --currency, which the command parses. */
const SHOW_FLAGS = defineFlags({
  catalog: repeated(texts, { description: 'your own catalog file (YAML), or an FX file (one with rates:); repeat for several', path: 'catalogFiles' }),
  fx: repeated(texts, { description: 'your own FX file', path: 'fxFiles' }),
  builtin: boolean({ allowNo: true, default: true, description: 'load the built-in catalog and FX files (--no-builtin: only yours)', path: 'builtIn' }),
  currency: string({ description: 'also show the price converted to this currency (ISO 4217)' }),
})

export default class CatalogShow extends withFlagTable(SHOW_FLAGS) {
  static override summary = 'Show one catalog row in full, with its source, date, confidence and file'

  static override examples = [
    '<%= config.bin %> catalog show nebius-h100-eu-north1',
    '<%= config.bin %> catalog show scaleway-h100-pcie-fr-par-2 --currency USD',
  ]

  static override args = { id: Args.string({ description: 'row id (see geopat catalog list)', required: true }) }

  protected async execute(values: FlagValues<typeof SHOW_FLAGS>, { args }: CommandLine<'id'>): Promise<CatalogShowResult> {
    const { parseCurrency } = await import('../../../pricing/catalog.js')
    const { formatCatalogEntry } = await import('../../render/catalog.js')
    const { showCatalogRow } = await import('../../../app/catalog.js')
    const currency = values.currency !== undefined ? parseCurrency(values.currency, '--currency') : undefined
    const request = applyFlags(SHOW_FLAGS, values, { id: args.id }) as unknown as CatalogShowRequest
    const { row, warnings } = showCatalogRow({ ...request, ...(currency !== undefined ? { currency } : {}) })
    if (!this.jsonEnabled()) {
      this.log(formatCatalogEntry(row, row.inCurrency))
      for (const warning of warnings) this.logToStderr(`warning: ${warning}`)
    }
    return row
  }
}
