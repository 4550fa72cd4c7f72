import { isAbsolute } from 'node:path'
import type { Scenario } from '../io/schema/scenario.js'
import { UserError } from '../util/errors.js'
import { redactText, secretList } from '../util/redact.js'

/**
 * The scenario file goes into a ConfigMap as it is (every shard reads the same bytes, so every
 * shard hashes the same scenario), and a ConfigMap is no place for a secret: anyone who may read
 * the namespace's ConfigMaps reads it. So a scenario is refused, with one line naming the file and
 * the field (never the value), when it carries what a pod should get from a Secret, or names a
 * file that the pod will not have.
 */

/** ConfigMap data is at most 1 MiB (etcd's object limit); the rest of the object needs a little room. */
export const CONFIGMAP_SCENARIO_MAX_BYTES = 1_000_000

/** Header names that carry credentials (a gateway's key, a cookie, a bearer token). */
const CREDENTIAL_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|credential|session|signature|^x-amz-/i

export interface PodScenario {
  /** The distinct apiKeyEnv names of the endpoints: each comes from the API key Secret under that key. */
  apiKeyEnvs: string[]
}

/**
 * Checks the scenario (`text` as read, `scenario` as parsed) for a pod. `env` is this machine's
 * environment: an API key found in it under an endpoint's apiKeyEnv must not appear in the text.
 */
export function checkScenarioForPod(source: string, text: string, scenario: Scenario, env: NodeJS.ProcessEnv): PodScenario {
  if (Buffer.byteLength(text, 'utf8') > CONFIGMAP_SCENARIO_MAX_BYTES)
    throw new UserError(`${source}: ${Buffer.byteLength(text, 'utf8')} bytes: a ConfigMap holds at most ${CONFIGMAP_SCENARIO_MAX_BYTES} bytes of scenario`)
  refuseFilesThePodLacks(source, scenario)
  const apiKeyEnvs = [...new Set(scenario.endpoints.flatMap((endpoint) => (endpoint.apiKeyEnv ? [endpoint.apiKeyEnv] : [])))]
  scenario.endpoints.forEach((endpoint, index) => {
    for (const [name, value] of Object.entries(endpoint.headers)) {
      if (CREDENTIAL_HEADER.test(name) || redactText(value, []) !== value)
        throw new UserError(
          `${source}: endpoints.${index}.headers.${name}: looks like a credential, and the scenario goes into a ConfigMap as written: ` +
            'put the key in a Secret and name its variable in apiKeyEnv (geopat k8s render --api-key-secret)',
        )
    }
  })
  const holder = apiKeyEnvs.find((name) => secretList([env[name]]).some((key) => text.includes(key)))
  if (holder !== undefined) {
    throw new UserError(`${source}: holds the value of ${holder} (an API key): the scenario goes into a ConfigMap as written; remove it from the file`)
  }
  return { apiKeyEnvs }
}

/**
 * Files a scenario names are read where geopat runs: in a pod only the scenario itself is there (in
 * /etc/geopat, where a relative path would point). An absolute path is taken as a file built into
 * the image or mounted by the user, and left alone.
 */
function refuseFilesThePodLacks(source: string, scenario: Scenario): void {
  const named: Array<[string, string | undefined]> = [
    ['input.promptsFile', scenario.input.promptsFile],
    ['load.trace.file', scenario.load.trace?.file],
  ]
  scenario.endpoints.forEach((endpoint, index) => {
    for (const field of ['caFile', 'certFile', 'keyFile'] as const) named.push([`endpoints.${index}.${field}`, endpoint[field]])
    // A simulated endpoint's profile is a shipped name (in the image) or a file.
    const profile = endpoint.sim?.profile
    if (profile !== undefined && /[/\\]|\.ya?ml$/i.test(profile)) named.push([`endpoints.${index}.sim.profile`, profile])
  })
  const found = named.find(([, path]) => path !== undefined && !isAbsolute(path))
  if (found)
    throw new UserError(
      `${source}: ${found[0]}: the pods get only the scenario (in a ConfigMap), not the files it names; ` +
        'geopat k8s render does not carry files: build them into the image and give their absolute paths',
    )
}

/** The last guard before anything is printed: no API key from `env` in the rendered text. */
export function assertNoKeyIn(rendered: string, apiKeyEnvs: readonly string[], env: NodeJS.ProcessEnv): void {
  if (secretList(apiKeyEnvs.map((name) => env[name])).some((key) => rendered.includes(key)))
    throw new Error('a rendered manifest holds an API key value (refused)')
}
