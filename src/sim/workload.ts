import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { lengthSpecSchema } from '../io/schema/length-spec.js'
import { loadYamlFile } from '../io/schema/load-file.js'
import { OptionMessageError } from '../util/option-error.js'
import { PACKAGE_ROOT } from '../util/version.js'

/** A named shape of request lengths (data/workloads/*.yaml). */
export const workloadSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots and dashes'),
    description: z.string(),
    inputTokens: lengthSpecSchema,
    outputTokens: lengthSpecSchema,
  })
  .strict()
export type Workload = z.infer<typeof workloadSchema>

const WORKLOAD_DIR = join(PACKAGE_ROOT, 'data', 'workloads')

export function listWorkloads(): string[] {
  return readdirSync(WORKLOAD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort()
}

/** A shipped workload by name; an unknown name is refused naming the option `workload` (the cli names the flag). */
export function loadWorkload(name: string): Workload {
  if (!listWorkloads().includes(name)) throw new OptionMessageError(`{workload}: unknown workload "${name}"; shipped: ${listWorkloads().join(', ')}`)
  return loadYamlFile(join(WORKLOAD_DIR, `${name}.yaml`), workloadSchema)
}
