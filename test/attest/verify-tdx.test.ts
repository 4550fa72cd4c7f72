import { randomBytes } from 'node:crypto'
import type { Collateral } from '@phala/dcap-qvl'
import { beforeAll, describe, expect, it } from 'vitest'
import type { VerificationResult } from '../../src/attest/evidence-types.js'
import type { CheckName } from '../../src/io/schema/attestation.js'
import { sha512ReportData } from '../../src/attest/nonce-binding.js'
import { parseTdxQuote, verifyTdxQuote } from '../../src/attest/tdx.js'
import { loadTrustMaterial } from '../../src/attest/trust.js'
import { type TdxTestMaterial, makeTdxTestMaterial } from '../helpers/attest-keys.js'

let tdx: TdxTestMaterial
beforeAll(async () => {
  tdx = await makeTdxTestMaterial()
}, 30_000)

const nonce = randomBytes(32).toString('hex')
const mrTd = randomBytes(48)
const allowed = [mrTd.toString('hex')]

const expectFailure = (result: VerificationResult, name: CheckName): void => {
  expect(result.ok).toBe(false)
  expect(result.checks.find((check) => check.name === name)).toMatchObject({ name, ok: false })
  expect(result.reason).toMatch(new RegExp(`^tdx ${name}: `))
}
const failing = (result: VerificationResult): string[] => result.checks.filter((check) => !check.ok && !check.skipped).map((check) => check.name)
const options = () => ({ nonce, collateral: tdx.collateral as Collateral, rootCaDer: tdx.rootCaDer, allowedMeasurements: allowed })

describe('Intel TDX quotes (self-made Intel-shaped PKI and collateral)', () => {
  it('parse: MRTD, RTMR0–3 and report_data at their offsets', () => {
    const rtmrs: [Buffer, Buffer, Buffer, Buffer] = [randomBytes(48), randomBytes(48), randomBytes(48), randomBytes(48)]
    const reportData = sha512ReportData(nonce)
    const fields = parseTdxQuote(tdx.quote({ reportData, mrTd, rtmrs }))
    expect(fields).toMatchObject({
      version: 4,
      reportType: 'td10',
      mrTd: mrTd.toString('hex'),
      rtmr0: rtmrs[0].toString('hex'),
      rtmr3: rtmrs[3].toString('hex'),
      reportData: reportData.toString('hex'),
    })
    expect(fields.attestationKey).toMatch(/^[0-9a-f]{128}$/)
    expect(() => parseTdxQuote(Buffer.alloc(64))).toThrow(/not a DCAP quote/)
  })

  it('a valid quote verifies with the collateral and root CA: every check ok', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), options())
    expect(result.checks.filter((check) => !check.ok)).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.checks.map((check) => check.name)).toEqual([
      'report-format',
      'nonce-binding',
      'trust-anchor',
      'signature',
      'certificate-chain',
      'validity',
      'tcb-status',
      'debug-disabled',
      'measurement-allow-list',
    ])
    expect(result.claims).toMatchObject({ tcbStatus: 'UpToDate', mrTd: mrTd.toString('hex') })
    expect(result.measurements[0]).toBe(mrTd.toString('hex'))
    expect(result.keyFingerprint).toMatch(/^[0-9a-f]{64}$/)
  })

  it('the collateral file loads through the trust files', () => {
    const trust = loadTrustMaterial({ tdxCollateral: tdx.collateralFile }, 'scenario.yaml')
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), { ...options(), collateral: trust.tdxCollateral })
    expect(result.ok).toBe(true)
  })

  it('a wrong nonce fails nonce-binding', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(randomBytes(32).toString('hex')), mrTd }), options())
    expectFailure(result, 'nonce-binding')
    expect(failing(result)).toEqual(['nonce-binding'])
  })

  it('a flipped signature byte fails signature', () => {
    const quote = tdx.quote({ reportData: sha512ReportData(nonce), mrTd })
    const signatureOffset = 48 + 584 + 4
    quote[signatureOffset + 3] = (quote[signatureOffset + 3] as number) ^ 0x01
    const result = verifyTdxQuote(quote, options())
    expectFailure(result, 'signature')
    expect(failing(result)).toEqual(['signature'])
  })

  it("Intel's root CA instead of the one the PKI was made with fails certificate-chain", () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), { ...options(), rootCaDer: null })
    expectFailure(result, 'certificate-chain')
    expect(result.checks.find((check) => check.name === 'trust-anchor')?.detail).toMatch(/Intel's SGX Root CA pinned/)
  })

  it('a revoked PCK certificate fails certificate-chain', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), { ...options(), collateral: tdx.revokedCollateral as Collateral })
    expectFailure(result, 'certificate-chain')
    expect(result.reason).toMatch(/revoked/)
  })

  it('collateral past its next update fails validity', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), {
      ...options(),
      now: new Date(tdx.nextUpdate.getTime() + 86_400_000),
    })
    expectFailure(result, 'validity')
  })

  it('an out-of-date TEE TCB fails tcb-status unless accepted', () => {
    const quote = tdx.quote({ reportData: sha512ReportData(nonce), mrTd, teeTcbSvn: Buffer.alloc(16, 1) })
    const result = verifyTdxQuote(quote, options())
    expectFailure(result, 'tcb-status')
    expect(result.claims).toMatchObject({ tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00000'] })
    expect(verifyTdxQuote(quote, { ...options(), acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] }).ok).toBe(true)
  })

  it('a debuggable TD fails debug-disabled', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd, tdAttributes: Buffer.from('0100001000000000', 'hex') }), options())
    expectFailure(result, 'debug-disabled')
  })

  it('an MRTD not on the allow-list fails measurement-allow-list', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd: randomBytes(48) }), options())
    expectFailure(result, 'measurement-allow-list')
    expect(failing(result)).toEqual(['measurement-allow-list'])
  })

  it('without collateral the DCAP checks are skipped: unverified, nonce still checked', () => {
    const result = verifyTdxQuote(tdx.quote({ reportData: sha512ReportData(nonce), mrTd }), { ...options(), collateral: null })
    expect(result.ok).toBe(false)
    expect(failing(result)).toEqual([])
    expect(result.checks.find((check) => check.name === 'nonce-binding')?.ok).toBe(true)
    expect(result.reason).toMatch(/^tdx trust-anchor: no TDX collateral/)
  })
})
