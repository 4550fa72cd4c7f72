import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import type { IVolume } from 'kubernetes-models/v1/Volume'
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { PodResources, ShardLoad } from './pod-sizing.js'
import type { ResultsTarget } from './results-target.js'

/**
 * The objects of one sharded run on Kubernetes (`geopat k8s render`), typed with kubernetes-models'
 * interfaces (Kubernetes 1.33 API): an object literal with a field the API does not have fails to
 * compile, which is the check for unknown fields that the models' runtime validation does not make.
 */

/** Where the pods find the scenario (the ConfigMap mounted read-only). */
export const SCENARIO_DIR = '/etc/geopat'
export const SCENARIO_KEY = 'scenario.yaml'
export const RESULTS_DIR = '/results'
/** The image's user (Containerfile): not root, with a group that may write the results volume. */
export const POD_USER = 10001
/** Kubernetes sets it in every pod of an Indexed Job; declared here too so the args' $(…) reads as defined. */
export const INDEX_ENV = 'JOB_COMPLETION_INDEX'
/** geopat's exit code for bad input (src/util/errors.ts UserError): a retry cannot fix it. */
export const BAD_INPUT_EXIT_CODE = 2
export const CONTAINER_NAME = 'geopat'
/** shard.json's count allows at most this many shards (src/io/schema/shard.ts). */
export const SHARD_COUNT_MAX = 10_000

export interface RenderPlan {
  name: string
  namespace?: string
  image: string
  shards: number
  scenarioText: string
  results: ResultsTarget
  /** ISO 8601 in UTC; absent: each shard starts when it is ready. */
  startAt?: string
  /** The clock the shards share (`ntp://host[:port]` or an http(s) URL's Date), passed to geopat bench as given. */
  timeSource?: string
  /** The Secret holding the API key under each name of `apiKeyEnvs`. */
  apiKeySecret?: string
  apiKeyEnvs: readonly string[]
  s3Secret?: string
  s3Endpoint?: string
  s3Region?: string
  load: ShardLoad
  resources: PodResources
}

export interface RenderedObjects {
  configMap: IConfigMap
  shardJob: IJob
  /** With pvc: results only: the merge, suspended until the shards have ended. */
  mergeJob?: IJob
}

function labels(plan: RenderPlan, component: 'shard' | 'merge' | 'scenario'): Record<string, string> {
  return { 'app.kubernetes.io/name': 'geopat', 'app.kubernetes.io/instance': plan.name, 'app.kubernetes.io/component': component }
}

function metadata(plan: RenderPlan, name: string, component: 'shard' | 'merge' | 'scenario'): IJob['metadata'] {
  return { name, ...(plan.namespace !== undefined ? { namespace: plan.namespace } : {}), labels: labels(plan, component) }
}

/** The shard folder of index `$(JOB_COMPLETION_INDEX)`: on the claim, under the run's own folder (runs share a claim). */
function shardFolder(plan: RenderPlan, index: string): string {
  return plan.results.kind === 'pvc' ? `${RESULTS_DIR}/${plan.name}/shard-${index}` : `${RESULTS_DIR}/shard-${index}`
}

/** `geopat bench` as each shard runs it (flag names: src/cli/flags/bench.ts). */
export function shardArgs(plan: RenderPlan): string[] {
  const index = `$(${INDEX_ENV})`
  return [
    'bench',
    ...['--scenario', `${SCENARIO_DIR}/${SCENARIO_KEY}`, '--shards', String(plan.shards), '--run-key', plan.name],
    ...(plan.startAt !== undefined ? ['--start-at', plan.startAt] : []),
    ...(plan.timeSource !== undefined ? ['--time-source', plan.timeSource] : []),
    ...['--out', shardFolder(plan, index)],
    ...(plan.results.kind === 's3' ? ['--upload', `${plan.results.url}/shard-${index}`] : []),
  ]
}

function shardEnv(plan: RenderPlan): IEnvVar[] {
  const env: IEnvVar[] = [
    { name: INDEX_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
    // The pod's own name (the job, the index and a suffix): what shard.json records as the host.
    { name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ]
  for (const name of plan.apiKeyEnvs) {
    if (plan.apiKeySecret !== undefined) env.push({ name, valueFrom: { secretKeyRef: { name: plan.apiKeySecret, key: name } } })
  }
  return [...env, ...s3Env(plan)]
}

function s3Env(plan: RenderPlan): IEnvVar[] {
  if (plan.results.kind !== 's3') return []
  const env: IEnvVar[] = []
  if (plan.s3Secret !== undefined)
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) env.push({ name: key, valueFrom: { secretKeyRef: { name: plan.s3Secret, key } } })
  if (plan.s3Endpoint !== undefined) env.push({ name: 'AWS_ENDPOINT_URL_S3', value: plan.s3Endpoint })
  if (plan.s3Region !== undefined) env.push({ name: 'AWS_REGION', value: plan.s3Region })
  return env
}

function volumes(plan: RenderPlan, withScenario: boolean): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const results: IVolume =
    plan.results.kind === 'pvc'
      ? { name: 'results', persistentVolumeClaim: { claimName: plan.results.claimName } }
      : // S3: the shard writes its folder here, then uploads it; the pod's disk holds it meanwhile.
        { name: 'results', emptyDir: { sizeLimit: '2Gi' } }
  const list: IVolume[] = [results, { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]
  const mounts: IVolumeMount[] = [
    { name: 'results', mountPath: RESULTS_DIR },
    { name: 'tmp', mountPath: '/tmp' },
  ]
  if (withScenario) {
    list.push({ name: 'scenario', configMap: { name: `${plan.name}-scenario` } })
    mounts.push({ name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true })
  }
  return { volumes: list, mounts }
}

function container(resources: PodResources, image: string, args: string[], env: IEnvVar[], mounts: IVolumeMount[]): IContainer {
  const quantity = { cpu: String(resources.cpuCores), memory: `${resources.memoryMiB}Mi` }
  return {
    name: CONTAINER_NAME,
    image,
    args,
    ...(env.length > 0 ? { env } : {}),
    volumeMounts: mounts,
    // request = limit, whole cores: a Guaranteed pod; see src/k8s/pod-sizing.ts for the rule and its measurements.
    resources: { requests: quantity, limits: quantity },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  }
}

function podSpec(plan: RenderPlan, main: IContainer, list: IVolume[], component: 'shard' | 'merge'): IPodSpec {
  return {
    restartPolicy: 'Never',
    securityContext: { runAsUser: POD_USER, runAsGroup: POD_USER, fsGroup: POD_USER, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [main],
    volumes: list,
    ...(component === 'shard' ? { affinity: spreadOverNodes(plan) } : {}),
  }
}

/** Shards prefer nodes without another shard of the run: one node's NIC and cores would be the bottleneck measured. */
function spreadOverNodes(plan: RenderPlan): IPodSpec['affinity'] {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels(plan, 'shard') } } },
      ],
    },
  }
}

/**
 * The Indexed Job of the shards. backoffLimitPerIndex 0: a shard is never run again, as a second
 * pod would send the shard's requests again (the endpoint would take that slice twice, late) and
 * write over its records; a failed shard stays failed, its records up to then stay on the claim,
 * and `geopat merge` refuses the run without it (or reports it with --allow-missing).
 * podFailurePolicy says so per cause: bad input (exit 2) fails the index at once whatever the
 * backoff; a disruption (eviction, preemption, node drain: the DisruptionTarget condition) fails
 * it too rather than being ignored, since Ignore would start a replacement that re-sends the slice.
 */
export function shardJob(plan: RenderPlan): IJob {
  const { volumes: list, mounts } = volumes(plan, true)
  const main = container(plan.resources, plan.image, shardArgs(plan), shardEnv(plan), mounts)
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...metadata(plan, plan.name, 'shard'),
      annotations: { 'geopat.io/shard-load': plan.load.basis, 'geopat.io/sizing': 'src/k8s/pod-sizing.ts (bench/RESULTS.md)' },
    },
    spec: {
      completionMode: 'Indexed',
      completions: plan.shards,
      parallelism: plan.shards,
      backoffLimitPerIndex: 0,
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { containerName: CONTAINER_NAME, operator: 'In', values: [BAD_INPUT_EXIT_CODE] } },
          { action: 'FailIndex', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: { metadata: { labels: labels(plan, 'shard') }, spec: podSpec(plan, main, list, 'shard') },
    },
  }
}

/**
 * The merge of the shards' folders on the claim, suspended: `kubectl wait` for the shards' Job,
 * then unsuspend it (README, "Kubernetes"). A Job cannot wait for another by itself without API
 * access from inside the cluster, which this Job is not given.
 */
export function mergeJob(plan: RenderPlan): IJob | undefined {
  if (plan.results.kind !== 'pvc') return undefined
  const { volumes: list, mounts } = volumes(plan, false)
  const folders = Array.from({ length: plan.shards }, (_, index) => shardFolder(plan, String(index)))
  // One event loop reads every shard's records: one core; the union of the records in memory: twice a shard's.
  const resources = { cpuCores: 1, memoryMiB: 2 * plan.resources.memoryMiB }
  const main = container(resources, plan.image, ['merge', ...folders, '--out', `${RESULTS_DIR}/${plan.name}/merged`], [], mounts)
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(plan, `${plan.name}-merge`, 'merge'),
    spec: {
      suspend: true,
      completions: 1,
      parallelism: 1,
      backoffLimit: 0,
      template: { metadata: { labels: labels(plan, 'merge') }, spec: podSpec(plan, main, list, 'merge') },
    },
  }
}

export function scenarioConfigMap(plan: RenderPlan): IConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(plan, `${plan.name}-scenario`, 'scenario'), data: { [SCENARIO_KEY]: plan.scenarioText } }
}

export function renderObjects(plan: RenderPlan): RenderedObjects {
  const merge = mergeJob(plan)
  return { configMap: scenarioConfigMap(plan), shardJob: shardJob(plan), ...(merge !== undefined ? { mergeJob: merge } : {}) }
}
