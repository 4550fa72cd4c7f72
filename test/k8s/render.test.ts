import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { type K8sRenderOptions, renderK8s } from '../../src/app/k8s-render.js'

/**
 * `geopat k8s render` in-process: the objects it prints, parsed back from its YAML as kubectl would
 * read them, each validated here with kubernetes-models (the Kubernetes 1.33 API's schemas), and
 * the rules those schemas do not carry (the API server's own checks, the run's contract with
 * `geopat bench` and `geopat merge`) asserted one by one.
 */

const work = mkdtempSync(join(tmpdir(), 'geopat-k8s-render-'))
const FAKE_KEY = 'sk-geopat-fake-7f3a9c21d8e4b6a0'

function scenarioFile(name: string, text: string): string {
  const file = join(work, name)
  writeFileSync(file, text)
  return file
}

const CLOSED = `name: Region A go-live
endpoints:
  - url: https://llm.region-a.example/v1
    model: llama-3.1-8b
    apiKeyEnv: REGION_A_KEY
    headers: { X-Tenant: bench }
load:
  concurrency: 3000
  duration: 600
input:
  inputTokens: 200
  outputTokens: { dist: uniform, min: 100, max: 300 }
`

function render(file: string, extra: Partial<K8sRenderOptions> = {}): { objects: Array<Record<string, unknown>>; yaml: string; warnings: string[] } {
  const warnings: string[] = []
  const result = renderK8s({
    scenario: file,
    shards: 4,
    image: 'registry.example/geopat:0.1.0',
    results: 'pvc:bench-results',
    out: '-',
    itlMs: 10,
    apiKeySecret: 'region-a-key',
    startAt: '2026-12-07T09:00:00+01:00',
    env: { REGION_A_KEY: FAKE_KEY },
    now: new Date('2026-12-06T18:00:00Z'),
    warn: (line) => warnings.push(line),
    ...extra,
  })
  const objects = YAML.parseAllDocuments(result.yaml).map((document) => document.toJSON() as Record<string, unknown>)
  return { objects, yaml: result.yaml, warnings }
}

type Obj = Record<string, any>
const byKind = (objects: Obj[], kind: string): Obj[] => objects.filter((object) => object.kind === kind)
const container = (job: Obj): Obj => job.spec.template.spec.containers[0]

/** Every object validates against the models' schemas (a ConfigMap or a Job: nothing else is rendered). */
function expectValid(objects: Obj[]): void {
  for (const object of objects) {
    if (object.kind === 'Job') expect(() => new Job(object as never).validate()).not.toThrow()
    else if (object.kind === 'ConfigMap') expect(() => new ConfigMap(object as never).validate()).not.toThrow()
    else throw new Error(`unexpected kind ${object.kind}`)
  }
}

/** What the API server requires of an Indexed Job beyond its schema (pkg/apis/batch/validation). */
function expectApiServerRules(job: Obj): void {
  const spec = job.spec
  expect(spec.completionMode).toBe('Indexed')
  expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(0)
  // FailIndex is only allowed with backoffLimitPerIndex; podFailurePolicy needs restartPolicy Never.
  expect(spec.podFailurePolicy.rules.some((rule: Obj) => rule.action === 'FailIndex')).toBe(true)
  expect(spec.template.spec.restartPolicy).toBe('Never')
  expect(job.metadata.name.length).toBeLessThanOrEqual(63)
  expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
}

describe('geopat k8s render, results on a PersistentVolumeClaim', () => {
  const file = scenarioFile('closed.yaml', CLOSED)
  const { objects, yaml } = render(file)

  it('renders a ConfigMap with the scenario as written, the shards Job and the merge Job, each valid', () => {
    expect(objects.map((object) => `${object.kind}/${(object.metadata as Obj).name}`)).toEqual([
      'ConfigMap/geopat-region-a-go-live-scenario',
      'Job/geopat-region-a-go-live',
      'Job/geopat-region-a-go-live-merge',
    ])
    expectValid(objects)
    expect((byKind(objects, 'ConfigMap')[0] as Obj).data['scenario.yaml']).toBe(CLOSED)
  })

  it('runs N shards at once as an Indexed Job, never a shard twice, spread over nodes', () => {
    const job = byKind(objects, 'Job')[0] as Obj
    expectApiServerRules(job)
    expect(job.spec).toMatchObject({ completions: 4, parallelism: 4, backoffLimitPerIndex: 0 })
    expect(job.spec.podFailurePolicy.rules).toContainEqual({
      action: 'FailIndex',
      onExitCodes: { containerName: 'geopat', operator: 'In', values: [2] },
    })
    expect(job.spec.podFailurePolicy.rules).toContainEqual({ action: 'FailIndex', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] })
    const term = job.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
    expect(term.topologyKey).toBe('kubernetes.io/hostname')
    // The selector picks this run's shard pods: the template's labels.
    expect(job.spec.template.metadata.labels).toMatchObject(term.labelSelector.matchLabels)
  })

  it("runs geopat bench with the shard flags, its folder on the claim named by the pod's index", () => {
    const job = byKind(objects, 'Job')[0] as Obj
    expect(container(job).args).toEqual([
      'bench',
      '--scenario',
      '/etc/geopat/scenario.yaml',
      '--shards',
      '4',
      '--run-key',
      'geopat-region-a-go-live',
      '--start-at',
      '2026-12-07T08:00:00.000Z',
      '--out',
      '/results/geopat-region-a-go-live/shard-$(JOB_COMPLETION_INDEX)',
    ])
    const env = container(job).env as Obj[]
    // $(JOB_COMPLETION_INDEX) is expanded from the container's env: defined there, from the Job's annotation.
    expect(env.find((variable) => variable.name === 'JOB_COMPLETION_INDEX')?.valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    )
    expect(env.find((variable) => variable.name === 'HOSTNAME')?.valueFrom.fieldRef.fieldPath).toBe('metadata.name')
    const volumes = job.spec.template.spec.volumes as Obj[]
    expect(volumes.find((volume) => volume.name === 'results')?.persistentVolumeClaim).toEqual({ claimName: 'bench-results' })
    expect(volumes.find((volume) => volume.name === 'scenario')?.configMap.name).toBe('geopat-region-a-go-live-scenario')
    expect(container(job).volumeMounts).toContainEqual({ name: 'scenario', mountPath: '/etc/geopat', readOnly: true })
  })

  it('takes the API key from the Secret, under the scenario’s apiKeyEnv name, and no key appears anywhere', () => {
    const job = byKind(objects, 'Job')[0] as Obj
    const keyVariable = (container(job).env as Obj[]).find((variable) => variable.name === 'REGION_A_KEY')
    expect(keyVariable).toEqual({ name: 'REGION_A_KEY', valueFrom: { secretKeyRef: { name: 'region-a-key', key: 'REGION_A_KEY' } } })
    expect(yaml).not.toContain(FAKE_KEY)
    expect(yaml).not.toContain(FAKE_KEY.slice(3))
  })

  it('merges the shard folders on the claim in a Job that waits, suspended, for the shards to end', () => {
    const merge = byKind(objects, 'Job')[1] as Obj
    expect(merge.spec.suspend).toBe(true)
    expect(container(merge).args).toEqual([
      'merge',
      ...[0, 1, 2, 3].map((index) => `/results/geopat-region-a-go-live/shard-${index}`),
      '--out',
      '/results/geopat-region-a-go-live/merged',
    ])
    expect(merge.spec.template.spec.volumes).toContainEqual({ name: 'results', persistentVolumeClaim: { claimName: 'bench-results' } })
    expect(merge.spec.template.spec.restartPolicy).toBe('Never')
  })

  it('runs as a non-root user with no privilege to gain', () => {
    for (const job of byKind(objects, 'Job')) {
      expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true)
      expect(job.spec.template.spec.securityContext.runAsUser).toBeGreaterThan(0)
      expect(container(job).securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
    }
  })
})

describe('geopat k8s render keeps the scenario byte for byte', () => {
  it.each([
    ['a document marker, trailing spaces, a tab and no final newline', `---\n# note   \n${CLOSED}# end\twith a tab`],
    ['CRLF line ends and non-ASCII text', `${CLOSED.replace(/\n/g, '\r\n')}description: "Région A: 東京 → Zürich"\r\n`],
  ])('%s', (_, text) => {
    const { objects } = render(scenarioFile('verbatim.yaml', text))
    expect((byKind(objects, 'ConfigMap')[0] as Obj).data['scenario.yaml']).toBe(text)
  })
})

describe('geopat k8s render, results uploaded to S3', () => {
  const file = scenarioFile('closed-s3.yaml', CLOSED)
  const { objects, yaml, warnings } = render(file, {
    results: 's3://bench-results/region-a/',
    s3Secret: 'bench-s3',
    s3Endpoint: 'https://minio.example:9000',
    name: 'go-live-1',
    timeSource: 'ntp://time.cluster.local',
    // 100 streams a shard at 100 events/s each: 10,000 events/s, what one event loop times "ok".
    shards: 30,
  })

  it('renders the ConfigMap and the shards Job only, each valid, with no claim', () => {
    expect(objects.map((object) => `${object.kind}/${(object.metadata as Obj).name}`)).toEqual(['ConfigMap/go-live-1-scenario', 'Job/go-live-1'])
    expectValid(objects)
    const job = byKind(objects, 'Job')[0] as Obj
    expectApiServerRules(job)
    expect((job.spec.template.spec.volumes as Obj[]).some((volume) => volume.persistentVolumeClaim !== undefined)).toBe(false)
    expect(warnings).toEqual([])
  })

  it("uploads each shard's folder under the prefix, named by its index", () => {
    const args = container(byKind(objects, 'Job')[0] as Obj).args as string[]
    expect(args.slice(args.indexOf('--out'))).toEqual([
      '--out',
      '/results/shard-$(JOB_COMPLETION_INDEX)',
      '--upload',
      's3://bench-results/region-a/shard-$(JOB_COMPLETION_INDEX)',
    ])
    expect(args[args.indexOf('--run-key') + 1]).toBe('go-live-1')
    expect(args.slice(args.indexOf('--time-source'), args.indexOf('--time-source') + 2)).toEqual(['--time-source', 'ntp://time.cluster.local'])
  })

  it('takes the S3 credentials and the API key from Secrets, the endpoint in AWS_ENDPOINT_URL_S3', () => {
    const env = container(byKind(objects, 'Job')[0] as Obj).env as Obj[]
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
      expect(env).toContainEqual({ name: key, valueFrom: { secretKeyRef: { name: 'bench-s3', key } } })
    expect(env).toContainEqual({ name: 'AWS_ENDPOINT_URL_S3', value: 'https://minio.example:9000' })
    expect(env).toContainEqual({ name: 'REGION_A_KEY', valueFrom: { secretKeyRef: { name: 'region-a-key', key: 'REGION_A_KEY' } } })
    expect(yaml).not.toContain(FAKE_KEY)
  })
})

describe('geopat k8s render refuses what would put a secret in a manifest', () => {
  const withHeader = (header: string): string => CLOSED.replace('X-Tenant: bench', header)

  it.each([
    ['an Authorization header', 'Authorization: "Bearer abcdef123456"'],
    ['an api-key header', `api-key: "${FAKE_KEY}"`],
    ['a cookie', 'Cookie: "session=abcdef123456"'],
    ['a credential-shaped value under an ordinary name', 'X-Forward: "Bearer abcdef123456"'],
  ])('%s in the scenario, naming the field and not the value', (_, header) => {
    const file = scenarioFile('secret-header.yaml', withHeader(header))
    let message = ''
    try {
      render(file)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/endpoints\.0\.headers\..*looks like a credential/)
    expect(message).not.toContain('abcdef123456')
    expect(message).not.toContain(FAKE_KEY)
  })

  it("the API key's value anywhere in the scenario text (from the environment named by apiKeyEnv)", () => {
    const file = scenarioFile('key-in-text.yaml', `${CLOSED}description: "key ${FAKE_KEY}"\n`)
    expect(() => render(file)).toThrow(/holds the value of REGION_A_KEY/)
    try {
      render(file)
    } catch (error) {
      expect((error as Error).message).not.toContain(FAKE_KEY)
    }
  })

  it('an apiKeyEnv without --api-key-secret, and --api-key-secret with nothing to take it', () => {
    expect(() => render(scenarioFile('no-secret.yaml', CLOSED), { apiKeySecret: undefined })).toThrow(/apiKeySecret.*REGION_A_KEY/)
    const keyless = scenarioFile('keyless.yaml', CLOSED.replace('    apiKeyEnv: REGION_A_KEY\n', ''))
    expect(() => render(keyless)).toThrow(/apiKeySecret.*no endpoint/)
  })

  it("a simulated endpoint's profile file the pod would not have (a shipped profile name is in the image)", () => {
    const sim = (profile: string) => CLOSED.replace('  - url: https://llm.region-a.example/v1\n', `  - sim: { profile: ${profile} }\n`)
    expect(() => render(scenarioFile('sim-file.yaml', sim('profiles/mine.yaml')))).toThrow(/endpoints\.0\.sim\.profile: the pods get only/)
    expect(() => render(scenarioFile('sim-name.yaml', sim('h100-sxm-llama-3.1-8b-bf16')))).not.toThrow()
  })

  it('a relative file the pod would not have', () => {
    const file = scenarioFile('prompts.yaml', CLOSED.replace('  inputTokens: 200\n', '  inputTokens: 200\n  promptsFile: prompts.jsonl\n'))
    expect(() => render(file)).toThrow(/input\.promptsFile: the pods get only the scenario/)
  })
})

describe('geopat k8s render: bad options, one line each', () => {
  const file = scenarioFile('options.yaml', CLOSED)
  it.each<[string, Partial<K8sRenderOptions>, RegExp]>([
    ['0 shards', { shards: 0 }, /^shards 0: must be a whole number from 1/],
    ['more shards than users', { shards: 3001 }, /^shards 3001: more shards than the scenario's 3000 users/],
    ['a results target of no known kind', { results: 'nfs://server/export' }, /^results "nfs:\/\/server\/export": give pvc:CLAIM/],
    ['a bad bucket', { results: 's3://B/x' }, /^results: "s3:\/\/B\/x": bucket "B" is not a bucket name/],
    [
      'credentials in the S3 URL, not repeated',
      { results: 's3://AKIA:SECRET@bucket/x' },
      /^results: an s3:\/\/ URL carries no credentials(?!.*AKIA)(?!.*SECRET@)/,
    ],
    [
      'credentials in the S3 endpoint, not repeated',
      { results: 's3://bucket/x', s3Endpoint: 'http://AKIA:SECRET@minio:9000' },
      /^s3Endpoint: the endpoint URL carries no credentials(?!.*AKIA)(?!.*SECRET@)/,
    ],
    ['an S3 endpoint of another scheme', { results: 's3://bucket/x', s3Endpoint: 'ftp://minio' }, /^s3Endpoint: "ftp:\/\/minio": the endpoint is http/],
    ['an empty image', { image: '' }, /^image "": an image reference/],
    ['a start time without its zone', { startAt: '2026-12-07T09:00:00' }, /^startAt .*ISO 8601 time with its zone/],
    ['a bad name', { name: 'Region_A' }, /^name "Region_A": must be lowercase/],
    ['a time source of no known kind', { timeSource: 'ftp://clock' }, /^timeSource "ftp:\/\/clock": give ntp:\/\/host/],
    ['an NTP source without a host', { timeSource: 'ntp://' }, /^timeSource "ntp:\/\/": give ntp:\/\/host/],
    [
      'credentials in an HTTP time source, not repeated',
      { timeSource: 'https://u:hunter22@time.example/' },
      /^timeSource "…": give ntp:\/\/host(?!.*hunter22)/,
    ],
    ['an S3 secret for a claim', { s3Secret: 'x' }, /^s3Secret is for --results s3/],
    [
      'an --out in a folder that does not exist',
      { out: join(work, 'no-such-folder', 'run.yaml') },
      /^out .*no-such-folder.*: cannot write the file \(ENOENT\)/,
    ],
  ])('%s', (_, options, pattern) => {
    let message = ''
    try {
      render(file, options)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(pattern)
    expect(message).not.toContain('\n')
  })

  it('warns when the shards would not start together, or would be client-bound', () => {
    const { warnings } = render(file, { startAt: undefined, shards: 2 })
    expect(warnings.some((line) => line.startsWith('no --start-at'))).toBe(true)
    // 1,500 streams a shard × 100 events/s = 150,000 events/s: above one event loop's 10,000.
    expect(warnings.some((line) => /150000 token events\/s.*--shards 30 or more/.test(line))).toBe(true)
  })
})
