import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import YAML from 'yaml'
import { describe, expect, it } from 'vitest'
import { expectOneLineError, runCli } from '../helpers/cli.js'

/** `geopat k8s render` as a user runs it (the built CLI): one line and a non-zero exit for bad input. */
const work = mkdtempSync(join(tmpdir(), 'geopat-k8s-cli-'))
const scenario = join(work, 'scenario.yaml')
writeFileSync(scenario, 'endpoints:\n  - url: https://llm.example/v1\n    apiKeyEnv: LLM_KEY\nload:\n  concurrency: 8\n  requests: 80\n')
const base = ['k8s', 'render', '--scenario', scenario, '--image', 'registry.example/geopat:0.1.0', '--api-key-secret', 'llm-key']

describe('geopat k8s render on the command line', () => {
  it.each<[string, string[], RegExp]>([
    ['0 shards', ['--shards', '0'], /--shards: "0" is not an integer >= 1/],
    ['a bad --results', ['--shards', '2', '--results', 'nfs://x/y'], /--results "nfs:\/\/x\/y": give pvc:CLAIM/],
    ['no --image', ['k8s', 'render', '--scenario', scenario, '--shards', '2'], /^Error: Missing required flag image$/],
  ])('%s: one line, exit 2', async (_, args, pattern) => {
    const result = await runCli(args[0] === 'k8s' ? args : [...base, ...args])
    expect(expectOneLineError(result)).toMatch(pattern)
    expect(result.exitCode).toBe(2)
  })

  it('writes the manifests to --out, the key only as a Secret reference', async () => {
    const out = join(work, 'run.yaml')
    const fakeKey = 'sk-cli-fake-0b1c2d3e4f5a6b7c'
    const result = await runCli([...base, '--shards', '2', '--start-at', '2026-12-07T09:00:00Z', '--out', out], { env: { LLM_KEY: fakeKey } })
    expect(result.exitCode).toBe(0)
    const text = readFileSync(out, 'utf8')
    expect(text).not.toContain(fakeKey)
    expect(YAML.parseAllDocuments(text).map((document) => document.get('kind'))).toEqual(['ConfigMap', 'Job', 'Job'])
    expect(result.stderr).toContain(`wrote ${out}`)
  })
})
