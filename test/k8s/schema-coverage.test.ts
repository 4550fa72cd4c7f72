import { Job } from 'kubernetes-models/batch/v1/Job'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import { describe, expect, it } from 'vitest'

/**
 * What the offline validation checks and what it does not (src/k8s/validate.ts): kubernetes-models
 * validates types, required fields and enums against the Kubernetes 1.33 schemas at run time, but
 * those schemas leave additionalProperties open, so an unknown (misspelt) field passes at run time;
 * the typed builders of src/k8s/manifests.ts refuse it at compile time (`npm run typecheck` runs tsc
 * over this file: the @ts-expect-error below fails the build the day the type accepts the field).
 */
const template = { spec: { restartPolicy: 'Never' as const, containers: [{ name: 'geopat', image: 'x' }] } }

describe('kubernetes-models as the offline schema check', () => {
  it('refuses a wrong type and a value outside an enum at run time', () => {
    const badEnum = { apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Sharded', template } } as unknown as IJob
    expect(() => new Job(badEnum).validate()).toThrow(/completionMode must be equal to one of the allowed values/)
    const badType = { apiVersion: 'batch/v1', kind: 'Job', spec: { parallelism: '4', template } } as unknown as IJob
    expect(() => new Job(badType).validate()).toThrow(/parallelism must be integer/)
    const noTemplate = { apiVersion: 'batch/v1', kind: 'Job', spec: { parallelism: 4 } } as unknown as IJob
    expect(() => new Job(noTemplate).validate()).toThrow(/template/)
  })

  it('lets an unknown field through at run time; the model type refuses it at compile time', () => {
    const misspelt: IJob = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: {
        template,
        // @ts-expect-error backoffLimitPerIndx is not a field of JobSpec: the typed builders cannot write it
        backoffLimitPerIndx: 0,
      },
    }
    expect(() => new Job(misspelt).validate()).not.toThrow()
  })
})
