import { Args } from '@oclif/core'
import { GeopatCommand } from '../../util/base-command.js'
import { PUSH_FLAGS, s3Options, s3UrlText } from '../flags/s3.js'
import { oclifFlags, parseFlag, readFlags } from '../flags/table.js'

export default class Push extends GeopatCommand {
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

  static override flags = oclifFlags(PUSH_FLAGS)

  async run(): Promise<{ to: string; keys: string[] }> {
    const { args, flags } = await this.parse(Push)
    const to = parseFlag('to', s3UrlText, args.to)
    const values = readFlags(PUSH_FLAGS, flags)
    const { pushRunFolder } = await import('../../app/push.js')
    const log = this.jsonEnabled() ? () => undefined : (line: string) => this.log(line)
    const { keys } = await pushRunFolder(args.dir, { to, s3: s3Options(values), log })
    return { to, keys }
  }
}
