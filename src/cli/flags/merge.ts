import { MERGE_FROM_S3_FLAGS } from './s3.js'
import { type FlagValues, boolean, defineFlags, string } from './table.js'

/** `geopat merge`'s flags (the shard folders are its arguments): each sets a field of the merge request (MergeRequest). */
export const MERGE_FLAGS = defineFlags({
  out: string({ description: 'folder for the merged run (default reports/<run-id>)', path: 'outDir' }),
  'allow-missing': boolean({
    description: 'merge what arrived when a shard is missing or did not finish (a shard that died: its records up to then); the summary lists them',
    path: 'allowMissing',
  }),
  overwrite: boolean({ description: "replace geopat's files in an --out that holds an earlier run", path: 'overwrite' }),
  ...MERGE_FROM_S3_FLAGS,
})

export type MergeFlagValues = FlagValues<typeof MERGE_FLAGS>
