import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type PriceMappingFile, priceMappingFileSchema } from '../../io/schema/price-mapping.js'
import { loadYamlFile } from '../../io/schema/load-file.js'
import { UserError } from '../../util/errors.js'
import { PACKAGE_ROOT } from '../../util/version.js'

const BUILT_IN_MAPPING_DIR = join(PACKAGE_ROOT, 'data', 'price-sources')

/** The built-in mapping files (data/price-sources/*.yaml, one per provider), sorted by name. */
function builtInMappingFiles(): string[] {
  return readdirSync(BUILT_IN_MAPPING_DIR)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort()
    .map((name) => join(BUILT_IN_MAPPING_DIR, name))
}

/**
 * The mapping table: the built-in files, then the user's (`--mapping FILE`), merged. A user's entry
 * for a SKU or region the built-in table maps replaces it; the same SKU or region twice in the
 * built-in files, or twice in the user's, is an error naming both files.
 */
export function loadPriceMapping(userFiles: readonly string[] = []): PriceMappingFile {
  const merged: PriceMappingFile = { providers: [], skus: [], regions: [] }
  const origin = new Map<string, { file: string; user: boolean }>()
  const add = <Entry>(list: Entry[], entry: Entry, key: string, file: string, user: boolean, field: string): void => {
    const earlier = origin.get(key)
    if (earlier && earlier.user === user) throw new UserError(`${file}: ${field}: ${key} is already mapped in ${earlier.file}; map it once`)
    if (earlier)
      list.splice(
        list.findIndex((item) => keyOf(item) === key),
        1,
      )
    origin.set(key, { file, user })
    list.push(entry)
  }
  const keyOf = (item: unknown): string => {
    const entry = item as { provider: string; sku?: string; region?: string }
    return entry.sku !== undefined
      ? `sku ${entry.provider}/${entry.sku}`
      : entry.region !== undefined
        ? `region ${entry.provider}/${entry.region}`
        : `provider ${entry.provider}`
  }
  const files = [...builtInMappingFiles().map((file) => ({ file, user: false })), ...userFiles.map((file) => ({ file, user: true }))]
  for (const { file, user } of files) {
    const table = loadYamlFile(file, priceMappingFileSchema)
    table.providers.forEach((entry, index) => {
      add(merged.providers, entry, keyOf(entry), file, user, `providers.${index}`)
    })
    table.skus.forEach((entry, index) => {
      add(merged.skus, entry, keyOf(entry), file, user, `skus.${index}.sku`)
    })
    table.regions.forEach((entry, index) => {
      add(merged.regions, entry, keyOf(entry), file, user, `regions.${index}.region`)
    })
  }
  return merged
}
