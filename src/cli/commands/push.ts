import { Args } from '@oclif/core'
import { type CommandLine, withFlagTable } from '../flag-table-command.js'
import { PUSH_FLAGS, s3Options, s3UrlText } from '../flags/s3.js'
import { type FlagValues, parseFlag } from '../flags/table.js'

export default class Push extends withFlagTable(PUSH_FLAGS) {
  static override summary = 'Upload a run folder to S3-compatible storage (AWS S3, MinIO, Ceph RGW)'
  static override description =
    'Uploads every file of a run folder (records.jsonl, summary.json and .csv, shard.json, metrics.jsonl, the report, attestation ' +
    'evidence; not hidden files or links) under an s3://bucket/prefix: what `geopat bench --upload` does after a run, for a folder ' +
    "whose run ended without it (a shard's container after a crash). Credentials come from the AWS SDK's default chain " +
    '(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA or EKS pod identity), never from a flag.'

  static override examples = [
    '<%= config.bin %> push reports/20261124-061502-bench s3://results/run-7/shard-0',
    'AWS_ENDPOINT_URL_S3=http://minio.storage:9000 <%= config.bin %> push out/shard-3 s3://geopat/run-7/shard-3',
  ]

  static override args = {
    dir: Args.string({ description: 'run folder to upload', required: true }),
    to: Args.string({ description: 's3://bucket/prefix to upload it under', required: true }),
  }

  protected async execute(values: FlagValues<typeof PUSH_FLAGS>, { args }: CommandLine<'dir' | 'to'>): Promise<{ to: string; keys: string[] }> {
    const to = parseFlag('to', s3UrlText, args.to)
    const { pushRunFolder } = await import('../../app/push.js')
    const log = this.jsonEnabled() ? () => undefined : (line: string) => this.log(line)
    const { keys } = await pushRunFolder(args.dir, { to, s3: s3Options(values), log })
    return { to, keys }
  }
}
