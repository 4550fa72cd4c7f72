import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'

/** A writer of numbered YAML files (file-1.yaml, …) in a fresh temp folder: content as YAML, or a string as it is; it returns the path. */
export function yamlFileWriter(prefix: string): (content: unknown) => string {
  const folder = mkdtempSync(join(tmpdir(), prefix))
  let count = 0
  return (content) => {
    const path = join(folder, `file-${++count}.yaml`)
    writeFileSync(path, typeof content === 'string' ? content : YAML.stringify(content))
    return path
  }
}
