import { type RunFolder, claimRunFolder, makeRunId } from '../io/output/files.js'

/** What a bench-like use case (bench, compare) says about the folder it writes its run into. */
export interface RunFolderRequest {
  scenario: { out?: string | undefined }
  outDir?: string
  runId?: string
  overwrite?: boolean
  /** `geopat run` holds the run folder that outDir is a step folder of (checked and locked). */
  outDirHeld?: boolean
  log: (line: string) => void
}

/**
 * Names the run (`kind` and a timestamp unless given) and checks and locks its folder, before any
 * endpoint is touched: a used one fails at once. The caller releases the folder when done.
 */
export function claimRunFolderFor(kind: string, options: RunFolderRequest): { runId: string; folder: RunFolder } {
  const runId = options.runId ?? makeRunId(kind)
  const folder = claimRunFolder({
    outDir: options.outDir ?? options.scenario.out,
    runId,
    overwrite: options.overwrite ?? false,
    heldByCaller: options.outDirHeld ?? false,
    log: options.log,
  })
  return { runId, folder }
}
