import { Job } from 'kubernetes-models/batch/v1/Job'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import YAML from 'yaml'
import type { RenderedObjects } from './manifests.js'

/**
 * Offline validation of the rendered objects against the Kubernetes API's OpenAPI schemas, as
 * kubernetes-models 4.5 ships them (precompiled from Kubernetes v1.33.0; its README's badge still
 * says 1.27.1, its changelog says 4.5.0 "Update schema version to v1.33.0"): required fields,
 * types, enums (restartPolicy, completionMode, the failure policy's actions and operators) and
 * formats. Those schemas leave additionalProperties open, so a misspelt field would pass here; the
 * typed builders of ./manifests.ts are what refuse unknown fields (at compile time). What the API
 * server checks beyond its schemas (e.g. that FailIndex needs backoffLimitPerIndex, name lengths)
 * is not checked here: test/k8s holds the render to those rules itself.
 */
export const KUBERNETES_API_VERSION = '1.33'

/** Throws (an internal error: geopat built a bad object) with the models' first messages. */
export function validateObjects(objects: RenderedObjects): void {
  const checks: Array<[string, () => void]> = [
    [`ConfigMap ${objects.configMap.metadata?.name}`, () => new ConfigMap(objects.configMap).validate()],
    [`Job ${objects.shardJob.metadata?.name}`, () => new Job(objects.shardJob).validate()],
  ]
  if (objects.mergeJob) {
    const merge = objects.mergeJob
    checks.push([`Job ${merge.metadata?.name}`, () => new Job(merge).validate()])
  }
  for (const [what, check] of checks) {
    try {
      check()
    } catch (error) {
      throw new Error(`the rendered ${what} does not validate against the Kubernetes ${KUBERNETES_API_VERSION} schemas: ${(error as Error).message}`)
    }
  }
}

/** The objects as one multi-document YAML stream, in the order `kubectl apply -f` should create them. */
export function toYamlStream(objects: RenderedObjects, header: readonly string[]): string {
  const documents = [objects.configMap, objects.shardJob, ...(objects.mergeJob ? [objects.mergeJob] : [])]
  const comment = header.map((line) => `# ${line}`.trimEnd()).join('\n')
  // lineWidth 0: long strings (the scenario, the args) stay on one line each, never folded.
  const body = documents.map((document) => YAML.stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')
  return `${comment}\n${body}`
}
