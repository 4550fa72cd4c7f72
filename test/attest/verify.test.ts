import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Check, VerificationResult } from '../../src/attest/evidence-types.js'
import { CHECK_NAMES, type CheckName } from '../../src/io/schema/attestation.js'
import { assessLevel, levelOf } from '../../src/attest/levels.js'
import { reportDataFor, sha512ReportData } from '../../src/attest/nonce-binding.js'
import { signNvidiaToken, verifyNvidiaToken } from '../../src/attest/nvidia.js'
import { buildAttestationRecord } from '../../src/attest/record.js'
import { verifySnpReport } from '../../src/attest/snp.js'
import { SNP_REPORT_BYTES, type SnpReport, buildSnpReport, parseSnpReport, signSnpReport } from '../../src/attest/snp-report.js'
import { loadTrustMaterial } from '../../src/attest/trust.js'
import { verdictOf, verifyEvidence } from '../../src/attest/verify.js'
import { attestationRecordSchema } from '../../src/io/schema/attestation.js'
import { UserError } from '../../src/util/errors.js'
import { type AttestKeys, makeAttestKeys } from '../helpers/attest-keys.js'

let keys: AttestKeys
beforeAll(async () => {
  keys = await makeAttestKeys()
}, 30_000)

const nonce = randomBytes(32).toString('hex')
const measurement = createHash('sha384').update('geopat test guest').digest()
const allowed = [measurement.toString('hex').toUpperCase()]

const check = (result: VerificationResult, name: CheckName): Check => {
  const found = result.checks.find((item) => item.name === name)
  if (!found) throw new Error(`no ${name} check in ${result.checks.map((item) => item.name).join(', ')}`)
  return found
}
/** The result fails, and its reason names the check. */
const expectFailure = (result: VerificationResult, name: CheckName): void => {
  expect(result.ok).toBe(false)
  expect(check(result, name)).toMatchObject({ name, ok: false })
  expect(check(result, name).skipped).toBeUndefined()
  expect(result.reason).toMatch(new RegExp(`^${result.evidence} ${name}: `))
}
const failingChecks = (result: VerificationResult): string[] => result.checks.filter((item) => !item.ok).map((item) => item.name)

function snpReport(overrides: Partial<SnpReport> = {}): Buffer {
  const fields: Partial<SnpReport> = {
    reportData: sha512ReportData(nonce),
    measurement,
    chipId: keys.chipId,
    reportedTcb: keys.reportedTcb,
    currentTcb: keys.reportedTcb,
    ...overrides,
  }
  return signSnpReport(buildSnpReport(fields), keys.vcekPrivateKey)
}
const snpOptions = () => ({ nonce, vcekPem: keys.vcekPem, askPem: keys.askPem, trustedArkPem: keys.arkPem, allowedMeasurements: allowed })

describe('AMD SEV-SNP reports', () => {
  it('parse what was built, field by field, and build the same bytes back', () => {
    const report = snpReport({
      guestSvn: 7,
      vmpl: 1,
      familyId: randomBytes(16),
      hostData: randomBytes(32),
      cpuidFamId: 0x19,
      currentMajor: 1,
      currentMinor: 55,
      currentBuild: 21,
    })
    expect(report.length).toBe(SNP_REPORT_BYTES)
    const parsed = parseSnpReport(report)
    expect(parsed).toMatchObject({
      version: 2,
      guestSvn: 7,
      vmpl: 1,
      signatureAlgo: 1,
      policy: 0x30000n,
      reportedTcb: keys.reportedTcb,
      cpuidFamId: 0x19,
      currentMinor: 55,
    })
    expect(parsed.measurement.equals(measurement)).toBe(true)
    expect(parsed.chipId.equals(keys.chipId)).toBe(true)
    expect(parsed.reportData.equals(sha512ReportData(nonce))).toBe(true)
    // The fixed offsets of the ABI: report_data at 0x50, measurement at 0x90, signature at 0x2A0.
    expect(report.subarray(0x50, 0x90).equals(parsed.reportData)).toBe(true)
    expect(report.subarray(0x90, 0xc0).equals(measurement)).toBe(true)
    expect(report.subarray(0x2a0, 0x2e8).equals(parsed.signatureR)).toBe(true)
    expect(buildSnpReport(parsed).equals(report)).toBe(true)
    expect(() => parseSnpReport(report.subarray(0, 1000))).toThrow(/1184 bytes/)
  })

  it('a valid report verifies: every check ok', () => {
    const result = verifySnpReport(snpReport(), snpOptions())
    expect(failingChecks(result)).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.reason).toBeNull()
    // Every check in its order, but those of TDX (tcb-status) and NVIDIA's token (overall-result, claims-allow-list).
    const notSnp: CheckName[] = ['tcb-status', 'overall-result', 'claims-allow-list']
    expect(result.checks.map((item) => item.name)).toEqual(CHECK_NAMES.filter((name) => !notSnp.includes(name)))
    expect(result.measurements).toEqual([measurement.toString('hex')])
    expect(result.keyFingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(result.claims).toMatchObject({ measurement: measurement.toString('hex'), debugAllowed: false, signingKey: 'vcek' })
  })

  it('a wrong nonce fails nonce-binding', () => {
    const result = verifySnpReport(snpReport(), { ...snpOptions(), nonce: randomBytes(32).toString('hex') })
    expectFailure(result, 'nonce-binding')
    expect(failingChecks(result)).toEqual(['nonce-binding'])
  })

  it('raw binding: the nonce bytes at an offset of report_data', () => {
    const report = snpReport({ reportData: reportDataFor(nonce, 'raw', 32) })
    expect(verifySnpReport(report, { ...snpOptions(), nonceBinding: 'raw', rawNonceOffset: 32 }).ok).toBe(true)
    expectFailure(verifySnpReport(report, { ...snpOptions(), nonceBinding: 'raw' }), 'nonce-binding')
    expectFailure(verifySnpReport(report, snpOptions()), 'nonce-binding')
  })

  it('a flipped signature byte fails signature', () => {
    const report = snpReport()
    report[0x2a0 + 5] = (report[0x2a0 + 5] as number) ^ 0x01
    const result = verifySnpReport(report, snpOptions())
    expectFailure(result, 'signature')
    expect(failingChecks(result)).toEqual(['signature'])
  })

  it('a changed signed byte (the measurement) fails signature', () => {
    const report = snpReport()
    report[0x90] = (report[0x90] as number) ^ 0x80
    expectFailure(verifySnpReport(report, snpOptions()), 'signature')
  })

  it('a broken chain (the ASK signed by another ARK) fails certificate-chain', () => {
    const result = verifySnpReport(snpReport(), { ...snpOptions(), askPem: keys.brokenAskPem })
    expectFailure(result, 'certificate-chain')
    expect(failingChecks(result)).toEqual(['certificate-chain'])
  })

  it('a chain that ends in another ARK than the trusted one fails trust-anchor', () => {
    const result = verifySnpReport(snpReport(), { ...snpOptions(), askPem: keys.brokenAskPem, arkPem: keys.otherArkPem })
    expectFailure(result, 'trust-anchor')
    expect(failingChecks(result)).toEqual(['trust-anchor'])
  })

  it('an expired VCEK fails validity', () => {
    const now = new Date(Date.now() + 2 * 86_400_000)
    expect(verifySnpReport(snpReport(), { ...snpOptions(), now }).ok).toBe(true)
    const result = verifySnpReport(snpReport(), { ...snpOptions(), vcekPem: keys.shortLivedVcekPem, now })
    expectFailure(result, 'validity')
    expect(check(result, 'validity').detail).toMatch(/VCEK expired/)
  })

  it('a measurement not on the allow-list fails measurement-allow-list', () => {
    const result = verifySnpReport(snpReport(), { ...snpOptions(), allowedMeasurements: ['00'.repeat(48)] })
    expectFailure(result, 'measurement-allow-list')
    expect(failingChecks(result)).toEqual(['measurement-allow-list'])
  })

  it('a report from another chip or TCB than the VCEK was issued for fails tcb-binding', () => {
    expectFailure(verifySnpReport(snpReport({ chipId: randomBytes(64) }), snpOptions()), 'tcb-binding')
    expectFailure(verifySnpReport(snpReport({ reportedTcb: keys.reportedTcb + 1n }), snpOptions()), 'tcb-binding')
  })

  it('a debuggable guest fails debug-disabled', () => {
    expectFailure(verifySnpReport(snpReport({ policy: 0x30000n | (1n << 19n) }), snpOptions()), 'debug-disabled')
  })

  it('without trust anchors or an allow-list the checks are skipped, not passed', () => {
    const result = verifySnpReport(snpReport(), { nonce, vcekPem: keys.vcekPem, askPem: null, trustedArkPem: null, allowedMeasurements: [] })
    expect(result.ok).toBe(false)
    expect(result.checks.filter((item) => item.skipped).map((item) => item.name)).toEqual(['certificate-chain', 'trust-anchor', 'measurement-allow-list'])
    expect(result.checks.filter((item) => !item.ok && !item.skipped)).toEqual([])
    expect(verdictOf([result])).toBe('unverified')
  })

  it('a truncated report fails report-format', () => {
    expectFailure(verifySnpReport(Buffer.alloc(100), snpOptions()), 'report-format')
  })
})

describe('NVIDIA attestation tokens', () => {
  const claims = () => ({ eat_nonce: nonce, 'x-nvidia-overall-att-result': true, iss: 'https://nras.attestation.nvidia.com', ueid: '4242' })
  const options = () => ({ nonce, jwks: keys.nvidia.jwks })

  it('a valid token verifies: every check ok', async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.privateJwk, keys.nvidia.kid)
    const result = await verifyNvidiaToken(token, options())
    expect(failingChecks(result)).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.checks.map((item) => item.name)).toEqual(['report-format', 'signature', 'trust-anchor', 'validity', 'nonce-binding', 'overall-result'])
    expect(result.claims).toMatchObject({ eat_nonce: nonce, ueid: '4242' })
    expect(result.keyFingerprint).toMatch(/^[0-9a-f]{64}$/)
  })

  it("NRAS's list form: the overall JWT is verified", async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.privateJwk, keys.nvidia.kid)
    const gpu = await signNvidiaToken({ measres: 'success' }, keys.nvidia.privateJwk, keys.nvidia.kid)
    const result = await verifyNvidiaToken(JSON.stringify([['JWT', token], { 'GPU-0': gpu }]), options())
    expect(result.ok).toBe(true)
    expect(check(result, 'report-format').detail).toMatch(/1 detached GPU token/)
  })

  it('an expired token fails validity', async () => {
    const past = Math.floor(Date.now() / 1000) - 7200
    const token = await signNvidiaToken({ ...claims(), iat: past, exp: past + 60 }, keys.nvidia.privateJwk, keys.nvidia.kid)
    const result = await verifyNvidiaToken(token, options())
    expectFailure(result, 'validity')
    expect(failingChecks(result)).toEqual(['validity'])
  })

  it('a token not yet valid fails validity', async () => {
    const token = await signNvidiaToken({ ...claims(), nbf: Math.floor(Date.now() / 1000) + 600 }, keys.nvidia.privateJwk, keys.nvidia.kid)
    expectFailure(await verifyNvidiaToken(token, options()), 'validity')
  })

  it('a wrong nonce fails nonce-binding', async () => {
    const token = await signNvidiaToken({ ...claims(), eat_nonce: randomBytes(32).toString('hex') }, keys.nvidia.privateJwk, keys.nvidia.kid)
    expectFailure(await verifyNvidiaToken(token, options()), 'nonce-binding')
  })

  it('a failed GPU appraisal fails overall-result', async () => {
    const token = await signNvidiaToken({ ...claims(), 'x-nvidia-overall-att-result': false }, keys.nvidia.privateJwk, keys.nvidia.kid)
    expectFailure(await verifyNvidiaToken(token, options()), 'overall-result')
  })

  it('a flipped signature byte fails signature', async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.privateJwk, keys.nvidia.kid)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const bytes = Buffer.from(signature, 'base64url')
    bytes[3] = (bytes[3] as number) ^ 0x01
    const result = await verifyNvidiaToken(`${header}.${payload}.${bytes.toString('base64url')}`, options())
    expectFailure(result, 'signature')
    expect(failingChecks(result)).toEqual(['signature'])
  })

  it('a token signed by a key outside the JWKS fails signature and trust-anchor', async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.untrustedPrivateJwk, 'someone-else')
    const result = await verifyNvidiaToken(token, options())
    expectFailure(result, 'signature')
    expect(failingChecks(result)).toEqual(['signature', 'trust-anchor'])
  })

  it('a claim not on the claims allow-list fails claims-allow-list', async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.privateJwk, keys.nvidia.kid)
    expect((await verifyNvidiaToken(token, { ...options(), expectedClaims: { ueid: ['4242'] } })).ok).toBe(true)
    expectFailure(await verifyNvidiaToken(token, { ...options(), expectedClaims: { ueid: ['1'] } }), 'claims-allow-list')
  })

  it('without a JWKS the signature is skipped: unverified, not failed', async () => {
    const token = await signNvidiaToken(claims(), keys.nvidia.privateJwk, keys.nvidia.kid)
    const result = await verifyNvidiaToken(token, { nonce, jwks: null })
    expect(result.checks.filter((item) => item.skipped).map((item) => item.name)).toEqual(['signature', 'trust-anchor'])
    expect(verdictOf([result])).toBe('unverified')
  })

  it('garbage fails report-format', async () => {
    expectFailure(await verifyNvidiaToken('not a token', options()), 'report-format')
  })
})

describe('levels, verdicts and records', () => {
  it('trust files load: cert_chain splits into ARK and ASK; JWKS checked', () => {
    const trust = loadTrustMaterial({ arkCert: keys.certChainFile, nvidiaJwks: keys.nvidia.jwksFile }, 'scenario.yaml')
    expect(trust.arkPem?.trim()).toBe(keys.arkPem.trim())
    expect(trust.askPem?.trim()).toBe(keys.askPem.trim())
    expect(trust.nvidiaJwks?.keys).toHaveLength(1)
    expect(() => loadTrustMaterial({ arkCert: join(keys.dir, 'missing.pem') }, 'scenario.yaml')).toThrow(UserError)
    const badJwks = join(keys.dir, 'bad-jwks.json')
    writeFileSync(badJwks, JSON.stringify({ keys: [] }))
    expect(() => loadTrustMaterial({ nvidiaJwks: badJwks }, 'scenario.yaml')).toThrow(/attest\.trust\.nvidiaJwks/)
  })

  it('SNP report and NVIDIA token with the user trust files: verified, and the record validates', async () => {
    const trust = loadTrustMaterial({ arkCert: keys.arkFile, askCert: keys.askFile, nvidiaJwks: keys.nvidia.jwksFile }, 'scenario.yaml')
    const token = await signNvidiaToken({ eat_nonce: nonce, 'x-nvidia-overall-att-result': true }, keys.nvidia.privateJwk, keys.nvidia.kid)
    const evidence = { nonce, snpReport: snpReport(), vcekCert: keys.vcekPem, nvidiaToken: token, tdxQuote: null }
    const results = await verifyEvidence(evidence, trust, { allowedMeasurements: allowed })
    expect(results.map((result) => [result.evidence, result.ok])).toEqual([
      ['snp', true],
      ['nvidia', true],
    ])
    const evidenceHashes = { snpReport: createHash('sha256').update(evidence.snpReport).digest('hex') }
    expect(levelOf({ claimed: true, evidenceHashes, nonceFresh: true, results })).toBe('verified')
    const record = buildAttestationRecord({
      endpoint: 'cvm',
      phase: 'before',
      source: 'api',
      nonce,
      fetchedAt: new Date().toISOString(),
      roundTripMs: 12.5,
      evidenceHashes,
      notes: [],
      claimed: true,
      nonceFresh: true,
      results,
    })
    expect(attestationRecordSchema.parse(record)).toEqual(record)
    expect(record).toMatchObject({ level: 'verified', verdict: 'verified', measurements: [measurement.toString('hex')] })
    expect(Object.keys(record.keyFingerprints)).toEqual(['snp', 'nvidia'])
  })

  it('a failing check drops the level to claimed (or none) and the reason names it', async () => {
    const trust = loadTrustMaterial({ arkCert: keys.arkFile, askCert: keys.askFile }, 'scenario.yaml')
    const results = await verifyEvidence({ nonce, snpReport: snpReport(), vcekCert: keys.vcekPem, nvidiaToken: null, tdxQuote: null }, trust, {
      allowedMeasurements: ['ab'.repeat(48)],
    })
    const inputs = { claimed: true, evidenceHashes: { snpReport: 'a'.repeat(64) }, nonceFresh: true, results }
    expect(assessLevel(inputs)).toMatchObject({ level: 'claimed', reason: expect.stringMatching(/snp measurement-allow-list: /) })
    expect(levelOf({ ...inputs, claimed: false })).toBe('none')
    expect(verdictOf(results)).toBe('failed')
  })

  it('evidence without trust anchors is evidence-recorded; a stale nonce or no evidence is claimed or none', async () => {
    const results = await verifyEvidence(
      { nonce, snpReport: snpReport(), vcekCert: keys.vcekPem, nvidiaToken: null, tdxQuote: null },
      loadTrustMaterial(undefined, 's'),
      { allowedMeasurements: [] },
    )
    const evidenceHashes = { snpReport: 'a'.repeat(64) }
    expect(assessLevel({ claimed: true, evidenceHashes, nonceFresh: true, results })).toMatchObject({
      level: 'evidence-recorded',
      reason: expect.stringMatching(/^evidence recorded, not verified: snp certificate-chain: /),
    })
    expect(levelOf({ claimed: true, evidenceHashes, nonceFresh: false, results })).toBe('claimed')
    expect(levelOf({ claimed: true, evidenceHashes: {}, nonceFresh: true, results: [] })).toBe('claimed')
    expect(levelOf({ claimed: false, evidenceHashes: {}, nonceFresh: true, results: [] })).toBe('none')
    expect(verdictOf([])).toBe('no-evidence')
  })
})
