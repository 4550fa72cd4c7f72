import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GENERATED_SCHEMAS, committedJsonSchema, renderJsonSchema } from '../../src/schema/json-schema.js'
import { loadYamlFile } from '../../src/schema/load-file.js'
import { scenarioSchema } from '../../src/schema/scenario.js'
import { REPO_ROOT } from '../helpers/cli.js'

describe('shipped scenarios and schemas', () => {
  const dir = join(REPO_ROOT, 'scenarios')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))

  it.each(files)('%s is a valid scenario', (file) => {
    expect(() => loadYamlFile(join(dir, file), scenarioSchema)).not.toThrow()
  })

  it.each(GENERATED_SCHEMAS.map((e) => [e.file, e] as const))('%s matches the zod schema (run `npm run schema`)', (_file, entry) => {
    expect(committedJsonSchema(entry)).toBe(renderJsonSchema(entry))
  })
})
