import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { PACKAGE_ROOT } from '../../util/version.js'
import { catalogFileSchema, fxFileSchema } from './catalog.js'
import { financeMechanicsFileSchema } from './finance.js'
import { inventorySchema } from './inventory.js'
import { priceMappingFileSchema } from './price-mapping.js'
import { scenarioSchema } from './scenario.js'
import { tcoModelSchema } from './tco-model.js'

/** The JSON Schemas generated from the zod schemas, for editors and other tools. */
export const GENERATED_SCHEMAS: ReadonlyArray<{ file: string; title: string; schema: z.ZodType }> = [
  { file: 'scenarios/scenario.schema.json', title: 'geopat scenario', schema: scenarioSchema },
  { file: 'scenarios/tco-model.schema.json', title: 'geopat TCO model', schema: tcoModelSchema },
  { file: 'scenarios/inventory.schema.json', title: 'geopat migration inventory', schema: inventorySchema },
  { file: 'scenarios/catalog.schema.json', title: 'geopat price catalog file', schema: catalogFileSchema },
  { file: 'scenarios/fx.schema.json', title: 'geopat FX table', schema: fxFileSchema },
  { file: 'scenarios/finance.schema.json', title: 'geopat finance mechanics file', schema: financeMechanicsFileSchema },
  { file: 'scenarios/price-mapping.schema.json', title: 'geopat catalog refresh mapping table', schema: priceMappingFileSchema },
]

export function renderJsonSchema(entry: (typeof GENERATED_SCHEMAS)[number]): string {
  const json = z.toJSONSchema(entry.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return `${JSON.stringify({ title: entry.title, ...json }, null, 2)}\n`
}

// `npm run schema`
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  for (const entry of GENERATED_SCHEMAS) writeFileSync(join(PACKAGE_ROOT, entry.file), renderJsonSchema(entry))
}

export function committedJsonSchema(entry: (typeof GENERATED_SCHEMAS)[number]): string {
  return readFileSync(join(PACKAGE_ROOT, entry.file), 'utf8')
}
