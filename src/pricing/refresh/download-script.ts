import type { PriceMappingFile } from '../../io/schema/price-mapping.js'
import { AWS_PRICE_LIST_BASE_URL, SERVICE_INDEX_PATH, savedOfferFile } from './aws.js'
import { AZURE_RETAIL_PRICES_URL, azureQueryUrls } from './azure.js'
import { DAILY_PATH, SAVED_FILE as ECB_FILE } from './ecb.js'
import { GCP_API_KEY_VARIABLE, SAVED_FILE as GCP_FILE, skusPageUrl } from './gcp.js'
import { findRegion, type SourceName } from './source.js'

/**
 * `geopat catalog refresh --print-requests`: a POSIX sh script (curl and jq) that downloads, on a
 * machine that cannot run geopat, the very requests the API path makes, into the files its
 * `--from-file` reads, and ends with that command. Nothing is fetched here. The GCP key stays a
 * variable reference ("$GEOPAT_GCP_API_KEY"): its value is never printed.
 */
export interface DownloadScriptOptions {
  sources: readonly SourceName[]
  mapping: PriceMappingFile
  /** Provider regions (ids or display names); absent: every mapped region. */
  regions?: readonly string[]
  /** Mirrors in place of the providers' base URLs. */
  sourceUrls?: Partial<Record<SourceName, string>>
}

/** Azure's hand-saved pages, one a line, in paging order. */
const AZURE_HAND_SAVED_FILE = 'azure-pages.jsonl'

export function downloadScript(options: DownloadScriptOptions): string {
  const lines = [
    '#!/bin/sh',
    '# Written by geopat catalog refresh --print-requests: the requests the refresh makes, saved in the',
    '# form --from-file reads. Needs curl and jq. Run it in an empty folder, carry the folder over,',
    '# and run the command at its end there.',
    'set -eu',
  ]
  const fromFile: string[] = []
  const regionsOf = (provider: 'azure' | 'aws'): string[] => {
    const mapped = options.mapping.regions.filter((region) => region.provider === provider)
    if (!options.regions || options.regions.length === 0) return mapped.map((region) => region.region)
    return [...new Set(options.regions.flatMap((name) => findRegion(options.mapping, provider, name)?.region ?? []))]
  }
  for (const source of options.sources) {
    const base = options.sourceUrls?.[source]?.replace(/\/+$/, '')
    lines.push('')
    if (source === 'azure') {
      const urls = azureQueryUrls({ mapping: options.mapping, regions: regionsOf('azure'), baseUrl: base ?? AZURE_RETAIL_PRICES_URL })
      if (urls.length === 0) continue
      lines.push(
        '# azure: Retail Prices API, one query per region, each followed through NextPageLink; the pages one a line',
        `: > ${AZURE_HAND_SAVED_FILE}`,
        `for url in ${urls.map(shellQuote).join(' \\\n  ')}; do`,
        '  while [ -n "$url" ]; do',
        '    curl -sSf --retry 4 "$url" | jq -c . > azure-page.json',
        `    cat azure-page.json >> ${AZURE_HAND_SAVED_FILE}`,
        "    url=$(jq -r '.NextPageLink // empty' azure-page.json)",
        '  done',
        'done',
        'rm -f azure-page.json',
      )
      fromFile.push(`--from-file azure=${AZURE_HAND_SAVED_FILE}`)
    } else if (source === 'aws') {
      const regions = regionsOf('aws')
      if (regions.length === 0) continue
      const host = base ?? AWS_PRICE_LIST_BASE_URL
      lines.push(
        "# aws: Price List bulk files: service index -> EC2 region index -> each region's offer file, CSV form (hundreds of MB each)",
        `host=${shellQuote(host)}`,
        `index=$(curl -sSf --retry 4 "$host${SERVICE_INDEX_PATH}" | jq -r '.offers.AmazonEC2.currentRegionIndexUrl')`,
        'curl -sSf --retry 4 -o aws-region-index.json "$host$index"',
        `for region in ${regions.map(shellQuote).join(' ')}; do`,
        `  version=$(jq -r --arg region "$region" '.regions[$region].currentVersionUrl // empty' aws-region-index.json)`,
        '  if [ -z "$version" ]; then echo "aws: no EC2 offer file for $region" >&2; continue; fi',
        `  mkdir -p "aws/$region" && curl -sSf --retry 4 -o "${savedOfferFile('$region')}" "$host\${version%.json}.csv"`,
        'done',
        'rm -f aws-region-index.json',
      )
      fromFile.push(...regions.map((region) => `--from-file aws=${savedOfferFile(region)}`))
    } else if (source === 'gcp') {
      const host = base ?? 'https://cloudbilling.googleapis.com'
      lines.push(
        `# gcp: Cloud Billing Catalog, Compute Engine SKUs, page by page (nextPageToken); the key from $${GCP_API_KEY_VARIABLE}, sent as a header only`,
        `url=${shellQuote(skusPageUrl(host))}`,
        'page=0',
        'while :; do',
        '  page=$((page + 1))',
        `  curl -sSf --retry 4 -H "X-goog-api-key: $${GCP_API_KEY_VARIABLE}" "$url" > "gcp-page-$(printf %04d "$page").json"`,
        `  token=$(jq -r '.nextPageToken // empty' "gcp-page-$(printf %04d "$page").json")`,
        '  [ -n "$token" ] || break',
        `  url=${shellQuote(skusPageUrl(host))}"&pageToken=$(printf %s "$token" | jq -sRr @uri)"`,
        'done',
        `jq -s . gcp-page-*.json > ${GCP_FILE} && rm -f gcp-page-*.json`,
      )
      fromFile.push(`--from-file gcp=${GCP_FILE}`)
    } else {
      lines.push(
        '# ecb: the euro reference rates of the latest working day',
        `curl -sSf --retry 4 -o ${ECB_FILE} ${shellQuote(`${base ?? 'https://www.ecb.europa.eu'}${DAILY_PATH}`)}`,
      )
      fromFile.push(`--from-file ecb=${ECB_FILE}`)
    }
  }
  lines.push('', '# On the air-gapped machine, in this folder:', `echo ${shellQuote(`geopat catalog refresh ${fromFile.join(' ')}`)}`, '')
  return lines.join('\n')
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}
