import * as parse from './parsers.js'
import { type FlagValues, defineFlags, string, value } from './table.js'

/** `geopat k8s render`'s flags (options of the render; the scenario is the file given, as written). */
export const K8S_RENDER_FLAGS = defineFlags({
  scenario: string({ required: true, description: 'scenario file: goes into a ConfigMap as written, and every shard runs it' }),
  shards: value(parse.positiveInteger, { required: true, description: 'number of shards: pods of the Indexed Job, run all at once' }),
  image: string({ required: true, description: 'container image with geopat as its entrypoint (Containerfile)' }),
  namespace: string({ description: 'namespace of the objects (default: none set, kubectl -n decides)' }),
  results: string({
    description: 'where the shards write: pvc:CLAIM (a ReadWriteMany PersistentVolumeClaim; adds a merge Job) or s3://bucket/prefix (each shard uploads)',
    default: 'pvc:geopat-results',
  }),
  'start-at': string({ description: 'ISO 8601 time (with its zone) at which every shard starts its load; give one after the pods will have started' }),
  'time-source': string({
    description: "a clock the shards share, ntp://host[:port] or an http(s):// URL's Date header: each shard measures and records its offset to it",
  }),
  name: string({ description: "name of the Job and the run key of its shards (default: geopat- and the scenario's name)" }),
  out: string({ description: "file to write the manifests to, or '-' for standard output", default: '-' }),
  'api-key-secret': string({ description: "Secret holding the API key under the scenario's apiKeyEnv name (the key is never in a manifest)" }),
  's3-secret': string({ description: 'Secret holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for --results s3://… (default: the pod identity)' }),
  's3-endpoint': string({ description: 'S3-compatible endpoint URL (MinIO, Ceph RGW, a cloud): set as AWS_ENDPOINT_URL_S3 in the pods' }),
  's3-region': string({ description: 'S3 region: set as AWS_REGION in the pods' }),
  'itl-ms': value(parse.positiveNumber, {
    description:
      "the endpoint's expected inter-token latency, ms: a stream reads 1000 / ITL token events per second, which sizes the pods " +
      '(10: an 8B model on an H100 under load, vLLM v0.6.0 blog: 8.6-13.9 ms TPOT at 2-32 req/s)',
    default: '10',
  }),
})

export type K8sRenderFlagValues = FlagValues<typeof K8S_RENDER_FLAGS>
