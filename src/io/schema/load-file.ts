import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import type { z } from 'zod'
import { UserError, describeZodIssues } from '../../util/errors.js'

/**
 * Reads a YAML or JSON file and validates it with a zod schema. Every problem becomes one line:
 * `FILE: field.path: rule` (or the YAML parser's position), never a stack trace.
 */
export function loadYamlFile<Schema extends z.ZodType>(path: string, schema: Schema): z.infer<Schema> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`)
  }
  let data: unknown
  try {
    data = YAML.parse(text)
  } catch (error) {
    const linePos = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0]
    const where = linePos ? `:${linePos.line}:${linePos.col}` : ''
    const message = ((error as Error).message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '')
    throw new UserError(`${path}${where}: invalid YAML: ${message}`)
  }
  return parseWithSchema(path, schema, data ?? {})
}

export function parseWithSchema<Schema extends z.ZodType>(source: string, schema: Schema, data: unknown): z.infer<Schema> {
  const result = schema.safeParse(data)
  if (!result.success) throw new UserError(describeZodIssues(source, result.error.issues))
  return result.data
}

/**
 * Reads a file that a field of a scenario or config names (a certificate, a key, evidence): one
 * line on failure, `SOURCE: FIELD: cannot read PATH (CODE)`.
 */
export function readNamedFile(source: string, field: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new UserError(`${source}: ${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}
