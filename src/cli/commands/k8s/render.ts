import type { K8sRenderResult } from '../../../app/k8s-render.js'
import { withFlagTable } from '../../flag-table-command.js'
import { K8S_RENDER_FLAGS } from '../../flags/k8s.js'
import type { FlagValues } from '../../flags/table.js'

export default class K8sRender extends withFlagTable(K8S_RENDER_FLAGS) {
  static override summary = 'Render the Kubernetes manifests that run a scenario as N shards and merge them'
  static override description =
    'Prints (or writes) a ConfigMap holding the scenario, an Indexed Job of N shards (geopat bench --shards N with ' +
    'JOB_COMPLETION_INDEX, --start-at and --run-key; no shard run twice; spread over nodes; cpu and memory sized from ' +
    'the streams per shard and the client capacity measured in bench/RESULTS.md), the API key from a Secret reference, ' +
    'and the results on a PersistentVolumeClaim (with a merge Job, suspended until the shards end) or uploaded to ' +
    'S3-compatible storage (merge with geopat merge --from s3://…). Every object is validated offline against the ' +
    'Kubernetes 1.33 API schemas (kubernetes-models). A scenario whose headers or text hold a credential is refused: ' +
    'it goes into a ConfigMap as written. README.md, "Kubernetes", shows the whole flow with kubectl.'

  static override examples = [
    '<%= config.bin %> k8s render --scenario scenarios/quickstart.yaml --shards 8 --image registry.example/geopat:0.1.0 > run.yaml',
    '<%= config.bin %> k8s render --scenario load.yaml --shards 16 --image registry.example/geopat:0.1.0 --api-key-secret geopat-api-key ' +
      '--results s3://bench-results/region-a --s3-secret geopat-s3 --s3-endpoint https://minio.example:9000 --start-at 2026-12-07T09:00:00Z --out run.yaml',
  ]

  protected async execute(values: FlagValues<typeof K8S_RENDER_FLAGS>): Promise<Omit<K8sRenderResult, 'yaml'> & { warnings: string[] }> {
    const warnings: string[] = []
    const { renderK8s } = await import('../../../app/k8s-render.js')
    const { withFlagNames } = await import('../../flags/option-errors.js')
    const result = await withFlagNames(K8S_RENDER_FLAGS, () =>
      renderK8s({
        scenario: values.scenario,
        shards: values.shards,
        image: values.image,
        results: values.results,
        out: values.out,
        itlMs: values['itl-ms'],
        ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
        ...(values['start-at'] !== undefined ? { startAt: values['start-at'] } : {}),
        ...(values['time-source'] !== undefined ? { timeSource: values['time-source'] } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values['api-key-secret'] !== undefined ? { apiKeySecret: values['api-key-secret'] } : {}),
        ...(values['s3-secret'] !== undefined ? { s3Secret: values['s3-secret'] } : {}),
        ...(values['s3-endpoint'] !== undefined ? { s3Endpoint: values['s3-endpoint'] } : {}),
        ...(values['s3-region'] !== undefined ? { s3Region: values['s3-region'] } : {}),
        env: process.env,
        now: new Date(),
        warn: (line) => {
          warnings.push(line)
          this.logToStderr(`warning: ${line}`)
        },
      }),
    )
    // The YAML exactly as rendered (this.log would pass it through the terminal neutralizer).
    if (result.file === null && !this.jsonEnabled()) process.stdout.write(result.yaml)
    else if (!this.jsonEnabled()) this.logToStderr(`wrote ${result.file}: ${result.objects.join(', ')}`)
    const { yaml: _yaml, ...summary } = result
    // --json: the warnings go in the object (oclif prints nothing else then).
    return { ...summary, warnings }
  }
}
