import { Flags } from '@oclif/core'
import type { CatalogListResult } from '../../../pricing/catalog.js'
import { STALE_AFTER_DAYS } from '../../../pricing/fx.js'
import { sealLevelSchema } from '../../../io/schema/catalog.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'

export default class CatalogList extends GeopatCommand {
  static override summary = 'List catalog prices in one currency, filtered, with staleness warnings'
  static override description = `Prices come from the built-in catalog (data/catalog/*.yaml: hyperscalers, EU GPU clouds, token APIs, owner-TCO references, all from shared/reference/economics.md) and your own files (--catalog). GPU rows are shown per GPU-hour (an instance's price divided by its GPUs), token APIs per million input / output tokens, all converted to --currency with the dated FX table (data/fx/*.yaml, or --fx); a missing rate is an error, never a silent mix. Rows older than --max-age-days are listed with a warning on stderr. SEAL levels are geopat's assessment from the EC Cloud Sovereignty Framework, not a certification.`

  static override examples = [
    '<%= config.bin %> catalog list',
    '<%= config.bin %> catalog list --gpu H100 --min-seal SEAL-3 --currency EUR',
    '<%= config.bin %> catalog list --jurisdiction EU --cc',
    '<%= config.bin %> catalog list --catalog my-quotes.yaml --fx my-rates.yaml --as-of 2026-11-01 --json',
  ]

  static override flags = {
    catalog: Flags.string({ multiple: true, description: 'your own catalog file (YAML), or an FX file (one with rates:); repeat for several' }),
    fx: Flags.string({ multiple: true, description: 'your own FX file (rates: base, quote, rate, date, source, confidence)' }),
    builtin: Flags.boolean({ allowNo: true, default: true, description: 'load the built-in catalog and FX files (--no-builtin: only yours)' }),
    currency: Flags.string({ description: 'currency to show every price in (ISO 4217)', default: 'USD' }),
    provider: Flags.string({ description: 'only providers whose name contains this (case-insensitive)' }),
    gpu: Flags.string({ description: 'only GPUs whose model contains this (H100 matches H100 SXM, NVL, PCIe)' }),
    jurisdiction: Flags.string({ description: 'country code of the data centres or of the parent (EU: any EU member state)' }),
    'min-seal': Flags.string({ description: 'only rows at this sovereignty level or above', options: sealLevelSchema.options }),
    cc: Flags.boolean({ description: 'only confidential-computing capable rows' }),
    kind: Flags.string({ description: 'only this kind of row', options: ['gpu-rental', 'token-api', 'owned'] }),
    'pricing-model': Flags.string({ description: 'only this pricing model', options: ['on-demand', '1-yr', '3-yr', 'spot'] }),
    'max-age-days': Flags.integer({ description: 'warn about prices older than this many days', default: STALE_AFTER_DAYS }),
    'as-of': Flags.string({ description: 'date the ages are counted to, YYYY-MM-DD (default today)' }),
  }

  async run(): Promise<CatalogListResult> {
    const { flags } = await this.parse(CatalogList)
    if (flags['max-age-days'] < 1) throw new UserError('--max-age-days: must be an integer >= 1')
    const jurisdiction = flags.jurisdiction?.trim().toUpperCase()
    if (jurisdiction !== undefined && !/^[A-Z]{2}$/.test(jurisdiction)) throw new UserError(`--jurisdiction: "${flags.jurisdiction}" must be a two-letter country code such as DE or US, or EU`)
    const { formatCatalogList, parseAsOf, parseCurrency, warningLines } = await import('../../../pricing/catalog.js')
    const { listCatalogPrices } = await import('../../../app/catalog.js')
    const result = listCatalogPrices({
      catalogFiles: flags.catalog ?? [],
      fxFiles: flags.fx ?? [],
      builtIn: flags.builtin,
      currency: parseCurrency(flags.currency),
      asOf: parseAsOf(flags['as-of']),
      maxAgeDays: flags['max-age-days'],
      filter: {
        ...(flags.provider !== undefined ? { provider: flags.provider } : {}),
        ...(flags.gpu !== undefined ? { gpu: flags.gpu } : {}),
        ...(jurisdiction !== undefined ? { jurisdiction } : {}),
        ...(flags['min-seal'] !== undefined ? { minSeal: sealLevelSchema.parse(flags['min-seal']) } : {}),
        ...(flags.cc ? { confidentialComputing: true } : {}),
        ...(flags.kind !== undefined ? { kind: flags.kind as 'gpu-rental' | 'token-api' | 'owned' } : {}),
        ...(flags['pricing-model'] !== undefined ? { pricingModel: flags['pricing-model'] as 'on-demand' | '1-yr' | '3-yr' | 'spot' } : {}),
      },
    })
    if (!this.jsonEnabled()) {
      this.log(formatCatalogList(result))
      for (const line of warningLines(result)) this.logToStderr(line)
    }
    return result
  }
}
