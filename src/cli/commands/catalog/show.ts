import { Args, Flags } from '@oclif/core'
import { type CatalogEntry, type ListedRow, formatCatalogEntry, listCatalog, loadCatalog, notInForce, parseCurrency, similarIds, staleRows } from '../../../pricing/catalog.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'

type ShowResult = CatalogEntry & { inCurrency?: ListedRow['inCurrency'] }

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

  async run(): Promise<ShowResult> {
    const { args, flags } = await this.parse(CatalogShow)
    const currency = flags.currency !== undefined ? parseCurrency(flags.currency) : undefined
    const catalog = loadCatalog({ files: flags.catalog ?? [], fxFiles: flags.fx ?? [], builtIn: flags.builtin })
    const row = catalog.byId(args.id)
    if (!row) {
      const similar = similarIds(catalog, args.id)
      throw new UserError(`no catalog row with id "${args.id}"${similar.length > 0 ? `; similar: ${similar.join(', ')}` : ''} (geopat catalog list shows every id)`)
    }
    let result: ShowResult = row
    if (currency !== undefined) {
      const listed = listCatalog({ ...catalog, rows: [row] }, { currency, asOf: new Date() }).rows[0]
      if (listed) result = { ...row, inCurrency: listed.inCurrency }
    }
    if (!this.jsonEnabled()) {
      this.log(formatCatalogEntry(row, result.inCurrency))
      for (const warning of [notInForce(row, new Date()) ?? [], staleRows([row], { asOf: new Date() })].flat()) this.logToStderr(`warning: ${warning.message}`)
    }
    return result
  }
}
