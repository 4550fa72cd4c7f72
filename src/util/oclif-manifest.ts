import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * oclif's command manifest (oclif.manifest.json at the package root). Without it, every start of
 * the CLI imports every command module to list the commands (~1 s of CPU: echarts, the report,
 * the simulator…); with it, only the command that runs is imported. `npm run build` writes it after
 * tsc; a manifest older than the built commands (tsc run on its own since) is removed at start, so
 * a stale list never hides a new command or flag.
 */
export const MANIFEST_FILE = 'oclif.manifest.json'

function newestMtimeMs(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Removes the manifest when a built command is newer than it (called by bin/run.js before oclif starts). */
export function dropStaleManifest(root: string): void {
  const manifest = join(root, MANIFEST_FILE)
  let manifestMtimeMs: number
  try {
    manifestMtimeMs = statSync(manifest).mtimeMs
  } catch {
    return
  }
  if (newestMtimeMs(join(root, 'dist', 'src', 'cli', 'commands')) > manifestMtimeMs) rmSync(manifest, { force: true })
}

/** Writes the manifest from the built commands (`npm run build`). */
export async function writeManifest(root: string): Promise<void> {
  rmSync(join(root, MANIFEST_FILE), { force: true })
  const { Plugin } = await import('@oclif/core')
  const plugin = new Plugin({ root, type: 'core', isRoot: true })
  await plugin.load()
  writeFileSync(join(root, MANIFEST_FILE), `${JSON.stringify(plugin.manifest)}\n`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeManifest(process.cwd())
