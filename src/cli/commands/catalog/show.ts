import { Args, Flags } from '@oclif/core'
import type { CatalogShowResult } from '../../../app/catalog.js'
import { GeopatCommand } from '../../../util/base-command.js'

export default class CatalogShow extends GeopatCommand {
  static override summary = 'Show one catalog row in full, with its source, date, confidence and file'

  static override examples = ['<%= config.bin %> catalog show nebius-h100-eu-north1', '<%= config.bin %> catalog show scaleway-h100-pcie-fr-par-2 --currency USD']

  static override args = { id: Args.string({ description: 'row id (see geopat catalog list)', required: true }) }

  static override flags = {
    catalog: Flags.string({ multiple: true, description: 'your own catalog file (YAML), or an FX file (one with rates:); repeat for several' }),
    fx: Flags.string({ multiple: true, description: 'your own FX file' }),
    builtin: Flags.boolean({ allowNo: true, default: true, description: 'load the built-in catalog and FX files (--no-builtin: only yours)' }),
    currency: Flags.string({ description: 'also show the price converted to this currency (ISO 4217)' }),
  }

  async run(): Promise<CatalogShowResult> {
    const { args, flags } = await this.parse(CatalogShow)
    const { formatCatalogEntry, parseCurrency } = await import('../../../pricing/catalog.js')
    const { showCatalogRow } = await import('../../../app/catalog.js')
    const currency = flags.currency !== undefined ? parseCurrency(flags.currency) : undefined
    const { row, warnings } = showCatalogRow({ id: args.id, catalogFiles: flags.catalog ?? [], fxFiles: flags.fx ?? [], builtIn: flags.builtin, ...(currency !== undefined ? { currency } : {}) })
    if (!this.jsonEnabled()) {
      this.log(formatCatalogEntry(row, row.inCurrency))
      for (const warning of warnings) this.logToStderr(`warning: ${warning}`)
    }
    return row
  }
}
