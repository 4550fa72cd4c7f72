import { readFileSync, writeFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { loadYamlFile } from '../io/schema/load-file.js'
import { type Scenario, scenarioSchema } from '../io/schema/scenario.js'
import { type RenderPlan, type RenderedObjects, SHARD_COUNT_MAX, renderObjects } from '../k8s/manifests.js'
import { type PodResources, type ShardLoad, podResources, shardLoad, shardsNeeded, EVENTS_PER_EVENT_LOOP_OK } from '../k8s/pod-sizing.js'
import { DNS_LABEL, parseResultsTarget } from '../k8s/results-target.js'
import { assertNoKeyIn, checkScenarioForPod } from '../k8s/scenario-for-pod.js'
import { KUBERNETES_API_VERSION, toYamlStream, validateObjects } from '../k8s/validate.js'
import { type TimeSource, parseTimeSource } from '../client/clock-sources.js'
import { UserError } from '../util/errors.js'
import { OptionMessageError } from '../util/option-error.js'
import { parseZonedIsoTime } from '../util/zoned-time.js'
import { checkS3Endpoint } from '../io/s3/url.js'

/** `geopat k8s render`'s options (each a flag of src/cli/flags/k8s.ts, by its camel-case name). */
export interface K8sRenderOptions {
  scenario: string
  shards: number
  image: string
  namespace?: string
  /** `pvc:NAME` or `s3://bucket/prefix`. */
  results: string
  startAt?: string
  timeSource?: string
  name?: string
  /** A file, or '-' (the caller prints `yaml`). */
  out: string
  apiKeySecret?: string
  s3Secret?: string
  s3Endpoint?: string
  s3Region?: string
  /** The endpoint's expected inter-token latency, ms: a stream's token events per second are 1000 / it. */
  itlMs: number
  /** This machine's environment: API keys found in it must not reach the manifests. */
  env: NodeJS.ProcessEnv
  now: Date
  warn: (line: string) => void
}

export interface K8sRenderResult {
  name: string
  yaml: string
  /** The file written, or null when the caller prints the YAML. */
  file: string | null
  objects: string[]
  kubernetesApi: string
  shardLoad: ShardLoad
  podResources: PodResources
  /** Shards for which no event loop takes more than it times "ok" (bench/RESULTS.md). */
  shardsNeeded: number
}

/** Longest --name: NAME-merge and the pods' host names NAME-INDEX stay within 63 characters. */
const NAME_MAX = 52

export function renderK8s(options: K8sRenderOptions): K8sRenderResult {
  const { text, scenario } = readScenario(options.scenario)
  const pod = checkScenarioForPod(options.scenario, text, scenario, options.env)
  checkShards(options.shards, scenario)
  const name = runName(options.name, scenario, options.scenario)
  const plan = planOf(options, { text, scenario, name, apiKeyEnvs: pod.apiKeyEnvs })
  const objects = renderObjects(plan)
  validateObjects(objects)
  const needed = shardsNeeded(plan.load, options.shards)
  warnings(options, plan, needed)
  const yaml = toYamlStream(objects, header(plan, needed))
  assertNoKeyIn(yaml, pod.apiKeyEnvs, options.env)
  if (options.out !== '-') writeManifests(options.out, yaml)
  return {
    name,
    yaml,
    file: options.out === '-' ? null : options.out,
    objects: names(objects),
    kubernetesApi: KUBERNETES_API_VERSION,
    shardLoad: plan.load,
    podResources: plan.resources,
    shardsNeeded: needed,
  }
}

function writeManifests(file: string, yaml: string): void {
  try {
    writeFileSync(file, yaml)
  } catch (error) {
    throw new OptionMessageError(`{out} ${file}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/** The scenario as written (it goes into the ConfigMap byte for byte) and as parsed (checked, for the sizing). */
function readScenario(file: string): { text: string; scenario: Scenario } {
  const scenario = loadYamlFile(file, scenarioSchema)
  return { text: readFileSync(file, 'utf8'), scenario }
}

function checkShards(shards: number, scenario: Scenario): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > SHARD_COUNT_MAX)
    throw new OptionMessageError(`{shards} ${shards}: must be a whole number from 1 to ${SHARD_COUNT_MAX}`)
  const users = scenario.load.profile === 'sweep' ? undefined : scenario.load.concurrency
  if (users !== undefined && shards > users)
    throw new OptionMessageError(`{shards} ${shards}: more shards than the scenario's ${users} users (load.concurrency): a shard would have none`)
}

/** --name, else `geopat-` and the scenario's name (or file name) made a Kubernetes name. */
function runName(given: string | undefined, scenario: Scenario, file: string): string {
  if (given !== undefined) {
    if (given.length > NAME_MAX || !DNS_LABEL.test(given))
      throw new OptionMessageError(
        `{name} "${given}": must be lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${NAME_MAX} characters`,
      )
    return given
  }
  const stem = (scenario.name ?? basename(file, extname(file)))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return `geopat-${stem}`.slice(0, NAME_MAX).replace(/-+$/, '')
}

function planOf(options: K8sRenderOptions, run: { text: string; scenario: Scenario; name: string; apiKeyEnvs: string[] }): RenderPlan {
  const results = parseResultsTarget(options.results)
  if (options.image.trim() === '' || /\s/.test(options.image)) throw new OptionMessageError(`{image} "${options.image}": an image reference has no spaces`)
  if (options.namespace !== undefined && (options.namespace.length > 63 || !DNS_LABEL.test(options.namespace)))
    throw new OptionMessageError(`{namespace} "${options.namespace}": must be lowercase letters, digits and '-', at most 63 characters`)
  if (run.apiKeyEnvs.length > 0 && options.apiKeySecret === undefined)
    throw new OptionMessageError(
      `{apiKeySecret} missing: the scenario reads an API key from ${run.apiKeyEnvs.join(', ')} (apiKeyEnv); name the Secret that holds it under that key`,
    )
  if (run.apiKeyEnvs.length === 0 && options.apiKeySecret !== undefined)
    throw new OptionMessageError('{apiKeySecret} given, but no endpoint of the scenario names an apiKeyEnv to take it')
  for (const [key, value] of [
    ['s3Secret', options.s3Secret],
    ['s3Endpoint', options.s3Endpoint],
    ['s3Region', options.s3Region],
  ] as const)
    if (value !== undefined && results.kind !== 's3') throw new OptionMessageError(`{${key}} is for --results s3://…; the results go to a claim`)
  if (options.s3Endpoint !== undefined) s3EndpointFor(options.s3Endpoint)
  if (!(options.itlMs > 0)) throw new OptionMessageError(`{itlMs} ${options.itlMs}: must be above 0`)
  const load = shardLoad(run.scenario, options.shards, options.itlMs)
  return {
    name: run.name,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    image: options.image,
    shards: options.shards,
    scenarioText: run.text,
    results,
    ...(options.startAt !== undefined ? { startAt: startAtIso(options.startAt) } : {}),
    ...(options.timeSource !== undefined ? { timeSource: timeSource(options.timeSource) } : {}),
    ...(options.apiKeySecret !== undefined ? { apiKeySecret: options.apiKeySecret } : {}),
    apiKeyEnvs: run.apiKeyEnvs,
    ...(options.s3Secret !== undefined ? { s3Secret: options.s3Secret } : {}),
    ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.s3Region !== undefined ? { s3Region: options.s3Region } : {}),
    load,
    resources: podResources(load),
  }
}

/** The endpoint as bench --upload reads it (src/io/s3/url.ts), whose message never repeats a URL carrying credentials. */
function s3EndpointFor(text: string): string {
  try {
    return checkS3Endpoint(text)
  } catch (error) {
    throw new OptionMessageError(`{s3Endpoint}: ${(error as Error).message}`)
  }
}

/** An ISO 8601 time with its zone, as geopat bench --start-at reads it → the same instant in UTC (`2026-12-06T20:00:00.000Z`). */
function startAtIso(text: string): string {
  const unixMs = parseZonedIsoTime(text)
  if (Number.isNaN(unixMs)) throw new OptionMessageError(`{startAt} "${text}": must be an ISO 8601 time with its zone, e.g. 2026-12-06T20:00:00Z`)
  return new Date(unixMs).toISOString()
}

/**
 * ntp://host[:port] or an http(s) URL, read by the rule geopat bench reads it with (parseTimeSource),
 * and without credentials: the text goes into the manifest, where a Secret never does.
 */
function timeSource(text: string): string {
  let source: TimeSource | undefined
  try {
    source = parseTimeSource(text)
  } catch (error) {
    if (!(error instanceof UserError)) throw error
  }
  if (source === undefined || (source.kind === 'http' && (source.url.username !== '' || source.url.password !== '')))
    throw new OptionMessageError(`{timeSource} "${text.includes('@') ? '…' : text}": give ntp://host[:port] or an http(s):// URL without credentials`)
  return text
}

function warnings(options: K8sRenderOptions, plan: RenderPlan, needed: number): void {
  if (plan.startAt === undefined) options.warn('no --start-at: each shard starts its load when its pod is ready, so the shards do not start together')
  else if (Date.parse(plan.startAt) <= options.now.getTime())
    options.warn(`--start-at ${plan.startAt} is already past: the shards will start as soon as they are ready`)
  if (needed > options.shards)
    options.warn(
      `a shard would read ${Math.round(plan.load.eventsPerSecond)} token events/s, above the ${plan.load.eventLoops * EVENTS_PER_EVENT_LOOP_OK} ` +
        `its ${plan.load.eventLoops} event loop(s) time within 1 ms (bench/RESULTS.md): use --shards ${needed} or more`,
    )
  if (plan.results.kind === 's3' && plan.s3Secret === undefined)
    options.warn('no --s3-secret: the shards take S3 credentials from the pod (a workload identity or the node role)')
}

function header(plan: RenderPlan, needed: number): string[] {
  return [
    `geopat k8s render: ${plan.shards} shards of ${plan.name} (Kubernetes ${KUBERNETES_API_VERSION} API, validated offline with kubernetes-models).`,
    `Per shard: ${plan.load.basis}; ${Math.round(plan.load.eventsPerSecond)} token events/s;`,
    `pod ${plan.resources.cpuCores} cores, ${plan.resources.memoryMiB} MiB (src/k8s/pod-sizing.ts, from bench/RESULTS.md);`,
    `shards needed for that load: ${needed}.`,
    plan.results.kind === 'pvc'
      ? `Results on the claim ${plan.results.claimName} (ReadWriteMany) under /results/${plan.name}; the merge Job starts suspended.`
      : `Results uploaded to ${plan.results.url}/shard-I; merge with: geopat merge --from ${plan.results.url} --out DIR`,
  ]
}

function names(objects: RenderedObjects): string[] {
  return [
    `ConfigMap/${objects.configMap.metadata?.name}`,
    `Job/${objects.shardJob.metadata?.name}`,
    ...(objects.mergeJob ? [`Job/${objects.mergeJob.metadata?.name}`] : []),
  ]
}
