import type { z } from 'zod'
import type { FlagTable } from './table.js'

/** A zod object schema: its fields by name. */
interface ObjectSchema {
  readonly shape: Readonly<Record<string, z.ZodType>>
}

/**
 * The table with each flag that sets a field of `schema` (its path is `prefix` + the field) saying
 * in its help the default the schema gives that field, "… (default 3)": --help reads the schema's
 * default and never holds a copy of it.
 */
export function withSchemaDefaults<T extends FlagTable>(table: T, prefix: string, schema: ObjectSchema): T {
  const described: Record<string, T[keyof T]> = {}
  for (const [name, def] of Object.entries(table) as Array<[string, T[keyof T]]>) {
    const field = def.path?.startsWith(prefix) ? def.path.slice(prefix.length) : undefined
    const parsed = field !== undefined ? schema.shape[field]?.safeParse(undefined) : undefined
    described[name] = parsed?.success && parsed.data !== undefined ? { ...def, description: `${def.description} (default ${String(parsed.data)})` } : def
  }
  return described as unknown as T
}
