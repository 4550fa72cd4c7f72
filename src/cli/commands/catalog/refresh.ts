import { Flags } from '@oclif/core'
import type { RefreshCommandResult } from '../../../app/catalog-refresh.js'
import { withFlagNames } from '../../flags/option-errors.js'
import { SOURCE_NAMES } from '../../../pricing/refresh/sources.js'
import { GeopatCommand } from '../../../util/base-command.js'
import { UserError } from '../../../util/errors.js'

export default class CatalogRefresh extends GeopatCommand {
  static override summary = "Fetch current prices from the providers' price sources into a dated catalog file of yours"
  static override description = `Fetches GPU prices from the providers' public price sources (Azure Retail Prices, AWS Price List, Google Cloud Billing Catalog with an API key from the environment) and the ECB's reference rates, maps them with the mapping table (data/price-sources/*.yaml, plus --mapping), and writes one catalog file (default catalog/prices-YYYY-MM-DD.yaml in the working directory; never the built-in data/catalog). Use it with --catalog FILE. Sources run at once; a source that fails is one line and contributes nothing while the others are written (exit 0 with a warning; --strict: exit 1, nothing written); every source failed: exit 1, nothing written. HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured. --from-file SOURCE=PATH reads a price file downloaded elsewhere (air-gapped sites); --save-responses DIR saves every download in that form, and --from-dir DIR reads such a folder back; --print-requests prints a curl script of the same downloads for sites that cannot run geopat on their connected side. --dry-run writes nothing and shows the diff against the current catalog.`

  static override examples = [
    '<%= config.bin %> catalog refresh',
    '<%= config.bin %> catalog refresh --source azure --region westeurope --region swedencentral --dry-run',
    '<%= config.bin %> catalog refresh --from-file azure=azure-pages.jsonl --from-file aws=eu-north-1/index.csv --from-file aws=us-east-1/index.csv --out prices.yaml',
    '<%= config.bin %> catalog refresh --save-responses prices-download/ --out prices.yaml',
    '<%= config.bin %> catalog refresh --from-dir prices-download/ --out prices.yaml',
    '<%= config.bin %> catalog refresh --source-url azure=https://prices-mirror.example.internal/api/retail/prices --timeout 60 --retries 6',
  ]

  static override flags = {
    source: Flags.string({ multiple: true, options: [...SOURCE_NAMES], description: 'refresh only this source (repeat for several; default: all)' }),
    'source-url': Flags.string({ multiple: true, description: "SOURCE=URL: the source's API base URL in place of the provider's (a mirror)" }),
    'from-dir': Flags.string({ description: 'read a folder written by --save-responses (its manifest.json names the files): the rows are the ones the download gave, URLs and fetch times included' }),
    'save-responses': Flags.string({ description: 'a new or empty folder: each source that calls its API also saves what it downloaded there, in the form --from-file reads, with manifest.json and README.txt (carry it to an air-gapped machine, then --from-dir)' }),
    'print-requests': Flags.boolean({ description: 'print, and fetch nothing, a sh script (curl, jq) that downloads what the refresh would (honours --source, --region, --mapping, --source-url) into the files --from-file reads: for sites that cannot run geopat on their connected side' }),
    'from-file': Flags.string({ multiple: true, description: 'SOURCE=PATH: read this price file (downloaded elsewhere) instead of the API; repeat for several sources or files (AWS: one per region); alone, refreshes only the sources named' }),
    region: Flags.string({ multiple: true, description: "only this provider region (the mapping's id or display name; repeat for several)" }),
    mapping: Flags.string({ multiple: true, description: 'your own mapping file (skus/regions/providers), merged over the built-in table' }),
    out: Flags.string({ description: 'file to write (default catalog/prices-YYYY-MM-DD.yaml in the working directory)' }),
    overwrite: Flags.boolean({ description: 'replace --out if it exists' }),
    'dry-run': Flags.boolean({ description: 'write nothing; show the diff against the current catalog (built-in + --catalog)' }),
    catalog: Flags.string({ multiple: true, description: 'with --dry-run: your catalog file to compare with as well (repeatable)' }),
    strict: Flags.boolean({ description: 'any failed source fails the command (exit 1) and nothing is written' }),
    timeout: Flags.integer({ description: 'seconds to wait to connect, for the headers, and between body chunks', default: 30 }),
    retries: Flags.integer({ description: 'retries after the first try (429, 5xx, resets, timeouts), with backoff and Retry-After', default: 4 }),
    verbose: Flags.boolean({ description: "print the sources' progress (pages fetched, files read) on stderr" }),
  }

  async run(): Promise<RefreshCommandResult | { script: string }> {
    const { flags } = await this.parse(CatalogRefresh)
    if (flags['print-requests']) {
      const fetching = (['from-file', 'from-dir', 'save-responses', 'out', 'dry-run', 'catalog', 'strict'] as const).filter((name) => flags[name] !== undefined && flags[name] !== false)
      if (fetching.length > 0) throw new UserError(`--print-requests prints the download script and fetches nothing: give it without --${fetching.join(', --')}`)
      const { printRequestsScript } = await import('../../../app/catalog-refresh.js')
      const script = printRequestsScript({ sources: flags.source ?? [], regions: flags.region ?? [], mappingFiles: flags.mapping ?? [], sourceUrls: flags['source-url'] ?? [] })
      if (!this.jsonEnabled()) this.log(script)
      return { script }
    }
    const human = !this.jsonEnabled()
    const { runCatalogRefresh } = await import('../../../app/catalog-refresh.js')
    return withFlagNames(FLAG_OF_OPTION, () => runCatalogRefresh(
      {
        sources: flags.source ?? [],
        sourceUrls: flags['source-url'] ?? [],
        fromFiles: flags['from-file'] ?? [],
        ...(flags['from-dir'] !== undefined ? { fromDir: flags['from-dir'] } : {}),
        ...(flags['save-responses'] !== undefined ? { saveResponses: flags['save-responses'] } : {}),
        regions: flags.region ?? [],
        mappingFiles: flags.mapping ?? [],
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        overwrite: flags.overwrite,
        dryRun: flags['dry-run'],
        catalogFiles: flags.catalog ?? [],
        strict: flags.strict,
        timeoutSeconds: flags.timeout,
        retries: flags.retries,
      },
      {
        print: (line) => human && this.log(line),
        warn: (line) => human && this.logToStderr(line),
        ...(flags.verbose ? { progress: (line: string) => this.logToStderr(line) } : {}),
      },
    ))
  }
}

/** The flag of each option of the refresh (RefreshCommandInput), for its one-line errors. */
const FLAG_OF_OPTION: Record<string, string> = {
  sources: 'source',
  sourceUrls: 'source-url',
  fromFiles: 'from-file',
  fromDir: 'from-dir',
  saveResponses: 'save-responses',
  regions: 'region',
  mappingFiles: 'mapping',
  dryRun: 'dry-run',
  catalogFiles: 'catalog',
  timeoutSeconds: 'timeout',
}
