import type { MergeRequest } from '../../app/merge.js'
import type { BenchSummary } from '../../io/schema/summary.js'
import { GeopatCommand } from '../../util/base-command.js'
import { UserError } from '../../util/errors.js'
import { MERGE_FLAGS } from '../flags/merge.js'
import { applyFlags, oclifFlags, readFlags } from '../flags/table.js'

export default class Merge extends GeopatCommand {
  static override summary = 'Merge the shards of a run spread over many machines (geopat bench --shard I/N) into one run folder'
  static override description =
    'Reads each shard folder (shard.json, records.jsonl, summary.json) or a folder holding them, checks that they are ' +
    'the shards of one run (same run key, scenario and shard count, each index once, every shard there and finished), ' +
    'and writes one run folder: records.jsonl with one time origin (the earliest shard start, each shard corrected by ' +
    "its clock offset: the shared time source's when every shard measured one, else the endpoint's Date, else the " +
    'host clocks) and summary.json/csv recomputed from the union of records (exact percentiles, the achieved rate and ' +
    "concurrency of the whole, each shard's client self-check and clock). A shard missing or one that died refuses " +
    'the merge with one line; --allow-missing merges what arrived and the summary says which shards it lacks. ' +
    '`geopat report` reads the merged folder like any other.'

  static override examples = [
    '<%= config.bin %> merge results/shard-0 results/shard-1 results/shard-2 results/shard-3 --out reports/region-check',
    '<%= config.bin %> merge results --out reports/region-check --allow-missing',
  ]

  // Any number of shard folders.
  static override strict = false

  static override usage = 'merge DIR... [--out DIR] [--allow-missing] [--overwrite] [--json]'

  static override flags = oclifFlags(MERGE_FLAGS)

  async run(): Promise<BenchSummary> {
    const { argv, flags } = await this.parse(Merge)
    const values = readFlags(MERGE_FLAGS, flags)
    const folders = shardFolders(argv)
    const [{ runMerge }, { withFlagNames }] = await Promise.all([import('../../app/merge.js'), import('../flags/option-errors.js')])
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const request = applyFlags(MERGE_FLAGS, values, { folders, log }) as unknown as MergeRequest
    const { summary, outDir } = await withFlagNames(MERGE_FLAGS, () => runMerge(request))
    if (!json) {
      const { formatMerge } = await import('../render/merge.js')
      this.log(formatMerge(summary, outDir))
    }
    return summary
  }
}

/**
 * The local folders to merge, from the arguments. The merge itself (runMerge) reads local folders
 * only: shards kept elsewhere are brought into local folders first, and their paths join these.
 */
function shardFolders(argv: readonly unknown[]): string[] {
  const folders = argv.map(String)
  const unknownFlag = folders.find((folder) => folder.startsWith('-'))
  if (unknownFlag !== undefined) throw new UserError(`Nonexistent flag: ${unknownFlag}`)
  if (folders.length === 0) throw new UserError('merge: give the shard folders (or one folder holding them)')
  return folders
}
