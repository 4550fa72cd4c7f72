import type { RefreshCommandInput, RefreshCommandResult } from '../../../app/catalog-refresh.js'
import { SOURCE_NAMES } from '../../../pricing/refresh/sources.js'
import { withFlagTable } from '../../flag-table-command.js'
import { UserError } from '../../../util/errors.js'
import { oclifFlagsWithListOptions } from '../../flags/list-options.js'
import { withFlagNames } from '../../flags/option-errors.js'
import * as parse from '../../flags/parsers.js'
import { texts } from '../../flags/parsers.js'
import { applyFlags, boolean, defineFlags, type FlagValues, repeated, string, value } from '../../flags/table.js'

/** `geopat catalog refresh`'s flags: each sets a field of the refresh's input (RefreshCommandInput), whose defaults it holds. */
const REFRESH_FLAGS = defineFlags({
  source: repeated(texts, { options: SOURCE_NAMES, description: 'refresh only this source (repeat for several; default: all)', path: 'sources' }),
  'source-url': repeated(texts, { description: "SOURCE=URL: the source's API base URL in place of the provider's (a mirror)", path: 'sourceUrls' }),
  'from-dir': string({
    description:
      'read a folder written by --save-responses (its manifest.json names the files): the rows are the ones the download gave, URLs and fetch times included',
    path: 'fromDir',
  }),
  'save-responses': string({
    description:
      'a new or empty folder: each source that calls its API also saves what it downloaded there, in the form ' +
      '--from-file reads, with manifest.json and README.txt (carry it to an air-gapped machine, then --from-dir)',
    path: 'saveResponses',
  }),
  'print-requests': boolean({
    description:
      'print, and fetch nothing, a sh script (curl, jq) that downloads what the refresh would (honours --source, ' +
      '--region, --mapping, --source-url) into the files --from-file reads: for sites that cannot run geopat on ' +
      'their connected side',
  }),
  'from-file': repeated(texts, {
    description:
      'SOURCE=PATH: read this price file (downloaded elsewhere) instead of the API; repeat for several sources or ' +
      'files (AWS: one per region); alone, refreshes only the sources named',
    path: 'fromFiles',
  }),
  region: repeated(texts, { description: "only this provider region (the mapping's id or display name; repeat for several)", path: 'regions' }),
  mapping: repeated(texts, { description: 'your own mapping file (skus/regions/providers), merged over the built-in table', path: 'mappingFiles' }),
  out: string({ description: 'file to write (default catalog/prices-YYYY-MM-DD.yaml in the working directory)', path: 'out' }),
  overwrite: boolean({ description: 'replace --out if it exists', path: 'overwrite' }),
  'dry-run': boolean({ description: 'write nothing; show the diff against the current catalog (built-in + --catalog)', path: 'dryRun' }),
  catalog: repeated(texts, { description: 'with --dry-run: your catalog file to compare with as well (repeatable)', path: 'catalogFiles' }),
  strict: boolean({ description: 'any failed source fails the command (exit 1) and nothing is written', path: 'strict' }),
  timeout: value(parse.integer, { description: 'seconds to wait to connect, for the headers, and between body chunks (default 30)', path: 'timeoutSeconds' }),
  retries: value(parse.integer, {
    description: 'retries after the first try (429, 5xx, resets, timeouts), with backoff and Retry-After (default 4)',
    path: 'retries',
  }),
  verbose: boolean({ description: "print the sources' progress (pages fetched, files read) on stderr" }),
})

export default class CatalogRefresh extends withFlagTable(REFRESH_FLAGS, oclifFlagsWithListOptions) {
  static override summary = "Fetch current prices from the providers' price sources into a dated catalog file of yours"
  static override description =
    `Fetches GPU prices from the providers' public price sources (Azure Retail Prices, AWS Price List, Google ` +
    `Cloud Billing Catalog with an API key from the environment) and the ECB's reference rates, maps them with the ` +
    'mapping table (data/price-sources/*.yaml, plus --mapping), and writes one catalog file (default ' +
    'catalog/prices-YYYY-MM-DD.yaml in the working directory; never the built-in data/catalog). Use it with ' +
    '--catalog FILE. Sources run at once; a source that fails is one line and contributes nothing while the others ' +
    'are written (exit 0 with a warning; --strict: exit 1, nothing written); every source failed: exit 1, nothing ' +
    'written. HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured. --from-file SOURCE=PATH reads a price file ' +
    'downloaded elsewhere (air-gapped sites); --save-responses DIR saves every download in that form, and ' +
    '--from-dir DIR reads such a folder back; --print-requests prints a curl script of the same downloads for ' +
    'sites that cannot run geopat on their connected side. --dry-run writes nothing and shows the diff against the ' +
    'current catalog.'

  static override examples = [
    '<%= config.bin %> catalog refresh',
    '<%= config.bin %> catalog refresh --source azure --region westeurope --region swedencentral --dry-run',
    '<%= config.bin %> catalog refresh --from-file azure=azure-pages.jsonl --from-file aws=eu-north-1/index.csv ' +
      '--from-file aws=us-east-1/index.csv --out prices.yaml',
    '<%= config.bin %> catalog refresh --save-responses prices-download/ --out prices.yaml',
    '<%= config.bin %> catalog refresh --from-dir prices-download/ --out prices.yaml',
    '<%= config.bin %> catalog refresh --source-url azure=https://prices-mirror.example.internal/api/retail/prices --timeout 60 --retries 6',
  ]

  protected async execute(values: FlagValues<typeof REFRESH_FLAGS>): Promise<RefreshCommandResult | { script: string }> {
    const input = applyFlags(REFRESH_FLAGS, values, {}) as RefreshCommandInput
    const { printRequestsScript, runCatalogRefresh } = await import('../../../app/catalog-refresh.js')
    if (values['print-requests']) {
      const fetching = (['from-file', 'from-dir', 'save-responses', 'out', 'dry-run', 'catalog', 'strict'] as const).filter(
        (name) => values[name] !== undefined && values[name] !== false,
      )
      if (fetching.length > 0)
        throw new UserError(`--print-requests prints the download script and fetches nothing: give it without --${fetching.join(', --')}`)
      const script = await withFlagNames(REFRESH_FLAGS, () => printRequestsScript(input))
      if (!this.jsonEnabled()) this.log(script)
      return { script }
    }
    const human = !this.jsonEnabled()
    return withFlagNames(REFRESH_FLAGS, () =>
      runCatalogRefresh(input, {
        print: (line) => human && this.log(line),
        warn: (line) => human && this.logToStderr(line),
        ...(values.verbose ? { progress: (line: string) => this.logToStderr(line) } : {}),
      }),
    )
  }
}
