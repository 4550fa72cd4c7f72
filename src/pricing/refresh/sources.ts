import type { PriceSource, SourceName } from './source.js'

// ── The registered price sources ────────────────────
// The one place a source is added: import it here and list it in REGISTERED_SOURCES. Everything
// else (`geopat catalog refresh`, its --source options, the README) works with whatever is listed.
import { azureSource } from './azure.js'
import { awsSource } from './aws.js'
import { gcpSource } from './gcp.js'
import { ecbSource } from './ecb.js'
const REGISTERED_SOURCES: readonly PriceSource[] = [azureSource, awsSource, gcpSource, ecbSource]
// ────────────────────────────────────────────────────

/** Every source name the refresh knows, in the order it runs and reports them. */
export const SOURCE_NAMES: readonly SourceName[] = ['azure', 'aws', 'gcp', 'ecb']

export type PriceSourceRegistry = Partial<Record<SourceName, PriceSource>>

/** The registered price sources by name (a build may lack some: the refresh then refuses to run them by name). */
export function priceSources(): PriceSourceRegistry {
  const registry: PriceSourceRegistry = {}
  for (const source of REGISTERED_SOURCES) {
    if (registry[source.name]) throw new Error(`price source ${source.name} is registered twice (src/pricing/refresh/sources.ts)`)
    registry[source.name] = source
  }
  return registry
}

export function isSourceName(name: string): name is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(name)
}
