import { join } from 'node:path'
import type { MergeRequest } from '../../app/merge.js'
import type { S3ClientOptions } from '../../io/s3/client.js'
import { makeRunId } from '../../io/output/files.js'
import { s3Options } from '../flags/s3.js'
import type { BenchSummary } from '../../io/schema/summary.js'
import { UserError } from '../../util/errors.js'
import { MERGE_FLAGS } from '../flags/merge.js'
import { type CommandLine, withFlagTable } from '../flag-table-command.js'
import { type FlagValues, applyFlags } from '../flags/table.js'

export default class Merge extends withFlagTable(MERGE_FLAGS) {
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
    '<%= config.bin %> merge --from s3://geopat-results/region-check --out reports/region-check',
  ]

  // Any number of shard folders.
  static override strict = false

  static override usage = 'merge DIR... | --from s3://bucket/prefix [--out DIR] [--allow-missing] [--overwrite] [--json]'

  protected async execute(values: FlagValues<typeof MERGE_FLAGS>, { argv }: CommandLine): Promise<BenchSummary> {
    if (argv.length === 0 && values.from === undefined)
      throw new UserError('merge: give the shard folders (or one folder holding them), or --from s3://bucket/prefix')
    const json = this.jsonEnabled()
    const log = json ? () => undefined : (line: string) => this.log(line)
    const [{ runMerge }, { withFlagNames }] = await Promise.all([import('../../app/merge.js'), import('../flags/option-errors.js')])
    // --from s3://…: the shard folders are downloaded into <out>/shards first, and stay there beside the merged run.
    const runId = values.from ? makeRunId('merge') : undefined
    const outDir = values.out ?? (runId ? join('reports', runId) : undefined)
    const fetched = values.from && outDir ? await fetchFrom(values.from, join(outDir, 'shards'), s3Options(values), log) : []
    // The merge itself (runMerge) reads local folders only: shards kept elsewhere are fetched into local folders first.
    const folders = [...argv, ...fetched]
    const request = applyFlags(MERGE_FLAGS, values, { folders, log, ...(outDir ? { outDir } : {}), ...(runId ? { runId } : {}) }) as unknown as MergeRequest
    const { summary, outDir: mergedDir } = await withFlagNames(MERGE_FLAGS, () => runMerge(request))
    if (!json) {
      const { formatMerge } = await import('../render/merge.js')
      this.log(formatMerge(summary, mergedDir))
    }
    return summary
  }
}

async function fetchFrom(from: string, intoDir: string, s3: S3ClientOptions, log: (line: string) => void): Promise<string[]> {
  const { fetchShardFolders } = await import('../../app/fetch-shards.js')
  return fetchShardFolders(from, intoDir, { s3, log })
}
