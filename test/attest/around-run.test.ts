import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../../src/app/bench.js'
import { attestationRecordSchema } from '../../src/io/schema/attestation.js'
import { benchSummarySchema } from '../../src/io/schema/summary.js'
import { scenarioSchema } from '../../src/io/schema/scenario.js'
import { type AttestKeys, makeAttestKeys } from '../helpers/attest-keys.js'
import { expectOneLineError, runCli } from '../helpers/cli.js'

/**
 * Attestation around a real bench run: geopat's simulator serves signed evidence for its
 * confidential endpoint (keys made here), geopat records and verifies it before and after the run,
 * and flags the endpoint when another machine answers after the run.
 */
const work = mkdtempSync(join(tmpdir(), 'geopat-attest-run-'))
let trusted: AttestKeys
let impostor: AttestKeys
const MEASUREMENT = randomBytes(48).toString('hex')
const OTHER_MEASUREMENT = randomBytes(48).toString('hex')

function identity(keys: AttestKeys, measurement: string, name: string) {
  const vcekKey = join(work, `${name}-vcek-key.pem`)
  writeFileSync(vcekKey, keys.vcekPrivateKey.export({ type: 'pkcs8', format: 'pem' }))
  const nvidiaJwk = join(work, `${name}-nvidia-jwk.json`)
  writeFileSync(nvidiaJwk, JSON.stringify(keys.nvidia.privateJwk))
  return { vcekKey, vcekCert: keys.vcekFile, nvidiaJwk, measurement, chipId: keys.chipId.toString('hex'), reportedTcb: keys.reportedTcb.toString() }
}

function scenario(swap: boolean) {
  return scenarioSchema.parse({
    endpoints: [
      {
        label: 'eu-confidential',
        sim: {
          profile: 'h100-nvl-llama-3.1-8b-bf16',
          cc: true,
          attestation: {
            ...identity(trusted, MEASUREMENT, 'trusted'),
            ...(swap ? { swapAfterReports: 1, swapTo: identity(impostor, OTHER_MEASUREMENT, 'impostor') } : {}),
          },
        },
        attest: {
          claimed: true,
          source: 'api',
          trust: { arkCert: trusted.arkFile, askCert: trusted.askFile, nvidiaJwks: trusted.nvidia.jwksFile },
          allowedMeasurements: [MEASUREMENT],
        },
      },
      // Confidential by the scenario's word only: its server has no attestation API.
      { label: 'claimed-only', sim: { profile: 'h100-nvl-llama-3.1-8b-bf16', cc: true }, attest: { claimed: true } },
      { label: 'standard', sim: { profile: 'h100-sxm-llama-3.1-8b-bf16' } },
    ],
    load: { concurrency: 2, requests: 4, seed: 3 },
    input: { inputTokens: 32, outputTokens: 8 },
  })
}

beforeAll(async () => {
  ;[trusted, impostor] = await Promise.all([makeAttestKeys(), makeAttestKeys()])
}, 60_000)

async function bench(name: string, swap: boolean) {
  const outDir = join(work, name)
  const { summary } = await runBench({ scenario: scenario(swap), source: `${name}.yaml`, outDir, log: () => undefined, progress: false })
  // What was written is what was returned, and it validates.
  expect(benchSummarySchema.parse(JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')))).toEqual(summary)
  const attestation = summary.attestation
  if (!attestation) throw new Error('no attestation in the summary')
  const endpoint = (label: string) => attestation.endpoints.find((e) => e.endpoint === label)
  const records = (label: string) => attestation.records.filter((r) => r.endpoint === label)
  return { summary, outDir, endpoint, records }
}

describe('attestation around a bench run', () => {
  it('records verified evidence before and after for the attested endpoint, and never more than claimed without it', async () => {
    const { endpoint, records, outDir } = await bench('steady', false)
    expect(endpoint('eu-confidential')).toMatchObject({ level: 'verified', verdict: 'verified', swapped: false })
    const [before, after] = records('eu-confidential')
    expect(before?.phase).toBe('before')
    expect(after?.phase).toBe('after')
    expect(before?.nonce).not.toBe(after?.nonce)
    expect(before?.measurements).toContain(MEASUREMENT)
    expect(Object.keys(before?.evidenceHashes ?? {})).toEqual(expect.arrayContaining(['snpReport', 'vcekCert', 'nvidiaToken']))
    expect(before?.roundTripMs).toBeGreaterThan(0)
    expect(readFileSync(join(outDir, 'attestation', 'eu-confidential-before.nvidia-token.jwt'), 'utf8')).toMatch(/^eyJ/)
    // No attestation API: the scenario's claim is all there is.
    expect(endpoint('claimed-only')?.level).toBe('claimed')
    expect(records('claimed-only')[0]?.notes.join(' ')).toMatch(/404|no attestation/)
    expect(endpoint('standard')?.level).toBe('none')
  }, 90_000)

  it('flags the endpoint when its key and measurement change mid-run, and marks its runs', async () => {
    const { endpoint, records, summary } = await bench('swapped', true)
    const flagged = endpoint('eu-confidential')
    expect(flagged?.swapped).toBe(true)
    expect(flagged?.swapReason).toMatch(/measurement|key/)
    expect(flagged?.level).toBe('claimed')
    // The evidence after the swap does not chain to the trusted ARK: the failing check is named.
    const after = records('eu-confidential').find((r) => r.phase === 'after')
    expect(
      after?.checks.some((c) => !c.ok && !c.skipped && (c.name === 'certificate-chain' || c.name === 'trust-anchor' || c.name === 'measurement-allow-list')),
    ).toBe(true)
    expect(summary.runs.filter((r) => r.endpoint.label === 'eu-confidential').every((r) => r.warnings.some((w) => /swapped/.test(w)))).toBe(true)
  }, 90_000)
})

describe('geopat attest', () => {
  it('verifies a simulated confidential endpoint from a scenario, and says "claimed" for one with no evidence', async () => {
    const file = join(work, 'attest.yaml')
    const endpoints = scenario(false)
      .endpoints.slice(0, 2)
      .map((e) => ({ label: e.label, sim: e.sim, attest: e.attest }))
    writeFileSync(file, JSON.stringify({ endpoints, load: { requests: 1 } }))
    const result = await runCli(['attest', '--scenario', file, '--out', join(work, 'attest-cli'), '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const { records } = JSON.parse(result.stdout) as { records: unknown[] }
    const parsed = records.map((r) => attestationRecordSchema.parse(r))
    expect(parsed.map((r) => [r.endpoint, r.level])).toEqual([
      ['eu-confidential', 'verified'],
      ['claimed-only', 'claimed'],
    ])
    expect(readFileSync(join(work, 'attest-cli', 'attestation.json'), 'utf8')).toContain(parsed[0]?.evidenceHashes.snpReport as string)
  }, 60_000)

  it('asks for --scenario or --url in one line', async () => {
    expect(expectOneLineError(await runCli(['attest']))).toMatch(/--scenario or --url/)
  })
})
