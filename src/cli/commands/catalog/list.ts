import type { CatalogListRequest } from '../../../app/catalog.js'
import type { CatalogListResult } from '../../../pricing/catalog.js'
import { sealLevelSchema } from '../../../io/schema/catalog.js'
import { withFlagTable } from '../../flag-table-command.js'
import { UserError } from '../../../util/errors.js'
import type * as parse from '../../flags/parsers.js'
import { texts } from '../../flags/parsers.js'
import { PRICE_AGE_FLAGS, priceAgeFromFlags } from '../../flags/price-age.js'
import { applyFlags, boolean, choice, defineFlags, type FlagValues, repeated, string, value } from '../../flags/table.js'

/** A country code (DE, US) or EU, in capitals. */
const jurisdiction: parse.Parser<string> = (text) => {
  const code = text.trim().toUpperCase()
  if (!/^[A-Z]{2}$/.test(code)) throw new UserError(`"${text}" must be a two-letter country code such as DE or US, or EU`)
  return code
}

/** `geopat catalog list`'s flags: each sets a field of the listing's request (CatalogListRequest) but --currency and --as-of, which the command parses. */
const LIST_FLAGS = defineFlags({
  catalog: repeated(texts, { description: 'your own catalog file (YAML), or an FX file (one with rates:); repeat for several', path: 'catalogFiles' }),
  fx: repeated(texts, { description: 'your own FX file (rates: base, quote, rate, date, source, confidence)', path: 'fxFiles' }),
  builtin: boolean({ allowNo: true, default: true, description: 'load the built-in catalog and FX files (--no-builtin: only yours)', path: 'builtIn' }),
  currency: string({ description: 'currency to show every price in (ISO 4217)', default: 'USD' }),
  provider: string({ description: 'only providers whose name contains this (case-insensitive)', path: 'filter.provider' }),
  gpu: string({ description: 'only GPUs whose model contains this (H100 matches H100 SXM, NVL, PCIe)', path: 'filter.gpu' }),
  jurisdiction: value(jurisdiction, {
    description: 'country code of the data centres or of the parent (EU: any EU member state)',
    path: 'filter.jurisdiction',
  }),
  'min-seal': choice(sealLevelSchema.options, { description: 'only rows at this sovereignty level or above', path: 'filter.minSeal' }),
  cc: boolean({ description: 'only confidential-computing capable rows', path: 'filter.confidentialComputing' }),
  kind: choice(['gpu-rental', 'token-api', 'owned'], { description: 'only this kind of row', path: 'filter.kind' }),
  'pricing-model': choice(['on-demand', '1-yr', '3-yr', 'spot'], { description: 'only this pricing model', path: 'filter.pricingModel' }),
  ...PRICE_AGE_FLAGS,
})

export default class CatalogList extends withFlagTable(LIST_FLAGS) {
  static override summary = 'List catalog prices in one currency, filtered, with staleness warnings'
  static override description =
    'Prices come from the built-in catalog (data/catalog/*.yaml: hyperscalers, EU GPU clouds, token APIs, ' +
    'owner-TCO references, all from shared/reference/economics.md) and your own files (--catalog). GPU rows are ' +
    `shown per GPU-hour (an instance's price divided by its GPUs), token APIs per million input / output tokens, ` +
    'all converted to --currency with the dated FX table (data/fx/*.yaml, or --fx); a missing rate is an error, ' +
    'never a silent mix. Rows older than --max-age-days are listed with a warning on stderr. SEAL levels are ' +
    `geopat's assessment from the EC Cloud Sovereignty Framework, not a certification.`

  static override examples = [
    '<%= config.bin %> catalog list',
    '<%= config.bin %> catalog list --gpu H100 --min-seal SEAL-3 --currency EUR',
    '<%= config.bin %> catalog list --jurisdiction EU --cc',
    '<%= config.bin %> catalog list --catalog my-quotes.yaml --fx my-rates.yaml --as-of 2026-11-01 --json',
  ]

  protected async execute(values: FlagValues<typeof LIST_FLAGS>): Promise<CatalogListResult> {
    const priceAge = await priceAgeFromFlags(values)
    const { parseCurrency } = await import('../../../pricing/catalog.js')
    const { formatCatalogList, warningLines } = await import('../../render/catalog.js')
    const { listCatalogPrices } = await import('../../../app/catalog.js')
    const request = applyFlags(LIST_FLAGS, values, { filter: {} }) as unknown as CatalogListRequest
    const result = listCatalogPrices({
      ...request,
      currency: parseCurrency(values.currency, '--currency'),
      ...priceAge,
    })
    if (!this.jsonEnabled()) {
      this.log(formatCatalogList(result))
      for (const line of warningLines(result)) this.logToStderr(line)
    }
    return result
  }
}
