import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GENERATED_SCHEMAS, committedJsonSchema, renderJsonSchema } from '../../src/io/schema/json-schema.js'
import { loadYamlFile } from '../../src/io/schema/load-file.js'
import { inventorySchema } from '../../src/io/schema/inventory.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { tcoModelSchema } from '../../src/io/schema/tco-model.js'
import { REPO_ROOT } from '../helpers/cli.js'

describe('shipped scenarios and schemas', () => {
  const dir = join(REPO_ROOT, 'scenarios')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))

  // Inventories (geopat plan) and TCO models (geopat tco) live beside the scenarios: each file is checked against its own schema.
  it.each(files)('%s is valid against its schema', (file) => {
    const schema = file.endsWith('-inventory.yaml') ? inventorySchema : file.startsWith('tco-') ? tcoModelSchema : scenarioSchema
    expect(() => loadYamlFile(join(dir, file), schema)).not.toThrow()
  })

  it.each(GENERATED_SCHEMAS.map((e) => [e.file, e] as const))('%s matches the zod schema (run `npm run schema`)', (_file, entry) => {
    expect(committedJsonSchema(entry)).toBe(renderJsonSchema(entry))
  })
})
